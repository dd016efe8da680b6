"""Accounts by email, service by service: invitations through the ledger, "forgot password"
links (one hour, once, dead after any new password or address), and changes of address
confirmed from the new address; the messages go where they should, in the right language."""
from datetime import timedelta
from email import policy as email_policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from sqlalchemy import select

from onestop.accounts import addresses, resets, throttle
from onestop.accounts.models import User
from onestop.accounts.services import (
    change_password,
    invite_user,
    reinvite_user,
    user_for_invitation,
)
from onestop.db import utcnow
from onestop.errors import Conflict, Invalid, NotAllowed
from onestop.extensions import db
from onestop.notifications import delivery
from onestop.notifications.models import Notification, Status
from tests.factories import PASSWORD, make_user
from tests.mailsink import MailServer, rendered

NEW_PASSWORD = "harbor-lantern-cobalt-58"


def rows(kind: str | None = None) -> list[Notification]:
    db.session.expire_all()
    query = select(Notification).order_by(Notification.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query))


def token_of(row: Notification) -> str:
    return row.params["path"].rsplit("/", 1)[1]


def text_of(row: Notification) -> tuple[str, str, str]:
    """(To, Subject, plain body) of the row's email, as a mail program reads it."""
    message = rendered(row)
    return message["To"], message["Subject"], message.get_body(("plain",)).get_content()


@pytest.fixture
def smtp(app):
    """A real SMTP server on loopback that the app sends to for this test."""
    server = MailServer()
    saved = app.config["SMTP_URL"]
    app.config["SMTP_URL"] = server.url
    yield server
    app.config["SMTP_URL"] = saved
    server.stop()


@pytest.fixture
def max_age(app):
    """max_age(name, seconds) changes a link lifetime for this test only."""
    saved = {}

    def change(name: str, seconds: int) -> None:
        saved.setdefault(name, app.config[name])
        app.config[name] = seconds

    yield change
    app.config.update(saved)


# --- invitations -------------------------------------------------------------------------

@pytest.mark.parametrize(("locale", "greeting", "subject"), [
    ("ko", "박서준 님, 안녕하세요.", "OneStop"), ("en", "Hello 박서준,", "You are invited")])
def test_an_invitation_is_emailed_to_the_invitee_in_their_language(world, now, smtp, locale,
                                                                   greeting, subject):
    user, token = invite_user(world.desk, email=" Seojun@Graphene.example ", name="박서준",
                              role="firm", firm=world.firm_a, locale=locale, now=now)
    db.session.commit()
    [row] = rows()
    assert (row.kind, row.user_id, row.status, token_of(row)) == ("invitation", user.id,
                                                                  Status.QUEUED, token)
    assert user.password_hash is None and user.is_enabled, "stored as invited, and reachable"
    assert delivery.deliver(row.id, utcnow()) == "sent"
    [received] = smtp.received()
    assert received.recipients == ("seojun@graphene.example",) and subject in received.subject
    to, _subject, body = text_of(db.session.get(Notification, row.id))
    assert greeting in body and "Alpha Carbon" in body and world.desk.name in body
    assert f"http://127.0.0.1:5000/invitation/{token}" in body
    assert user_for_invitation(token).id == user.id


def test_sending_again_makes_a_new_link_and_message_and_kills_the_old_link(world, now):
    user, first = invite_user(world.admin, email="new@city.example", name="New",
                              role="caseworker", organization=world.desk_org, now=now)
    db.session.commit()
    second = reinvite_user(world.admin, user, now=now)
    db.session.commit()
    first_row, second_row = rows("invitation")
    assert first_row.key != second_row.key and token_of(second_row) == second != first
    with pytest.raises(Invalid, match="used already"):
        user_for_invitation(first)
    assert user_for_invitation(second).id == user.id


def test_the_desk_resends_a_firm_members_invitation_and_a_firm_member_cannot(world, now):
    user, _token = invite_user(world.desk, email="m@alpha.example", name="M", role="firm",
                               firm=world.firm_a, now=now)
    db.session.commit()
    reinvite_user(world.desk, user, now=now)
    with pytest.raises(NotAllowed):
        reinvite_user(world.firm_a_user, user, now=now)
    staff = make_user("x@city.example", "caseworker", organization=world.desk_org)
    staff.password_hash = None
    db.session.flush()
    with pytest.raises(NotAllowed):
        reinvite_user(world.desk, staff, now=now)  # only an admin invites staff


def test_no_invitation_for_someone_who_has_a_password(world, now):
    with pytest.raises(Invalid, match="accepted the invitation already"):
        reinvite_user(world.admin, world.firm_a_user, now=now)
    assert rows() == [] and world.firm_a_user.invite_nonce is None


# --- forgotten passwords -------------------------------------------------------------------

def asked(world, email: str = "ceo@alpha.test", key: str = "k" * 24, now=None) -> list[int]:
    ids = resets.mail_reset_link(email, key, now=now or utcnow())
    db.session.commit()
    return ids


def test_a_known_address_gets_one_link_an_unknown_or_disabled_one_nothing(world, now):
    db.session.get(User, world.firm_b_user.id).is_enabled = False
    db.session.commit()
    assert asked(world, "ghost@nowhere.example") == []
    assert asked(world, "ceo@beta.test") == []
    [row_id] = asked(world, " CEO@Alpha.test ")
    row = db.session.get(Notification, row_id)
    assert (row.kind, row.user_id) == ("password_reset", world.firm_a_user.id)
    assert asked(world) == [], "the same request (a form sent twice) makes one email"
    assert len(asked(world, key="another-request-key-01")) == 1, "a new request, a new email"
    to, subject, body = text_of(row)
    assert to == "ceo@alpha.test" and "/password/reset/" in body and "ceo@alpha.test" in body


def test_the_link_sets_a_password_once_and_ends_every_session(world):
    [row_id] = asked(world)
    token = token_of(db.session.get(Notification, row_id))
    user = db.session.get(User, world.firm_a_user.id)
    user.invite_nonce, user.email_change_nonce = "left-over", "pending"
    version, old_hash = user.session_version, user.password_hash
    assert resets.user_for_reset(token).id == user.id
    resets.reset_password(token, NEW_PASSWORD)
    db.session.commit()
    assert user.password_hash != old_hash and user.session_version == version + 1
    assert (user.invite_nonce, user.email_change_nonce) == (None, None)
    with pytest.raises(resets.LinkRefused) as refused:
        resets.reset_password(token, "another-harbor-lantern-77")
    assert refused.value.reason == "used"


def test_a_link_dies_with_a_new_password_or_address_and_after_an_hour(world, max_age):
    tokens = [token_of(db.session.get(Notification, asked(world, key=f"request-key-{n:04}")[0]))
              for n in range(3)]
    user = db.session.get(User, world.firm_a_user.id)
    change_password(user, PASSWORD, NEW_PASSWORD, now=utcnow())
    with pytest.raises(resets.LinkRefused, match="used already"):
        resets.user_for_reset(tokens[0])
    fresh = token_of(db.session.get(Notification, asked(world, key="request-key-9999")[0]))
    user.email = "moved@alpha.test"
    with pytest.raises(resets.LinkRefused, match="used already"):
        resets.user_for_reset(fresh)
    user.email = "ceo@alpha.test"
    assert resets.user_for_reset(fresh).id == user.id
    max_age("PASSWORD_RESET_MAX_AGE_SECONDS", -1)
    with pytest.raises(resets.LinkRefused, match="expired") as refused:
        resets.user_for_reset(fresh)
    assert refused.value.reason == "expired"


@pytest.mark.parametrize("tamper", [lambda t: t[:-2] + "xx", lambda t: t + "a", lambda t: "x",
                                    lambda t: t.replace(".", "", 1)])
def test_a_tampered_link_is_refused(world, tamper):
    token = token_of(db.session.get(Notification, asked(world)[0]))
    with pytest.raises(resets.LinkRefused) as refused:
        resets.user_for_reset(tamper(token))
    assert refused.value.reason == "invalid"


def test_an_invitation_link_is_no_reset_link_nor_the_other_way(world, now):
    user, invitation = invite_user(world.admin, email="n@city.example", name="N",
                                   role="caseworker", organization=world.desk_org, now=now)
    db.session.commit()
    with pytest.raises(resets.LinkRefused):
        resets.user_for_reset(invitation)
    reset = token_of(db.session.get(Notification, asked(world)[0]))
    with pytest.raises(Invalid):
        user_for_invitation(reset)


def test_the_new_password_follows_the_usual_rules_and_two_steps_stay(world):
    user = db.session.get(User, world.desk.id)
    user.totp_secret, user.totp_enabled_at = "JBSWY3DPEHPK3PXP", utcnow()
    db.session.commit()
    token = token_of(db.session.get(Notification, asked(world, "desk@test.example")[0]))
    for weak, why in [("short-1", "at least 12"), ("desk-test-example", "name or email"),
                      ("password1234", "too common")]:
        with pytest.raises(Invalid, match=why):
            resets.reset_password(token, weak)
        db.session.rollback()
    resets.reset_password(token, NEW_PASSWORD)
    db.session.commit()
    assert db.session.get(User, world.desk.id).has_two_factor


def test_an_invited_user_who_lost_the_email_sets_a_password_from_a_reset_link(world, now):
    user, invitation = invite_user(world.admin, email="n@city.example", name="N",
                                   role="caseworker", organization=world.desk_org, now=now)
    db.session.commit()
    token = token_of(db.session.get(Notification, asked(world, "n@city.example")[0]))
    resets.reset_password(token, NEW_PASSWORD)
    db.session.commit()
    with pytest.raises(Invalid, match="used already"):
        user_for_invitation(invitation)


def test_requests_are_counted_per_typed_email_whether_or_not_it_has_an_account(world, now):
    for email in ("ceo@alpha.test", "ghost@nowhere.example"):
        for n in range(3):
            resets.ask_for_reset(email, f"10.0.0.{n}", now=now)
        with pytest.raises(throttle.Throttled):
            resets.ask_for_reset(email.upper(), "10.0.0.9", now=now)
    for n in range(10):
        resets.ask_for_reset(f"someone{n}@x.example", "10.0.1.1", now=now)
    with pytest.raises(throttle.Throttled):
        resets.ask_for_reset("someone-else@x.example", "10.0.1.1", now=now)
    later = now + timedelta(hours=2)
    assert resets.ask_for_reset("CEO@alpha.test ", "10.0.0.1", now=later) == "ceo@alpha.test"


# --- changing the email address ------------------------------------------------------------

def change(world, new: str = "ceo@new-alpha.example", password: str = PASSWORD,
           user=None) -> str:
    address = addresses.request_email_change(user or world.firm_a_user, new, password,
                                             now=utcnow())
    db.session.commit()
    return address


def confirm_token(index: int = -1) -> str:
    return token_of(rows("email_confirm")[index])


def test_a_change_sends_a_link_to_the_new_address_and_a_notice_to_the_old(world, smtp):
    assert change(world, "  CEO@New-Alpha.example ") == "ceo@new-alpha.example"
    [confirm], [notice] = rows("email_confirm"), rows("email_notice")
    assert confirm.user_id == notice.user_id == world.firm_a_user.id
    assert db.session.get(User, world.firm_a_user.id).email == "ceo@alpha.test", "not yet"
    assert addresses.pending_address(world.firm_a_user) == "ceo@new-alpha.example"
    to, _subject, body = text_of(confirm)
    assert to == "ceo@new-alpha.example" and "/account/email/" in body
    to, _subject, body = text_of(notice)
    assert to == "ceo@alpha.test" and "ceo@new-alpha.example" in body
    assert "/account/email/" not in body, "only the new address holds the confirmation"
    addresses.confirm_email_change(confirm_token(), now=utcnow())
    db.session.commit()
    assert db.session.get(User, world.firm_a_user.id).email == "ceo@new-alpha.example"
    # Delivered after the change took effect: each still goes where it was meant to.
    for row in (confirm, notice):
        assert delivery.deliver(row.id, utcnow()) == "sent"
    assert sorted(r.recipients for r in smtp.received()) == [
        ("ceo@alpha.test",), ("ceo@new-alpha.example",)]


def test_the_password_is_asked_and_guesses_are_throttled(world):
    for _ in range(5):
        with pytest.raises(Invalid, match="password is wrong"):
            change(world, password="a guess")
        db.session.rollback()
    with pytest.raises(throttle.Throttled):
        change(world)
    assert rows() == [] and db.session.get(User, world.firm_a_user.id).email_change_nonce is None


def test_two_step_users_give_a_code_too(world):
    user = db.session.get(User, world.firm_a_user.id)
    user.totp_secret, user.totp_enabled_at = "JBSWY3DPEHPK3PXP", utcnow()
    db.session.commit()
    with pytest.raises(Invalid) as refused:
        change(world)
    assert refused.value.field == "reauth_code" and rows() == []


@pytest.mark.parametrize(("new", "error", "message"), [
    ("ceo@alpha.test", Invalid, "your address already"),
    (" CEO@ALPHA.TEST", Invalid, "your address already"),
    ("Taken@Beta.example", Conflict, "Another account uses taken@beta.example"),
    ("not an address", Invalid, "such as name@example.com"),
    ("a@" + "b" * 250 + ".example", Invalid, "such as name@example.com"),
])
def test_the_new_address_must_be_a_free_valid_other_one(world, new, error, message):
    make_user("taken@beta.example", "firm", firm=world.firm_b)
    db.session.commit()
    with pytest.raises(error, match=message) as refused:
        change(world, new)
    assert refused.value.field == "new_email" and rows() == []


def test_only_the_newest_link_works_and_only_once(world):
    change(world, "typo@new-alpha.exmaple")
    change(world, "ceo@new-alpha.example")
    with pytest.raises(Invalid, match="replaced by a newer one"):
        addresses.change_for(confirm_token(0))
    addresses.confirm_email_change(confirm_token(1), now=utcnow())
    db.session.commit()
    with pytest.raises(addresses.AlreadyChanged):
        addresses.confirm_email_change(confirm_token(1), now=utcnow())
    with pytest.raises(Invalid, match="replaced by a newer one"):
        addresses.change_for(confirm_token(0))
    assert db.session.get(User, world.firm_a_user.id).email == "ceo@new-alpha.example"


def test_an_address_taken_meanwhile_fails_with_a_clear_message(world):
    change(world, "shared@new-alpha.example")
    make_user("shared@new-alpha.example", "firm", firm=world.firm_a)
    db.session.commit()
    with pytest.raises(Conflict, match="uses shared@new-alpha.example now"):
        addresses.confirm_email_change(confirm_token(), now=utcnow())
    db.session.rollback()
    assert db.session.get(User, world.firm_a_user.id).email == "ceo@alpha.test"


def test_a_new_password_calls_a_pending_change_off(world):
    change(world)
    change_password(db.session.get(User, world.firm_a_user.id), PASSWORD, NEW_PASSWORD,
                    now=utcnow())
    db.session.commit()
    assert addresses.pending_address(world.firm_a_user) is None
    with pytest.raises(Invalid, match="called off"):
        addresses.change_for(confirm_token())


def test_confirmation_links_expire_and_cannot_be_tampered_with(world, max_age):
    change(world)
    token = confirm_token()
    for bad in (token[:-2] + "xx", "x", resets.reset_token(world.firm_a_user)):
        with pytest.raises(Invalid, match="not valid"):
            addresses.change_for(bad)
    max_age("EMAIL_CHANGE_MAX_AGE_SECONDS", -1)
    with pytest.raises(Invalid, match="expired"):
        addresses.change_for(token)


def test_the_messages_are_written_in_the_users_language(world):
    user = db.session.get(User, world.firm_a_user.id)
    user.locale = "en"
    change(world)
    for row in rows():
        _to, subject, body = text_of(row)
        assert body.startswith(f"Hello {user.name},") and subject.startswith("[OneStop] ")
    user.locale = "ko"
    db.session.commit()
    for row in rows():
        assert text_of(row)[2].startswith(f"{user.name} 님, 안녕하세요.")


def test_the_outbox_copy_is_addressed_like_the_smtp_one(app, world):
    change(world)
    [confirm] = rows("email_confirm")
    assert delivery.deliver(confirm.id, utcnow()) == "sent"
    stored = next(Path(app.config["OUTBOX_DIR"]).glob(f"notification-{confirm.id}_*.eml"))
    message = BytesParser(policy=email_policy.default).parsebytes(stored.read_bytes())
    assert message["To"] == "ceo@new-alpha.example"
