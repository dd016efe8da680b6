"""SQLite as the embedded default: the web side, a worker and beat write one file at once.

Two processes make changes through the app's services (as the web server would), a real
Celery worker delivers the notifications they queue and runs the reminder sweep that beat
sends it every second; the broker is the default SQLite one. None of them may fail with
"database is locked" (WAL and a busy timeout on every SQLite connection, onestop/app.py),
and every row a process committed is there afterwards."""
import sys

from sqlalchemy import func, select, text

from onestop.cases.models import Case, Comment
from onestop.extensions import db
from onestop.notifications import reminders
from onestop.notifications.models import Notification, Status
from tests.factories import World
from tests.workers.harness import ROOT, Deployment, Processes, wait_for

ROUNDS = 40
LOCKED = ("database is locked", "database table is locked", "OperationalError")


def _written(process, kind: str) -> list[int]:
    return [int(line.split()[1]) for line in process.log().splitlines()
            if line.startswith(f"{kind} ")]


def _queued() -> int:
    db.session.rollback()  # a fresh read: the others write from their own processes
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.status == Status.QUEUED))


def test_web_worker_and_beat_write_one_sqlite_file_at_once_and_lose_nothing(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    deployment = Deployment(f"sqlite:///{instance / 'onestop.sqlite'}",
                            f"sqla+sqlite:///{instance / 'broker.sqlite'}", instance,
                            {"REMINDER_SWEEP_SECONDS": "1"})
    context = deployment.app().app_context()
    context.push()
    processes = Processes()
    try:
        db.create_all()
        World.build()
        reminders.ensure_default_rules()
        db.session.commit()
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        worker = processes.worker(deployment, concurrency=2, ready_timeout=60)
        beat = processes.beat(deployment)
        go = instance / "go"
        writers = [processes.start(role, [sys.executable, "-m", "tests.workers.sqlite_writer",
                                          role, str(ROUNDS), str(go)], deployment,
                                   {"PYTHONPATH": str(ROOT)})
                   for role in ("desk", "firm")]
        wait_for(lambda: all("ready" in w.log() or w.popen.poll() is not None for w in writers),
                 timeout=60, what="writers ready", detail=lambda: [w.log() for w in writers])
        go.touch()  # all at once
        for writer in writers:
            wait_for(lambda w=writer: w.popen.poll() is not None, timeout=120,
                     what=f"{writer.name} done", detail=writer.log)
            assert writer.popen.returncode == 0, writer.log()
            assert "done" in writer.log()
        # The worker delivers what they queued meanwhile, beat's sweeps running beside it.
        wait_for(lambda: _queued() == 0, timeout=120, what="every notification delivered",
                 detail=worker.log)
        assert "Sending due task reminder-sweep" in beat.log()
        for process in (*writers, worker, beat):
            assert not any(word in process.log() for word in LOCKED), process.log()[-3000:]
        # Nothing a process committed is missing.
        db.session.rollback()
        filed = [case_id for w in writers for case_id in _written(w, "case")]
        assert len(filed) == len(set(filed)) == 2 * ROUNDS
        assert db.session.scalar(select(func.count(Case.id)).where(Case.id.in_(filed))) \
            == 2 * ROUNDS
        routed = db.session.scalars(select(Case).where(Case.id.in_(_written(writers[0], "case"))))
        assert all(case.status == "in_progress" and case.tasks for case in routed)
        comments = _written(writers[1], "comment")
        assert len(comments) == ROUNDS and db.session.scalar(select(func.count(Comment.id)).where(
            Comment.id.in_(comments))) == ROUNDS
        assert db.session.scalar(select(func.count(Notification.id)).where(
            Notification.status == Status.SENT)) > 0
    finally:
        processes.stop_all()
        db.session.remove()
        db.engine.dispose()
        context.pop()
