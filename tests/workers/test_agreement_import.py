"""The agreement import through a real Celery worker on PostgreSQL: its progress is seen
from outside while its transaction is open, and a worker killed mid-import leaves nothing
half-imported; the sweep runs the import again, whole, once."""
from sqlalchemy import func, select

from onestop.commitments import imports
from onestop.commitments.models import Agreement, FirmEvent, ImportRun, Incentive, Target
from onestop.db import utcnow
from onestop.extensions import db
from onestop.firms.models import Firm
from onestop.jobs import enqueue_imports
from tests.annex import firm_held, zone
from tests.factories import World
from tests.workers.harness import route_cases, sweep_and_enqueue, wait_for

FIRMS = 1000  # 9,000 rows
HELD = 500  # the import waits at this firm while the test looks and kills its worker


def state(run_id: int) -> ImportRun:
    db.session.rollback()  # a new snapshot: the workers write from other processes
    return db.session.get(ImportRun, run_id, populate_existing=True)


def committed() -> tuple[int, ...]:
    db.session.rollback()
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Firm, Agreement, Target, Incentive, FirmEvent))


def test_a_worker_killed_mid_import_leaves_nothing_half_imported(shared_redis, deploy, procs):
    deployment = deploy(shared_redis, IMPORT_LEASE_SECONDS=6, REMINDER_SWEEP_SECONDS=1)
    world = World.build()
    db.session.commit()
    before = committed()
    run = imports.start_import(world.admin, "annex.xlsx", zone(FIRMS, world.desk.email),
                               now=utcnow())
    db.session.commit()
    worker = procs.worker(deployment)
    with firm_held(deployment.database_url, HELD):
        assert enqueue_imports([run.id]) == 1

        def writing():
            now = state(run.id)
            return now.status == "writing" and now.rows_done == 9 * HELD and now
        seen = wait_for(writing, timeout=120, what="the worker writing up to the held firm",
                        detail=worker.log)
        assert seen.rows_total == 9 * FIRMS
        assert committed() == before, "the progress is seen while nothing is committed yet"
        worker.kill()

    stalled = state(run.id)
    assert (stalled.status, stalled.attempts) == ("writing", 1)
    assert committed() == before, "nothing of the killed worker's import is in the database"

    procs.beat(deployment)
    second = procs.worker(deployment, "w2")
    done = wait_for(lambda: state(run.id).status in ("done", "failed", "invalid")
                    and state(run.id), timeout=120, interval=0.3,
                    what="the import run again to its end", detail=second.log)
    assert (done.status, done.attempts, done.errors) == ("done", 2, [])
    assert done.summary == {"created": FIRMS, "updated": 0, "unchanged": 0,
                            "firms_created": FIRMS, "rows": 9 * FIRMS}
    firms, agreements, targets, incentives, events = committed()
    assert (firms - before[0], agreements, targets, incentives, events) == (
        FIRMS, FIRMS, 6 * FIRMS, 2 * FIRMS, FIRMS), "imported whole, once"
    # A late redelivery of the first message finds the run done and does nothing.
    assert enqueue_imports([run.id]) == 1
    wait_for(lambda: "'not-claimed'" in second.log(), timeout=30, what="the message refused",
             detail=second.log)
    assert committed()[1:] == (FIRMS, 6 * FIRMS, 2 * FIRMS, FIRMS)


def test_an_import_does_not_wait_behind_a_backlog_of_deliveries(shared_redis, deploy, smtp,
                                                                   procs):
    """A Monday-morning backlog of 500 reminders (~0.1 s each at the mail server, at least
    25 s for two worker processes): the admin's import is taken at once, not after it."""
    mail = smtp(delay=0.1)
    deployment = deploy(shared_redis, SMTP_URL=mail.url)
    world = route_cases(125, ("union", "univ", "permits"))
    backlog = len(sweep_and_enqueue())
    run = imports.start_import(world.admin, "annex.xlsx", zone(10, world.desk.email),
                               now=utcnow())
    db.session.commit()
    assert enqueue_imports([run.id]) == 1
    worker = procs.worker(deployment)
    done = wait_for(lambda: state(run.id).status == "done" and state(run.id), timeout=120,
                    what="the import done", detail=worker.log)
    sent = len(mail.received())
    assert sent < backlog, (f"the import waited behind the deliveries: {sent} of {backlog} "
                            "were sent first")
    assert done.summary["created"] == 10
