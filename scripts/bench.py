"""Benchmark: prints figures for the hot paths (run: .venv/bin/python scripts/bench.py [N]).

Measures, on a throwaway database (SQLite, and PostgreSQL when TEST_DATABASE_URL is set):
deadline arithmetic, one reminder sweep over N open tasks, in-process delivery to the outbox,
emailed replies stored and processed, the desk's queue page, the zone view over a few hundred
firms' agreements beside 100k cases (`bench.py zone` runs only that), and on PostgreSQL the
service report over SERVICE_CASES (100k) bulk-loaded cases (`bench.py service`). Figures, not
assertions: these machines are shared and noisy (the slow lines say the load they ran under).
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event as sa_event  # noqa: E402
from sqlalchemy import func, insert, select, text, true  # noqa: E402

from onestop import create_app  # noqa: E402
from onestop.cases import services as cases  # noqa: E402
from onestop.cases.models import Case  # noqa: E402
from onestop.commitments.models import (  # noqa: E402
    ActualReport,
    Agreement,
    Incentive,
    Target,
)
from onestop.db import utcnow  # noqa: E402
from onestop.deadlines import SEOUL, WorkCalendar, parse_period  # noqa: E402
from onestop.extensions import db  # noqa: E402
from onestop.firms.models import Firm  # noqa: E402
from onestop.notifications import delivery, inbound, reminders  # noqa: E402
from onestop.notifications.models import EventKind, Notification  # noqa: E402
from onestop.reports.service import GroupBy, Period, service_report  # noqa: E402
from onestop.reports.zone import zone_figures  # noqa: E402
from onestop.workdays.services import work_calendar  # noqa: E402
from tests.databases import throwaway_postgres  # noqa: E402
from tests.factories import World  # noqa: E402

# `bench.py service` or `bench.py zone` runs only that part; `bench.py 5000` sizes the rest.
ONLY = sys.argv[1] if sys.argv[1:2] in (["service"], ["zone"]) else None
N = int(sys.argv[1]) if len(sys.argv) > 1 and not ONLY else 1000
SERVICE_CASES = int(os.environ.get("BENCH_SERVICE_CASES", 100_000))
NOW = datetime(2026, 11, 10, 10, 0, tzinfo=SEOUL)


def timed(fn, repeat=1):
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - start)
    return result, statistics.median(samples)


def deadline_figures():
    calendar = WorkCalendar()
    periods = [parse_period(p) for p in ("3h", "5d", "10d", "2w", "1m")]
    starts = [NOW + timedelta(hours=7 * i) for i in range(2000)]
    calendar.due_at(NOW, periods[0])
    _, seconds = timed(lambda: [calendar.due_at(s, p) for s in starts for p in periods])
    print(f"deadlines: {len(starts) * len(periods) / seconds:,.0f} due dates/s")


def database_figures(url, folder):
    app = create_app("test", SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=f"{folder}/uploads",
                     OUTBOX_DIR=f"{folder}/outbox", SMTP_URL="", WTF_CSRF_ENABLED=False,
                     CELERY_BROKER_URL=f"sqla+sqlite:///{folder}/broker.sqlite")
    with app.app_context():
        db.drop_all()
        db.create_all()
        world = World.build()
        reminders.ensure_default_rules()
        world.hiring_type.period = "5d"
        start = time.perf_counter()
        for i in range(N):
            case = cases.file_case(world.firm_a_user, world.hiring_type, title=f"Case {i}",
                                   description="d", priority="normal", form_data={},
                                   checked_items=[], files=[], now=NOW)
            cases.accept_case(world.desk, case, now=NOW, version=None)
            cases.route_case(world.desk, case, [world.union, world.univ], now=NOW, version=None)
        db.session.commit()
        name = url.split(":")[0]
        print(f"[{name}] filed, accepted and routed {N} cases in "
              f"{time.perf_counter() - start:.1f}s")
        sweep_at = datetime(2026, 11, 12, 9, 5, tzinfo=SEOUL)   # 3 business days before due
        ids, seconds = timed(lambda: reminders.sweep(sweep_at))
        db.session.commit()
        print(f"[{name}] sweep over {2 * N} open tasks: {seconds * 1000:.0f} ms, "
              f"{len(ids)} reminders written")
        _, seconds = timed(lambda: reminders.sweep(sweep_at))
        db.session.rollback()
        print(f"[{name}] repeated sweep (nothing new): {seconds * 1000:.0f} ms")
        sample = ids[:200]
        _, seconds = timed(lambda: [delivery.deliver(i, NOW) for i in sample])
        print(f"[{name}] delivery to the outbox: {len(sample) / seconds:,.0f} messages/s "
              "in one process")
        event_figures(name, world)
        inbound_figures(name, world)
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = world.desk.get_id()
        client.get("/cases/")
        _, seconds = timed(lambda: client.get("/cases/?status=open"), repeat=20)
        print(f"[{name}] desk queue page (25 of {N} cases): {seconds * 1000:.0f} ms median")
        _, seconds = timed(lambda: client.get("/"), repeat=20)
        print(f"[{name}] desk home page: {seconds * 1000:.0f} ms median")
        db.session.remove()
        db.engine.dispose()


def event_figures(name, world):
    """A firm's comment on each of 200 cases routed to two partners: the rows its event writes,
    the statements the announcing adds to the transaction, and their delivery."""
    some = db.session.scalars(select(Case).order_by(Case.id).limit(200)).all()
    before = db.session.scalar(select(func.max(Notification.id)))
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", count)
    _, seconds = timed(lambda: ([cases.add_comment(world.firm_a_user, case, "Hello", now=NOW)
                                 for case in some], db.session.commit()))
    sa_event.remove(db.engine, "before_cursor_execute", count)
    written = db.session.scalars(select(Notification.id).where(Notification.id > before)).all()
    inserts = sum(1 for s in statements if s.startswith("INSERT INTO notifications"))
    print(f"[{name}] events: {len(written) / seconds:,.0f} notification rows written/s "
          f"({len(written)} rows for {len(some)} comments; per comment "
          f"{len(statements) / len(some):.1f} statements, of them {inserts / len(some):.1f} "
          f"INSERT into notifications)")
    sample = written[:200]
    _, seconds = timed(lambda: [delivery.deliver(i, NOW) for i in sample])
    print(f"[{name}] event emails to the outbox: {len(sample) / seconds:,.0f} messages/s "
          "in one process")


def inbound_figures(name, world, count=200):
    """Replies to the routed partner's emails: stored as the listener stores them, then
    processed one by one as the worker does (parse, strip, check, comment, notify)."""
    rows = db.session.scalars(db.select(Notification).where(
        Notification.user_id == world.union_staff.id, Notification.kind == EventKind.TASK_ROUTED)
        .limit(count)).all()
    raw = [(inbound.reply_address(row), (
        f"From: {world.union_staff.email}\r\nTo: x\r\nSubject: Re\r\n"
        f"Message-ID: <bench-{row.id}@mail.example>\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"\r\n검토하겠습니다.\r\n\r\n2026년 11월 10일 (화) 오전 10:00, OneStop 님이 작성:\r\n"
        f"> routed\r\n").encode()) for row in rows]
    ids, seconds = timed(lambda: [i for to, data in raw for i in inbound.store_reply(
        data, envelope_from=world.union_staff.email, recipients=[to], now=utcnow())])
    db.session.commit()
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"[{name}] inbound replies stored: {len(ids) / seconds:,.0f}/s ({load})")
    outcomes, seconds = timed(lambda: [inbound.handle_reply(i, NOW) for i in ids])
    assert set(outcomes) == {"posted"}, set(outcomes)
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"[{name}] inbound replies processed into comments: {len(ids) / seconds:,.0f}/s "
          f"in one process ({load})")


# Two years of cases, a fifth still open; one or two tasks each, spread over the partners;
# most done, some late, a third of the resolved cases answered by the firm.
SERVICE_ROWS = [
    """INSERT INTO cases (firm_id, request_type_id, title, description, priority, status,
         created_by_id, checklist, form_data, rejection_reason, submitted_at, accepted_at,
         desk_seconds, due_at, updated_at, version)
       SELECT :firm, CASE WHEN i % 2 = 0 THEN :hiring ELSE :permit END, 'Case ' || i, '',
         'normal', CASE WHEN i % 5 = 0 THEN 'in_progress' ELSE 'resolved' END, :user, '[]',
         '{}', '', :now - make_interval(hours => i % 17520),
         :now - make_interval(hours => i % 17520) + make_interval(secs => 3600 * (i % 9)),
         3600 * (i % 9), :now + make_interval(days => 10 - i % 17520 / 24), :now, 1
       FROM generate_series(1, :n) AS i""",
    """INSERT INTO agency_tasks (case_id, organization_id, status, period, due_at,
         due_override_reason, instructions, resolution_note, decline_reason, routed_at,
         waited_seconds, finished_at, agency_seconds, paused_seconds, version)
       SELECT c.id, o.org, CASE WHEN c.status = 'resolved' THEN 'done'
                                WHEN c.id % 3 = 0 THEN 'accepted' ELSE 'open' END,
         '10d', c.accepted_at + interval '14 days', '', '', '', '', c.accepted_at,
         3600 * (c.id % 5),
         CASE WHEN c.status = 'resolved' THEN c.accepted_at + make_interval(days => c.id % 18) END,
         CASE WHEN c.status = 'resolved' THEN 3600 * (c.id % 80) END,
         CASE WHEN c.status = 'resolved' THEN 86400 * (c.id % 18) END, 1
       FROM cases c JOIN LATERAL (SELECT :union AS org UNION ALL
                                  SELECT :univ WHERE c.id % 2 = 0 UNION ALL
                                  SELECT :permits WHERE c.id % 7 = 0) o ON true""",
    """INSERT INTO satisfaction_answers (case_id, score, comment, answered_by_id, answered_at)
       SELECT id, 1 + id % 5, '', :user, accepted_at + interval '20 days'
       FROM cases WHERE status = 'resolved' AND id % 3 = 0""",
]


def service_figures(url, folder):
    """The service report over SERVICE_CASES cases, loaded in bulk (the services would take
    hours), grouped both ways, as the desk and as a partner, and its page."""
    app = create_app("test", SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=f"{folder}/uploads",
                     OUTBOX_DIR=f"{folder}/outbox", SMTP_URL="",
                     CELERY_BROKER_URL=f"sqla+sqlite:///{folder}/broker.sqlite")
    with app.app_context():
        db.drop_all()
        db.create_all()
        world = World.build()
        db.session.commit()
        start = time.perf_counter()
        values = {"firm": world.firm_a.id, "hiring": world.hiring_type.id,
                  "permit": world.permit_type.id, "user": world.firm_a_user.id,
                  "union": world.union.id, "univ": world.univ.id, "permits": world.permits.id,
                  "now": utcnow(), "n": SERVICE_CASES}
        for statement in SERVICE_ROWS:
            db.session.execute(text(statement), values)
        db.session.commit()
        # As autovacuum leaves a table: statistics, and the visibility map index-only scans use.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
            tasks = conn.execute(text("SELECT count(*) FROM agency_tasks")).scalar()
        print(f"[postgresql] service report: loaded {SERVICE_CASES:,} cases and {tasks:,} "
              f"tasks in {time.perf_counter() - start:.1f}s")
        today = utcnow().astimezone(SEOUL).date()
        period = Period(today.replace(day=1) - timedelta(days=150), today)
        calendar = work_calendar()
        for who, user in (("desk", world.desk), ("partner", world.univ_staff)):
            for group_by in GroupBy:
                _, seconds = timed(lambda u=user, g=group_by: service_report(
                    u, period, g, now=utcnow(), calendar=calendar), repeat=7)
                print(f"[postgresql] service report, {who}, by {group_by}, six months of "
                      f"{SERVICE_CASES:,} cases: {seconds * 1000:.0f} ms median ({_load()})")
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = world.desk.get_id()
            session["signed_in_at"] = session["seen_at"] = session["auth_at"] = time.time()
        assert client.get("/reports/service").status_code == 200
        _, seconds = timed(lambda: client.get("/reports/service"), repeat=7)
        print(f"[postgresql] service report page (desk): {seconds * 1000:.0f} ms median "
              f"({_load()})")
        db.session.remove()
        db.engine.dispose()


ZONE_FIRMS, ZONE_CASES = 300, 100_000


def _zone_data(world):
    """ZONE_FIRMS firms, each with targets for five years, three incentives and six reports,
    and ZONE_CASES cases spread over them, inserted in bulk (the services would take hours)."""
    firms = [Firm(name=f"Zone firm {i:03d}", brn=f"8{i:09d}", industry="x", site="y",
                  phase=1 + i % 3, account_officer=world.desk) for i in range(ZONE_FIRMS)]
    db.session.add_all(firms)
    for i, firm in enumerate(firms):
        db.session.add(Agreement(
            firm=firm, signed_on=datetime(2024, 1, 1).date(),
            clawback_rule="all_or_nothing" if i % 7 == 0 else "proportional",
            targets=[Target(measure=m, phase=min(3, 1 + (year - 2024) // 2), year=year,
                            amount=amount, report_due_on=datetime(year + 1, 1, 31).date())
                     for m, amount in (("investment", 2_000_000_000), ("jobs", 8))
                     for year in range(2024, 2029)],
            incentives=[Incentive(name=n, measure=m, amount=a, recoverable_percent=p)
                        for n, m, a, p in (("subsidy", "investment", 400_000_000, 100),
                                           ("tax", "investment", 100_000_000, 50),
                                           ("jobs", "jobs", 50_000_000, 100))]))
        for year, share in ((2024, 100), (2025, 60 + i % 60)):
            for measure, amount in (("investment", 2_000_000_000), ("jobs", 8)):
                db.session.add(ActualReport(firm=firm, measure=measure, year=year,
                                            phase=1, amount=amount * share // 100,
                                            status="verified", submitted_by=world.desk))
        db.session.add(ActualReport(firm=firm, measure="jobs", year=2026, phase=2, amount=3,
                                    status="submitted" if i % 2 else "returned",
                                    submitted_by=world.desk))
    db.session.flush()
    for start in range(0, ZONE_CASES, 5000):
        db.session.execute(insert(Case), [
            {"firm_id": firms[n % ZONE_FIRMS].id, "request_type_id": world.hiring_type.id,
             "title": f"Case {n}", "description": "d", "priority": "normal",
             "status": "closed" if n % 3 else "in_progress", "created_by_id": world.desk.id,
             "checklist": [], "form_data": {}, "rejection_reason": "", "submitted_at": NOW,
             "updated_at": NOW, "version": 1}
            for n in range(start, min(start + 5000, ZONE_CASES))])
    db.session.commit()


def zone_view_figures(url, folder):
    """The desk's zone view (figures and page), the public page and the firms' download."""
    app = create_app("test", SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=f"{folder}/uploads",
                     OUTBOX_DIR=f"{folder}/outbox", SMTP_URL="",
                     CELERY_BROKER_URL=f"sqla+sqlite:///{folder}/broker.sqlite")
    name = url.split(":")[0]
    with app.app_context():
        db.drop_all()
        db.create_all()
        world = World.build()
        _, seconds = timed(lambda: _zone_data(world))
        print(f"[{name}] zone: {ZONE_FIRMS} firms with agreements and {ZONE_CASES:,} cases "
              f"inserted in {seconds:.1f}s")
        today = NOW.date()
        figures, seconds = timed(lambda: zone_figures(true(), today=today), repeat=10)
        load = _load()
        print(f"[{name}] zone figures ({len(figures.firms)} firms, "
              f"{len(figures.firms_behind)} behind): {seconds * 1000:.0f} ms median ({load})")
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = world.desk.get_id()
            session["signed_in_at"] = session["seen_at"] = time.time() + 3600
        for path, label in (("/reports/zone", "desk's zone view page"),
                            ("/reports/zone/firms.csv", "zone firms download (CSV)")):
            assert client.get(path).status_code == 200
            _, seconds = timed(lambda p=path: client.get(p).get_data(), repeat=10)
            load = _load()
            print(f"[{name}] {label}: {seconds * 1000:.0f} ms median ({load})")
        public = app.test_client()
        _, seconds = timed(lambda: public.get("/zone").get_data(), repeat=10)
        print(f"[{name}] public zone page (no cache in front): {seconds * 1000:.0f} ms median")
        db.session.remove()
        db.engine.dispose()


def _load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


if __name__ == "__main__":
    server = os.environ.get("TEST_DATABASE_URL")
    with tempfile.TemporaryDirectory() as folder:
        if not ONLY:
            deadline_figures()
            database_figures(f"sqlite:///{folder}/bench.sqlite", folder)
            if server:
                with throwaway_postgres(server, "onestop_bench") as url:
                    database_figures(url, folder)
        if ONLY in (None, "zone"):
            zone_view_figures(f"sqlite:///{folder}/zone.sqlite", folder)
            if server:
                with throwaway_postgres(server, "onestop_bench") as url:
                    zone_view_figures(url, folder)
        if server and ONLY in (None, "service"):
            with throwaway_postgres(server, "onestop_bench") as url:
                service_figures(url, folder)
