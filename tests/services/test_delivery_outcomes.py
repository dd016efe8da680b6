"""What a delivery records for each way a mail server can answer, against a real SMTP server
on loopback: answered (sent), refused or never handed the message (retry, then failed), and
handed the whole message without an answer (sent once more at most, then unknown)."""
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from onestop.db import utcnow
from onestop.extensions import db
from onestop.notifications import delivery, reminders
from onestop.notifications.models import Notification, Status
from tests.factories import NOW
from tests.mailsink import free_port
from tests.services.test_reminders import at, routed_task, sweep

LATER = NOW + timedelta(hours=2)  # past any backoff of these tests


@pytest.fixture
def rules(world):
    reminders.ensure_default_rules()
    db.session.commit()


def one_row(world) -> Notification:
    routed_task(world)
    return sweep(at(2026, 11, 12, 9, 5))[0]


def fresh(row: Notification) -> Notification:
    db.session.expire_all()
    return db.session.get(Notification, row.id)


def test_an_answered_message_is_sent_even_when_the_goodbye_goes_wrong(world, rules, sink):
    server = sink(quit_reply="500 5.5.1 not now")
    row = one_row(world)
    assert delivery.deliver(row.id, NOW) == "sent"
    row = fresh(row)
    assert (row.status, row.last_error, row.unanswered_attempts) == (Status.SENT, "", 0)
    assert server.counts_by_message_id() == {row.message_id: 1}


def test_a_refused_recipient_is_a_plain_failure(world, rules, sink):
    server = sink(rcpt_reply="550 5.1.1 no such mailbox")
    row = one_row(world)
    assert delivery.deliver(row.id, NOW) == "retry"
    row = fresh(row)
    assert row.status == Status.QUEUED and row.unanswered_attempts == 0
    assert "550" in row.last_error and "no such mailbox" in row.last_error
    assert server.received() == []


def test_a_message_refused_once_sent_is_a_plain_failure_and_ends_failed(world, rules, sink,
                                                                        configure):
    server = sink(reply="554 5.7.1 rejected as spam")
    configure(NOTIFY_MAX_ATTEMPTS=2)
    row = one_row(world)
    assert delivery.deliver(row.id, NOW) == "retry"
    assert delivery.deliver(row.id, LATER) == "failed"
    row = fresh(row)
    assert (row.status, row.unanswered_attempts) == (Status.FAILED, 0)
    assert "554" in row.last_error and not row.last_error.startswith("Outcome unknown")
    assert server.counts_by_message_id() == {row.message_id: 2}


def test_a_hang_up_after_the_message_is_sent_once_more_then_unknown(world, rules, sink):
    server = sink(reply=None)
    row = one_row(world)
    assert delivery.deliver(row.id, NOW) == "retry"
    row = fresh(row)
    assert (row.status, row.unanswered_attempts) == (Status.QUEUED, 1)
    assert row.last_error.startswith("Outcome unknown: no answer from the mail server")
    assert "may have been delivered" in row.last_error
    assert delivery.deliver(row.id, NOW) == "not-claimed", "the resend waits for the backoff"

    assert delivery.deliver(row.id, LATER) == "unknown"
    row = fresh(row)
    assert (row.status, row.unanswered_attempts, row.lease_until) == (Status.UNKNOWN, 2, None)
    assert delivery.deliver(row.id, LATER + timedelta(hours=1)) == "not-claimed"
    assert server.counts_by_message_id() == {row.message_id: 2}, "sent at most once more"

    delivery.resend(world.admin, row, now=LATER)  # an admin who asked the recipient
    db.session.commit()
    server.handler.reply = "250 OK"
    assert delivery.deliver(row.id, LATER) == "sent"
    assert fresh(row).status == Status.SENT


def test_no_answer_within_the_reply_timeout_is_unknown_not_failed(world, rules, sink, configure):
    server = sink(delay=3)
    configure(SMTP_REPLY_TIMEOUT=1, NOTIFY_MAX_ATTEMPTS=1)
    row = one_row(world)
    assert delivery.deliver(row.id, NOW) == "unknown", "the last attempt: unknown, never failed"
    row = fresh(row)
    assert row.status == Status.UNKNOWN and row.unanswered_attempts == 1
    assert "within 1 s after the whole message was sent" in row.last_error
    assert server.counts_by_message_id() == {row.message_id: 1}


def test_once_a_message_may_have_arrived_running_out_of_attempts_is_unknown(world, rules, sink,
                                                                            configure):
    server = sink(reply=None)
    configure(NOTIFY_MAX_ATTEMPTS=3)
    row = one_row(world)
    assert delivery.deliver(row.id, NOW) == "retry"
    configure(SMTP_URL=f"smtp://127.0.0.1:{free_port()}")  # nobody listens: not delivered
    assert delivery.deliver(row.id, LATER) == "retry"
    assert delivery.deliver(row.id, LATER + timedelta(hours=2)) == "unknown"
    row = fresh(row)
    assert (row.status, row.attempts, row.unanswered_attempts) == (Status.UNKNOWN, 3, 1)
    assert "ConnectionRefusedError" in row.last_error
    assert len(server.received()) == 1


def test_the_lease_is_renewed_while_a_slow_server_answers(world, rules, sink, configure, app):
    """Wall-clock times here: the lease (6 s) would lapse while the server takes 8 s to
    answer, and a second claimant could take the row, were it not renewed."""
    server = sink(delay=8)
    configure(NOTIFY_LEASE_SECONDS=6)
    row_id = one_row(world).id
    outcome = []

    def deliver():
        with app.app_context():
            outcome.append(delivery.deliver(row_id, utcnow()))
            db.session.remove()

    started = time.monotonic()
    sender = threading.Thread(target=deliver)
    sender.start()
    try:
        deadline = started + 5
        while not server.received():
            assert time.monotonic() < deadline, "the message never reached the server"
            time.sleep(0.05)
        time.sleep(max(0.0, started + 7 - time.monotonic()))  # past the first lease
        held = db.session.scalar(select(Notification.lease_until).where(
            Notification.id == row_id))
        assert held > utcnow(), "the lease was not renewed"
        assert delivery.claim(row_id, utcnow()) is None, "a second claimant took the row"
        db.session.rollback()
    finally:
        sender.join(timeout=30)
    assert outcome == ["sent"]
    assert server.counts_by_message_id() == {f"<notification-{row_id}@onestop>": 1}
