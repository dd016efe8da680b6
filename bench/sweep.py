"""Benchmark: one reminder sweep over N open tasks on PostgreSQL, when nothing is due and
when some are.

Run: .venv/bin/python bench/sweep.py 100000 1000000 [--due 2000]

For each N, a throwaway PostgreSQL database (created on BENCH_PG_SERVER, dropped afterwards)
gets the schema, the demo-like actors of the tests, and N open tasks inserted with one
INSERT … SELECT (their due dates 30 to 280 days ahead, a fifth of them waiting on the firm
since this morning: no rule fires for any). It times the day's first sweep and a later one,
then adds --due tasks that the rules fire for (due in 1 and 3 business days, overdue, waited
on for 3 business days) and times the sweeps again. The deliveries go to an in-memory broker
and are timed apart. Prints each figure beside `uptime`: these machines are shared.
"""
import argparse
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from onestop import create_app  # noqa: E402
from onestop.cases import services as cases  # noqa: E402
from onestop.db import utcnow  # noqa: E402
from onestop.deadlines import SEOUL  # noqa: E402
from onestop.extensions import db  # noqa: E402
from onestop.notifications import ledger, reminders, services  # noqa: E402
from tests.databases import throwaway_postgres  # noqa: E402
from tests.factories import NOW, World  # noqa: E402

PG_SERVER = os.environ.get("BENCH_PG_SERVER",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
MOMENT = datetime(2026, 11, 18, 9, 5, tzinfo=SEOUL)  # a Wednesday morning

INSERT_TASKS = """
INSERT INTO agency_tasks (case_id, organization_id, status, period, due_at, routed_at,
    due_override_reason, instructions, resolution_note, decline_reason, waited_seconds,
    extended_seconds, supplement_more_time, supplement_reminded, is_consultation,
    deliberation_seconds, version, paused_at)
SELECT (ARRAY[:case_a, :case_b])[1 + n % 2], (ARRAY[:union, :univ])[1 + n / 2 % 2],
       CASE WHEN n % 5 = 0 THEN 'waiting_on_firm' WHEN n % 2 = 0 THEN 'accepted'
            ELSE 'open' END,
       '5d', :first_due + (n % :spread) * (:step * interval '1 second'), :routed,
       '', '', '', '', 0, 0, false, false, false, 0, 1,
       CASE WHEN n % 5 = 0 THEN :paused ELSE NULL END
FROM generate_series(1, :count) AS n
"""


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def timed_sweep(moment: datetime) -> tuple[float, int, float]:
    """(seconds to sweep and commit, rows written, seconds to queue their deliveries)."""
    to_queue, enqueue = [], ledger.enqueue_deliveries
    ledger.enqueue_deliveries = to_queue.extend  # held at the commit, queued below on the clock
    try:
        started = time.perf_counter()
        written, _ = services.sweep_and_requeue(utcnow(), rules_at=moment)
        db.session.commit()
        swept = time.perf_counter() - started
    finally:
        ledger.enqueue_deliveries = enqueue
    started = time.perf_counter()
    enqueue(to_queue)
    return swept, len(written), time.perf_counter() - started


def insert_tasks(world: World, made: list, count: int, *, first_due: datetime,
                 spread: int, step: float, paused: datetime, routed: datetime) -> None:
    db.session.execute(text(INSERT_TASKS), {
        "case_a": made[0].id, "case_b": made[1].id, "union": world.union.id,
        "univ": world.univ.id, "first_due": first_due, "spread": spread, "step": step,
        "paused": paused, "routed": routed, "count": count})
    db.session.commit()


def bench(n: int, due: int) -> None:
    with throwaway_postgres(PG_SERVER, "onestop_bench_sweep") as url:
        app = create_app("test", SQLALCHEMY_DATABASE_URI=url, CELERY_BROKER_URL="memory://",
                         SMTP_URL="")
        with app.app_context():
            db.create_all()
            world = World.build()
            reminders.ensure_default_rules()
            made = [cases.file_case(u, world.hiring_type, title="Hire", description="d",
                                    priority="normal", form_data={}, checked_items=[],
                                    files=[], now=NOW)
                    for u in (world.firm_a_user, world.firm_b_user)]
            db.session.commit()
            started = time.perf_counter()
            insert_tasks(world, made, n, first_due=MOMENT + timedelta(days=30), spread=n,
                         step=250 * 86400 / n, paused=MOMENT - timedelta(minutes=30),
                         routed=NOW)
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("VACUUM ANALYZE agency_tasks"))
            print(f"N = {n:,}: inserted in {time.perf_counter() - started:.1f} s  [{uptime()}]")
            report("nothing due, the day's first sweep", MOMENT)
            report("nothing due, 5 minutes later", MOMENT + timedelta(minutes=5))
            # Four groups: due tomorrow, due in 3 business days, overdue since Monday, and
            # one whose waiting fifth has waited since Friday (3 business days). In each, a
            # fifth waits on the firm (no due reminders), as in the first insert.
            for first_due, paused in ((datetime(2026, 11, 19, 14, tzinfo=SEOUL), None),
                                      (datetime(2026, 11, 23, 14, tzinfo=SEOUL), None),
                                      (datetime(2026, 11, 16, 14, tzinfo=SEOUL), None),
                                      (MOMENT + timedelta(days=90),
                                       datetime(2026, 11, 13, 11, tzinfo=SEOUL))):
                insert_tasks(world, made, due // 4, first_due=first_due, spread=1, step=0,
                             paused=paused or MOMENT, routed=NOW)
            later = MOMENT + timedelta(minutes=10)
            report(f"{due:,} more tasks the rules fire for", later)
            report("the same again, 5 minutes later", later + timedelta(minutes=5))
            report("the next working day's first sweep", MOMENT + timedelta(days=1))
            db.session.remove()
            db.engine.dispose()


def report(what: str, moment: datetime) -> None:
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        cProfile.runctx("timed_sweep(moment)", globals(), {"moment": moment},
                        sort="cumulative")
    swept, written, queued = timed_sweep(moment)
    print(f"  {what}: sweep {swept * 1000:,.0f} ms, {written:,} rows written, "
          f"their deliveries queued in {queued * 1000:,.0f} ms  [{uptime()}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100_000])
    parser.add_argument("--due", type=int, default=2000,
                        help="tasks added that the rules fire for (default 2000)")
    args = parser.parse_args()
    for n in args.sizes:
        bench(n, args.due)


if __name__ == "__main__":
    main()
