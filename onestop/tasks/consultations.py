"""Consultations on a main permit (행정기본법 §24, 인허가의제). The partners of a request type
that deems other permits are consulted within a legal answer period (the type's consultation
period, 20 days by default); the deliberations and hearings a partner records do not count.
A consultation still unanswered when its period ends is deemed consented: the sweep finishes
it, the desk, the partner and its lead are told, and it can no longer be declined."""
from datetime import datetime

from sqlalchemy import select

from onestop import policy, workflow
from onestop.cases.models import Event
from onestop.cases.services import resolve_if_all_done
from onestop.concurrency import check_version
from onestop.errors import Invalid, InvalidTransition
from onestop.extensions import db
from onestop.i18n import lazy_gettext as _l
from onestop.statuses import RUNNING_TASK
from onestop.tasks.models import AgencyTask
from onestop.workdays.services import work_calendar

SWEEP_BATCH = 500
PAUSE_KINDS = {"deliberation": _l("Deliberation (심의)"), "hearing": _l("Hearing (청문)")}


def record_pause(actor, task: AgencyTask, kind: str, start: datetime, end: datetime, note: str,
                 *, now: datetime, version) -> None:
    """A deliberation or hearing from start to end: its working time does not count, so the
    consultation's due date moves out by it."""
    check_version(task, version)
    policy.require(actor, "task.record_pause", task)
    if not task.is_consultation or task.status not in RUNNING_TASK:
        raise InvalidTransition(_l("Only a running consultation records deliberations."))
    if kind not in PAUSE_KINDS:
        raise Invalid(_l("Choose deliberation or hearing."), field="kind")
    if end <= start:
        raise Invalid(_l("The end must come after the start."), field="end")
    if end > now:
        raise Invalid(_l("Record a deliberation or hearing once it has ended."), field="end")
    if start < task.routed_at:
        raise Invalid(_l("It cannot start before the task was received."), field="start")
    calendar = work_calendar()
    paused = calendar.working_time_between(start, end)
    before = task.due_at
    task.deliberation_seconds += int(paused.total_seconds())
    task.due_at = calendar.add_working_time(task.due_at, paused)
    db.session.add(Event(case=task.case, task=task, actor=actor, action="task.pause_recorded",
                         detail=note.strip(),
                         params={"kind": kind, "start": start.isoformat(), "end": end.isoformat(),
                                 "due_at": task.due_at.isoformat(),
                                 "previous_due_at": before.isoformat()},
                         created_at=now))


def sweep(now: datetime) -> None:
    """Consultations whose period has ended unanswered are deemed consented. Rows another
    sweep holds are skipped (PostgreSQL), and the version check refuses a second go."""
    due = db.session.scalars(select(AgencyTask).where(
        AgencyTask.is_consultation, AgencyTask.status.in_(RUNNING_TASK),
        AgencyTask.due_at <= now).order_by(AgencyTask.due_at).limit(SWEEP_BATCH)
        .with_for_update(skip_locked=True)).all()
    for task in due:
        workflow.apply_task(None, task, "deem_consent", now=now, cascade=True)
        task.case.updated_at = now  # bumps the case version: concurrent moves conflict
        resolve_if_all_done(None, task.case, now=now)
