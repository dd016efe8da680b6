"""A worker process keeps one SMTP connection open across deliveries, through real Celery
workers, Redis, PostgreSQL and an SMTP server on loopback: it opens another only when the
server has closed the one it had, loses and doubles nothing meanwhile, and says QUIT when it
shuts down."""
import os
import signal

from tests.workers.harness import (
    assert_each_row_received,
    duplicates,
    ledger,
    route_cases,
    sweep_and_enqueue,
    wait_all_sent,
    wait_for,
)


def test_one_worker_process_sends_everything_over_one_connection(shared_redis, deploy, smtp,
                                                                 procs):
    mail = smtp()
    deployment = deploy(shared_redis, SMTP_URL=mail.url)
    route_cases(40, ("union", "univ"))  # 120 reminders
    worker = procs.worker(deployment, concurrency=1)
    assert len(sweep_and_enqueue()) == 120

    wait_all_sent(120, timeout=90)
    by_message_id = mail.counts_by_message_id()
    assert_each_row_received(ledger(), by_message_id)
    assert not duplicates(by_message_id)
    assert len(mail.connections()) == 1, f"{len(mail.connections())} connections for 120 messages"
    assert mail.handler.quits == 0, "the connection stays open between messages"

    os.kill(worker.popen.pid, signal.SIGTERM)  # a warm shutdown, as a deployment stops it
    wait_for(lambda: worker.popen.poll() is not None, timeout=30, what="the worker stops",
             detail=worker.log)
    wait_for(lambda: mail.handler.quits == 1, timeout=10,
             what="the pool process says QUIT as it stops", detail=worker.log)


def test_connections_the_server_closes_mid_run_are_reopened(shared_redis, deploy, smtp,
                                                            procs):
    mail = smtp(close_every=15)  # hangs up after every 15th message
    deployment = deploy(shared_redis, SMTP_URL=mail.url)
    route_cases(40, ("union", "univ"))
    procs.worker(deployment)  # two pool processes, each with its connection
    assert len(sweep_and_enqueue()) == 120

    wait_all_sent(120, timeout=90)
    rows = ledger()
    by_message_id = mail.counts_by_message_id()
    assert_each_row_received(rows, by_message_id)
    assert not duplicates(by_message_id), "a message was sent twice"
    # Each close ends one connection; the next message on it goes over a new one, within
    # the same attempt.
    assert 120 // 15 <= len(mail.connections()) <= 120 // 15 + 2, len(mail.connections())
    assert all(r.attempts == 1 and r.last_error == "" for r in rows), \
        [r for r in rows if r.attempts != 1][:3]
