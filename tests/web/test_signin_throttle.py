"""Sign-in throttling: atomic per account, address and known device; alerts to the owner."""
import json
import threading
from datetime import timedelta
from email import policy as email_policy
from email.parser import BytesParser
from pathlib import Path

from sqlalchemy import func, select, update

from onestop.accounts import throttle
from onestop.accounts.models import LoginThrottle, User
from onestop.db import utcnow
from onestop.extensions import db
from onestop.notifications import delivery
from onestop.notifications.models import Notification
from tests.conftest import Browser
from tests.factories import PASSWORD

DESK = "desk@test.example"



def is_blocked(key: str, now) -> bool:
    row = throttle.state(key)
    return bool(row and row.blocked_until and row.blocked_until > now)

def events(output: str, name: str) -> list[dict]:
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [e for e in lines if e.get("event") == name]


def fail(b: Browser, email: str = DESK, n: int = 1) -> list[int]:
    return [b.post("/login", {"email": email, "password": "wrong guess"}).status_code
            for _ in range(n)]


def test_thirty_parallel_guesses_check_the_password_at_most_the_limit(app, world, capsys):
    limit = app.config["THROTTLE_FREE"]["account"]
    guessers = [Browser(app) for _ in range(30)]
    for b in guessers:
        b.get("/login")  # each its own session and CSRF token
    capsys.readouterr()
    start = threading.Barrier(len(guessers))
    codes: list[int] = []

    def guess(b: Browser) -> None:
        start.wait()
        codes.append(b.post("/login", {"email": DESK, "password": "wrong guess"}).status_code)

    threads = [threading.Thread(target=guess, args=(b,)) for b in guessers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    output = capsys.readouterr().out
    assert sorted(codes) == [401] * limit + [429] * (30 - limit), codes
    # Each 401 is one password check; the throttled ones never reached it.
    assert len(events(output, "signin.failure")) == limit
    assert len(events(output, "signin.throttled")) == 30 - limit
    row = db.session.get(LoginThrottle, f"account:{DESK}")
    db.session.refresh(row)
    assert row.attempts == limit and row.blocked_until > utcnow()


def test_the_owner_on_a_known_device_signs_in_while_a_stranger_is_throttled(app, world):
    owner = Browser(app)
    owner.login(DESK)
    owner.post("/logout")
    owner.get("/login")
    assert owner.client.get_cookie(app.config["DEVICE_COOKIE_NAME"], domain="onestop.test")
    stranger = Browser(app)
    assert fail(stranger, n=5) == [401] * 5
    assert stranger.post("/login", {"email": DESK, "password": PASSWORD}).status_code == 429
    assert owner.post("/login", {"email": DESK, "password": PASSWORD}).status_code == 303
    assert owner.get("/").status_code == 200


def test_a_known_device_counts_against_itself_not_the_account(app, world):
    owner = Browser(app)
    owner.login(DESK)
    owner.post("/logout")
    owner.get("/login")
    assert fail(owner, n=5) == [401] * 5
    assert owner.post("/login", {"email": DESK, "password": PASSWORD}).status_code == 429
    assert not is_blocked(f"account:{DESK}", utcnow()), "the account is not slowed"
    assert Browser(app).post("/login", {"email": DESK, "password": PASSWORD}).status_code == 303


def test_a_device_cookie_of_another_user_or_tampered_is_ignored(app, world):
    firm = Browser(app)
    firm.login("ceo@alpha.test")
    name = app.config["DEVICE_COOKIE_NAME"]
    cookie = firm.client.get_cookie(name, domain="onestop.test").value
    for value in (cookie, cookie[:-3] + "abc"):
        b = Browser(app)
        b.client.set_cookie(name, value, domain="onestop.test")
        fail(b, n=5)
    assert is_blocked(f"account:{DESK}", utcnow()), "counted against the account"


def test_waits_grow_to_a_cap_and_quiet_accounts_start_again(ctx):
    now = utcnow()
    key = "account:x@example.test"
    for _ in range(5):
        throttle.claim([key], now=now)
    waits = []
    for _ in range(6):
        row = throttle.state(key)
        waits.append(round((row.blocked_until - now).total_seconds() / 60))
        try:
            throttle.claim([key], now=now)
            raise AssertionError("a blocked key was claimed")
        except throttle.Throttled as error:
            assert error.retry_after > 0
        now = row.blocked_until
        throttle.claim([key], now=now)
    assert waits == [1, 2, 4, 8, 15, 15]
    later = now + timedelta(hours=2)
    throttle.claim([key], now=later)
    assert throttle.state(key).attempts == 1 and throttle.state(key).blocked_until is None


def test_success_resets_the_account_and_the_address_counts_only_failures(browser, world):
    b = browser()
    fail(b, n=3)
    b.login(DESK)
    assert db.session.get(LoginThrottle, f"account:{DESK}").attempts == 0
    assert db.session.get(LoginThrottle, "address:127.0.0.1").attempts == 3, \
        "the failures stand; the success took back its own attempt"


def test_an_office_behind_one_address_signs_in_all_day(app, browser, world):
    for _ in range(app.config["THROTTLE_FREE"]["address"] + 5):
        browser().login("ceo@alpha.test")
    assert not is_blocked("address:127.0.0.1", utcnow())


def test_repeated_failures_alert_the_owner_once_per_run(app, world):
    stranger = Browser(app)
    fail(stranger, n=5)
    rows = db.session.scalars(select(Notification)).all()
    assert [(r.user_id, r.kind, r.case_id) for r in rows] == [
        (world.desk.id, "signin_throttled", None)]
    # The wait ends, the stranger tries again: the same run, no second alert.
    db.session.execute(update(LoginThrottle).values(blocked_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert fail(stranger) == [401]
    assert db.session.scalar(select(func.count(Notification.id))) == 1
    # Delivered through the ledger, in the owner's language.
    assert delivery.deliver(rows[0].id, utcnow()) == "sent"
    message = BytesParser(policy=email_policy.default).parsebytes(
        next(Path(app.config["OUTBOX_DIR"]).glob("*.eml")).read_bytes())
    assert message["To"] == DESK
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "5번 연속" in body and "/account" in body and "로그인 실패" in message["Subject"]


def test_the_alert_shows_under_the_bell_of_its_owner(app, world):
    desk = Browser(app)
    desk.login(DESK)
    fail(Browser(app), n=5)
    page = desk.get("/notifications").get_data(as_text=True)
    assert "로그인" in page
    row = db.session.scalars(select(Notification)).one()
    opened = desk.post(f"/notifications/{row.id}/open")
    assert opened.status_code == 303 and opened.headers["Location"].endswith("/account")


def test_unknown_accounts_are_throttled_alike_and_alert_nobody(app, world):
    b = Browser(app)
    assert fail(b, "ghost@x.example", n=6) == [401] * 5 + [429]
    assert db.session.scalar(select(func.count(Notification.id))) == 0


def test_old_rows_are_purged(app, world):
    fail(Browser(app), n=2)
    db.session.execute(update(LoginThrottle).values(last_attempt_at=utcnow() - timedelta(days=2)))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["housekeeping"])
    assert result.exit_code == 0 and "sign in rows purged: 2" in result.output
    assert db.session.scalar(select(func.count()).select_from(LoginThrottle)) == 0


def test_disabled_users_fail_like_a_wrong_password(app, world):
    db.session.get(User, world.desk.id).is_enabled = False
    db.session.commit()
    assert Browser(app).post("/login", {"email": DESK, "password": PASSWORD}).status_code == 401


def test_a_stranger_guessing_at_the_sign_in_does_not_block_re_authentication(app, world):
    """Re-authentication counts under the signed-in user's own key."""
    from onestop.accounts import services

    fail(Browser(app), n=8)  # the desk's sign-in is throttled now
    assert is_blocked(f"account:{DESK}", utcnow())
    desk = db.session.get(User, world.desk.id)
    services.reauthenticate(desk, PASSWORD, "", now=utcnow())


def test_a_borrowed_session_cannot_guess_the_current_password_without_limit(browser, world):
    here = browser(DESK)
    answers = [here.post("/account", {"current_password": f"guess-{n}",
                                      "password": "a-new-long-password-7c1",
                                      "confirm": "a-new-long-password-7c1"}).status_code
               for n in range(7)]
    assert answers == [422] * 5 + [429] * 2, answers
