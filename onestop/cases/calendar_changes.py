"""A change to the government offices' calendar (관공서의 공휴일에 관한 규정): an admin adds a
non-working day, marks a listed holiday as a working day, or undoes either. Every running
due date the day falls inside is recomputed with the new calendar, and its holders told; a
date the desk set by hand stays as it set it."""
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from onestop.cases.models import Case, Event
from onestop.cases.services import review_due
from onestop.deadlines import SEOUL, WorkCalendar, parse_period
from onestop.extensions import db
from onestop.statuses import ACTIVE_TASK, ROUTABLE_CASE, CaseStatus
from onestop.tasks.due import legal_due_at
from onestop.tasks.models import AgencyTask
from onestop.workdays.models import ExtraHoliday
from onestop.workdays.services import add_extra_holiday, remove_extra_holiday, work_calendar


def add_day(actor, day: date, name: str, *, working: bool,
            now: datetime) -> tuple[date, int]:
    """Add the change and recompute; returns the day and how many due dates moved."""
    before = work_calendar()
    add_extra_holiday(actor, day, name, working=working, now=now)
    return day, _recompute(actor, day, name, before, work_calendar(), now)


def remove_day(actor, holiday: ExtraHoliday, *, now: datetime) -> tuple[date, int]:
    day, name = holiday.day, holiday.name
    before = work_calendar()
    remove_extra_holiday(actor, holiday, now=now)
    db.session.flush()
    return day, _recompute(actor, day, name, before, work_calendar(), now)


def _recompute(actor, day: date, name: str, before: WorkCalendar, after: WorkCalendar,
               now: datetime) -> int:
    start = datetime.combine(day, time(0), SEOUL)
    end = start + timedelta(days=1)
    detail = f"{day.isoformat()}: {name}"
    moved = 0
    for task in db.session.scalars(select(AgencyTask).where(
            AgencyTask.status.in_(ACTIVE_TASK), AgencyTask.routed_at < end,
            AgencyTask.due_at >= start, AgencyTask.due_override_reason == "")):
        due = legal_due_at(task, after)
        if due != task.due_at:
            task.due_at = due
            db.session.add(Event(case=task.case, task=task, actor=actor,
                                 action="task.due_recomputed", detail=detail,
                                 params={"due_at": due.isoformat()}, created_at=now))
            moved += 1
    for case in db.session.scalars(select(Case).where(
            Case.status.in_(ROUTABLE_CASE), Case.accepted_at < end, Case.due_at >= start)):
        # The case keeps the working time it waited on the firm, counted on the new calendar.
        period = parse_period(case.request_type.period)
        waited = before.working_time_between(before.due_at(case.accepted_at, period),
                                             case.due_at)
        due = after.add_working_time(after.due_at(case.accepted_at, period), waited)
        if due != case.due_at:
            case.due_at = due
            db.session.add(Event(case=case, actor=actor, action="case.due_recomputed",
                                 detail=detail, params={"due_at": due.isoformat()},
                                 created_at=now))
            moved += 1
    for case in db.session.scalars(select(Case).where(
            Case.status == CaseStatus.SUBMITTED, Case.submitted_at < end,
            Case.review_due_at >= start)):
        case.review_due_at = review_due(case.submitted_at, after)
    return moved
