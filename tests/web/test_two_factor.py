"""Two-step sign-in: setting it up, signing in with a code, codes used once, throttled
guesses, recovery codes, the staff requirement and the admin's reset."""
import json
import re
from datetime import timedelta

import pyotp
from sqlalchemy import select

from onestop.accounts import twofactor
from onestop.accounts.models import User
from onestop.audit.models import AuditEntry
from onestop.db import utcnow
from onestop.extensions import db
from tests.conftest import Browser
from tests.factories import PASSWORD

DESK = "desk@test.example"


def enable_for(user: User) -> tuple[str, list[str]]:
    """Two steps on for a fixture user (as fixtures set password hashes directly)."""
    user = db.session.get(User, user.id)
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = pyotp.random_base32(), utcnow(), None
    codes = twofactor.regenerate_recovery_codes(user)
    db.session.commit()
    return user.totp_secret, codes


def code_for(secret: str, used_step: int | None = None) -> str:
    """The current code, or the next step's when the current one was used already."""
    totp = pyotp.TOTP(secret)
    step = totp.timecode(utcnow())
    if used_step is not None:
        step = max(step, used_step + 1)
    return totp.generate_otp(step)


def password_step(app, email: str = DESK) -> Browser:
    b = Browser(app)
    b.get("/login")
    response = b.post("/login", {"email": email, "password": PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == "/login/code"
    b.get("/login/code")
    return b


def stale(b: Browser) -> None:
    """As if the password was last typed long ago."""
    with b.client.session_transaction() as session:
        session["auth_at"] = 0


def test_setting_up_and_signing_in_with_a_code(app, world, capsys):
    desk = Browser(app)
    desk.login(DESK)
    page = desk.get("/account/two-factor").get_data(as_text=True)
    inline_script = re.search(r"<script(?![^>]*\bsrc=)", page)
    assert '<svg role="img"' in page and not inline_script and "style=" not in page
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    shown = desk.post("/account/two-factor", {"code": code_for(secret)})
    assert shown.status_code == 200
    codes = re.findall(r"<code>([0-9a-f]{5}-[0-9a-f]{5})</code>", shown.get_data(as_text=True))
    assert len(set(codes)) == 10
    user = db.session.get(User, world.desk.id)
    db.session.refresh(user)
    assert user.has_two_factor and user.totp_secret == secret

    b = password_step(app)
    assert b.get("/").status_code == 302, "the password alone does not sign in"
    assert b.post("/login/code", {"code": code_for(secret, user.totp_last_step)}).status_code == 303
    assert b.get("/").status_code == 200
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    assert {"twofactor.enabled", "signin.password_ok"} <= {e["event"] for e in lines}
    assert lines[-1]["event"] == "signin.success" and lines[-1]["method"] == "password+totp"


def test_a_wrong_setup_code_keeps_the_same_key(browser, world):
    desk = browser(DESK)
    first = desk.get("/account/two-factor").get_data(as_text=True)
    response = desk.post("/account/two-factor", {"code": "000000"})
    assert response.status_code == 422 and 'id="code-error"' in response.get_data(as_text=True)
    key = re.compile(r'<code class="secret">([A-Z2-7 ]+)</code>')
    assert key.search(first).group(1) == key.search(response.get_data(as_text=True)).group(1)
    assert not db.session.get(User, world.desk.id).has_two_factor


def test_a_code_is_accepted_once(app, world):
    secret, _codes = enable_for(world.desk)
    code = code_for(secret)
    assert password_step(app).post("/login/code", {"code": code}).status_code == 303
    second = password_step(app).post("/login/code", {"code": code})
    assert second.status_code == 401 and "이미 사용" in second.get_data(as_text=True)


def test_a_recovery_code_works_once(app, world):
    _secret, codes = enable_for(world.desk)
    assert password_step(app).post("/login/code", {"code": codes[0].upper()}).status_code == 303
    assert password_step(app).post("/login/code", {"code": codes[0]}).status_code == 401
    assert twofactor.recovery_codes_left(world.desk) == 9


def test_code_guesses_are_throttled(app, world):
    secret, _codes = enable_for(world.desk)
    b = password_step(app)
    assert [b.post("/login/code", {"code": "123456"}).status_code for _ in range(5)] == [401] * 5
    assert b.post("/login/code", {"code": code_for(secret)}).status_code == 429


def test_the_second_step_needs_the_first_and_expires(app, world):
    enable_for(world.desk)
    fresh = Browser(app)
    fresh.get("/login")
    response = fresh.post("/login/code", {"code": "123456"})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    b = password_step(app)
    app.config["TWO_FACTOR_PENDING"] = timedelta(0)
    try:
        response = b.post("/login/code", {"code": "123456"})
    finally:
        app.config["TWO_FACTOR_PENDING"] = timedelta(minutes=5)
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert b.get("/").status_code == 302


def test_turning_off_needs_the_password_and_a_code(app, world):
    secret, _codes = enable_for(world.desk)
    b = password_step(app)
    b.post("/login/code", {"code": code_for(secret)})
    b.get("/account/two-factor")
    refused = b.post("/account/two-factor/off", {"off-reauth_password": "wrong",
                                                 "off-reauth_code": "000000"})
    assert refused.status_code == 422 and db.session.get(User, world.desk.id).has_two_factor
    user = db.session.get(User, world.desk.id)
    db.session.refresh(user)
    done = b.post("/account/two-factor/off", {"off-reauth_password": PASSWORD,
                                              "off-reauth_code": code_for(secret,
                                                                          user.totp_last_step)})
    assert done.status_code == 303
    db.session.refresh(user)
    assert not user.has_two_factor and twofactor.recovery_codes_left(user) == 0


def test_new_recovery_codes_replace_the_old(app, world):
    secret, old = enable_for(world.desk)
    b = password_step(app)
    b.post("/login/code", {"code": old[0]})
    b.get("/account/two-factor")
    response = b.post("/account/two-factor/codes", {"codes-reauth_password": PASSWORD,
                                                    "codes-reauth_code": old[1]})
    new = re.findall(r"<code>([0-9a-f]{5}-[0-9a-f]{5})</code>", response.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    assert password_step(app).post("/login/code", {"code": old[2]}).status_code == 401
    assert password_step(app).post("/login/code", {"code": new[0]}).status_code == 303


def test_an_admin_can_require_it_of_staff(app, browser, world):
    admin = browser("admin@test.example")
    admin.get("/admin/security")
    assert admin.post("/admin/security", {"staff_two_factor": "y"}).status_code == 303
    assert twofactor.staff_must_use_two_factor()
    desk = browser(DESK)
    response = desk.get("/cases/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/two-factor")
    assert desk.get("/account/two-factor").status_code == 200
    assert browser("ceo@alpha.test").get("/cases/").status_code == 200, "firms are not staff"
    entry = db.session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.after) == ("security.settings", {"staff_two_factor": True})
    # Once set up, the desk works again; and may not turn it off while it is required.
    page = desk.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    desk.post("/account/two-factor", {"code": code_for(secret)})
    assert desk.get("/cases/").status_code == 200
    user = db.session.get(User, world.desk.id)
    db.session.refresh(user)
    desk.get("/account/two-factor")
    desk.post("/account/two-factor/off", {"off-reauth_password": PASSWORD,
                                          "off-reauth_code": code_for(secret, user.totp_last_step)})
    db.session.refresh(user)
    assert user.has_two_factor


def test_an_admin_resets_a_lost_phone_after_confirming_it_is_them(browser, world):
    enable_for(world.desk)
    admin = browser("admin@test.example")
    admin.get(f"/admin/users/{world.desk.id}")
    stale(admin)
    page = admin.get(f"/admin/users/{world.desk.id}").get_data(as_text=True)
    assert 'name="reset-reauth_password"' in page
    url = f"/admin/users/{world.desk.id}/two-factor/reset"
    assert admin.post(url, {}).status_code == 422
    assert admin.post(url, {"reset-reauth_password": "wrong"}).status_code == 422
    assert db.session.get(User, world.desk.id).has_two_factor
    assert admin.post(url, {"reset-reauth_password": PASSWORD}).status_code == 303
    user = db.session.get(User, world.desk.id)
    db.session.refresh(user)
    assert not user.has_two_factor
    entry = db.session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.actor_id, entry.object_id) == (
        "user.two_factor_reset", world.admin.id, str(world.desk.id))


def test_a_strangers_code_guesses_do_not_hold_up_the_owner_on_a_known_device(app, world):
    secret, codes = enable_for(world.desk)
    owner = password_step(app)
    assert owner.post("/login/code", {"code": codes[0]}).status_code == 303
    owner.get("/")
    assert owner.post("/logout").status_code == 303
    stranger = password_step(app)  # knows the password
    assert [stranger.post("/login/code", {"code": "123456"}).status_code
            for _ in range(6)] == [401] * 5 + [429]
    owner.get("/login")
    assert owner.post("/login", {"email": DESK, "password": PASSWORD}).status_code == 303
    owner.get("/login/code")
    assert owner.post("/login/code", {"code": code_for(secret)}).status_code == 303
