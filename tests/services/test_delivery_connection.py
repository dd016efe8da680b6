"""What one delivery costs, against a real SMTP server on loopback: one connection kept open
across messages (and never reused once its state is in doubt), a fixed handful of SQL
statements per message whatever its kind, templates compiled once."""
from collections import Counter

import pytest
from sqlalchemy import event, select

from onestop import mail
from onestop.extensions import db
from onestop.notifications import delivery, reminders
from onestop.notifications.models import Notification, Status
from tests.factories import NOW
from tests.services.test_reminders import at, routed_task

# SET LOCAL (PostgreSQL), the claim's UPDATE, the SELECT of the row with what its email needs,
# the record's UPDATE.
STATEMENTS_PER_DELIVERY = 4


@pytest.fixture
def queued(world):
    """Event emails (filed, accepted, routed) and reminders of a case routed to two partners."""
    reminders.ensure_default_rules()
    routed_task(world, orgs=[world.union, world.univ])
    reminders.sweep(at(2026, 11, 12, 9, 5))
    db.session.commit()
    return list(db.session.scalars(select(Notification.id).where(
        Notification.status == Status.QUEUED).order_by(Notification.id)))


def statements_of(fn):
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        result = fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return result, seen


def test_messages_share_one_connection_and_a_few_statements_each(queued, sink):
    server = sink()
    kinds = Counter(db.session.scalars(select(Notification.kind).where(
        Notification.id.in_(queued))))
    assert len(kinds) >= 3 and len(queued) >= 8, kinds  # events and reminders alike
    for row_id in queued:
        db.session.remove()  # as a worker's task starts: nothing loaded yet
        outcome, statements = statements_of(lambda i=row_id: delivery.deliver(i, NOW))
        assert outcome == "sent"
        assert len(statements) <= STATEMENTS_PER_DELIVERY, "\n".join(statements)
    assert sorted(server.counts_by_message_id().values()) == [1] * len(queued)
    assert len(server.connections()) == 1, "one connection carries every message"
    assert server.handler.quits == 0
    mail.close_connections()
    assert server.handler.quits == 1, "the kept connection says QUIT when closed"


def test_a_message_left_unanswered_never_shares_its_connection(queued, sink, configure):
    """The late answer to a message must not be read as the answer to the next one."""
    server = sink(delay=2)
    configure(SMTP_REPLY_TIMEOUT=0.5)
    first, second = queued[:2]
    assert delivery.deliver(first, NOW) == "retry"
    server.handler.delay = 0
    assert delivery.deliver(second, NOW) == "sent"
    peers = {m.message_id: m.peer for m in server.received()}
    assert len(peers) == 2 and len(set(peers.values())) == 2, peers
    row = db.session.get(Notification, first)
    db.session.refresh(row)
    assert row.unanswered_attempts == 1 and row.status == Status.QUEUED


def test_a_refused_message_is_not_sent_again_on_a_new_connection(queued, sink):
    server = sink(reply="554 5.7.1 rejected")
    assert delivery.deliver(queued[0], NOW) == "retry"
    assert delivery.deliver(queued[1], NOW) == "retry"
    assert sorted(server.counts_by_message_id().values()) == [1, 1], "one try each, no resend"


def test_a_connection_closed_while_idle_is_checked_and_replaced(queued, sink, monkeypatch):
    server = sink(close_every=1)  # hangs up after every message
    monkeypatch.setattr(mail, "IDLE_CHECK_SECONDS", 0.0)  # NOOP before every reuse
    sample = queued[:4]
    assert [delivery.deliver(i, NOW) for i in sample] == ["sent"] * len(sample)
    assert sorted(server.counts_by_message_id().values()) == [1] * len(sample)
    assert len(server.connections()) == len(sample)
    rows = db.session.scalars(select(Notification).where(Notification.id.in_(sample))
                              .execution_options(populate_existing=True))
    assert {(r.attempts, r.last_error) for r in rows} == {(1, "")}


def test_a_connection_closed_between_messages_is_reopened_within_the_attempt(queued, sink):
    server = sink(close_every=2)
    assert [delivery.deliver(i, NOW) for i in queued] == ["sent"] * len(queued)
    assert sorted(server.counts_by_message_id().values()) == [1] * len(queued)
    assert len(server.connections()) == (len(queued) + 1) // 2
    rows = db.session.scalars(select(Notification).where(Notification.id.in_(queued))
                              .execution_options(populate_existing=True))
    assert {(r.attempts, r.last_error) for r in rows} == {(1, "")}


def test_templates_are_compiled_once(queued, app, monkeypatch):
    assert not app.jinja_env.auto_reload, "no template is checked for changes per message"
    app.jinja_env.cache.clear()
    loader = app.jinja_env.loader
    asked = []
    real = loader.get_source

    def get_source(environment, name):
        asked.append(name)
        return real(environment, name)

    monkeypatch.setattr(loader, "get_source", get_source)
    rows = db.session.scalars(select(Notification).where(Notification.id.in_(queued))).all()
    for row in rows:
        delivery.render_email(row)
    first = list(asked)
    assert first, "the templates were read once"
    for row in rows:
        delivery.render_email(row)
    assert asked == first, f"read again: {asked[len(first):]}"
