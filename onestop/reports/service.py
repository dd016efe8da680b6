"""Service performance: each partner organization's (or request type's) open work, deadlines
kept, time to finish and its split, the desk's own time and the firms' satisfaction, over a
period. Every figure is aggregated in SQL: the statements are the same few whatever the
number of organizations, cases and tasks, and each is scoped by the policy.

Percentiles are nearest-rank (the value at rank ceil(p·n) of the n sorted values: the smallest
whose cume_dist() reaches p): PostgreSQL's percentile_disc, and on SQLite the same value read
off a cume_dist() window. Months are Seoul months.
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
    distinct,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from onestop import policy
from onestop.cases.models import Case, SatisfactionAnswer
from onestop.catalog.models import RequestType
from onestop.deadlines import SEOUL, WorkCalendar
from onestop.extensions import db
from onestop.orgs.models import Organization
from onestop.statuses import ACTIVE_TASK, CaseStatus, TaskStatus
from onestop.tasks.due import is_due_soon, is_overdue
from onestop.tasks.models import AgencyTask

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
    extended_seconds: int = 0  # working time added by extensions, apart from the period
    extended: int = 0          # tasks finished in the period whose period was extended
    transferred: int = 0       # tasks handed to the competent organization in the period
    returned: int = 0          # requests returned (반려) for want of a supplement
    deemed: int = 0            # consultations whose consent was deemed given
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


def _has_percentile_disc() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _cume_dist(**window):
    """The window the SQLite form of _percentile reads; PostgreSQL needs none (its
    percentile_disc sorts each group itself, about twice as fast at 100k cases)."""
    return null() if _has_percentile_disc() else func.cume_dist().over(**window)


def _percentile(cume_dist, column, share: float, name: str):
    """Nearest rank: the smallest value at least `share` of the values do not exceed (what
    PostgreSQL's percentile_disc returns; on SQLite read off the cume_dist() window)."""
    if _has_percentile_disc():
        return func.percentile_disc(share).within_group(column).label(name)
    return func.min(case((cume_dist >= share, column))).label(name)


# Each statement answers per group and for the total (and per month) at once: a CTE read by
# the branches of a UNION ALL, told apart by their `part`.
GROUP, TOTAL, MONTH = (literal_column(f"'{part}'").label("part") for part in "gtm")


def _parts(rows) -> tuple[dict, dict, dict]:
    parts: dict[str, dict] = {"g": {}, "t": {}, "m": {}}
    for row in db.session.execute(rows):
        values = row._asdict()
        parts[values.pop("part")][values.pop("g") if row.part != "m" else values["m"]] = values
    return parts["g"], parts["t"].get(None, {}), parts["m"]


def _task_key(group_by: GroupBy):
    return AgencyTask.organization_id if group_by == GroupBy.ORGANIZATION \
        else Case.request_type_id


def _over_tasks(columns, group_by: GroupBy):
    stmt = select(_task_key(group_by).label("g"), *columns).select_from(AgencyTask)
    return stmt.join(Case, Case.id == AgencyTask.case_id) \
        if group_by == GroupBy.REQUEST_TYPE else stmt


def _done_in(period: Period) -> ColumnElement[bool]:
    return and_(AgencyTask.status == TaskStatus.DONE, AgencyTask.finished_at >= period.start,
                AgencyTask.finished_at < period.end)


ON_TIME = case((AgencyTask.finished_at <= AgencyTask.due_at, 1), else_=0)


def _work_now(actor, group_by, now: datetime, calendar: WorkCalendar) -> dict:
    """Open, overdue and due-soon tasks right now (the period does not matter); each task is
    in one group, so the total is their sum."""
    rows = _over_tasks([
        func.count().label("open"),
        func.count(case((is_due_soon(now, calendar), 1))).label("due_soon"),
        func.count(case((is_overdue(now), 1))).label("overdue"),
    ], group_by).where(AgencyTask.status.in_(ACTIVE_TASK), policy.visible_tasks(actor))
    return {row.g: row._asdict() for row in db.session.execute(
        rows.group_by(_task_key(group_by)))}


def _finished(actor, group_by, period: Period) -> tuple[dict, dict, dict]:
    """Tasks done in the period: on time, working time to finish (median, 90th percentile)
    and the time split, per group and in total; and per Seoul month."""
    key = _task_key(group_by)
    order = AgencyTask.agency_seconds
    done = _over_tasks([
        AgencyTask.agency_seconds.label("s"), AgencyTask.waited_seconds.label("w"),
        AgencyTask.paused_seconds.label("p"), AgencyTask.extended_seconds.label("x"),
        ON_TIME.label("on_time"),
        seoul_month(AgencyTask.finished_at).label("m"),
        _cume_dist(partition_by=key, order_by=order).label("cd"),
        _cume_dist(order_by=order).label("cd_all"),
    ], group_by).where(_done_in(period), policy.visible_tasks(actor)).cte("done")
    c = done.c

    def figures(cume_dist):
        return (func.count().label("done"), func.sum(c.on_time).label("on_time"),
                func.sum(c.s).label("agency_seconds"), func.sum(c.w).label("waited_seconds"),
                func.sum(c.p).label("paused_seconds"), func.sum(c.x).label("extended_seconds"),
                _percentile(cume_dist, c.s, 0.5, "median_seconds"),
                _percentile(cume_dist, c.s, 0.9, "p90_seconds"))

    nothing = [null()] * 6
    return _parts(union_all(
        select(GROUP, c.g, null().label("m"), *figures(c.cd)).group_by(c.g),
        select(TOTAL, null(), null(), *figures(c.cd_all)),
        select(MONTH, null(), c.m, func.count(), func.sum(c.on_time), *nothing).group_by(c.m)))


def _law_clock(actor, group_by, period: Period) -> tuple[dict, dict]:
    """Of the tasks finished in the period: those finished after an extension of their
    period, those transferred to the competent organization (counted for the one that
    transferred), the consultations deemed consented, and the requests returned for want of
    a supplement (for each group that had a task on one)."""
    returned = and_(AgencyTask.status == TaskStatus.CANCELLED,
                    Case.status == CaseStatus.RETURNED)
    counts = [
        func.sum(case((and_(AgencyTask.status == TaskStatus.DONE,
                            AgencyTask.extended_seconds > 0), 1), else_=0)).label("extended"),
        func.sum(case((AgencyTask.status == TaskStatus.TRANSFERRED, 1), else_=0))
        .label("transferred"),
        func.sum(case((AgencyTask.status == TaskStatus.DEEMED_CONSENTED, 1), else_=0))
        .label("deemed"),
        func.count(distinct(case((returned, AgencyTask.case_id)))).label("returned")]
    finished = (AgencyTask.status.in_((TaskStatus.DONE, TaskStatus.TRANSFERRED,
                                       TaskStatus.DEEMED_CONSENTED, TaskStatus.CANCELLED)),
                AgencyTask.finished_at >= period.start, AgencyTask.finished_at < period.end,
                policy.visible_tasks(actor))
    tasks = select(null().label("g"), TOTAL, *counts).select_from(AgencyTask) \
        .join(Case, Case.id == AgencyTask.case_id).where(*finished)
    grouped = tasks.with_only_columns(_task_key(group_by).label("g"), GROUP, *counts) \
        .group_by(_task_key(group_by))
    grouped, totals, _ = _parts(union_all(grouped, tasks))
    return grouped, totals


def _desk(actor, group_by, period: Period) -> tuple[dict, dict]:
    """The desk's own working time from filing to acceptance, of the cases accepted in the
    period: its median in total and per request type (it belongs to no partner)."""
    by_type = group_by == GroupBy.REQUEST_TYPE
    accepted = select(
        Case.request_type_id.label("g"), Case.desk_seconds.label("s"),
        _cume_dist(partition_by=Case.request_type_id, order_by=Case.desk_seconds).label("cd"),
        _cume_dist(order_by=Case.desk_seconds).label("cd_all"),
    ).where(Case.accepted_at >= period.start, Case.accepted_at < period.end,
            Case.desk_seconds.is_not(None), policy.visible_cases(actor)).cte("accepted")
    c = accepted.c
    total = select(TOTAL, null().label("g"), func.count().label("desk_cases"),
                   _percentile(c.cd_all, c.s, 0.5, "desk_median_seconds"))
    per_type = select(GROUP, c.g, func.count(), _percentile(c.cd, c.s, 0.5, "m")).group_by(c.g)
    grouped, totals, _ = _parts(union_all(total, per_type) if by_type else total)
    return grouped, totals


def _satisfaction(actor, group_by, period: Period) -> tuple[dict, dict]:
    """The firms' answers in the period about cases on which the group's tasks were done
    (per organization, an answer counts once for each organization that did work on it)."""
    answered = and_(SatisfactionAnswer.answered_at >= period.start,
                    SatisfactionAnswer.answered_at < period.end)
    done_here = and_(AgencyTask.status == TaskStatus.DONE, policy.visible_tasks(actor))
    total = select(TOTAL, null().label("g"),
                   func.avg(SatisfactionAnswer.score).label("satisfaction"),
                   func.count().label("answers")).where(
        answered, SatisfactionAnswer.case_id.in_(select(AgencyTask.case_id).where(done_here)))
    if group_by == GroupBy.ORGANIZATION:
        pairs = select(SatisfactionAnswer.id, SatisfactionAnswer.score,
                       AgencyTask.organization_id.label("g")).join(
            AgencyTask, and_(AgencyTask.case_id == SatisfactionAnswer.case_id, done_here)
        ).where(answered).distinct().subquery()
        grouped = select(GROUP, pairs.c.g, func.avg(pairs.c.score), func.count()) \
            .group_by(pairs.c.g)
    else:
        grouped = total.with_only_columns(
            GROUP, Case.request_type_id, func.avg(SatisfactionAnswer.score), func.count()
        ).join(Case, Case.id == SatisfactionAnswer.case_id).group_by(Case.request_type_id)
    grouped, totals, _ = _parts(union_all(total, grouped))
    for values in (*grouped.values(), totals):
        if values.get("satisfaction") is not None:
            values["satisfaction"] = float(values["satisfaction"])
    return grouped, totals


def _months(found: dict, period: Period) -> list[Month]:
    months = []
    for month in period.months():
        row = found.get(f"{month:%Y-%m}")
        months.append(Month(month, row["done"], row["on_time"]) if row else Month(month))
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


def _figures(subject, *parts: dict) -> Figures:
    values: dict = {}
    for part in parts:
        values.update({k: v for k, v in part.items() if v is not None})
    values.pop("m", None)
    values.pop("g", None)
    return Figures(subject=subject, **{k: int(v) if k != "satisfaction" else v
                                       for k, v in values.items()})


def service_report(actor, period: Period, group_by: GroupBy, *, now: datetime,
                   calendar: WorkCalendar) -> ServiceReport:
    """The service figures of the period, one row per organization or request type the
    actor may see, and their total."""
    policy.require(actor, "report.service")
    work = _work_now(actor, group_by, now, calendar)
    finished, finished_total, months = _finished(actor, group_by, period)
    answers, answers_total = _satisfaction(actor, group_by, period)
    desk, desk_total = _desk(actor, group_by, period)
    law, law_total = _law_clock(actor, group_by, period)
    grouped = [work, finished, answers, desk, law]
    keys = set().union(*grouped)
    rows = [_figures(subject, *(part.get(subject.id, {}) for part in grouped))
            for subject in _subjects(actor, group_by, keys)]
    work_total = {k: sum(values[k] for values in work.values())
                  for k in ("open", "due_soon", "overdue")}
    return ServiceReport(period=period, group_by=group_by, rows=rows,
                         total=_figures(None, work_total, finished_total, answers_total,
                                        desk_total, law_total),
                         months=_months(months, period))


@dataclass
class PublicService:
    """What the public zone page says of the service: zone-wide counts, no names."""

    cases: int = 0     # requests with a partner's task done in the period
    done: int = 0
    on_time: int = 0

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.done if self.done else None


def public_service(period: Period) -> PublicService:
    """One statement over the done tasks of the period (the index on status, finished_at)."""
    row = db.session.execute(select(
        func.count(distinct(AgencyTask.case_id)), func.count(), func.sum(ON_TIME))
        .where(_done_in(period), policy.public_tasks())).one()
    return PublicService(cases=row[0], done=row[1], on_time=int(row[2] or 0))
