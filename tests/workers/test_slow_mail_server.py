"""A slow mail server through real Celery workers, Redis, PostgreSQL and an SMTP server.

The promise under test (README, "Delivery guarantee"): a server that answers the message
within SMTP_REPLY_TIMEOUT gets each reminder exactly once, however long the answer takes
compared with the lease; a server that does not answer in time gets each reminder at most
twice, and the row ends `unknown`, never `failed`.
"""
import time

from onestop.notifications.models import Status
from tests.workers.harness import (
    BEAT_SENT_SWEEP,
    SETTLE,
    SWEEP_AT,
    assert_each_row_received,
    duplicates,
    ledger,
    route_cases,
    statuses,
    sweep_and_enqueue,
    wait_all_sent,
    wait_for,
)

REMINDERS = 10  # five tasks of the union council: its lead and its member each get one
SPARE_SLOTS = 2  # idle worker processes, ready to send again any row handed out twice


def test_a_server_slower_than_the_lease_gets_each_reminder_once(shared_redis, deploy, smtp,
                                                                procs):
    mail = smtp(delay=25)  # answers each message 25 s after receiving it
    # The lease (6 s) lapses four times over during a send unless it is renewed; beat sweeps
    # every second and hands out again any row whose lease lapsed, and spare worker processes
    # stand ready to send it.
    deployment = deploy(shared_redis, SMTP_URL=mail.url, NOTIFY_LEASE_SECONDS=6,
                        NOTIFY_REQUEUE_AFTER_SECONDS=2, REMINDER_SWEEP_SECONDS=1)
    route_cases(REMINDERS // 2, ("union",))
    procs.worker(deployment, concurrency=REMINDERS + SPARE_SLOTS)
    beat = procs.beat(deployment)
    assert len(sweep_and_enqueue(SWEEP_AT)) == REMINDERS
    started = time.monotonic()

    wait_for(lambda: len(mail.received()) == REMINDERS, timeout=60,
             what="every message handed to the server", detail=lambda: statuses())
    sweeps_before = beat.log().count(BEAT_SENT_SWEEP)
    wait_all_sent(REMINDERS, timeout=90)
    took = time.monotonic() - started
    sweeps_during = beat.log().count(BEAT_SENT_SWEEP) - sweeps_before
    time.sleep(SETTLE)
    rows, by_message_id = ledger(), mail.counts_by_message_id()
    assert_each_row_received(rows, by_message_id)
    assert not duplicates(by_message_id), f"a slow server got messages twice: {by_message_id}"
    assert all(r.attempts == 1 and r.unanswered_attempts == 0 for r in rows), rows
    assert took > 25 and sweeps_during >= 15, \
        f"the sends must outlast the lease with sweeps meanwhile ({took:.0f} s, {sweeps_during})"
    print(f"\nslow server (25 s, lease 6 s): {REMINDERS} sent once each in {took:.1f}s, "
          f"{sweeps_during} sweeps meanwhile")


def test_a_server_that_never_answers_in_time_gets_each_reminder_at_most_twice(
        shared_redis, deploy, smtp, procs):
    mail = smtp(delay=10)  # answers after 10 s; the client waits 3 s
    deployment = deploy(shared_redis, SMTP_URL=mail.url, SMTP_REPLY_TIMEOUT=3,
                        NOTIFY_BACKOFF_SECONDS=1, NOTIFY_REQUEUE_AFTER_SECONDS=1,
                        REMINDER_SWEEP_SECONDS=1)
    route_cases(REMINDERS // 2, ("union",))
    procs.worker(deployment, concurrency=REMINDERS)
    procs.beat(deployment)
    assert len(sweep_and_enqueue(SWEEP_AT)) == REMINDERS
    started = time.monotonic()

    wait_for(lambda: statuses() == {Status.UNKNOWN: REMINDERS}, timeout=180,
             what="every row ends unknown", detail=lambda: statuses())
    took = time.monotonic() - started
    time.sleep(SETTLE + 3)  # a third send would show up by now
    rows, by_message_id = ledger(), mail.counts_by_message_id()
    assert_each_row_received(rows, by_message_id)
    assert max(by_message_id.values()) <= 2, f"sent more than twice: {by_message_id}"
    assert all((r.status, r.attempts, r.unanswered_attempts) == (Status.UNKNOWN, 2, 2)
               for r in rows), rows
    assert all(r.last_error.startswith("Outcome unknown: no answer from the mail server within 3 s")
               for r in rows), rows[0].last_error
    print(f"\nserver slower than the reply timeout: {REMINDERS} rows unknown after {took:.1f}s, "
          f"{sum(by_message_id.values())} messages received")
