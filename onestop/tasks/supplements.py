"""Supplement deadlines (민원처리법 §22, 시행령 §24–25). A partner's information request gives
the firm a deadline (the request type's supplement period unless the partner sets another);
the firm may ask once for more time; when the deadline passes unanswered the sweep reminds
the firm with a second one, and when that passes too the desk may return the request (반려).
The waiting never counts against the partner: its clock is stopped meanwhile."""
from datetime import datetime, timedelta

from sqlalchemy import select, update

from onestop import policy
from onestop.cases.models import Event
from onestop.concurrency import check_version
from onestop.deadlines import WorkCalendar, parse_period
from onestop.errors import Invalid, InvalidTransition
from onestop.extensions import db
from onestop.i18n import lazy_gettext as _l
from onestop.statuses import TaskStatus
from onestop.tasks.models import AgencyTask
from onestop.workdays.services import work_calendar

SWEEP_BATCH = 500
LONGEST = timedelta(days=366)  # a deadline a partner sets


def next_deadline(task: AgencyTask, start: datetime, calendar: WorkCalendar) -> datetime:
    """The request type's supplement period counted from start."""
    return calendar.due_at(start, parse_period(task.case.request_type.supplement_period))


def deadline_for(task: AgencyTask, due_at: datetime | None, *, now: datetime) -> datetime:
    """The deadline of a new information request: the one given, or the default."""
    if due_at is not None and not now < due_at <= now + LONGEST:
        raise Invalid(_l("The supplement deadline must be in the future, within a year."),
                      field="supplement_due")
    return due_at or next_deadline(task, now, work_calendar())


def start(task: AgencyTask, due_at: datetime) -> None:
    """A new information request: its deadline runs afresh."""
    task.supplement_due_at = due_at
    task.supplement_more_time = task.supplement_reminded = False
    task.supplement_lapsed_at = None


def ask_more_time(actor, task: AgencyTask, *, now: datetime, version=None) -> None:
    """The firm asks once for more time: the deadline moves out by the supplement period.
    version is the case's, as the firm read it (None: not checked)."""
    policy.require(actor, "case.answer", task.case)
    check_version(task.case, version)
    if task.status != TaskStatus.WAITING_ON_FIRM or task.supplement_due_at is None:
        raise InvalidTransition(_l("No supplement deadline runs on this question."))
    if task.supplement_more_time or task.supplement_reminded:
        raise Invalid(_l("Your firm has had its extra time on this question already."))
    task.supplement_more_time = True
    task.supplement_due_at = next_deadline(task, task.supplement_due_at, work_calendar())
    db.session.add(Event(case=task.case, task=task, actor=actor,
                         action="task.supplement_more_time",
                         params={"due_at": task.supplement_due_at.isoformat()},
                         created_at=now))
    task.case.updated_at = now  # the firm's page changed: its forms' versions move


def sweep(now: datetime) -> None:
    """Deadlines that passed: the first gets a reminder with a second deadline, the second
    is recorded as lapsed. Each task is claimed by an update of its own deadline, so two
    sweeps at once act once."""
    calendar = work_calendar()
    due = db.session.scalars(select(AgencyTask).where(
        AgencyTask.supplement_due_at <= now,
        AgencyTask.status == TaskStatus.WAITING_ON_FIRM)
        .order_by(AgencyTask.supplement_due_at).limit(SWEEP_BATCH)).all()
    for task in due:
        passed = task.supplement_due_at
        if task.supplement_reminded:
            changes, action = {"supplement_due_at": None, "supplement_lapsed_at": now}, \
                "task.supplement_lapsed"
        else:
            changes, action = {"supplement_due_at": next_deadline(task, now, calendar),
                               "supplement_reminded": True}, "task.supplement_reminded"
        claimed = db.session.execute(
            update(AgencyTask).where(AgencyTask.id == task.id,
                                     AgencyTask.supplement_due_at == passed,
                                     AgencyTask.version == task.version)
            .values(**changes, version=AgencyTask.version + 1)
            .execution_options(synchronize_session=False))
        if not claimed.rowcount:
            continue
        db.session.refresh(task)
        db.session.add(Event(case=task.case, task=task, action=action,
                             params={"due_at": (task.supplement_due_at or passed).isoformat()},
                             created_at=now))
