"""Setting a task's due date by hand: the rule it departs from, and its record."""
from datetime import datetime

from sqlalchemy import ColumnElement, and_

from onestop.cases.models import Event
from onestop.deadlines import SEOUL, WorkCalendar, parse_period
from onestop.errors import Invalid
from onestop.extensions import db
from onestop.i18n import lazy_gettext as _l
from onestop.statuses import RUNNING_TASK
from onestop.tasks.models import AgencyTask

DUE_SOON_BUSINESS_DAYS = 3


def legal_due_at(task: AgencyTask, calendar: WorkCalendar) -> datetime:
    """The due date the request type's period gives the task, moved out by the working
    time it waited on the firm, the time its extensions added and, for a consultation, its
    recorded deliberations."""
    due = calendar.due_at(task.routed_at, parse_period(task.period))
    return calendar.add_working_time(due, task.waited + task.extended + task.deliberated)


def is_overdue(now: datetime) -> ColumnElement[bool]:
    """WHERE clause for tasks past their due date. A task waiting on the firm has its clock
    stopped: neither late nor due soon."""
    return and_(AgencyTask.status.in_(RUNNING_TASK), AgencyTask.due_at < now)


def is_due_soon(now: datetime, calendar: WorkCalendar) -> ColumnElement[bool]:
    """WHERE clause for running tasks due by the end of the third business day from now."""
    soon = calendar.end_of_business_day(now, DUE_SOON_BUSINESS_DAYS)
    return and_(AgencyTask.status.in_(RUNNING_TASK), AgencyTask.due_at >= now,
                AgencyTask.due_at <= soon)


def set_due(actor, task: AgencyTask, due_at: datetime, reason: str, *, now: datetime,
            calendar: WorkCalendar) -> None:
    """Give the task another due date than its rule's: never in the past, always with a
    reason, recorded for the desk and the task's organization; a date beyond the legal
    period is recorded as such."""
    reason = reason.strip()
    if not reason:
        raise Invalid(_l("Give a reason for the changed due date."), field="due_reason")
    if due_at <= now:
        raise Invalid(_l("The new due date must be in the future."), field="due_at")
    before = task.due_at
    task.due_at = due_at
    task.due_override_reason = reason
    beyond = due_at > legal_due_at(task, calendar)
    db.session.add(Event(
        case=task.case, task=task, actor=actor,
        action="task.due_beyond_period" if beyond else "task.due_changed",
        detail=f"{minute_text(before)} → {minute_text(due_at)}: {reason}", is_internal=True,
        params={"due_at": due_at.isoformat()}, created_at=now))


def minute_text(moment: datetime | None) -> str:
    return moment.astimezone(SEOUL).strftime("%Y-%m-%d %H:%M") if moment else "—"
