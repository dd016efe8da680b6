"""Benchmark: emails/s delivered by one real Celery worker process to a loopback SMTP server.

Run: .venv/bin/python bench/delivery.py [--cases 667] [--events] [--concurrency 1]

Seeds a throwaway PostgreSQL database (created on BENCH_PG_SERVER, dropped afterwards) with
cases routed to two partners, sweeps their due-soon reminders (three per case; with --events
the filing/acceptance/routing emails of the same cases are delivered too), queues their
deliveries (25 rows a message) on Redis (BENCH_REDIS_URL, database 9 by default: refused unless
empty or the bench's own, and only the bench's keys are deleted afterwards), then starts a
worker as the README does and times it from its first to its last `sent_at`. Prints the
figure beside `uptime`: these machines are shared, a figure means little without the load.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiosmtpd.controller import Controller  # noqa: E402
from broker import REDIS_URL, claim_redis, clear_own_keys  # noqa: E402
from sqlalchemy import delete, func, select  # noqa: E402

from onestop.cases import services as cases_services  # noqa: E402
from onestop.extensions import db  # noqa: E402
from onestop.jobs import enqueue_deliveries  # noqa: E402
from onestop.notifications import ledger, reminders  # noqa: E402
from onestop.notifications.models import EventKind, Notification, Status  # noqa: E402
from tests.databases import throwaway_postgres  # noqa: E402
from tests.factories import World  # noqa: E402
from tests.mailsink import free_port  # noqa: E402
from tests.workers import harness  # noqa: E402

PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
MESSAGE_ID = re.compile(rb"(?im)^Message-ID:\s*(\S+)")


class CountingHandler:
    """The loopback mail server's side: takes every message and keeps only its Message-ID and
    the connection it came over (parsing whole messages would make the server the bottleneck)."""

    def __init__(self):
        self.received: list[tuple[bytes, tuple]] = []

    async def handle_DATA(self, server, session, envelope):
        found = MESSAGE_ID.search(envelope.content)
        self.received.append((found.group(1) if found else b"", tuple(session.peer)))
        return "250 Message accepted for delivery"

    def counts_by_message_id(self) -> Counter:
        return Counter(message_id for message_id, _ in self.received)

    def connections(self) -> set[tuple]:
        return {peer for _, peer in self.received}


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def seed(cases: int, with_events: bool) -> list[int]:
    """Routed cases and their reminders; the ids of the rows to deliver."""
    db.create_all()
    reminders.ensure_default_rules()
    harness.only_due_soon_rules()
    db.session.commit()
    started = time.perf_counter()
    route(cases)
    events = [] if not with_events else list(db.session.scalars(
        select(Notification.id).where(Notification.kind.in_(list(EventKind)))
        .order_by(Notification.id)))
    if not with_events:
        db.session.execute(delete(Notification))
    enqueue, ledger.enqueue_deliveries = ledger.enqueue_deliveries, lambda ids: None
    # Queued below, once, before the worker starts.
    try:
        ids = reminders.sweep(harness.SWEEP_AT)
        db.session.commit()
    finally:
        ledger.enqueue_deliveries = enqueue
    print(f"seeded {cases} cases, {len(ids)} reminders and {len(events)} event emails in "
          f"{time.perf_counter() - started:.1f}s")
    return events + ids


def route(count: int) -> None:
    """As the delivery tests do: cases filed by two firms, routed to two partners."""
    world = World.build()
    for n in range(count):
        case = cases_services.file_case(
            world.firm_a_user if n % 2 else world.firm_b_user, world.hiring_type,
            title=f"Hiring round {n:04d}", description="d", priority="normal", form_data={},
            checked_items=[], files=[], now=harness.BUILT_AT)
        cases_services.accept_case(world.desk, case, now=harness.BUILT_AT, version=None)
        cases_services.route_case(world.desk, case, [world.union, world.univ],
                                  now=harness.BUILT_AT, version=None)
    db.session.flush()


def wait_delivered(total: int, worker) -> None:
    def done():
        db.session.rollback()
        return db.session.scalar(select(func.count()).where(
            Notification.status != Status.QUEUED)) >= total

    harness.wait_for(done, timeout=600, interval=0.5, what=f"{total} rows delivered",
                     detail=lambda: worker.log()[-3000:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=667, help="3 reminders each (default 667)")
    parser.add_argument("--events", action="store_true", help="deliver the cases' event emails too")
    parser.add_argument("--concurrency", type=int, default=1, help="worker pool processes")
    args = parser.parse_args()
    client = claim_redis()
    mail = CountingHandler()
    server = Controller(mail, hostname="127.0.0.1", port=free_port())
    server.start()
    try:
        with tempfile.TemporaryDirectory() as folder, \
                throwaway_postgres(PG_SERVER, "onestop_bench") as url:
            instance = Path(folder) / "instance"
            instance.mkdir()
            deployment = harness.Deployment(url, REDIS_URL, instance, {
                "SMTP_URL": f"smtp://127.0.0.1:{server.port}",
                "CELERY_WORKER_CONCURRENCY": str(args.concurrency)})
            with deployment.app().app_context():
                ids = seed(args.cases, args.events)
                assert enqueue_deliveries(ids) == len(ids), "the broker took every delivery"
                run(deployment, ids, mail, args.concurrency)
                db.session.remove()
                db.engine.dispose()
    finally:
        server.stop()
        clear_own_keys(client)


def run(deployment, ids: list[int], mail: CountingHandler, concurrency: int) -> None:
    processes = harness.Processes()
    try:
        load_before = uptime()
        started = time.perf_counter()
        worker = processes.worker(deployment, "bench", concurrency=concurrency)
        ready = time.perf_counter()
        wait_delivered(len(ids), worker)
        wall = time.perf_counter() - ready
        load_after = uptime()
    finally:
        processes.stop_all()
    first, last = db.session.execute(select(func.min(Notification.sent_at),
                                            func.max(Notification.sent_at))).one()
    statuses = Counter(db.session.scalars(select(Notification.status)))
    received = mail.counts_by_message_id()
    span = (last - first).total_seconds()
    print(f"worker ready in {ready - started:.1f}s; {len(ids)} rows: {dict(statuses)}; "
          f"received {sum(received.values())} messages ({len(received)} distinct) over "
          f"{len(mail.connections())} connections")
    print(f"one worker, concurrency {concurrency}: {(len(ids) - 1) / span:,.0f} emails/s "
          f"(first to last sent_at, {span:.1f}s); {len(ids) / wall:,.0f}/s from ready to all "
          f"recorded ({wall:.1f}s)")
    print(f"load before: {load_before}")
    print(f"load after:  {load_after}")


if __name__ == "__main__":
    main()
