"""A delivery message carries a batch of rows: claimed in one statement, each recorded before
the next is sent, no send started once the batch's time is up, none sent without its lease;
against a real SMTP server on loopback."""
import asyncio
import time
from datetime import timedelta

import pytest
from sqlalchemy import event, select, update

from onestop.db import utcnow
from onestop.extensions import db
from onestop.jobs import DELIVERY_BATCH, DELIVERY_QUEUE, enqueue_deliveries
from onestop.notifications import delivery, reminders
from onestop.notifications.models import Notification, Status
from tests.services.test_reminders import at, routed_task, sweep


@pytest.fixture
def rows(world) -> list[Notification]:
    """Three reminders of two routed tasks, due together."""
    reminders.ensure_default_rules()
    db.session.commit()
    for _ in range(2):
        routed_task(world)
    return sweep(at(2026, 11, 12, 9, 5))[:3]


def on_data(server, hook):
    """Run hook(message-id) in the server's thread as each message arrives, before it is
    answered."""
    handle = server.handler.handle_DATA

    async def hooked(smtp, session, envelope):
        message_id = envelope.content.split(b"Message-ID: ", 1)[1].split(b"\r\n", 1)[0]
        await asyncio.to_thread(hook, message_id.decode())
        return await handle(smtp, session, envelope)

    server.handler.handle_DATA = hooked


def statuses(engine, ids) -> dict[int, str]:
    with engine.connect() as connection:
        return dict(connection.execute(select(Notification.id, Notification.status)
                                       .where(Notification.id.in_(ids))).all())


def test_a_batch_is_claimed_at_once_and_each_row_recorded_before_the_next_is_sent(rows, sink):
    server = sink()
    ids = [row.id for row in rows]
    engine, seen = db.engine, []
    on_data(server, lambda message_id: seen.append((message_id, statuses(engine, ids))))
    claims = []

    def count_claims(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("UPDATE notifications") and "attempts + " in statement:
            claims.append(statement)

    event.listen(engine, "before_cursor_execute", count_claims)
    try:
        outcomes = delivery.deliver_batch(ids, utcnow())
    finally:
        event.remove(engine, "before_cursor_execute", count_claims)
    assert outcomes == dict.fromkeys(ids, "sent")
    assert len(claims) == 1, "the batch is claimed in one statement"
    assert [message_id for message_id, _ in seen] == [row.message_id for row in rows]
    for index, (_, found) in enumerate(seen):
        assert found == {row_id: Status.SENT if position < index else Status.QUEUED
                         for position, row_id in enumerate(ids)}, f"when message {index} arrived"
    assert len(server.connections()) == 1
    assert statuses(engine, ids) == dict.fromkeys(ids, Status.SENT)
    assert delivery.deliver_batch(ids, utcnow()) == dict.fromkeys(ids, "not-claimed")


def test_no_send_starts_once_the_batch_time_is_up(rows, sink, configure, monkeypatch):
    server = sink(delay=0.3)
    configure(NOTIFY_BATCH_SECONDS=0.1)
    queued = []
    monkeypatch.setattr(delivery, "enqueue_deliveries", lambda ids, batch: queued.append(
        (list(ids), batch)) or enqueue_deliveries(ids, batch))
    ids = [row.id for row in rows]
    now = utcnow()
    outcomes = delivery.deliver_batch(ids, now)
    assert outcomes == {ids[0]: "sent", ids[1]: "handed-back", ids[2]: "handed-back"}
    assert queued == [(ids[1:], 1)], "the rows left are queued again at once, one a message"
    assert server.counts_by_message_id() == {rows[0].message_id: 1}
    db.session.expire_all()
    for row in rows[1:]:
        row = db.session.get(Notification, row.id)
        assert (row.status, row.attempts, row.lease_until) == (Status.QUEUED, 0, None), \
            "handed back unattempted: no attempt counted, no lease held"
        assert row.enqueued_at >= now
    configure(NOTIFY_BATCH_SECONDS=30)
    assert delivery.deliver_batch(ids[1:], utcnow()) == dict.fromkeys(ids[1:], "sent")
    assert server.counts_by_message_id() == {row.message_id: 1 for row in rows}


def test_a_row_whose_lease_is_lost_meanwhile_is_not_sent(rows, sink, configure):
    """While the first message is with the server, the third row's lease lapses and another
    delivery takes it: the renewal no longer covers it, so this batch leaves it alone."""
    server = sink()
    configure(NOTIFY_LEASE_SECONDS=6, NOTIFY_BATCH_SECONDS=60)  # renewed every 2 s
    first, _, taken = rows
    engine = db.engine

    def lease_of(connection, row_id):
        return connection.scalar(select(Notification.lease_until)
                                 .where(Notification.id == row_id))

    def take_the_third(message_id):
        if message_id != first.message_id:
            return
        with engine.begin() as connection:
            connection.execute(update(Notification).where(Notification.id == taken.id)
                               .values(lease_until=utcnow() + timedelta(hours=1)))
            before = lease_of(connection, first.id)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # until a renewal has run since the change
            with engine.connect() as connection:
                if lease_of(connection, first.id) != before:
                    return
            time.sleep(0.1)
        raise AssertionError("the lease was never renewed")

    on_data(server, take_the_third)
    outcomes = delivery.deliver_batch([row.id for row in rows], utcnow())
    assert outcomes[first.id] == outcomes[rows[1].id] == "sent"
    assert outcomes[taken.id] == "lease-lost"
    assert taken.message_id not in server.counts_by_message_id()
    db.session.expire_all()
    assert db.session.get(Notification, taken.id).status == Status.QUEUED


def test_a_hand_back_leaves_alone_a_row_another_delivery_took(rows, sink, configure):
    """The batch's time runs out while the third row's lease has passed to another delivery
    (this one could not renew it for a lease's length): the second row goes back to the
    queue, the third stays with the other delivery, its lease and attempts untouched."""
    server = sink(delay=0.3)
    configure(NOTIFY_BATCH_SECONDS=0.1)
    first, second, taken = rows
    theirs = utcnow() + timedelta(hours=1)
    engine = db.engine

    def another_delivery_takes_the_third(message_id):
        if message_id == first.message_id:
            with engine.begin() as connection:
                connection.execute(update(Notification).where(Notification.id == taken.id)
                                   .values(lease_until=theirs,
                                           attempts=Notification.attempts + 1))

    on_data(server, another_delivery_takes_the_third)
    outcomes = delivery.deliver_batch([row.id for row in rows], utcnow())
    assert outcomes == {first.id: "sent", second.id: "handed-back", taken.id: "lease-lost"}
    db.session.expire_all()
    assert (db.session.get(Notification, second.id).attempts,
            db.session.get(Notification, second.id).lease_until) == (0, None)
    other = db.session.get(Notification, taken.id)
    assert (other.attempts, other.lease_until) == (2, theirs)
    assert delivery.deliver_batch([taken.id], utcnow()) == {taken.id: "not-claimed"}


def test_an_error_in_a_batch_hands_back_the_rows_not_tried(rows, sink, monkeypatch):
    """A fault while the second row is handled (here a rule that raises) ends the task:
    the third row, never tried, goes back to the queue with no attempt counted; the second
    keeps its lease for the sweep to hand out once it lapses."""
    server = sink()
    first, broken, untried = rows
    still_true = delivery.still_true

    def faulty(row):
        if row.id == broken.id:
            raise RuntimeError("a rule that cannot be evaluated")
        return still_true(row)

    monkeypatch.setattr(delivery, "still_true", faulty)
    with pytest.raises(RuntimeError):
        delivery.deliver_batch([row.id for row in rows], utcnow())
    db.session.expire_all()
    assert server.counts_by_message_id() == {first.message_id: 1}
    found = {row.id: row for row in db.session.scalars(
        select(Notification).where(Notification.id.in_([r.id for r in rows])))}
    assert found[first.id].status == Status.SENT
    assert (found[broken.id].attempts, found[broken.id].lease_until is not None) == (1, True)
    assert (found[untried.id].status, found[untried.id].attempts,
            found[untried.id].lease_until) == (Status.QUEUED, 0, None)


def test_deliveries_are_queued_in_batches(ctx):
    """One broker message per DELIVERY_BATCH rows, in order; the count returned is the rows."""

    def drained() -> list:
        bodies = []
        with ctx.extensions["celery"].connection_for_read() as connection:
            queue = connection.SimpleQueue(DELIVERY_QUEUE)
            while True:
                try:
                    message = queue.get(timeout=0.5)
                except queue.Empty:
                    return bodies
                bodies.append(message.payload[0])  # Celery's message body: args, kwargs, …
                message.ack()

    drained()  # what earlier tests queued
    ids = list(range(1, 2 * DELIVERY_BATCH + 2))
    assert enqueue_deliveries(ids) == len(ids)
    assert drained() == [[ids[:DELIVERY_BATCH]], [ids[DELIVERY_BATCH:2 * DELIVERY_BATCH]],
                         [ids[2 * DELIVERY_BATCH:]]]
