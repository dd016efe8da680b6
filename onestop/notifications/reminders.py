"""Reminder rules and the sweep that writes the ledger rows they call for."""
from collections import defaultdict
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import func, or_, select

from onestop import policy
from onestop.accounts.models import PARTNER_ROLES, Role, User
from onestop.audit.services import record_change, summary
from onestop.cases.models import Case
from onestop.db import utcnow
from onestop.deadlines import SEOUL
from onestop.errors import Invalid
from onestop.extensions import db
from onestop.firms.models import Firm
from onestop.i18n import lazy_gettext as _l
from onestop.notifications import ledger, reminder_windows, sweep_state
from onestop.notifications.models import Audience, Notification, ReminderRule, RuleKind
from onestop.notifications.preferences import role_defaults, start_of
from onestop.notifications.report_reminders import (
    REPORT_RULE_KINDS,
    report_rows,
    report_still_missing,
)
from onestop.statuses import RUNNING_TASK, TaskStatus
from onestop.tasks.models import AgencyTask
from onestop.workdays.services import work_calendar

DEFAULT_RULES = [
    (RuleKind.TASK_DUE, 3, Audience.ASSIGNEE),
    (RuleKind.TASK_DUE, 1, Audience.ASSIGNEE),
    (RuleKind.TASK_DUE, 0, Audience.ASSIGNEE),
    (RuleKind.TASK_OVERDUE, 0, Audience.ASSIGNEE),
    (RuleKind.TASK_OVERDUE, 2, Audience.PARTNER_LEAD),
    (RuleKind.TASK_OVERDUE, 5, Audience.ACCOUNT_OFFICER),
    (RuleKind.INFO_REQUEST, 3, Audience.FIRM),
    (RuleKind.INFO_REQUEST, 7, Audience.FIRM),
    (RuleKind.REPORT_DUE, 10, Audience.FIRM),
    (RuleKind.REPORT_DUE, 3, Audience.FIRM),
    (RuleKind.REPORT_OVERDUE, 0, Audience.FIRM),
    (RuleKind.REPORT_OVERDUE, 5, Audience.ACCOUNT_OFFICER),
]


KIND_LABELS = {
    RuleKind.TASK_DUE: _l("Task due soon"),
    RuleKind.TASK_OVERDUE: _l("Task overdue"),
    RuleKind.INFO_REQUEST: _l("Information request unanswered"),
    RuleKind.REPORT_DUE: _l("Report of actuals due soon"),
    RuleKind.REPORT_OVERDUE: _l("Report of actuals overdue"),
}


AUDIENCE_LABELS = {
    Audience.ASSIGNEE: _l("Assignee (or the whole organization)"),
    Audience.PARTNER_LEAD: _l("Partner lead"),
    Audience.ACCOUNT_OFFICER: _l("The firm's account officer"),
    Audience.FIRM: _l("The firm's members"),
}


def ensure_default_rules() -> None:
    """The defaults of DESIGN.md, written once for each kind that has no rule yet (a kind
    added later gets its defaults too); after that the rules are the admin's."""
    present = set(db.session.scalars(select(ReminderRule.kind).distinct()))
    missing = [ReminderRule(kind=k, offset_days=d, audience=a)
               for k, d, a in DEFAULT_RULES if k not in present]
    if missing:
        db.session.add_all(missing)
        db.session.flush()


class _Task(NamedTuple):
    """What the rules and audiences read of a task, one row of the window's query."""

    id: int
    case_id: int
    organization_id: int
    assignee_id: int | None
    status: str
    due_at: datetime
    paused_at: datetime | None
    firm_id: int
    officer_id: int | None  # the firm's account officer, else the case's owner


# The column each kind's window ranges over, and the statuses it can fire in.
_ANCHORS = {RuleKind.TASK_DUE: (AgencyTask.due_at, RUNNING_TASK),
            RuleKind.TASK_OVERDUE: (AgencyTask.due_at, RUNNING_TASK),
            RuleKind.INFO_REQUEST: (AgencyTask.paused_at, (TaskStatus.WAITING_ON_FIRM,))}


def _candidates(rules: list[ReminderRule], now: datetime, calendar,
                since: datetime | None) -> list[_Task]:
    """The active tasks in the rules' windows: one indexed range query per merged window."""
    by_anchor = defaultdict(list)
    for rule in rules:
        found = reminder_windows.window(rule, now, calendar, since)
        if found is not None:
            by_anchor[_ANCHORS[rule.kind]].append(found)
    tasks: dict[int, _Task] = {}
    for (column, statuses), windows in by_anchor.items():
        for start, end in reminder_windows.merged(windows):
            query = (select(AgencyTask.id, AgencyTask.case_id, AgencyTask.organization_id,
                            AgencyTask.assignee_id, AgencyTask.status, AgencyTask.due_at,
                            AgencyTask.paused_at, Case.firm_id,
                            func.coalesce(Firm.account_officer_id, Case.owner_id))
                     .join(Case, Case.id == AgencyTask.case_id)
                     .join(Firm, Firm.id == Case.firm_id)
                     .where(AgencyTask.status.in_(statuses), column < end))
            if start is not None:
                query = query.where(column >= start)
            tasks.update((row[0], _Task(*row)) for row in db.session.execute(query))
    return list(tasks.values())


class _Recipients:
    """Who an audience means for a task, from the users of the tasks at hand, loaded once."""

    def __init__(self, tasks: list[_Task]) -> None:
        self.members: dict[int, list[User]] = defaultdict(list)
        self.leads: dict[int, list[User]] = defaultdict(list)
        self.firm_members: dict[int, list[User]] = defaultdict(list)
        self.enabled: dict[int, User] = {}
        orgs = {t.organization_id for t in tasks}
        firms = {t.firm_id for t in tasks}
        ids = {t.assignee_id for t in tasks} | {t.officer_id for t in tasks}
        for user in db.session.scalars(select(User).where(User.is_enabled, or_(
                User.organization_id.in_(orgs), User.firm_id.in_(firms),
                User.id.in_(ids - {None})))):
            self.enabled[user.id] = user
            if user.role in PARTNER_ROLES and user.organization_id:
                self.members[user.organization_id].append(user)
                if user.role == Role.PARTNER_LEAD:
                    self.leads[user.organization_id].append(user)
            elif user.role == Role.FIRM and user.firm_id:
                self.firm_members[user.firm_id].append(user)

    def __call__(self, audience: str, task: _Task) -> list[User]:
        if audience == Audience.ASSIGNEE:
            assignee = self.enabled.get(task.assignee_id)
            if assignee and assignee.is_partner and assignee.organization_id == task.organization_id:
                return [assignee]
            return self.members[task.organization_id]
        if audience == Audience.PARTNER_LEAD:
            return self.leads[task.organization_id]
        if audience == Audience.ACCOUNT_OFFICER:
            officer = self.enabled.get(task.officer_id)
            return [officer] if officer else []
        return self.firm_members[task.firm_id]


def sweep(now: datetime) -> list[int]:
    """Write the ledger rows the rules call for at this moment; returns the new rows' ids.

    Outside working hours nothing is written: a reminder that falls due at night or on a
    holiday goes out when the next working morning's sweep runs. Rows already written (same
    rule, item, due date, recipient and, for daily repeats, day) are left alone. Only the
    tasks in the rules' windows are read (reminder_windows.py), and while another sweep
    runs this one writes nothing.
    """
    if not sweep_state.acquire():
        return []
    calendar = work_calendar()
    if calendar.next_working_moment(now) != now.astimezone(SEOUL):
        return []
    today = now.astimezone(SEOUL).date()
    all_rules = db.session.scalars(select(ReminderRule).where(ReminderRule.is_active)).all()
    rules = [rule for rule in all_rules if rule.kind not in REPORT_RULE_KINDS]
    defaults = role_defaults()
    written_at = utcnow()  # wall-clock: a sweep "as if at" another moment still queues now
    rows = report_rows([rule for rule in all_rules if rule.kind in REPORT_RULE_KINDS],
                       now=now, calendar=calendar, defaults=defaults, written_at=written_at)
    if not rules:
        return ledger.write(rows)
    signature = sweep_state.fingerprint(rules)
    tasks = _candidates(rules, now, calendar, sweep_state.written_through(signature, now))
    recipients = _Recipients(tasks) if tasks else None
    for task in tasks:
        days_left = calendar.business_days_between(today, task.due_at.astimezone(SEOUL).date())
        for rule in rules:
            fires, occurrence, params = _fires(rule, task, now, today, days_left, calendar)
            if not fires:
                continue
            anchor = task.paused_at if rule.kind == RuleKind.INFO_REQUEST else task.due_at
            for user in set(recipients(rule.audience, task)):
                rows.append(ledger.row(
                    key=f"r{rule.id}.{rule.offset_days}:t{task.id}:{stamp(anchor)}:"
                        f"{occurrence}:u{user.id}",
                    user_id=user.id, rule_id=rule.id, kind=rule.kind, case_id=task.case_id,
                    task_id=task.id, params=params, now=written_at,
                    status=start_of(user, rule.kind, now, calendar, defaults)["status"]))
    sweep_state.remember(signature, now)
    return ledger.write(rows)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _fires(rule: ReminderRule, task: AgencyTask, now, today, days_left, calendar):
    """(does the rule fire now, occurrence part of the key, message parameters)."""
    waiting = task.status == TaskStatus.WAITING_ON_FIRM
    if rule.kind == RuleKind.TASK_DUE:
        hit = not waiting and task.due_at > now and days_left == rule.offset_days
        return hit, "", {"days": days_left}
    if rule.kind == RuleKind.TASK_OVERDUE:
        late = max(0, -days_left)
        # Overdue reminders repeat every working day: the day is part of the key.
        return (not waiting and task.due_at <= now and late >= rule.offset_days,
                today.isoformat(), {"days": late, "escalated": rule.audience != Audience.ASSIGNEE})
    waited = calendar.business_days_between(task.paused_at.astimezone(SEOUL).date(), today) \
        if waiting and task.paused_at else -1
    return waited >= rule.offset_days, "", {"days": max(waited, 0)}


def still_true(row: Notification) -> bool:
    """A reminder delayed by retries is dropped once its reason is gone (task finished,
    clock stopped or restarted, due date moved)."""
    if row.kind in REPORT_RULE_KINDS:
        return report_still_missing(row)
    task = row.task
    if task is None or row.kind not in set(RuleKind):  # an event's message stays true
        return True
    if row.kind == RuleKind.INFO_REQUEST:
        return task.status == TaskStatus.WAITING_ON_FIRM
    return (task.status in RUNNING_TASK
            and f":{stamp(task.due_at)}:" in row.key)


RULE_FIELDS = ("kind", "offset_days", "audience", "is_active")


def save_rule(actor, rule: ReminderRule | None, *, kind: str, offset_days: int, audience: str,
              is_active: bool, now: datetime | None = None) -> ReminderRule:
    policy.require(actor, "admin.manage")
    before = summary(rule, RULE_FIELDS)
    if kind not in set(RuleKind):
        raise Invalid(_l("Unknown kind of notification."), field="kind")
    if audience not in set(Audience):
        raise Invalid(_l("Unknown audience."), field="audience")
    if not 0 <= offset_days <= 60:
        raise Invalid(_l("Use 0 to 60 business days."), field="offset_days")
    if kind in REPORT_RULE_KINDS:
        if audience not in (Audience.FIRM, Audience.ACCOUNT_OFFICER):
            raise Invalid(_l("Report reminders go to the firm or its account officer."),
                          field="audience")
    elif (kind == RuleKind.INFO_REQUEST) != (audience == Audience.FIRM):
        raise Invalid(_l("Information-request reminders go to the firm; task reminders go to "
                         "the partner side or the account officer."), field="audience")
    if rule is None:
        rule = ReminderRule()
        db.session.add(rule)
    rule.kind, rule.offset_days, rule.audience, rule.is_active = (kind, offset_days, audience,
                                                                  is_active)
    db.session.flush()
    record_change(actor, "reminder_rule.update" if before else "reminder_rule.create",
                  "reminder_rule", rule.id, before=before, after=summary(rule, RULE_FIELDS),
                  now=now or utcnow())
    return rule
