"""Session lifetimes, re-authentication, cookies and headers, keys and their rotation."""
import time

import pytest
from sqlalchemy import select

from onestop import create_app
from onestop.accounts.models import User
from onestop.accounts.services import reissue_invitation
from onestop.config import DEV_SECRET_KEY, _key_list
from onestop.extensions import db
from tests.conftest import Browser
from tests.factories import PASSWORD

HOUR = 3600
STRONG = "k" * 40


def shift(b: Browser, **seconds_ago) -> None:
    with b.client.session_transaction() as session:
        for key, ago in seconds_ago.items():
            session[key] = time.time() - ago


def test_a_session_ends_twelve_hours_after_sign_in_however_active(browser, world, capsys):
    firm = browser("ceo@alpha.test")
    shift(firm, signed_in_at=12 * HOUR - 60, seen_at=0)
    assert firm.get("/").status_code == 200
    shift(firm, signed_in_at=12 * HOUR + 1, seen_at=0)
    response = firm.get("/cases/")
    assert response.status_code == 302 and "/login?next=/cases/" in response.headers["Location"]
    assert firm.get("/").status_code == 302
    assert '"event": "session.expired"' in capsys.readouterr().out


@pytest.mark.parametrize(("email", "idle_ok", "idle_out"), [
    ("desk@test.example", 29 * 60, 31 * 60),            # staff: 30 minutes
    ("ceo@alpha.test", 119 * 60, 121 * 60),              # everyone else: 2 hours
])
def test_idle_sessions_end(browser, world, email, idle_ok, idle_out):
    b = browser(email)
    shift(b, seen_at=idle_ok)
    assert b.get("/").status_code == 200, "a request in time keeps the session"
    shift(b, seen_at=idle_out)
    assert b.get("/").status_code == 302


def test_the_idle_timeout_is_configurable(app, browser, world):
    from datetime import timedelta

    b = browser("desk@test.example")
    app.config["SESSION_IDLE_STAFF"] = timedelta(minutes=5)
    try:
        shift(b, seen_at=6 * 60)
        assert b.get("/").status_code == 302
    finally:
        app.config["SESSION_IDLE_STAFF"] = timedelta(minutes=30)


def test_a_session_without_its_clocks_is_refused(app, world):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = db.session.get(User, world.desk.id).get_id()
    assert client.get("/").status_code == 302


def test_changing_a_role_asks_for_the_password_again_and_keeps_what_was_typed(browser, world):
    admin = browser("admin@test.example")
    stale(admin)
    url = f"/admin/users/{world.desk.id}"
    form = {"name": "Renamed desk", "role": "admin", "organization": str(world.desk_org.id),
            "firm": "0", "is_enabled": "y"}
    missing = admin.post(url, form)
    page = missing.get_data(as_text=True)
    assert missing.status_code == 422 and 'value="Renamed desk"' in page
    assert 'id="reauth_password-error"' in page
    wrong = admin.post(url, {**form, "reauth_password": "not it"})
    assert wrong.status_code == 422
    assert db.session.get(User, world.desk.id).role == "caseworker"
    assert admin.post(url, {**form, "reauth_password": PASSWORD}).status_code == 303
    user = db.session.get(User, world.desk.id)
    db.session.refresh(user)
    assert (user.role, user.name) == ("admin", "Renamed desk")
    form["name"] = "Again"
    assert admin.post(url, form).status_code == 303, "fresh for a while after confirming"


def test_a_fresh_sign_in_needs_no_second_password(browser, world):
    admin = browser("admin@test.example")
    assert 'name="reauth_password"' not in admin.get(
        f"/admin/users/{world.desk.id}").get_data(as_text=True)


def stale(b: Browser) -> None:
    shift(b, auth_at=HOUR)


def test_headers_everywhere(browser, world):
    response = browser().get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "object-src 'none'" in csp and "base-uri 'none'" in csp
    assert "Strict-Transport-Security" not in response.headers, "HSTS only in production"


@pytest.fixture
def production(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite'}")

    def make(**overrides):
        return create_app("production", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'p.sqlite'}",
                          UPLOAD_DIR=str(tmp_path / "u"), **overrides)

    return make


@pytest.mark.parametrize(("key", "message"), [
    (None, "SECRET_KEY"), ("", "SECRET_KEY"), (DEV_SECRET_KEY, "development key"),
    ("x" * 31, "at least 32 bytes")])
def test_production_refuses_weak_keys(production, key, message):
    with pytest.raises(RuntimeError, match=message):
        production(SECRET_KEY=key)


def test_production_cookies_and_hsts(production):
    app = production(SECRET_KEY=STRONG)
    response = app.test_client().get("/login", base_url="https://onestop.example")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=") and "Secure" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_the_development_key_answers_loopback_only(app, world):
    saved = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = DEV_SECRET_KEY
    try:
        client = app.test_client()
        assert client.get("/login", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 403
        assert client.get("/login", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
        assert client.get("/login").status_code == 200
        app.config["SECRET_KEY"] = STRONG
        assert client.get("/login", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    finally:
        app.config["SECRET_KEY"] = saved


def test_key_fallbacks_are_read_from_the_environment():
    assert _key_list("old-one, older  oldest\n") == ["old-one", "older", "oldest"]
    assert _key_list("") == []


def test_rotating_the_key_keeps_sessions_links_and_devices_signed_with_the_old_one(app, world):
    old_key = app.config["SECRET_KEY"]
    signed_in = Browser(app)
    signed_in.login("ceo@alpha.test")
    device = Browser(app)
    device.login("desk@test.example")
    device.post("/logout")
    pending = User(email="new@alpha.example", name="New", role="firm", firm=world.firm_a)
    db.session.add(pending)
    db.session.flush()
    link = f"/invitation/{reissue_invitation(pending)}"
    db.session.commit()
    try:
        app.config.update(SECRET_KEY=STRONG, SECRET_KEY_FALLBACKS=[old_key])
        assert signed_in.get("/").status_code == 200
        assert Browser(app).get(link).status_code == 200
        device.get("/login")
        for _ in range(5):  # throttles the account for strangers...
            Browser(app).post("/login", {"email": "desk@test.example", "password": "wrong"})
        # ... but the old-key device cookie still counts as a known device.
        assert device.post("/login", {"email": "desk@test.example",
                                      "password": PASSWORD}).status_code == 303
        app.config.update(SECRET_KEY_FALLBACKS=[])
        assert signed_in.get("/").status_code == 302, "without the fallback the old cookie dies"
        assert Browser(app).get(link).status_code == 404
    finally:
        app.config.update(SECRET_KEY=old_key, SECRET_KEY_FALLBACKS=[])


def test_flask_login_speaks_korean(browser, world):
    b = browser()
    b.get("/firms/")
    page = b.get("/login?next=%2Ffirms%2F").get_data(as_text=True)
    assert "이 페이지를 보려면 로그인하세요." in page


def test_users_are_untouched_by_a_refused_change(browser, world):
    admin = browser("admin@test.example")
    stale(admin)
    admin.post(f"/admin/users/{world.desk.id}", {"name": "X", "role": "firm", "organization": "0",
                                                 "firm": "0"})
    assert db.session.scalar(select(User.name).where(User.id == world.desk.id)) == "desk"
