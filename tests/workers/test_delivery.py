"""Reminder delivery through real Celery workers, Redis, PostgreSQL and an SMTP server.

The promise under test (README, "Delivery guarantee"): a worker killed mid-run, a broker
restart or a second beat must not lose a reminder nor send one twice. The one admitted
exception here: a worker that dies between the SMTP server accepting a message and the row being
marked sent causes that message to be sent again, so each death may duplicate at most as many
messages as the worker was delivering at that moment (its concurrency, the setting's 2). Slow
mail servers: test_slow_mail_server.py.
"""
import dataclasses
import re
import threading
import time
from collections import Counter
from datetime import UTC

from flask import current_app
from sqlalchemy import select

from onestop.extensions import db
from onestop.jobs import DELIVER, enqueue, enqueue_deliveries
from onestop.notifications import reminders
from onestop.notifications.models import Notification, Status
from onestop.tasks.models import AgencyTask
from tests.mailsink import free_port
from tests.workers.harness import (
    BEAT_SENT_SWEEP,
    SETTLE,
    SWEEP_AT,
    assert_each_row_received,
    duplicates,
    flask_cli,
    ledger,
    route_cases,
    statuses,
    sweep_and_enqueue,
    wait_all_sent,
    wait_for,
)

CONCURRENCY = 2  # CELERY_WORKER_CONCURRENCY's default: the workers here run with it


def test_one_sweep_sends_each_reminder_exactly_once(shared_redis, deploy, smtp, procs):
    mail = smtp()
    deployment = deploy(shared_redis, SMTP_URL=mail.url)
    route_cases(100, ("union", "univ"))  # 200 tasks; union has a lead and a staff member
    procs.worker(deployment)

    result = flask_cli(deployment, "reminders", "sweep", "--at", SWEEP_AT.isoformat())
    assert result.returncode == 0, result.stderr
    assert "300 reminders written, 0 re-queued" in result.stdout

    wait_all_sent(300, timeout=90)
    time.sleep(SETTLE)
    rows, received = ledger(), mail.received()
    by_message_id = Counter(m.message_id for m in received)
    assert_each_row_received(rows, by_message_id)
    assert not duplicates(by_message_id), "a message was sent twice"
    by_recipient_subject = Counter((m.recipients, m.subject) for m in received)
    assert len(by_recipient_subject) == 300 and max(by_recipient_subject.values()) == 1
    email_of = {r.message_id: r.email for r in rows}
    assert all(m.recipients == (email_of[m.message_id],) for m in received)
    assert Counter(r.email for r in rows) == {"lead@union.test": 100, "staff@union.test": 100,
                                              "staff@univ.test": 100}
    titles = {f"Hiring round {n:04d}" for n in range(100)}
    for email in ("lead@union.test", "staff@union.test", "staff@univ.test"):
        subjects = [m.subject for m in received if m.recipients == (email,)]
        assert {s.rsplit(": ", 1)[1] for s in subjects} == titles, f"one per task for {email}"
    assert len({m.subject.rsplit(": ", 1)[0] for m in received}) == 1, "one kind of reminder"


def test_concurrent_sweeps_and_two_beats_send_nothing_twice(shared_redis, deploy, smtp, procs):
    mail = smtp()
    deployment = deploy(shared_redis, SMTP_URL=mail.url, REMINDER_SWEEP_SECONDS=1,
                        NOTIFY_REQUEUE_AFTER_SECONDS=2)
    route_cases(100, ("union", "univ"))
    # Both beats queue sweeps before a worker runs: the worker then starts on sweeps from both
    # beats that hand the same rows out again (they were written at SWEEP_AT, long ago), ahead
    # of and concurrently with the deliveries.
    beats = [procs.beat(deployment, "beat1"), procs.beat(deployment, "beat2")]
    wait_for(lambda: all(b.log().count(BEAT_SENT_SWEEP) >= 2 for b in beats), timeout=30,
             what="both beats send sweeps", detail=lambda: beats[1].log()[-2000:])

    written, spans = sweep_concurrently(current_app._get_current_object(), sweepers=4)
    assert max(start for start, _ in spans) < min(end for _, end in spans), \
        f"the sweeps did not overlap, the test would prove nothing: {spans}"
    every_id = [i for ids in written for i in ids]
    assert len(every_id) == len(set(every_id)) == 300, \
        f"each row is written by exactly one sweep: {[len(ids) for ids in written]}"
    worker = procs.worker(deployment)

    wait_all_sent(300, timeout=90)
    time.sleep(SETTLE)
    rows = ledger()
    assert max(Counter(r.key for r in rows).values()) == 1
    by_message_id = mail.counts_by_message_id()
    assert_each_row_received(rows, by_message_id)
    assert not duplicates(by_message_id), "a message was sent twice"
    refused = sum(map(int, re.findall(r"'not-claimed': (\d+)", worker.log())))
    assert refused > 0, "no row was handed out twice: the beats' sweeps were not exercised"
    print(f"\nconcurrent sweeps: {[len(ids) for ids in written]} rows written per sweep; "
          f"{refused} redundant delivery messages refused by claim")


def sweep_concurrently(app, sweepers: int):
    """Several sweeps of the same moment, started together, each in its own transaction.
    Returns the ids each wrote and the (start, end) of each sweep and commit."""
    start = threading.Barrier(sweepers)
    written: list[list[int]] = [[] for _ in range(sweepers)]
    spans: list[tuple[float, float]] = [(0.0, 0.0)] * sweepers
    errors: list[BaseException] = []

    def sweep(n: int) -> None:
        try:
            with app.app_context():
                start.wait(timeout=10)
                began = time.monotonic()
                written[n] = reminders.sweep(SWEEP_AT)
                db.session.commit()
                spans[n] = (began, time.monotonic())
                assert enqueue_deliveries(written[n]) == len(written[n])
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported by the test thread
            errors.append(error)

    threads = [threading.Thread(target=sweep, args=(n,)) for n in range(sweepers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a sweep hung"
    assert not errors, f"a concurrent sweep failed: {errors!r}"
    return written, spans


def test_mail_server_down_then_up_every_email_arrives(shared_redis, deploy, smtp, procs):
    port = free_port()  # nothing listens here until the server starts below
    deployment = deploy(shared_redis, SMTP_URL=f"smtp://127.0.0.1:{port}",
                        NOTIFY_BACKOFF_SECONDS=1, NOTIFY_REQUEUE_AFTER_SECONDS=1,
                        NOTIFY_MAX_ATTEMPTS=30, REMINDER_SWEEP_SECONDS=1)
    route_cases(20, ("union", "univ"))
    procs.worker(deployment)
    procs.beat(deployment)
    sweep_and_enqueue()

    wait_for(lambda: all(r.attempts >= 2 for r in ledger()), timeout=30,
             what="every row failed and was retried", detail=lambda: ledger()[:3])
    rows = ledger()
    assert len(rows) == 60 and {r.status for r in rows} == {Status.QUEUED}
    assert all("ConnectionRefusedError" in r.last_error for r in rows), rows[0].last_error

    mail = smtp(port=port)
    deadline = time.monotonic() + 60
    while True:
        rows = ledger()  # read before the server's list: it only grows meanwhile
        received = set(mail.counts_by_message_id())
        sent = {r.message_id for r in rows if r.status == Status.SENT}
        assert sent <= received, f"rows marked sent but never received: {sent - received}"
        if len(sent) == 60:
            break
        assert time.monotonic() < deadline, f"not all sent after the server came up: {statuses()}"
        time.sleep(0.2)
    time.sleep(SETTLE)
    by_message_id = mail.counts_by_message_id()
    assert_each_row_received(ledger(), by_message_id)
    assert not duplicates(by_message_id), "a retried message was sent twice"


def test_worker_killed_mid_run_loses_nothing(shared_redis, deploy, smtp, procs):
    mail = smtp(delay=0.02)  # slow enough for the kills to land mid-run
    # A lease short enough for the killed worker's rows to come back soon, long enough to be
    # renewed on a busy machine.
    deployment = deploy(shared_redis, SMTP_URL=mail.url, NOTIFY_LEASE_SECONDS=10,
                        NOTIFY_REQUEUE_AFTER_SECONDS=10, REMINDER_SWEEP_SECONDS=1)
    route_cases(125, ("union", "univ", "permits"))  # 375 tasks, 500 reminders
    procs.beat(deployment)
    worker = procs.worker(deployment, "w0")
    assert len(sweep_and_enqueue()) == 500

    kills = 0
    for threshold in (100, 250):
        wait_for(lambda t=threshold: len(mail.received()) >= t, timeout=60, interval=0.05,
                 what=f"{threshold} messages received", detail=worker.log)
        worker.kill()
        kills += 1
        assert len(mail.received()) < 500, "the kill must land in the middle of the run"
        worker = procs.worker(deployment, f"w{kills}")

    wait_all_sent(500, timeout=120)
    time.sleep(SETTLE)
    by_message_id = mail.counts_by_message_id()
    assert_each_row_received(ledger(), by_message_id)
    twice = sum(n - 1 for n in by_message_id.values())
    print(f"\nSIGKILL test: {kills} kills, {twice} messages received twice "
          f"({len(duplicates(by_message_id))} rows)")
    assert twice <= CONCURRENCY * kills, \
        f"{twice} duplicates after {kills} kills: more than {CONCURRENCY} per kill"


def test_broker_restart_loses_nothing_and_worker_consumes_again(private_redis, deploy, smtp, procs):
    mail = smtp(delay=0.02)
    # No worker dies here, so no message may go out twice. (With a 3 s lease this test once
    # saw a duplicate on a loaded machine: the delivery's time limit and SMTP timeout were
    # derived from the lease, 1 s and 0.5 s, and a slow answer to a sent message was taken
    # for a failure and sent again.)
    deployment = deploy(private_redis.url, SMTP_URL=mail.url, NOTIFY_LEASE_SECONDS=10,
                        NOTIFY_REQUEUE_AFTER_SECONDS=5, REMINDER_SWEEP_SECONDS=1)
    route_cases(100, ("union", "univ"))
    procs.worker(deployment)
    procs.beat(deployment)
    sweep_and_enqueue()

    wait_for(lambda: len(mail.received()) >= 60, timeout=60, interval=0.05,
             what="60 messages received")
    private_redis.kill()  # every queued message is lost with it
    time.sleep(2)
    before_restart = len(mail.received())
    assert before_restart < 300, "Redis must go away in the middle of the run"
    private_redis.start()
    restarted = time.monotonic()

    check = flask_cli(deployment, "workers", "check", "--timeout", "120", timeout=150)
    consume_again = time.monotonic() - restarted
    assert check.returncode == 0, f"no worker consumed after the restart: {check.stderr}"
    wait_for(lambda: len(mail.received()) > before_restart, timeout=120,
             what="deliveries resume after the restart")
    first_new_mail = time.monotonic() - restarted
    wait_all_sent(300, timeout=90)
    all_sent_after = time.monotonic() - restarted
    time.sleep(SETTLE)
    by_message_id = mail.counts_by_message_id()
    assert_each_row_received(ledger(), by_message_id)
    print(f"\nRedis restart: canary consumed {consume_again:.1f}s after the restart "
          f"({check.stdout.strip()}), first new mail at {first_new_mail:.1f}s, "
          f"all sent at {all_sent_after:.1f}s; {before_restart} sent before the restart")
    assert not duplicates(by_message_id), "a broker restart made a message go out twice"


def test_poison_messages_neither_loop_nor_block_the_others(shared_redis, deploy, smtp, procs):
    mail = smtp()
    deployment = deploy(shared_redis, SMTP_URL=mail.url, NOTIFY_BACKOFF_SECONDS=1,
                        NOTIFY_REQUEUE_AFTER_SECONDS=1, NOTIFY_MAX_ATTEMPTS=4,
                        REMINDER_SWEEP_SECONDS=1)
    world = route_cases(10, ("union", "univ"))  # 30 good reminders
    worker = procs.worker(deployment)
    procs.beat(deployment)

    poison = unrenderable_row(world.univ_staff)
    for _ in range(50):
        enqueue(DELIVER, "not-a-number")
    good = sweep_and_enqueue()
    enqueue_deliveries([poison.id])
    started = time.monotonic()

    wait_all_good = lambda: all(r.status == Status.SENT for r in ledger() if r.id in good)  # noqa: E731
    wait_for(wait_all_good, timeout=90, what="the good rows are delivered despite the poison",
             detail=lambda: statuses())
    good_delivered_in = time.monotonic() - started

    def poison_row():
        return next(r for r in ledger() if r.id == poison.id)

    wait_for(lambda: poison_row().status == Status.FAILED, timeout=120,
             what="the unrenderable row gives up", detail=poison_row)
    bad_tasks = "raised unexpected: ValueError"
    wait_for(lambda: worker.log().count(bad_tasks) >= 50, timeout=60,
             what="50 bad messages consumed", detail=lambda: worker.log()[-2000:])
    time.sleep(3)  # a hot loop would keep going meanwhile
    assert worker.log().count(bad_tasks) == 50, "a bad message was consumed more than once"
    row = poison_row()
    assert row.attempts == 4, f"attempts beyond NOTIFY_MAX_ATTEMPTS: {row}"
    assert "AttributeError" in row.last_error, row.last_error
    assert worker.log().count(f"notification {poison.id} cannot be delivered") == 4
    assert len(mail.received()) == 30 and not duplicates(mail.counts_by_message_id())
    print(f"\npoison: good rows delivered in {good_delivered_in:.1f}s; "
          f"poison row failed after {row.attempts} attempts")


def unrenderable_row(user) -> Notification:
    """A queued row whose parameters are corrupt: rendering its email raises every time."""
    task = db.session.scalars(select(AgencyTask).where(
        AgencyTask.organization_id == user.organization_id)).first()
    # A key of the real shape (it names the task's due date), so the row is still current.
    stamp = task.due_at.astimezone(UTC).isoformat(timespec="seconds")
    row = Notification(key=f"poison:t{task.id}:{stamp}::u{user.id}", user_id=user.id, kind="task_due",
                       case_id=task.case_id, task_id=task.id, params=["not", "a", "mapping"],
                       status=Status.QUEUED, enqueued_at=SWEEP_AT)
    db.session.add(row)
    db.session.commit()
    return row


def test_workers_check_fails_without_a_consumer_and_passes_with_one(shared_redis, deploy,
                                                                     procs):
    deployment = deploy(shared_redis)
    idle = flask_cli(deployment, "workers", "check", "--timeout", "3")
    assert idle.returncode == 1, (idle.returncode, idle.stdout, idle.stderr)
    assert "no worker consumed the canary" in idle.stderr

    worker = procs.worker(deployment)
    busy = flask_cli(deployment, "workers", "check", "--timeout", "90", timeout=120)
    assert busy.returncode == 0, (busy.returncode, busy.stdout, busy.stderr)
    assert busy.stdout.startswith("ok: worker on")

    worker.kill()
    gone = flask_cli(deployment, "workers", "check", "--timeout", "3")
    assert gone.returncode == 1, "a dead worker must not pass the check"

    unreachable = dataclasses.replace(deployment, broker_url=f"redis://127.0.0.1:{free_port()}/0")
    no_broker = flask_cli(unreachable, "workers", "check", "--timeout", "3")
    assert no_broker.returncode == 2 and "broker unreachable" in no_broker.stderr, no_broker.stderr


def test_workers_check_passes_while_a_healthy_worker_is_busy(shared_redis, deploy, smtp, procs):
    """A Monday-morning backlog: 500 reminders queued, ~0.1 s each at the mail server."""
    mail = smtp(delay=0.1)
    deployment = deploy(shared_redis, SMTP_URL=mail.url)
    route_cases(125, ("union", "univ", "permits"))
    procs.worker(deployment)
    sweep_and_enqueue()

    check = flask_cli(deployment, "workers", "check", timeout=60)  # its default --timeout (15 s)
    consumed = len(mail.received())
    assert check.returncode == 0, (
        f"APP BUG: `workers check` reports no worker while a healthy worker is delivering "
        f"({consumed} messages sent meanwhile): the canary waits behind every queued delivery "
        f"in the same `celery` queue. {check.stderr.strip()}")
