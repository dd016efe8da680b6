"""Agreement imports: an admin's upload queued for a worker; the worker's run, checked and
written all or nothing under a lease, its progress written through a connection of its own;
and the sweep that queues again (or gives up) a run whose worker died."""
import threading
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import get_locale
from sqlalchemy import select, update

from onestop import policy
from onestop.commitments import importer, sheets
from onestop.commitments.cells import MESSAGES as CELL_MESSAGES
from onestop.commitments.models import RUNNING, ImportRun, RunStatus
from onestop.errors import Invalid
from onestop.extensions import db
from onestop.i18n import lazy_gettext as _l
from onestop.notifications.lease import Clock
from onestop.storage import clean_filename, read_stored, store_upload

MESSAGES = {
    **CELL_MESSAGES,
    "worker_lost": _l("The import stopped %(n)d times before it finished (its worker "
                      "stopped), and nothing was imported. Upload the file again."),
    "crashed": _l("The import failed on an unexpected error, and nothing was imported. Upload "
                  "the file again; if it fails again, tell the system administrator."),
}
STATUS_LABELS = {
    RunStatus.QUEUED: _l("Waiting for a worker"),
    RunStatus.CHECKING: _l("Checking the rows"),
    RunStatus.WRITING: _l("Importing"),
    RunStatus.DONE: _l("Imported"),
    RunStatus.INVALID: _l("Not imported: rows to correct"),
    RunStatus.FAILED: _l("Not imported: failed"),
}
# The error report keeps this many errors (the summary counts them all).
ERRORS_KEPT = 1000
PROGRESS_SECONDS = 0.5


def _lease() -> timedelta:
    return timedelta(seconds=current_app.config["IMPORT_LEASE_SECONDS"])


def start_import(actor, filename: str, data: bytes, *, now: datetime) -> ImportRun:
    """Store an uploaded workbook and queue its import (the caller enqueues it once this is
    committed)."""
    policy.require(actor, "commitment.import")
    if not clean_filename(filename).lower().endswith(".xlsx"):
        raise Invalid(_l("Choose an Excel workbook (.xlsx), such as the template."),
                      field="file")
    try:
        stored = store_upload(db.session, filename, data)
    except Invalid as error:
        raise Invalid(error.message, field="file") from None
    run = ImportRun(created_by=actor, filename=stored["filename"],
                    storage_key=stored["storage_key"], status=RunStatus.QUEUED,
                    lease_until=now + _lease(), created_at=now)
    db.session.add(run)
    db.session.flush()
    return run


def _error(code: str, **params) -> dict:
    return {"sheet": "", "row": None, "column": None, "cell": None, "code": code,
            "params": params}


def run_import(run_id: int, now: datetime) -> str:
    """The worker's part: claim the run, check every row, write them all in one transaction
    and mark the run done in it, or mark it invalid with the errors. Returns the outcome."""
    clock = Clock(now)
    attempt = _claim(run_id, now)
    if attempt is None:
        return "not-claimed"
    run = db.session.get(ImportRun, run_id)
    try:
        with Progress(run_id, attempt, clock) as progress:
            status, values = _import(run, progress, now)
    except Exception:  # noqa: BLE001 - any failure ends the run; a rerun would fail alike
        db.session.rollback()
        current_app.logger.exception("import run %s failed", run_id)
        status, values = RunStatus.FAILED, {"errors": [_error("crashed")]}
    return _finish(run_id, attempt, status, clock(), values)


def _import(run: ImportRun, progress: "Progress", now: datetime) -> tuple[str, dict]:
    try:
        data = read_stored(run.storage_key)
    except FileNotFoundError:
        return RunStatus.FAILED, {"errors": [_error("unreadable")]}
    plan = importer.check(data, total=progress.set_total, step=progress.step)
    if plan.errors:
        return RunStatus.INVALID, {"errors": plan.errors[:ERRORS_KEPT], "summary": {
            "rows": plan.rows, "errors": len(plan.errors)}}
    progress.stage(RunStatus.WRITING, plan.rows)
    summary = importer.write(plan, actor_id=run.created_by_id, run_id=run.id, now=now,
                             step=progress.step)
    return RunStatus.DONE, {"summary": {**summary, "rows": plan.rows},
                            "rows_total": plan.rows, "rows_done": plan.rows}


def _claim(run_id: int, now: datetime) -> int | None:
    """Take a queued run for this worker; committed at once. Returns the attempt number."""
    taken = db.session.execute(update(ImportRun).where(
        ImportRun.id == run_id, ImportRun.status == RunStatus.QUEUED).values(
        status=RunStatus.CHECKING, attempts=ImportRun.attempts + 1, rows_total=0,
        rows_done=0, errors=[], lease_until=now + _lease())).rowcount
    db.session.commit()
    if not taken:
        return None
    return db.session.scalar(select(ImportRun.attempts).where(ImportRun.id == run_id))


def _finish(run_id: int, attempt: int, status: str, now: datetime, values: dict) -> str:
    """End the run in the import's own transaction, so its rows and its "done" commit
    together, and only if no later worker has taken the run over meanwhile."""
    ended = db.session.execute(update(ImportRun).where(
        ImportRun.id == run_id, ImportRun.attempts == attempt, ImportRun.status.in_(RUNNING))
        .values(status=status, finished_at=now, lease_until=None, **values)).rowcount
    if not ended:
        db.session.rollback()
        current_app.logger.warning("import run %s was taken over; its work is undone", run_id)
        return "taken-over"
    db.session.commit()
    return str(status)


class Progress:
    """The run's stage, row counts and lease, written every PROGRESS_SECONDS by a thread
    through a connection of its own, so the page sees them while the import's transaction
    is still open; a worker that dies stops renewing its lease."""

    def __init__(self, run_id: int, attempt: int, clock: Clock) -> None:
        self.run_id, self.attempt, self.clock = run_id, attempt, clock
        self.status, self.total, self.done = RunStatus.CHECKING, 0, 0
        self.engine, self.logger = db.engine, current_app.logger
        self.lease = _lease()
        # SQLite has one writer at a time: while the import writes, progress waits.
        self.concurrent_writes = db.engine.dialect.name != "sqlite"
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._keep, name=f"import-{run_id}",
                                        daemon=True)

    def set_total(self, rows: int) -> None:
        self.total = rows

    def step(self, rows: int = 1) -> None:
        self.done += rows

    def stage(self, status: str, total: int) -> None:
        """Move to the next stage, written at once (before the import starts writing). Where
        progress cannot be written while the import writes, the stage shows no count."""
        shown = total if self.concurrent_writes or status != RunStatus.WRITING else 0
        self.status, self.total, self.done = status, shown, 0
        self._write()

    def _keep(self) -> None:
        while not self._stop.wait(PROGRESS_SECONDS):
            if self.concurrent_writes or self.status != RunStatus.WRITING:
                self._write()

    def _write(self) -> None:
        with self._lock:
            try:
                with self.engine.begin() as connection:
                    connection.execute(update(ImportRun).where(
                        ImportRun.id == self.run_id, ImportRun.attempts == self.attempt,
                        ImportRun.status.in_(RUNNING)).values(
                        status=self.status, rows_total=self.total,
                        rows_done=min(self.done, self.total),
                        lease_until=self.clock() + self.lease))
            except Exception:  # noqa: BLE001 - the database away for a moment: next time
                self.logger.warning("import run %s: progress not written", self.run_id,
                                    exc_info=True)

    def __enter__(self) -> "Progress":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def requeue_stalled(now: datetime) -> list[int]:
    """Runs whose worker died (the lease lapsed) or whose queue message seems lost: queued
    again, or, after IMPORT_MAX_ATTEMPTS workers, failed with a message. Nothing of a dead
    worker's import was committed, so a rerun starts from a clean slate. Returns the ids to
    enqueue after the commit."""
    attempts = current_app.config["IMPORT_MAX_ATTEMPTS"]
    requeued = []
    for run in db.session.scalars(select(ImportRun).where(
            ImportRun.status.in_([RunStatus.QUEUED, *RUNNING]), ImportRun.lease_until < now)
            .with_for_update(skip_locked=True)):
        if run.status != RunStatus.QUEUED and run.attempts >= attempts:
            run.status, run.finished_at, run.lease_until = RunStatus.FAILED, now, None
            run.errors = [_error("worker_lost", n=run.attempts)]
            current_app.logger.warning("import run %s given up after %s attempts", run.id,
                                       run.attempts)
        else:
            run.status, run.rows_done, run.lease_until = RunStatus.QUEUED, 0, now + _lease()
            requeued.append(run.id)
    return requeued


def visible_runs():
    """The list of past runs, newest first."""
    return select(ImportRun).order_by(ImportRun.created_at.desc(), ImportRun.id.desc())


def describe(error: dict) -> dict:
    """One error as the reader sees it: sheet and column named in their language."""
    locale = str(get_locale() or "ko")
    sheet = sheets.SHEET_BY_KEY.get(error.get("sheet") or "")
    column = error.get("column")
    message = MESSAGES.get(error["code"], error["code"])
    return {"sheet": sheet.label(locale) if sheet else "", "row": error.get("row"),
            "cell": error.get("cell") or "",
            "column": sheet.column(column).label(locale) if sheet and column else "",
            "message": str(message) % error.get("params", {})}


def progress_of(run: ImportRun) -> dict:
    """The run's state for its page and its JSON status."""
    return {"status": run.status, "label": str(STATUS_LABELS[run.status]),
            "rows_total": run.rows_total, "rows_done": min(run.rows_done, run.rows_total),
            "finished": run.status not in (RunStatus.QUEUED, *RUNNING)}
