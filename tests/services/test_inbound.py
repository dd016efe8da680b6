"""What an emailed reply becomes: raw RFC 5322 bytes stored as the listener stores them, then
processed as the worker does, on SQLite and PostgreSQL."""
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from email.utils import make_msgid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from onestop.cases import services as cases
from onestop.cases.models import Attachment, Comment, NoteAudience
from onestop.deadlines import SEOUL
from onestop.extensions import db
from onestop.notifications import delivery, inbound, ledger
from onestop.notifications.models import (
    AlertKind,
    EventKind,
    InboundMessage,
    InboundStatus,
    Notification,
)
from onestop.tasks import services as tasks
from tests.factories import PDF
from tests.services.test_lifecycle import routed_case

ASKED = datetime(2026, 11, 12, 16, 0, tzinfo=SEOUL)      # Thu 16:00
ANSWERED = datetime(2026, 11, 16, 11, 0, tzinfo=SEOUL)   # Mon 11:00: 12 working hours later
QUOTE = ("\n\n2026년 11월 12일 (목) 오후 4:00, OneStop <onestop@city.example>님이 작성:\n"
         "> 보완 요청\n> 도면을 보내 주세요\n")


def row_for(user, kind) -> Notification:
    return db.session.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.kind == kind)
        .order_by(Notification.id.desc())).first()


def reply(to: str, sender: str, body: str = "도면을 첨부합니다." + QUOTE, *, html: str = "",
          files=(), headers=None, message_id: str | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = "Re: [OneStop] 보완 요청"
    message["Message-ID"] = message_id or make_msgid(domain="mail.example")
    for name, value in (headers or {}).items():
        message[name] = value
    if body:
        message.set_content(body)
    if html:
        (message.add_alternative if body else message.set_content)(html, subtype="html")
    for name, data in files:
        message.add_attachment(data, maintype="application", subtype="octet-stream",
                               filename=name)
    return message.as_bytes()


def deliver(raw: bytes, to: str, *, envelope_from="sender@mail.example",
            received_at: datetime | None = None, now=ANSWERED) -> tuple[str, InboundMessage]:
    """Store as the listener does, commit, and process as the worker does."""
    ids = inbound.store_reply(raw, envelope_from=envelope_from, recipients=[to],
                              now=received_at or datetime.now(SEOUL))
    db.session.commit()
    assert len(ids) == 1
    outcome = inbound.handle_reply(ids[0], now)
    db.session.expire_all()
    return outcome, db.session.get(InboundMessage, ids[0])


def comments(case) -> list[Comment]:
    db.session.expire_all()
    return list(db.session.scalars(select(Comment).where(Comment.case_id == case.id,
                                                         Comment.is_info_request.is_(False))))


def bounces() -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(
        Notification.kind == AlertKind.REPLY_REFUSED)))


@pytest.fixture
def asked(world, now):
    """A permit case whose permits task asked the firm for drawings on Thursday 16:00."""
    case, (permit_task, union_task) = routed_case(world, now)
    tasks.accept_task(world.permits_staff, permit_task, now=now, version=permit_task.version)
    tasks.request_information(world.permits_staff, permit_task, "Send the drawings in DWG",
                              now=ASKED, version=permit_task.version)
    db.session.commit()
    return case, permit_task, union_task


def address_for(user, kind=EventKind.INFO_REQUESTED) -> str:
    return inbound.reply_address(row_for(user, kind))


# --- The reply address ------------------------------------------------------------------------

def test_reply_address_fits_and_survives_a_change_of_case(world, asked):
    address = address_for(world.firm_a_user)
    local = address.split("@")[0]
    assert len(local) <= 64 and local == local.lower() and local.startswith("reply+")
    for changed in (address.lower(), address.upper(), "  " + address):
        read = inbound.read_reply_address(changed)
        assert read and (read.user_id, read.case_id) == (world.firm_a_user.id, asked[0].id)


@pytest.mark.parametrize("change", [
    lambda token: token[:-1] + ("a" if token[-1] != "a" else "b"),   # the signature
    lambda token: ("a" if token[0] != "a" else "b") + token[1:],     # the user id
    lambda token: token[:20],                                        # cut short
    lambda token: token + "!",                                       # not base32
])
def test_an_altered_reply_address_is_not_read(world, asked, change):
    local, domain = address_for(world.firm_a_user).split("@")
    token = local.removeprefix("reply+")
    assert inbound.read_reply_address(f"reply+{change(token)}@{domain}") is None


def test_an_address_signed_with_a_key_being_rotated_out_is_read(world, asked, configure, app):
    old_address = address_for(world.firm_a_user)
    configure(SECRET_KEY="a-new-key-" + "x" * 40, SECRET_KEY_FALLBACKS=[app.config["SECRET_KEY"]])
    assert inbound.read_reply_address(old_address) is not None
    configure(SECRET_KEY_FALLBACKS=[])
    assert inbound.read_reply_address(old_address) is None


# --- What a reply becomes --------------------------------------------------------------------

def test_a_firms_reply_answers_the_question_and_restarts_the_clock(world, asked):
    case, permit_task, union_task = asked
    outcome, stored = deliver(reply(address_for(world.firm_a_user), "CEO <CEO@Alpha.test>"),
                              address_for(world.firm_a_user))
    assert outcome == InboundStatus.POSTED == stored.status
    [comment] = comments(case)
    assert (comment.author_id, comment.audience, comment.body) == (
        world.firm_a_user.id, NoteAudience.PUBLIC, "도면을 첨부합니다.")
    assert stored.comment_id == comment.id
    # Exactly as on the page: 12 working hours waited, the due date moved by them.
    assert permit_task.status == "accepted" and case.status == "in_progress"
    assert permit_task.waited_seconds == 12 * 3600
    assert permit_task.due_at == datetime(2026, 11, 25, 14, 0, tzinfo=SEOUL)
    assert row_for(world.permits_staff, EventKind.FIRM_ANSWERED) is not None
    assert not bounces()


def test_a_partners_reply_to_its_routed_task_is_its_usual_internal_note(world, now):
    case, _ = routed_case(world, now)
    to = address_for(world.permits_staff, EventKind.TASK_ROUTED)
    outcome, _ = deliver(reply(to, "staff@permits.test", "확인했습니다.\n\n-- \n건축허가과"), to,
                         now=now + timedelta(hours=1))
    assert outcome == "posted"
    [comment] = comments(case)
    assert (comment.body, comment.audience) == ("확인했습니다.", NoteAudience.PARTNERS)


@pytest.mark.parametrize("audience", [NoteAudience.PUBLIC, NoteAudience.PARTNERS])
def test_a_reply_to_a_comment_keeps_its_audience(world, now, audience):
    case, _ = routed_case(world, now)
    cases.add_comment(world.desk, case, "Please check the plan", audience=audience,
                      now=now + timedelta(minutes=5))
    db.session.commit()
    kind = EventKind.NOTE if audience != NoteAudience.PUBLIC else EventKind.COMMENT
    hearer = world.permits_staff if audience != NoteAudience.PUBLIC else world.firm_a_user
    to = address_for(hearer, kind)
    assert deliver(reply(to, hearer.email, "Checked."), to, now=now + timedelta(hours=1))[0] == "posted"
    assert [c.audience for c in comments(case) if c.author_id == hearer.id] == [audience]


def test_a_desk_only_note_is_answered_within_the_desk(world, now):
    case, _ = routed_case(world, now)
    cases.add_comment(world.admin, case, "Mind the fee", audience=NoteAudience.DESK,
                      now=now + timedelta(minutes=5))
    db.session.commit()
    to = address_for(world.desk, EventKind.NOTE)
    assert deliver(reply(to, world.desk.email, "Noted."), to, now=now + timedelta(hours=1))[0] == "posted"
    assert [c.audience for c in comments(case) if c.author_id == world.desk.id] == [NoteAudience.DESK]


def test_a_note_the_replier_may_no_longer_write_to_is_refused(world, now):
    case, (permit_task, _) = routed_case(world, now)
    cases.add_comment(world.desk, case, "Internal", audience=NoteAudience.PARTNERS,
                      now=now + timedelta(minutes=5))
    tasks.accept_task(world.permits_staff, permit_task, now=now, version=permit_task.version)
    tasks.complete_task(world.permits_staff, permit_task, "Done", now=now + timedelta(minutes=9),
                        version=permit_task.version)
    db.session.commit()
    to = address_for(world.permits_staff, EventKind.NOTE)
    outcome, stored = deliver(reply(to, world.permits_staff.email, "Late answer"), to,
                              now=now + timedelta(hours=1))
    assert (outcome, stored.error) == ("refused", "audience")
    assert [c.body for c in comments(case)] == ["Internal"]
    [bounce] = bounces()
    assert bounce.user_id == world.permits_staff.id and bounce.params["path"] == f"/cases/{case.id}"


def test_a_from_that_is_not_the_tokens_user_is_refused_and_the_user_told(world, asked):
    to = address_for(world.firm_a_user)
    outcome, stored = deliver(reply(to, "ceo@beta.test"), to)
    assert (outcome, stored.error) == ("refused", "wrong_sender")
    assert comments(asked[0]) == [] and asked[0].status == "waiting_on_firm"
    [bounce] = bounces()
    assert bounce.user_id == world.firm_a_user.id, "told to the address the token was for"
    assert "ceo@beta.test" in bounce.params["sentence"]


def test_an_expired_reply_address_is_refused(world, asked, configure):
    configure(REPLY_TOKEN_MAX_AGE_DAYS=60)
    row = row_for(world.firm_a_user, EventKind.INFO_REQUESTED)
    to = inbound.reply_address(row)
    outcome, stored = deliver(reply(to, world.firm_a_user.email), to,
                              received_at=row.created_at + timedelta(days=60, minutes=1))
    assert (outcome, stored.error) == ("refused", "expired")
    assert comments(asked[0]) == []
    [bounce] = bounces()
    # In the user's language: Korean.
    assert bounce.user_id == world.firm_a_user.id and "60일" in bounce.params["sentence"]
    # Still within the age: the same reply is taken.
    outcome, _ = deliver(reply(to, world.firm_a_user.email), to,
                         received_at=row.created_at + timedelta(days=59))
    assert outcome == "posted"


def test_an_unknown_address_from_a_user_tells_that_user(world, asked):
    to = "reply+aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@onestop.city.example"
    outcome, stored = deliver(reply(to, world.firm_b_user.email), to)
    assert (outcome, stored.error) == ("refused", "unknown_address")
    [bounce] = bounces()
    assert bounce.user_id == world.firm_b_user.id and bounce.params["path"] == "/"


def test_an_unknown_address_from_a_stranger_is_answered_by_email(world, asked, app):
    to = address_for(world.firm_a_user).replace("reply+", "reply+x")
    outcome, stored = deliver(reply(to, "someone@else.example"), to,
                              envelope_from="bounces@else.example")
    assert (outcome, stored.error) == ("refused", "unknown_address")
    assert bounces() == []
    [sent] = [p for p in Path(app.config["OUTBOX_DIR"]).glob("inbound-*.eml")
              if p.name == f"inbound-{stored.id}_onestop.eml"]
    message = BytesParser(policy=default_policy).parsebytes(sent.read_bytes())
    assert message["To"] == "bounces@else.example"
    assert message["Auto-Submitted"] == "auto-replied" and message["In-Reply-To"] == stored.message_id
    text = message.get_content()
    assert text.count("https://") + text.count("http://") == 2, "a link in each language"
    assert "Your emailed reply was not added to OneStop." in text


def test_a_case_the_user_may_no_longer_see_is_refused(world, asked):
    to = address_for(world.firm_a_user)
    world.firm_a_user.firm = world.firm_b  # moved to another firm since the email
    db.session.commit()
    outcome, stored = deliver(reply(to, world.firm_a_user.email), to)
    assert (outcome, stored.error) == ("refused", "no_access")
    assert comments(asked[0]) == []
    [bounce] = bounces()
    assert bounce.params["path"] == "/", "no link to what the user may not see"


@pytest.mark.parametrize("headers,envelope_from", [
    ({"Auto-Submitted": "auto-replied"}, "ceo@alpha.test"),
    ({"Auto-Submitted": "auto-generated; owner-email=x@y"}, "ceo@alpha.test"),
    ({"Precedence": "bulk"}, "ceo@alpha.test"),
    ({"Precedence": "junk"}, "ceo@alpha.test"),
    ({"Precedence": "list"}, "ceo@alpha.test"),
    ({"X-Autoreply": "yes"}, "ceo@alpha.test"),
    ({"List-Id": "<firm.lists.alpha.test>"}, "ceo@alpha.test"),
    ({"X-OneStop-Notification": "12"}, "ceo@alpha.test"),
    ({}, ""),                                   # a delivery status notification
])
def test_automatic_mail_is_ignored_and_never_answered(world, asked, app, headers, envelope_from):
    to = address_for(world.firm_a_user)
    outcome, stored = deliver(reply(to, world.firm_a_user.email, headers=headers), to,
                              envelope_from=envelope_from)
    assert outcome == "ignored" and stored.error
    assert comments(asked[0]) == [] and bounces() == []
    assert not list(Path(app.config["OUTBOX_DIR"]).glob("inbound-*.eml"))


def test_mail_from_our_own_address_is_a_loop(world, asked):
    to = address_for(world.firm_a_user)
    outcome, stored = deliver(reply(to, "OneStop <ONESTOP@city.example>"), to)
    assert (outcome, stored.error) == ("ignored", "sent from our own address")
    assert bounces() == []


def test_auto_submitted_no_is_a_person(world, asked):
    to = address_for(world.firm_a_user)
    assert deliver(reply(to, world.firm_a_user.email, headers={"Auto-Submitted": "no"}),
                   to)[0] == "posted"


def test_a_message_too_large_is_refused(world, asked, configure):
    configure(INBOUND_MAX_BYTES=2000)
    to = address_for(world.firm_a_user)
    outcome, stored = deliver(reply(to, world.firm_a_user.email, "가" * 1000), to)
    assert (outcome, stored.error) == ("refused", "too_large")
    assert comments(asked[0]) == [] and len(bounces()) == 1


@pytest.mark.parametrize("body", [QUOTE, "> only\n> quoted\n", "\n\n"])
def test_nothing_above_the_quote_is_refused(world, asked, body):
    to = address_for(world.firm_a_user)
    outcome, stored = deliver(reply(to, world.firm_a_user.email, body), to)
    assert (outcome, stored.error) == ("refused", "empty")
    assert comments(asked[0]) == [] and len(bounces()) == 1


def test_an_html_only_reply_becomes_text(world, asked):
    to = address_for(world.firm_a_user)
    html = ("<div>도면을 보냅니다.<br>확인 부탁드립니다.</div><div class=gmail_quote>"
            "<div class=gmail_attr>2026년 11월 12일 (목) 오후 4:00, OneStop님이 작성:</div>"
            "<blockquote>보완 요청</blockquote></div>")
    assert deliver(reply(to, world.firm_a_user.email, "", html=html), to)[0] == "posted"
    assert [c.body for c in comments(asked[0])] == ["도면을 보냅니다.\n확인 부탁드립니다."]


def test_attachments_go_through_the_upload_checks(world, asked, app):
    to = address_for(world.firm_a_user)
    outcome, _ = deliver(reply(to, world.firm_a_user.email, files=[("도면.pdf", PDF)]), to)
    assert outcome == "posted"
    [comment] = comments(asked[0])
    [attachment] = db.session.scalars(select(Attachment).where(Attachment.comment_id == comment.id))
    assert (attachment.filename, attachment.size) == ("도면.pdf", len(PDF))


def test_a_refused_attachment_refuses_the_reply_and_leaves_nothing(world, asked, app):
    to = address_for(world.firm_a_user)
    files_before = set(Path(app.config["UPLOAD_DIR"]).iterdir())
    outcome, stored = deliver(reply(to, world.firm_a_user.email,
                                    files=[("plan.pdf", PDF), ("setup.exe", b"MZ\x90")]), to)
    assert outcome == "refused" and stored.error.startswith("invalid: setup.exe")
    assert comments(asked[0]) == [] and asked[0].status == "waiting_on_firm"
    assert set(Path(app.config["UPLOAD_DIR"]).iterdir()) == files_before
    assert db.session.scalar(select(func.count(Attachment.id)).where(
        Attachment.comment_id.is_not(None))) == 0
    [bounce] = bounces()
    assert "setup.exe" in bounce.params["detail"]


def test_a_finished_request_refuses_the_reply(world, now):
    case, _ = routed_case(world, now)
    to = address_for(world.firm_a_user, EventKind.CASE_ACCEPTED)
    cases.withdraw_case(world.firm_a_user, case, "No longer needed", now=now, version=case.version)
    db.session.commit()
    outcome, stored = deliver(reply(to, world.firm_a_user.email, "One more thing"), to)
    assert outcome == "refused" and "comments are closed" in stored.error


def test_the_same_mail_delivered_twice_makes_one_comment(world, asked):
    to = address_for(world.firm_a_user)
    raw = reply(to, world.firm_a_user.email, message_id="<same@mail.example>")
    outcome, stored = deliver(raw, to)
    assert outcome == "posted"
    # Handed over again, with the address's case changed by an MTA on the way.
    assert inbound.store_reply(raw, envelope_from="x@mail.example", recipients=[to.upper()],
                               now=ANSWERED) == []
    assert inbound.handle_reply(stored.id, ANSWERED) == "not-claimed"
    assert len(comments(asked[0])) == 1


def test_a_crash_leaves_the_message_stored_and_retried(world, asked, monkeypatch, configure):
    configure(NOTIFY_MAX_ATTEMPTS=2)
    to = address_for(world.firm_a_user)

    def crash(*args, **kwargs):
        raise RuntimeError("worker lost its database")

    monkeypatch.setattr(inbound, "add_comment", crash)
    outcome, stored = deliver(reply(to, world.firm_a_user.email), to)
    assert outcome == "retry" and stored.status == InboundStatus.RECEIVED
    assert (stored.attempts, stored.enqueued_at) == (1, None)
    assert "worker lost its database" in stored.error
    assert inbound.requeue_replies(ANSWERED) == [stored.id]
    db.session.commit()
    assert inbound.requeue_replies(ANSWERED) == [], "queued again only once it seems lost"
    monkeypatch.undo()
    assert inbound.handle_reply(stored.id, ANSWERED) == "posted"
    assert len(comments(asked[0])) == 1


def test_a_message_that_keeps_breaking_ends_failed(world, asked, monkeypatch, configure):
    configure(NOTIFY_MAX_ATTEMPTS=2)
    monkeypatch.setattr(inbound.reply_mail, "reply_text", lambda message: 1 / 0)
    to = address_for(world.firm_a_user)
    _, stored = deliver(reply(to, world.firm_a_user.email), to)
    assert inbound.handle_reply(stored.id, ANSWERED) == "failed"
    db.session.expire_all()
    assert db.session.get(InboundMessage, stored.id).status == InboundStatus.FAILED
    assert inbound.requeue_replies(ANSWERED) == []


def test_the_bounce_is_emailed_in_the_users_language(world, asked, app):
    world.firm_a_user.locale = "en"
    to = address_for(world.firm_a_user)
    deliver(reply(to, "ceo@beta.test"), to)
    [bounce] = bounces()
    assert delivery.deliver(bounce.id, ANSWERED) == "sent"
    message = BytesParser(policy=default_policy).parsebytes(
        Path(app.config["OUTBOX_DIR"], f"notification-{bounce.id}_onestop.eml").read_bytes())
    assert message["Subject"] == "[OneStop] Your emailed reply was not posted"
    assert message["Reply-To"] is None, "a bounce is not itself answered into a request"
    text = message.get_body(("plain",)).get_content()
    assert "It came from ceo@beta.test, not from ceo@alpha.test" in text
    assert f"/cases/{asked[0].id}" in text


def test_a_routed_partners_email_goes_out_with_its_reply_address(world, now, app):
    routed_case(world, now)
    row = row_for(world.permits_staff, EventKind.TASK_ROUTED)
    assert delivery.deliver(row.id, now) == "sent", "an event about a task is no reminder to drop"
    message = BytesParser(policy=default_policy).parsebytes(
        Path(app.config["OUTBOX_DIR"], f"notification-{row.id}_onestop.eml").read_bytes())
    assert message["Reply-To"] == inbound.reply_address(row)
    assert message["Auto-Submitted"] == "auto-generated", "out-of-office replies stay away"


def test_a_posted_reply_queues_its_emails_and_keeps_its_file_only_once_committed(
        world, asked, app, monkeypatch):
    """The comment is made inside a savepoint, which SQLAlchemy also calls a commit."""
    queued = []
    monkeypatch.setattr(ledger, "enqueue_deliveries", queued.extend)
    to = address_for(world.firm_a_user)
    [stored_id] = inbound.store_reply(reply(to, world.firm_a_user.email, files=[("a.pdf", PDF)]),
                                      envelope_from="x@mail.example", recipients=[to],
                                      now=datetime.now(SEOUL))
    db.session.commit()
    before = set(Path(app.config["UPLOAD_DIR"]).iterdir())
    assert inbound.process_reply(stored_id, now=ANSWERED).status == "posted"
    assert queued == [], "nothing is queued before the transaction commits"
    [new_file] = set(Path(app.config["UPLOAD_DIR"]).iterdir()) - before
    assert new_file.name.endswith(".part"), "the file is not kept before the commit"
    db.session.commit()
    assert row_for(world.permits_staff, EventKind.FIRM_ANSWERED).id in queued
    assert not new_file.exists() and new_file.with_suffix("").exists()
