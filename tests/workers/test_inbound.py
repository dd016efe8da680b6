"""Answering by email through the real pieces: a Celery worker on Redis and PostgreSQL sends
the notification to a real SMTP server, the reply goes by SMTP (or LMTP) to the real inbound
listener process, and the worker turns it into a comment — or refuses it."""
import dataclasses
import smtplib
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from sqlalchemy import func, select

from onestop.cases import services as cases
from onestop.cases.models import Comment, NoteAudience
from onestop.extensions import db
from onestop.notifications.inbound import reply_address, requeue_replies
from onestop.notifications.models import (
    AlertKind,
    EventKind,
    InboundMessage,
    InboundStatus,
    Notification,
)
from onestop.tasks import services as tasks
from onestop.workdays.services import work_calendar
from tests.factories import World
from tests.mailsink import free_port
from tests.workers.harness import BUILT_AT, wait_for

QUOTE = "\n\n2026년 11월 10일 (화) 오전 10:00, OneStop <onestop@city.example>님이 작성:\n> …\n"


@pytest.fixture
def running(private_redis, deploy, smtp, procs):
    """A deployment with a worker, the SMTP server it sends to and the inbound listener.
    Its own Redis: a worker of another test run on the shared one would take its messages."""
    sink = smtp()
    deployment = deploy(private_redis.url, SMTP_URL=sink.url)
    port = free_port()
    procs.worker(deployment)
    procs.inbound(deployment, port)
    return sink, port, procs


def routed_case() -> tuple[World, object, object]:
    world = World.build()
    case = cases.file_case(world.firm_a_user, world.hiring_type, title="Hiring round",
                           description="d", priority="normal", form_data={}, checked_items=[],
                           files=[], now=BUILT_AT)
    cases.accept_case(world.desk, case, now=BUILT_AT, version=None)
    [task] = cases.route_case(world.desk, case, [world.univ], now=BUILT_AT, version=None)
    db.session.commit()  # the routed notification goes to the worker
    return world, case, task


def notification(user, kind) -> Notification:
    return wait_for(lambda: db.session.rollback() or db.session.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.kind == kind)).first(),
        timeout=60, what=f"a {kind} notification for {user.email}")


def email_for(sink, row: Notification):
    """The email of this ledger row, once the worker has handed it to the SMTP server."""
    message_id = f"<notification-{row.id}@onestop>"
    return wait_for(lambda: next((m for m in sink.received() if m.message_id == message_id), None),
                    timeout=60, what=f"the email of notification {row.id} ({row.kind})",
                    detail=lambda: sink.received())


def send(port: int, to: str, sender: str, body: str, *, lmtp=False, headers=None,
         message_id: str | None = None) -> str:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, "Re: OneStop"
    message["Message-ID"] = message_id or make_msgid(domain="mail.example")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body + QUOTE)
    client = smtplib.LMTP("127.0.0.1", port) if lmtp else smtplib.SMTP("127.0.0.1", port)
    with client:
        client.send_message(message, from_addr=sender, to_addrs=[to])
    return message["Message-ID"]


def comments_by(user) -> list[Comment]:
    db.session.rollback()  # a new snapshot: the worker writes from another process
    return list(db.session.scalars(select(Comment).where(Comment.author_id == user.id)))


def inbound_rows() -> list[InboundMessage]:
    db.session.rollback()
    return list(db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)))


def settled(count: int) -> list[InboundMessage]:
    rows = inbound_rows()
    done = [r for r in rows if r.status not in (InboundStatus.RECEIVED, InboundStatus.PROCESSING)]
    return rows if len(done) == count == len(rows) else []


def test_a_partner_and_a_firm_answer_by_replying(running):
    sink, port, _ = running
    world, case, task = routed_case()

    routed = email_for(sink, notification(world.univ_staff, EventKind.TASK_ROUTED))
    assert routed.reply_to.startswith("reply+")
    send(port, routed.reply_to, "Staff <staff@univ.test>", "맡겠습니다. 다음 주까지 검토합니다.")
    [note] = wait_for(lambda: comments_by(world.univ_staff), timeout=60,
                      what="the partner's reply became a comment")
    assert (note.body, note.audience) == ("맡겠습니다. 다음 주까지 검토합니다.", NoteAudience.PARTNERS)

    # The partner asks the firm; the firm answers by replying to the question's email.
    tasks.accept_task(world.univ_staff, task, now=BUILT_AT, version=None)
    tasks.request_information(world.univ_staff, task, "Send the job descriptions",
                              now=BUILT_AT + timedelta(hours=1), version=None)
    db.session.commit()
    due_before = task.due_at
    asked = email_for(sink, notification(world.firm_a_user, EventKind.INFO_REQUESTED))
    assert asked.reply_to.startswith("reply+") and asked.reply_to != routed.reply_to
    send(port, asked.reply_to, "ceo@alpha.test", "직무기술서를 보냅니다.")
    [answer] = wait_for(lambda: comments_by(world.firm_a_user), timeout=60,
                        what="the firm's reply became a comment")
    assert (answer.body, answer.audience) == ("직무기술서를 보냅니다.", NoteAudience.PUBLIC)
    db.session.refresh(task)
    db.session.refresh(case)
    assert task.status == "accepted" and case.status == "in_progress", "the clock runs again"
    assert task.waited_seconds > 0
    assert task.due_at == work_calendar().add_working_time(
        due_before, timedelta(seconds=task.waited_seconds)), "moved by the time waited"
    email_for(sink, notification(world.univ_staff, EventKind.FIRM_ANSWERED))


def test_forged_expired_automatic_and_repeated_replies_make_no_comment(running):
    sink, port, procs = running
    world, case, task = routed_case()
    tasks.accept_task(world.univ_staff, task, now=BUILT_AT, version=None)
    tasks.request_information(world.univ_staff, task, "Send the job descriptions",
                              now=BUILT_AT + timedelta(hours=1), version=None)
    db.session.commit()
    row = notification(world.firm_a_user, EventKind.INFO_REQUESTED)
    asked = email_for(sink, row)
    row.created_at -= timedelta(days=61)
    expired = reply_address(row)  # as the same email sent 61 days ago carried it
    db.session.rollback()

    send(port, asked.reply_to, "ceo@beta.test", "Forged", lmtp=True)
    send(port, expired, "ceo@alpha.test", "Too late", lmtp=True)
    send(port, asked.reply_to, "ceo@alpha.test", "I am out of the office", lmtp=True,
         headers={"Auto-Submitted": "auto-replied"})
    twice = make_msgid(domain="mail.example")
    for _ in range(2):
        send(port, asked.reply_to, "ceo@alpha.test", "Sent twice", message_id=twice)

    rows = wait_for(lambda: settled(4), timeout=90, what="the four messages processed",
                    detail=lambda: [(r.id, r.status, r.error) for r in inbound_rows()])
    assert [(r.status, r.error) for r in rows] == [
        ("refused", "wrong_sender"), ("refused", "expired"),
        ("ignored", "Auto-Submitted: auto-replied"), ("posted", "")]
    assert [c.body for c in comments_by(world.firm_a_user)] == ["Sent twice"]
    assert db.session.scalar(select(func.count(InboundMessage.id))) == 4, "the repeat is not stored"
    # The two refusals are told to the firm's user by email; the auto-reply is not answered.
    bounces = list(db.session.scalars(select(Notification).where(
        Notification.kind == AlertKind.REPLY_REFUSED)))
    assert [b.user_id for b in bounces] == [world.firm_a_user.id] * 2
    for bounce in bounces:
        wait_for(lambda b=bounce: any(m.message_id == f"<notification-{b.id}@onestop>"
                                      for m in sink.received()),
                 timeout=60, what="the bounce reached the mailbox")
    assert "Traceback" not in procs.started[-1].log()


def test_the_listener_takes_only_reply_addresses_and_answers_once_stored(private_redis, deploy,
                                                                          procs):
    deployment = deploy(private_redis.url, INBOUND_MAX_BYTES=50_000)
    smtp_port, lmtp_port = free_port(), free_port()
    procs.inbound(deployment, smtp_port)
    # A broker that cannot be reached does not lose a message: it waits for the sweep.
    procs.inbound(dataclasses.replace(deployment, broker_url=f"redis://127.0.0.1:{free_port()}/0"),
                  lmtp_port, lmtp=True, name="inbound-lmtp")
    message = EmailMessage()
    message["From"], message["Subject"], message["Message-ID"] = "a@firm.example", "Re", "<m1@x>"
    message.set_content("answer")
    with smtplib.SMTP("127.0.0.1", smtp_port) as client:
        client.ehlo()
        assert client.mail("a@firm.example")[0] == 250
        assert client.rcpt("desk@onestop.city.example")[0] == 550
        assert client.rcpt("reply+abc@onestop.city.example")[0] == 250
        client.rset()
        big = EmailMessage()
        big["From"] = "a@firm.example"
        big.set_content("x" * 60_000)
        with pytest.raises(smtplib.SMTPException) as refused:
            client.send_message(big, to_addrs=["reply+abc@onestop.city.example"])
        assert "552" in str(refused.value)
        client.send_message(message, to_addrs=["reply+one@x.example", "reply+two@x.example"])
        # Answered 250: both copies are in the database already.
        assert [r.recipient for r in inbound_rows()] == ["reply+one@x.example", "reply+two@x.example"]
    with smtplib.LMTP("127.0.0.1", lmtp_port) as client:
        client.ehlo()
        client.mail("a@firm.example")
        client.rcpt("reply+one@x.example")
        client.rcpt("reply+three@x.example")
        assert client.docmd("DATA")[0] == 354
        client.send(message.as_bytes().replace(b"\n", b"\r\n") + b".\r\n")
        assert [client.getreply()[0], client.getreply()[0]] == [250, 250], "one answer each"
    rows = inbound_rows()
    assert [r.recipient for r in rows] == ["reply+one@x.example", "reply+two@x.example",
                                           "reply+three@x.example"], "the repeat stored once"
    assert {r.status for r in rows} == {InboundStatus.RECEIVED}
    assert requeue_replies(rows[-1].received_at + timedelta(minutes=5)) == [r.id for r in rows]
