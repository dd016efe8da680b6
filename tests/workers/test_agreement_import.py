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
from tests.annex import zone
from tests.factories import World
from tests.workers.harness import wait_for

FIRMS = 1000  # 9,000 rows: the import writes for a few seconds


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
    assert enqueue_imports([run.id]) == 1
    worker = procs.worker(deployment)

    def writing():
        now = state(run.id)
        return now.status == "writing" and now.rows_done > 0 and now
    seen = wait_for(writing, timeout=60, interval=0.05, what="the worker writing",
                    detail=worker.log)
    assert seen.rows_done < seen.rows_total == 9 * FIRMS
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
