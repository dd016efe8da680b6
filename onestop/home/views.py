"""Each role's home page and the deadline calculator."""
from datetime import datetime, timedelta

from flask import Blueprint, render_template, request
from flask_babel import get_locale
from flask_login import current_user, login_required
from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import joinedload

from onestop import lists, policy
from onestop.cases.models import Case
from onestop.cases.urgency import NEEDS, QUIET_WHEN_EMPTY, need_condition
from onestop.commitments.pages import progress_of, reports_to_verify
from onestop.db import utcnow
from onestop.deadlines import SEOUL, parse_period
from onestop.extensions import db
from onestop.i18n import gettext as _
from onestop.orgs.models import Organization
from onestop.pages import work_calendar_for_request
from onestop.reports.zone import zone_figures
from onestop.statuses import ACTIVE_TASK, OPEN_CASE, CaseStatus
from onestop.tasks.due import is_overdue
from onestop.tasks.models import AgencyTask

bp = Blueprint("home", __name__)
HOME_LIMIT = 20
NEEDS_SHOWN = 5  # cases shown in each of the desk's sections; "see all" has the rest


def _order(column) -> tuple:
    return column.asc().nulls_last(), Case.id


def _cases(*conditions, order=Case.due_at, limit=HOME_LIMIT):
    return db.session.scalars(
        select(Case).where(policy.visible_cases(current_user), *conditions)
        .options(joinedload(Case.firm), joinedload(Case.request_type))
        .order_by(*_order(order)).limit(limit)).all()


def _tasks(*conditions):
    return db.session.scalars(
        select(AgencyTask).where(policy.visible_tasks(current_user), *conditions)
        .options(joinedload(AgencyTask.case).joinedload(Case.firm),
                 joinedload(AgencyTask.case).selectinload(Case.tasks),
                 joinedload(AgencyTask.organization), joinedload(AgencyTask.assignee))
        .order_by(AgencyTask.due_at, AgencyTask.id).limit(HOME_LIMIT)).all()


def _overdue_by_partner(now: datetime) -> list[tuple[Organization, int]]:
    """Each partner with overdue tasks and how many, most first: who to call today."""
    late = func.count(AgencyTask.id)
    return db.session.execute(
        select(Organization, late).join(AgencyTask, AgencyTask.organization_id == Organization.id)
        .where(policy.visible_tasks(current_user), is_overdue(now))
        .group_by(Organization.id).order_by(late.desc(), Organization.name)).all()


def _needs(now: datetime) -> list[dict]:
    """The desk's sections, most urgent first: each one's first cases and (capped) count,
    all counts in one statement and all first cases in another."""
    calendar, visible = work_calendar_for_request(), policy.visible_cases(current_user)
    conditions = {name: need_condition(name, now, calendar) for name in NEEDS}
    counts = db.session.execute(select(*(
        lists.capped(select(Case.id).where(visible, condition)).label(name)
        for name, condition in conditions.items()))).one()._asdict()
    firsts = [select(Case.id, literal(name).label("need")).where(visible, condition)
              .order_by(*_order(Case.submitted_at if name == "new" else Case.due_at))
              .limit(NEEDS_SHOWN).subquery() for name, condition in conditions.items()]
    shown = db.session.execute(union_all(*(select(first.c.id, first.c.need)
                                            for first in firsts))).all()
    cases = {case.id: case for case in db.session.scalars(
        select(Case).where(Case.id.in_([row.id for row in shown]))
        .options(joinedload(Case.firm), joinedload(Case.request_type)))}
    sections = []
    for name, (_condition, heading, empty) in NEEDS.items():
        count = counts[name]
        sections.append({"name": name, "heading": heading, "empty": empty, "count": count,
                         "quiet": not count and name in QUIET_WHEN_EMPTY,
                         "shown": f"{lists.COUNT_CAP:,}+" if count > lists.COUNT_CAP
                         else f"{count:,}",
                         "cases": [cases[row.id] for row in shown if row.need == name]})
    return sections


@bp.get("/")
@login_required
def index():
    now = utcnow()
    if policy.can(current_user, "case.queue"):
        return render_template(
            "home/desk.html", needs=_needs(now),
            overdue_by_partner=_overdue_by_partner(now),
            firms_behind=zone_figures(policy.visible_firms(current_user),
                                      today=now.astimezone(SEOUL).date()).firms_behind[:5],
            to_verify=db.session.scalars(reports_to_verify(current_user).limit(5)).all(),
            to_verify_count=db.session.scalar(select(func.count()).select_from(
                reports_to_verify(current_user).subquery())),
        )
    if current_user.is_partner:
        return render_template("home/partner.html",
                               tasks=_tasks(AgencyTask.status.in_(ACTIVE_TASK)))
    return render_template(
        "home/firm.html", progress=progress_of(current_user.firm),
        waiting=_cases(Case.status == CaseStatus.WAITING_ON_FIRM),
        resolved=_cases(Case.status == CaseStatus.RESOLVED),
        open_cases=_cases(Case.status.in_(OPEN_CASE)),
    )


@bp.get("/deadlines")
@login_required
def calculator():
    policy.require(current_user, "deadline.calculate")
    start_text = request.args.get("start", "")
    period_text = request.args.get("period", "")
    extended = request.args.get("extended") == "1"
    consultation = request.args.get("consultation") == "1"
    result, error = None, None
    if start_text or period_text:
        try:
            start = datetime.fromisoformat(start_text).replace(tzinfo=SEOUL)
            if not 2000 <= start.year <= 2100:
                raise ValueError(start_text)
        except ValueError:
            error = _("Write the start as a date and time, e.g. 2026-09-23T14:00.")
        else:
            try:
                period = parse_period(period_text)
            except ValueError:
                error = _("Write the period as 3h, 5d, 10d, 2w, 1m, 1y or immediate.")
            else:
                calendar = work_calendar_for_request()
                due = calendar.due_at(start, period)
                language = str(get_locale())
                result = {"start": start, "period": period, "due": due,
                          "counted": calendar.counted(start, due, language)}
                if extended:
                    result["extension"] = calendar.extension_window(due, period, language)
    return render_template("home/calculator.html", start=start_text, period=period_text,
                           extended=extended, consultation=consultation, result=result,
                           error=error,
                           hours=lambda d: d / timedelta(hours=1)), (422 if error else 200)
