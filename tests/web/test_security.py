"""The security baseline: sessions, sign-in limits, CSRF, invitations, cookies, bad input."""
import re

import pytest
from sqlalchemy import func, select

from onestop.accounts.models import User
from onestop.accounts.services import reissue_invitation
from onestop.cases import services as cases
from onestop.cases.models import Case
from onestop.extensions import db
from tests.conftest import Browser
from tests.factories import PASSWORD


def test_passwords_are_argon2id(world):
    assert world.desk.password_hash.startswith("$argon2id$")


def test_signing_out_kills_a_copied_session_cookie(app, browser):
    first = browser("desk@test.example")
    stolen = Browser(app)
    stolen.client.set_cookie("session", first.client.get_cookie("session", domain="onestop.test").value,
                             domain="onestop.test")
    assert stolen.get("/").status_code == 200, "the copy works while the session lives"
    first.post("/logout")
    assert stolen.get("/").status_code == 302, "signing out ended every session"


def test_changing_the_password_ends_other_sessions_but_not_this_one(app, browser):
    here = browser("ceo@alpha.test")
    elsewhere = browser("ceo@alpha.test")
    response = here.post("/account", {"current_password": PASSWORD,
                                      "password": "tidal-copper-lantern-42",
                                      "confirm": "tidal-copper-lantern-42"})
    assert response.status_code == 303
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302
    browser().login("ceo@alpha.test", "tidal-copper-lantern-42")


def test_wrong_current_password_is_refused_with_a_message(browser):
    here = browser("ceo@alpha.test")
    response = here.post("/account", {"current_password": "nope", "password": "a-new-password-1",
                                      "confirm": "a-new-password-1"})
    assert response.status_code == 422
    assert 'id="current_password-error"' in response.get_data(as_text=True)


def test_sign_in_is_throttled_per_account(browser, world):
    guesser = browser()
    for _ in range(5):
        assert guesser.post("/login", {"email": "desk@test.example",
                                       "password": "guess"}).status_code == 401
    response = guesser.post("/login", {"email": "desk@test.example", "password": PASSWORD})
    assert response.status_code == 429, "even the right password waits once the limit is hit"
    assert browser().post("/login", {"email": "ceo@alpha.test",
                                     "password": PASSWORD}).status_code == 303


def test_sign_in_is_throttled_per_address(browser, world, app):
    app.config["THROTTLE_FREE"] = {**app.config["THROTTLE_FREE"], "address": 3}
    try:
        guesser = browser()
        for n in range(3):
            guesser.post("/login", {"email": f"nobody{n}@x.example", "password": "guess"})
        assert guesser.post("/login", {"email": "ceo@alpha.test",
                                       "password": PASSWORD}).status_code == 429
    finally:
        app.config["THROTTLE_FREE"] = {**app.config["THROTTLE_FREE"], "address": 20}


def test_unknown_email_and_wrong_password_read_the_same(browser, world):
    a = browser().post("/login", {"email": "ghost@x.example", "password": "x"})
    b = browser().post("/login", {"email": "desk@test.example", "password": "x"})
    message = re.compile(r'id="password-error">([^<]+)<')
    assert message.search(a.get_data(as_text=True)).group(1) == \
        message.search(b.get_data(as_text=True)).group(1)


def test_post_without_csrf_token_is_refused_and_changes_nothing(browser, world):
    firm = browser("ceo@alpha.test")
    response = firm.post(f"/cases/new/{world.hiring_type.id}",
                         {"title": "x", "description": "y", "priority": "normal"}, csrf=False)
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(Case.id))) == 0


def test_no_get_changes_state(app, browser):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint in ("accounts.logout",
                                                       "accounts.set_language"):
            pytest.fail(f"{rule.rule} changes state on GET")
    desk = browser("desk@test.example")
    assert desk.get("/logout").status_code == 405


def test_session_cookie_flags(app, browser):
    b = browser()
    b.get("/login")
    response = b.post("/login", {"email": "desk@test.example", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure():
    from onestop.config import ProductionConfig

    assert ProductionConfig.SESSION_COOKIE_SECURE is True


def test_production_refuses_to_start_without_secrets(monkeypatch):
    from onestop import create_app

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")


def test_invitation_link_tampered_expired_and_reused(app, browser, world):
    pending = User(email="new@alpha.example", name="New", role="firm", firm=world.firm_a)
    db.session.add(pending)
    db.session.flush()
    token = reissue_invitation(pending)
    db.session.commit()
    b = browser()
    assert b.get(f"/invitation/{token[:-2]}xx").status_code == 404
    app.config["INVITE_MAX_AGE_SECONDS"] = -1
    try:
        expired = b.get(f"/invitation/{token}")
    finally:
        app.config["INVITE_MAX_AGE_SECONDS"] = 7 * 24 * 3600
    assert expired.status_code == 404 and "만료" in expired.get_data(as_text=True)
    short = b.post(f"/invitation/{token}", {"password": "short", "confirm": "short"})
    assert short.status_code == 422
    assert b.post(f"/invitation/{token}", {"password": "tidal-copper-lantern-42",
                                           "confirm": "tidal-copper-lantern-42"}).status_code == 303
    assert browser().get(f"/invitation/{token}").status_code == 404
    newer = reissue_invitation(db.session.get(User, pending.id))
    db.session.commit()
    assert browser().get(f"/invitation/{token}").status_code == 404, "older links die"
    assert browser().get(f"/invitation/{newer}").status_code == 200


@pytest.mark.parametrize("url", ["/cases/999999", "/cases/abc", "/tasks/999999",
                                 "/firms/999999", "/cases/1/attachments/999999",
                                 "/cases/?page=-3&status=nonsense", "/cases/?firm=../../x"])
def test_tampered_ids_and_params_are_4xx(browser, url):
    response = browser("desk@test.example").get(url)
    assert 400 <= response.status_code < 500


def test_disabled_user_is_signed_out(browser, world):
    firm = browser("ceo@alpha.test")
    user = db.session.get(User, world.firm_a_user.id)
    user.is_enabled = False
    db.session.commit()
    assert firm.get("/").status_code == 302


def test_a_save_without_its_version_is_refused(browser, world):
    firm = browser("ceo@beta.test")
    firm.post(f"/cases/new/{world.hiring_type.id}", {"title": "t", "description": "d",
                                                     "priority": "normal"})
    desk = browser("desk@test.example")
    case = db.session.scalars(select(Case)).one()
    desk.post(f"/cases/{case.id}/accept", {})
    db.session.refresh(case)
    assert case.status == "submitted"


@pytest.mark.parametrize("url", ["/cases/?page=99999999999999999999", "/tasks/?page=0",
                                 "/notifications?page=99999999999999999999",
                                 "/deadlines?start=9999-12-31T17:00&period=1d",
                                 "/deadlines?start=2026-01-01T09:00&period=99999y"])
def test_absurd_numbers_are_4xx_or_handled(browser, url):
    response = browser("desk@test.example").get(url)
    assert response.status_code < 500


def test_a_refused_move_shows_the_plain_role_sentence(world, browser, now):
    case = cases.file_case(world.firm_a_user, world.hiring_type, title="Hiring", description="",
                           priority="normal", form_data={}, checked_items=[], files=[], now=now)
    db.session.commit()
    firm = browser("ceo@alpha.test")
    firm.get(f"/cases/{case.id}")
    response = firm.post(f"/cases/{case.id}/accept", {"version": case.version})
    assert response.status_code == 403
    assert "현재 역할로는 이 작업을 할 수 없습니다." in response.get_data(as_text=True)
