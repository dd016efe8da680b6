"""Service performance: each partner organization's (or request type's) open work, deadlines
kept, time to finish and its split, the desk's own time and the firms' satisfaction, over a
period. Every figure is aggregated in SQL: the statements are the same few whatever the
number of organizations, cases and tasks, and each is scoped by the policy.

Percentiles are nearest-rank (the value at rank ceil(p·n) of the n sorted values), computed
with window functions that SQLite and PostgreSQL both run. Months are Seoul months.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    case,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from onestop import policy
from onestop.cases.models import Case, SatisfactionAnswer
from onestop.catalog.models import RequestType
from onestop.deadlines import SEOUL, WorkCalendar
from onestop.extensions import db
from onestop.orgs.models import Organization
from onestop.tasks.due import is_due_soon, is_overdue
from onestop.tasks.models import AgencyTask
from onestop.workflow import ACTIVE_TASK, TaskStatus

WORKDAY_SECONDS = 8 * 3600


class GroupBy(StrEnum):
    ORGANIZATION = "organization"
    REQUEST_TYPE = "request_type"


@dataclass(frozen=True)
class Period:
    """Seoul days from `first` to `last`, both included."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), SEOUL)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(0), SEOUL)

    def months(self) -> list[date]:
        """The first day of every month the period touches."""
        month, months = self.first.replace(day=1), []
        while month <= self.last:
            months.append(month)
            month = (month + timedelta(days=32)).replace(day=1)
        return months


@dataclass
class Figures:
    """One row of the report: a partner organization, a request type, or the total."""

    subject: Any = None  # the Organization or RequestType; None for the total
    open: int = 0
    due_soon: int = 0
    overdue: int = 0
    done: int = 0
    on_time: int = 0
    median_seconds: int | None = None
    p90_seconds: int | None = None
    agency_seconds: int = 0
    waited_seconds: int = 0
    paused_seconds: int = 0
    desk_median_seconds: int | None = None
    desk_cases: int = 0
    satisfaction: float | None = None
    answers: int = 0

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.done if self.done else None

    @property
    def median_days(self) -> float | None:
        return _days(self.median_seconds)

    @property
    def p90_days(self) -> float | None:
        return _days(self.p90_seconds)

    def average_hours(self, seconds: int) -> float | None:
        return seconds / self.done / 3600 if self.done else None


@dataclass
class Month:
    month: date
    done: int = 0
    on_time: int = 0

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.done if self.done else None


@dataclass
class ServiceReport:
    period: Period
    group_by: GroupBy
    rows: list[Figures]
    total: Figures
    months: list[Month] = field(default_factory=list)


def _days(seconds: int | None) -> float | None:
    return None if seconds is None else seconds / WORKDAY_SECONDS


class seoul_month(FunctionElement):  # noqa: N801 - a SQL function, named like one
    """'YYYY-MM' of a stored UTC moment in Seoul (UTC+9 all year: Korea keeps no DST)."""

    type = String()
    inherit_cache = True


@compiles(seoul_month)
def _seoul_month_postgresql(element, compiler, **kw) -> str:
    moment = compiler.process(element.clauses, **kw)
    return f"to_char(({moment}) AT TIME ZONE 'Asia/Seoul', 'YYYY-MM')"


@compiles(seoul_month, "sqlite")
def _seoul_month_sqlite(element, compiler, **kw) -> str:
    moment = compiler.process(element.clauses, **kw)
    return f"strftime('%Y-%m', {moment}, '+9 hours')"


def _rank(rn, n, numerator: int, denominator: int) -> ColumnElement[bool]:
    """The row at nearest rank ceil(numerator/denominator · n), in integer arithmetic."""
    return rn == (numerator * n + denominator - 1) // denominator


def _task_key(group_by: GroupBy | None):
    if group_by is None:
        return literal_column("0")
    return AgencyTask.organization_id if group_by == GroupBy.ORGANIZATION \
        else Case.request_type_id


def _over_tasks(columns, group_by: GroupBy | None):
    stmt = select(_task_key(group_by).label("g"), *columns).select_from(AgencyTask)
    return stmt.join(Case, Case.id == AgencyTask.case_id) \
        if group_by == GroupBy.REQUEST_TYPE else stmt


def _done_in(period: Period) -> ColumnElement[bool]:
    return and_(AgencyTask.status == TaskStatus.DONE, AgencyTask.finished_at >= period.start,
                AgencyTask.finished_at < period.end)


ON_TIME = case((AgencyTask.finished_at <= AgencyTask.due_at, 1), else_=0)


def _work_now(actor, group_by, now: datetime, calendar: WorkCalendar) -> dict:
    """Open, overdue and due-soon tasks right now (the period does not matter)."""
    rows = _over_tasks([
        func.count().label("open"),
        func.count(case((is_due_soon(now, calendar), 1))).label("due_soon"),
        func.count(case((is_overdue(now), 1))).label("overdue"),
    ], group_by).where(AgencyTask.status.in_(ACTIVE_TASK), policy.visible_tasks(actor))
    if group_by:
        rows = rows.group_by(_task_key(group_by))
    return {row.g: row._asdict() for row in db.session.execute(rows)}


def _finished(actor, group_by, period: Period) -> dict:
    """Tasks done in the period: on time, working time to finish (median, 90th percentile)
    and the time split."""
    key = _task_key(group_by) if group_by else None
    done = _over_tasks([
        AgencyTask.agency_seconds.label("s"), AgencyTask.waited_seconds.label("w"),
        AgencyTask.paused_seconds.label("p"), ON_TIME.label("on_time"),
        func.row_number().over(partition_by=key, order_by=(AgencyTask.agency_seconds,
                                                           AgencyTask.id)).label("rn"),
        func.count().over(partition_by=key).label("n"),
    ], group_by).where(_done_in(period), policy.visible_tasks(actor)).subquery()
    rows = select(
        done.c.g, func.count().label("done"), func.sum(done.c.on_time).label("on_time"),
        func.sum(done.c.s).label("agency_seconds"), func.sum(done.c.w).label("waited_seconds"),
        func.sum(done.c.p).label("paused_seconds"),
        func.max(case((_rank(done.c.rn, done.c.n, 1, 2), done.c.s))).label("median_seconds"),
        func.max(case((_rank(done.c.rn, done.c.n, 9, 10), done.c.s))).label("p90_seconds"),
    ).group_by(done.c.g)
    return {row.g: row._asdict() for row in db.session.execute(rows)}


def _desk(actor, group_by, period: Period) -> dict:
    """The desk's own working time from filing to acceptance, of the cases accepted in the
    period: its median, per request type (the desk's time belongs to no partner)."""
    key = Case.request_type_id if group_by == GroupBy.REQUEST_TYPE else None
    accepted = select(
        (key if key is not None else literal_column("0")).label("g"),
        Case.desk_seconds.label("s"),
        func.row_number().over(partition_by=key, order_by=(Case.desk_seconds, Case.id))
        .label("rn"),
        func.count().over(partition_by=key).label("n"),
    ).where(Case.accepted_at >= period.start, Case.accepted_at < period.end,
            Case.desk_seconds.is_not(None), policy.visible_cases(actor)).subquery()
    rows = select(accepted.c.g, func.count().label("desk_cases"),
                  func.max(case((_rank(accepted.c.rn, accepted.c.n, 1, 2), accepted.c.s)))
                  .label("desk_median_seconds")).group_by(accepted.c.g)
    return {row.g: row._asdict() for row in db.session.execute(rows)}


def _satisfaction(actor, group_by, period: Period) -> dict:
    """The firms' answers in the period about cases on which the group's tasks were done
    (per organization, a case counts once for each organization that did work on it)."""
    answered = and_(SatisfactionAnswer.answered_at >= period.start,
                    SatisfactionAnswer.answered_at < period.end)
    figures = (func.avg(SatisfactionAnswer.score).label("satisfaction"),
               func.count().label("answers"))
    worked = select(AgencyTask.case_id, AgencyTask.organization_id).where(
        AgencyTask.status == TaskStatus.DONE, policy.visible_tasks(actor))
    if group_by == GroupBy.ORGANIZATION:
        pairs = worked.distinct().subquery()
        rows = select(pairs.c.organization_id.label("g"), *figures).join(
            pairs, pairs.c.case_id == SatisfactionAnswer.case_id
        ).where(answered).group_by(pairs.c.organization_id)
    else:
        key = Case.request_type_id if group_by else literal_column("0")
        rows = select(key.label("g"), *figures).join(
            Case, Case.id == SatisfactionAnswer.case_id).where(
            answered, Case.id.in_(worked.with_only_columns(AgencyTask.case_id)))
        rows = rows.group_by(Case.request_type_id) if group_by else rows
    return {row.g: {"satisfaction": float(row.satisfaction) if row.satisfaction is not None
                    else None, "answers": row.answers}
            for row in db.session.execute(rows)}


def _months(actor, period: Period) -> list[Month]:
    """Tasks done and done on time in each Seoul month of the period."""
    done = select(seoul_month(AgencyTask.finished_at).label("m"), ON_TIME.label("on_time")) \
        .where(_done_in(period), policy.visible_tasks(actor)).subquery()
    found = {row.m: row for row in db.session.execute(
        select(done.c.m, func.count().label("done"), func.sum(done.c.on_time).label("on_time"))
        .group_by(done.c.m))}
    months = []
    for month in period.months():
        row = found.get(f"{month:%Y-%m}")
        months.append(Month(month, row.done, row.on_time) if row else Month(month))
    return months


def _subjects(actor, group_by: GroupBy, keys: set) -> list:
    """The report's rows: every partner organization the user may see (active, or with
    figures), or every request type with figures."""
    if group_by == GroupBy.ORGANIZATION:
        return list(db.session.scalars(
            select(Organization).where(policy.visible_service_orgs(actor),
                                       or_(Organization.is_active, Organization.id.in_(keys)))
            .order_by(Organization.name)))
    return list(db.session.scalars(select(RequestType).where(RequestType.id.in_(keys))
                                   .order_by(RequestType.category, RequestType.name)))


def _figures(subject, key, *parts: dict) -> Figures:
    values: dict = {}
    for part in parts:
        values.update({k: v for k, v in part.get(key, {}).items() if k != "g" and v is not None})
    return Figures(subject=subject, **{k: int(v) if k != "satisfaction" else v
                                       for k, v in values.items()})


def service_report(actor, period: Period, group_by: GroupBy, *, now: datetime,
                   calendar: WorkCalendar) -> ServiceReport:
    """The service figures of the period, one row per organization or request type the
    actor may see, and their total."""
    policy.require(actor, "report.service")
    grouped = [_work_now(actor, group_by, now, calendar), _finished(actor, group_by, period),
               _satisfaction(actor, group_by, period)]
    if group_by == GroupBy.REQUEST_TYPE:
        grouped.append(_desk(actor, group_by, period))
    keys = set().union(*grouped)
    rows = [_figures(subject, subject.id, *grouped)
            for subject in _subjects(actor, group_by, keys)]
    totals = [_work_now(actor, None, now, calendar), _finished(actor, None, period),
              _satisfaction(actor, None, period), _desk(actor, None, period)]
    return ServiceReport(period=period, group_by=group_by, rows=rows,
                         total=_figures(None, 0, *totals), months=_months(actor, period))
