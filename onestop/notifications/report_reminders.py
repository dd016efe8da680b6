"""Reminders of firms' reports of actuals falling due: the targets whose report is due soon
or overdue while no report of that firm, measure and year is in (submitted or verified)."""
from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_, select

from onestop.accounts.models import Role, User
from onestop.commitments.models import ActualReport, Agreement, ReportStatus, Target
from onestop.deadlines import SEOUL, WorkCalendar
from onestop.extensions import db
from onestop.firms.models import Firm
from onestop.notifications import ledger
from onestop.notifications.models import Audience, Notification, ReminderRule, RuleKind
from onestop.notifications.preferences import start_of

REPORT_RULE_KINDS = frozenset({RuleKind.REPORT_DUE, RuleKind.REPORT_OVERDUE})
LIVE = (ReportStatus.SUBMITTED, ReportStatus.VERIFIED)
# A reminder whose working day passed without a sweep (the beat was down) still goes out on
# the next few working days; later it would be stale. Its key makes it go out once.
CATCH_UP_DAYS = 3


def _report_in(firm_id, measure, year):
    return select(ActualReport.id).where(
        ActualReport.firm_id == firm_id, ActualReport.measure == measure,
        ActualReport.year == year, ActualReport.status.in_(LIVE)).exists()


def fires(rule: ReminderRule, due_on: date, today: date, calendar: WorkCalendar) -> int | None:
    """The business days left (due soon) or late (overdue) when the rule fires today, else
    None. Due soon: from offset_days before the due day, for CATCH_UP_DAYS. Overdue: from the
    offset_days-th working day after the due day (0 counts as 1: the first), for as long."""
    if rule.kind == RuleKind.REPORT_DUE:
        if due_on < today:
            return None
        left = calendar.business_days_between(today, due_on)
        return left if rule.offset_days - CATCH_UP_DAYS < left <= rule.offset_days else None
    if due_on >= today:
        return None
    late = calendar.business_days_between(due_on, today)
    first = max(rule.offset_days, 1)
    return late if first <= late < first + CATCH_UP_DAYS else None


def report_rows(rules: list[ReminderRule], *, now: datetime, calendar: WorkCalendar,
                defaults: dict, written_at: datetime) -> list[dict]:
    """The ledger rows the report rules call for at this moment, in three statements."""
    if not rules:
        return []
    today = now.astimezone(SEOUL).date()
    # Wide enough for any offset in business days, holidays included; only a window of
    # targets is read, however many years of agreements there are.
    reach = timedelta(days=2 * (max(r.offset_days for r in rules) + CATCH_UP_DAYS) + 14)
    missing = db.session.execute(
        select(Target, Agreement.firm_id, Firm.account_officer_id)
        .join(Agreement, Agreement.id == Target.agreement_id)
        .join(Firm, Firm.id == Agreement.firm_id)
        .where(Target.report_due_on.between(today - reach, today + reach),
               ~_report_in(Agreement.firm_id, Target.measure, Target.year))).all()
    if not missing:
        return []
    firm_ids = {firm_id for _, firm_id, _ in missing}
    officer_ids = {officer_id for _, _, officer_id in missing if officer_id}
    members: dict[int, list[User]] = defaultdict(list)
    officers: dict[int, User] = {}
    for user in db.session.scalars(select(User).where(User.is_enabled, or_(
            and_(User.role == Role.FIRM, User.firm_id.in_(firm_ids)),
            User.id.in_(officer_ids)))):
        if user.role == Role.FIRM:
            members[user.firm_id].append(user)
        if user.id in officer_ids and user.is_staff:
            officers[user.id] = user
    rows = []
    for target, firm_id, officer_id in missing:
        for rule in rules:
            days = fires(rule, target.report_due_on, today, calendar)
            if days is None:
                continue
            to_firm = rule.audience == Audience.FIRM
            people = members[firm_id] if to_firm else [officers[officer_id]] \
                if officer_id in officers else []
            for user in people:
                rows.append(ledger.row(
                    key=f"r{rule.id}.{rule.offset_days}:g{target.id}:"
                        f"{target.report_due_on.isoformat()}:u{user.id}",
                    user_id=user.id, rule_id=rule.id, kind=rule.kind, firm_id=firm_id,
                    params={"days": days, "target_id": target.id, "measure": target.measure,
                            "year": target.year, "due_on": target.report_due_on.isoformat(),
                            "path": "/commitments" if to_firm else f"/firms/{firm_id}"},
                    now=written_at,
                    status=start_of(user, rule.kind, now, calendar, defaults)["status"]))
    return rows


def report_still_missing(row: Notification) -> bool:
    """A report reminder delayed by retries is dropped once the report is in or its due
    date moved."""
    target = db.session.get(Target, row.params.get("target_id", 0))
    if target is None or target.report_due_on.isoformat() != row.params.get("due_on"):
        return False
    return not db.session.scalar(select(_report_in(row.firm_id, target.measure, target.year)))
