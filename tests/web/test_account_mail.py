"""Accounts by email through the pages: "forgot password" (the same answer and the same work
for every address, throttled alike, the emailed link used once), changing one's address
(confirmed from the new address only), and invitations emailed and sent again."""
import json
import re
from email import policy as email_policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from sqlalchemy import event, select

from onestop.accounts.models import User
from onestop.db import utcnow
from onestop.extensions import db
from onestop.jobs import PASSWORD_RESET
from onestop.notifications import delivery
from onestop.notifications.models import Notification
from tests.conftest import Browser
from tests.factories import PASSWORD
from workers.tasks import mail_password_reset

NEW_PASSWORD = "harbor-lantern-cobalt-58"
FIRM = "ceo@alpha.test"


def hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html).group(1)


def flashes(html: str) -> list[str]:
    return re.findall(r'<p class="flash [a-z]+">([^<]*)</p>', html)


def events(output: str, name: str) -> list[dict]:
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [e for e in lines if e.get("event") == name]


@pytest.fixture
def tasks(app, monkeypatch):
    """The tasks the pages hand to the broker (still sent to it), and run(): the worker's
    side of them, run here as a worker would."""
    client = app.extensions["celery"]
    sent: list[tuple[str, tuple]] = []
    real = client.send_task

    def recording(name, args=(), **kwargs):
        sent.append((name, tuple(args)))
        return real(name, args=args, **kwargs)

    monkeypatch.setattr(client, "send_task", recording)

    def run() -> int:
        written = 0
        while sent:
            name, args = sent.pop(0)
            if name == PASSWORD_RESET:
                written += mail_password_reset.run(*args)
        return written

    run.sent = sent
    return run


def mail(app, kind: str) -> list:
    """Deliver the queued rows of a kind as the worker does; their messages, oldest first."""
    db.session.expire_all()
    messages = []
    for row in db.session.scalars(select(Notification).where(Notification.kind == kind)
                                  .order_by(Notification.id)):
        if row.status == "queued":
            assert delivery.deliver(row.id, utcnow()) == "sent"
        stored = Path(app.config["OUTBOX_DIR"]) / f"notification-{row.id}_onestop.eml"
        messages.append(BytesParser(policy=email_policy.default).parsebytes(stored.read_bytes()))
    return messages


def link_in(message) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"http://127\.0\.0\.1:5000(/\S+)", body).group(1)


def ask(b: Browser, email: str):
    page = b.get("/password/forgot").get_data(as_text=True)
    return b.post("/password/forgot", {"email": email, "once": hidden(page, "once")})


# --- forgot password ---------------------------------------------------------------------

def test_known_and_unknown_addresses_get_the_same_answer_from_the_same_work(app, world, tasks):
    answers = {}
    for email in (FIRM, "ghost@nowhere.example"):
        b = Browser(app)
        page = b.get("/password/forgot").get_data(as_text=True)
        statements: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany, seen=statements):
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            response = b.post("/password/forgot", {"email": email, "once": hidden(page, "once")})
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        landing = b.get(response.headers["Location"]).get_data(as_text=True)
        answers[email] = (response.status_code, response.headers["Location"],
                          [f.replace(email, "<email>") for f in flashes(landing)], statements,
                          [name for name, _args in tasks.sent])
        assert email in flashes(landing)[0]
        tasks.sent.clear()
    known, unknown = answers.values()
    assert known == unknown, "the page does the same whether or not the address has an account"
    assert known[0] == 303 and known[1].endswith("/login") and known[4] == [PASSWORD_RESET]
    assert any("login_throttles" in statement for statement in known[3]), "the work was seen"


def test_the_emailed_link_sets_a_password_once_and_ends_every_session(app, world, tasks,
                                                                      capsys):
    here, elsewhere = Browser(app), Browser(app)
    here.login(FIRM)
    elsewhere.login(FIRM)
    assert ask(Browser(app), FIRM).status_code == 303
    assert ask(Browser(app), "ghost@nowhere.example").status_code == 303
    assert tasks() == 1, "one email, for the address that has an account"
    [message] = mail(app, "password_reset")
    assert message["To"] == FIRM and "OneStop" in message["Subject"]
    link = link_in(message)
    visitor = Browser(app)
    page = visitor.get(link)
    assert page.status_code == 200 and FIRM in page.get_data(as_text=True)
    weak = visitor.post(link, {"password": "alpha-test-1", "confirm": "alpha-test-1"})
    assert weak.status_code == 422 and 'id="password-error"' in weak.get_data(as_text=True)
    done = visitor.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 303 and done.headers["Location"].endswith("/login")
    assert here.get("/").status_code == 302 and elsewhere.get("/").status_code == 302
    assert Browser(app).post("/login", {"email": FIRM, "password": PASSWORD}).status_code == 401
    Browser(app).login(FIRM, NEW_PASSWORD)
    again = Browser(app).get(link)
    assert again.status_code == 404 and "/password/forgot" in again.get_data(as_text=True)
    assert Browser(app).post(link, {"password": "another-long-phrase-93",
                                    "confirm": "another-long-phrase-93"}).status_code == 404
    output = capsys.readouterr().out
    assert [e["email"] for e in events(output, "password.reset_asked")] == [
        FIRM, "ghost@nowhere.example"]
    assert [e["outcome"] for e in events(output, "password.reset_link")] == [
        "written", "no-account"]
    assert [e["user_id"] for e in events(output, "password.reset")] == [world.firm_a_user.id]
    assert [e["outcome"] for e in events(output, "password.reset_refused")] == ["used", "used"]


@pytest.mark.parametrize("broken", ["x", "eyJ1aWQiOjF9.aaaa.bbbb"])
def test_a_tampered_or_expired_link_gets_a_clear_page_and_a_way_on(app, world, tasks, broken):
    response = Browser(app).get(f"/password/reset/{broken}")
    assert response.status_code == 404 and "/password/forgot" in response.get_data(as_text=True)
    ask(Browser(app), FIRM)
    tasks()
    link = link_in(mail(app, "password_reset")[0])
    app.config["PASSWORD_RESET_MAX_AGE_SECONDS"] = -1
    try:
        expired = Browser(app).get(link)
    finally:
        app.config["PASSWORD_RESET_MAX_AGE_SECONDS"] = 3600
    assert expired.status_code == 404 and "/password/forgot" in expired.get_data(as_text=True)
    assert db.session.get(User, world.firm_a_user.id).session_version == 1, "nothing changed"


def test_requests_are_throttled_per_email_alike_for_unknown_ones(app, world, tasks):
    answers = {email: [ask(Browser(app), email).status_code for _ in range(5)]
               for email in (FIRM, "ghost@nowhere.example")}
    assert answers[FIRM] == answers["ghost@nowhere.example"] == [303] * 3 + [429] * 2
    throttled = ask(Browser(app), "Ghost@Nowhere.example").get_data(as_text=True)
    assert 'id="email-error"' in throttled
    assert tasks() == 3, "an email for each request let through, for the known address only"


def test_requests_are_throttled_per_address(app, world, tasks):
    saved = app.config["THROTTLE_FREE"]
    app.config["THROTTLE_FREE"] = {**saved, "reset_from": 3}
    try:
        b = Browser(app)
        codes = [ask(b, f"someone{n}@x.example").status_code for n in range(4)]
        assert codes == [303] * 3 + [429]
        assert ask(b, FIRM).status_code == 429
    finally:
        app.config["THROTTLE_FREE"] = saved
    assert tasks() == 0


def test_a_form_sent_twice_makes_one_email(app, world, tasks):
    b = Browser(app)
    once = hidden(b.get("/password/forgot").get_data(as_text=True), "once")
    for _ in range(2):
        assert b.post("/password/forgot", {"email": FIRM, "once": once}).status_code == 303
    assert len(tasks.sent) == 2 and tasks() == 1
    assert len(mail(app, "password_reset")) == 1


def test_two_step_sign_in_still_asks_for_the_code_after_a_reset(app, world, tasks):
    desk = db.session.get(User, world.desk.id)
    desk.totp_secret, desk.totp_enabled_at = "JBSWY3DPEHPK3PXP", utcnow()
    db.session.commit()
    ask(Browser(app), "desk@test.example")
    tasks()
    link = link_in(mail(app, "password_reset")[0])
    visitor = Browser(app)
    assert 'id="two-step-stays"' in visitor.get(link).get_data(as_text=True)
    visitor.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    signing_in = Browser(app)
    signing_in.get("/login")
    response = signing_in.post("/login", {"email": "desk@test.example", "password": NEW_PASSWORD})
    assert response.status_code == 303 and response.headers["Location"].endswith("/login/code")
    assert signing_in.get("/").status_code == 302, "not signed in before the code"


def test_signed_in_visitors_are_sent_to_their_account_page(browser):
    response = browser(FIRM).get("/password/forgot")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account")


# --- changing the email address ------------------------------------------------------------

def change(b: Browser, new: str, password: str = PASSWORD, once: str | None = None):
    page = b.get("/account").get_data(as_text=True)
    form = re.search(r'action="/account/email".*?</form>', page, re.S).group(0)
    return b.post("/account/email", {"new_email": new, "reauth_password": password,
                                     "once": once or hidden(form, "once")})


def test_a_new_address_is_confirmed_from_itself_and_only_then_used(app, world, capsys):
    firm = Browser(app)
    firm.login(FIRM)
    wrong = change(firm, "ceo@new-alpha.example", password="a guess")
    assert wrong.status_code == 422 and 'id="reauth_password-error"' in wrong.get_data(as_text=True)
    taken = change(firm, "Admin@test.example")
    assert taken.status_code == 409 and 'id="new_email-error"' in taken.get_data(as_text=True)
    asked = change(firm, "CEO@New-Alpha.example")
    assert asked.status_code == 303
    page = firm.get("/account").get_data(as_text=True)
    assert "ceo@new-alpha.example" in page and "callout" in page, "the pending change is shown"
    [confirm], [notice] = mail(app, "email_confirm"), mail(app, "email_notice")
    assert confirm["To"] == "ceo@new-alpha.example" and notice["To"] == FIRM
    assert "/account/email/" not in notice.get_body(("plain",)).get_content()
    link = link_in(confirm)
    assert db.session.get(User, world.firm_a_user.id).email == FIRM
    # Opened from the new mailbox, in any browser: a page first (mail scanners open links).
    mailbox = Browser(app)
    shown = mailbox.get(link)
    assert shown.status_code == 200 and "ceo@new-alpha.example" in shown.get_data(as_text=True)
    assert db.session.get(User, world.firm_a_user.id).email == FIRM, "a GET changes nothing"
    done = mailbox.post(link)
    assert done.status_code == 303 and done.headers["Location"].endswith("/login")
    db.session.expire_all()
    assert db.session.get(User, world.firm_a_user.id).email == "ceo@new-alpha.example"
    repeat = mailbox.post(link)
    assert repeat.status_code == 303, "a second press lands on the result and changes nothing"
    assert firm.get("/").status_code == 200, "the change keeps the sessions"
    assert Browser(app).post("/login", {"email": FIRM, "password": PASSWORD}).status_code == 401
    Browser(app).login("ceo@new-alpha.example")
    output = capsys.readouterr().out
    assert [e["new_email"] for e in events(output, "email.change_asked")] == [
        "ceo@new-alpha.example"]
    assert [(e["before"], e["after"]) for e in events(output, "email.changed")] == [
        (FIRM, "ceo@new-alpha.example")]


def test_a_change_sent_twice_writes_one_pair_of_messages(app, world):
    firm = Browser(app)
    firm.login(FIRM)
    page = firm.get("/account").get_data(as_text=True)
    once = hidden(re.search(r'action="/account/email".*?</form>', page, re.S).group(0), "once")
    first = change(firm, "ceo@new-alpha.example", once=once)
    second = change(firm, "ceo@new-alpha.example", once=once)
    assert first.status_code == second.status_code == 303
    assert [row.kind for row in db.session.scalars(select(Notification)
                                                   .order_by(Notification.id))] == [
        "email_confirm", "email_notice"]


def test_confirmed_while_signed_in_the_user_lands_on_the_account_page(app, world):
    firm = Browser(app)
    firm.login(FIRM)
    change(firm, "ceo@new-alpha.example")
    link = link_in(mail(app, "email_confirm")[0])
    done = firm.post(link)
    assert done.status_code == 303 and done.headers["Location"].endswith("/account")
    page = firm.get("/account").get_data(as_text=True)
    assert "ceo@new-alpha.example" in flashes(page)[0] and "callout" not in page


def test_a_link_for_an_address_taken_meanwhile_says_so(app, world):
    firm = Browser(app)
    firm.login(FIRM)
    change(firm, "shared@new-alpha.example")
    link = link_in(mail(app, "email_confirm")[0])
    other = db.session.get(User, world.firm_a_user2.id)
    other.email = "shared@new-alpha.example"
    db.session.commit()
    response = Browser(app).get(link)
    assert response.status_code == 404
    assert "shared@new-alpha.example" in response.get_data(as_text=True)
    assert Browser(app).post(link).status_code == 404
    assert db.session.get(User, world.firm_a_user.id).email == FIRM


def test_a_reset_calls_a_pending_change_off(app, world, tasks):
    firm = Browser(app)
    firm.login(FIRM)
    change(firm, "ceo@new-alpha.example")
    link = link_in(mail(app, "email_confirm")[0])
    ask(Browser(app), FIRM)
    tasks()
    reset = link_in(mail(app, "password_reset")[0])
    Browser(app).post(reset, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    refused = Browser(app).get(link)
    assert refused.status_code == 404 and "/account" in refused.get_data(as_text=True)


def test_the_bell_lists_the_notice_but_not_the_links(app, world):
    firm = Browser(app)
    firm.login(FIRM)
    change(firm, "ceo@new-alpha.example")
    page = firm.get("/notifications").get_data(as_text=True)
    assert "ceo@new-alpha.example" in page and page.count("<li class=") == 1
    admin = Browser(app)
    admin.login("admin@test.example")
    ledger = admin.get("/admin/notifications").get_data(as_text=True)
    assert "<td>ceo@new-alpha.example</td>" in ledger and f"<td>{FIRM}</td>" in ledger


# --- invitations ---------------------------------------------------------------------------

def test_the_admin_invites_sees_the_link_and_the_invitee_gets_it_by_email(app, world):
    admin = Browser(app)
    admin.login("admin@test.example")
    admin.get("/admin/users/new")
    page = admin.post("/admin/users/new", {
        "email": "seojun@graphene.example", "name": "박서준", "role": "caseworker",
        "organization": str(world.desk_org.id), "firm": "0", "locale": "en"})
    assert page.status_code == 200
    shown = re.search(r'id="invitation-link" readonly value="http://onestop\.test([^"]+)"',
                      page.get_data(as_text=True)).group(1)
    [message] = mail(app, "invitation")
    assert message["To"] == "seojun@graphene.example" and "invited" in message["Subject"]
    assert link_in(message) == shown
    user = db.session.scalar(select(User).where(User.email == "seojun@graphene.example"))
    again = admin.post(f"/admin/users/{user.id}/invitation", {})
    newer = re.search(r'id="invitation-link" readonly value="http://onestop\.test([^"]+)"',
                      again.get_data(as_text=True)).group(1)
    first, second = mail(app, "invitation")
    assert link_in(second) == newer != shown and link_in(first) == shown
    assert Browser(app).get(shown).status_code == 404, "the old link died"
    invitee = Browser(app)
    assert invitee.get(newer).status_code == 200
    assert invitee.post(newer, {"password": NEW_PASSWORD,
                                "confirm": NEW_PASSWORD}).status_code == 303
    refused = admin.post(f"/admin/users/{user.id}/invitation", {})
    assert refused.status_code == 422 and len(mail(app, "invitation")) == 2


def test_the_desk_sends_a_firm_members_invitation_again_once_per_press(app, world):
    desk = Browser(app)
    desk.login("desk@test.example")
    desk.get(f"/firms/{world.firm_a.id}")
    desk.post(f"/firms/{world.firm_a.id}/invite", {"name": "New", "email": "new@alpha.example",
                                                   "locale": "ko"})
    member = db.session.scalar(select(User).where(User.email == "new@alpha.example"))
    page = desk.get(f"/firms/{world.firm_a.id}").get_data(as_text=True)
    url = f"/firms/{world.firm_a.id}/members/{member.id}/invitation"
    form = re.search(rf'action="{url}".*?</form>', page, re.S).group(0)
    once = re.search(r'name="once" type="hidden" value="([^"]+)"', form).group(1)
    first = desk.post(url, {"once": once})
    assert first.status_code == 200 and 'id="invitation-link"' in first.get_data(as_text=True)
    assert desk.post(url, {"once": once}).status_code == 303, "the repeat lands, sends nothing"
    assert len(mail(app, "invitation")) == 2
    assert desk.post(f"/firms/{world.firm_b.id}/members/{member.id}/invitation",
                     {}).status_code == 404


# --- a refused submit that counted an attempt ------------------------------------------

@pytest.mark.parametrize(("url", "fields", "wrong", "right"), [
    ("/account", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, {"current_password": "nope"},
     {"current_password": PASSWORD}),
    ("/account/email", {"new_email": "ceo@new-alpha.example"}, {"reauth_password": "nope"},
     {"reauth_password": PASSWORD}),
])
def test_a_form_refused_for_a_wrong_password_can_be_sent_again(browser, url, fields, wrong,
                                                               right):
    """The password check counts its attempt at once (committed); that must not use up the
    form's one-time token, or the corrected form would be taken for a repeat."""
    here = browser(FIRM)
    page = here.get("/account").get_data(as_text=True)
    form = re.search(rf'<form method="post"(?: action="{url}")? novalidate>.*?</form>', page,
                     re.S).group(0)
    once = hidden(form, "once")
    assert here.post(url, {**fields, **wrong, "once": once}).status_code == 422
    again = here.post(url, {**fields, **right, "once": once})
    assert again.status_code == 303 and again.headers["Location"].endswith("/account")
    assert 'class="flash success"' in here.get("/account").get_data(as_text=True)


def test_a_broker_that_refuses_once_still_gets_the_request(app, world, tasks, monkeypatch):
    """The embedded SQLite broker refuses now and then while a worker holds its lock: the
    page tries again before it tells the visitor to."""
    client = app.extensions["celery"]
    recording, refusals = client.send_task, []

    def refusing_once(name, args=(), **kwargs):
        if not refusals:
            refusals.append(name)
            raise OSError("database is locked")
        return recording(name, args=args, **kwargs)

    monkeypatch.setattr(client, "send_task", refusing_once)
    assert ask(Browser(app), FIRM).status_code == 303
    assert refusals == [PASSWORD_RESET] and tasks() == 1


def test_a_broker_out_of_reach_gets_a_clear_answer_and_no_email(app, world, tasks, monkeypatch):
    from celery import Celery

    from tests.mailsink import free_port

    gone = Celery("gone", broker=f"redis://127.0.0.1:{free_port()}/0", set_as_current=False)
    gone.conf.broker_connection_timeout = 1
    gone.conf.broker_transport_options = {"max_retries": 0}
    monkeypatch.setitem(app.extensions, "celery", gone)
    response = ask(Browser(app), FIRM)
    assert response.status_code == 503
    assert "1분 뒤에 다시 시도하세요" in response.get_data(as_text=True)
    assert tasks() == 0
