"""The reminder sweep, the delivery of one ledger row, and the ledger's other moves."""
import secrets
import smtplib
from collections import defaultdict
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from onestop import mail, policy
from onestop.accounts.models import PARTNER_ROLES, Role, User
from onestop.audit.services import record_change, summary
from onestop.cases.models import Case
from onestop.db import utcnow
from onestop.deadlines import SEOUL
from onestop.errors import Invalid, NotFound
from onestop.extensions import db
from onestop.notifications import lease
from onestop.notifications.models import (
    AlertKind,
    Audience,
    Notification,
    ReminderRule,
    RuleKind,
    Status,
    WorkerCanary,
)
from onestop.tasks.models import AgencyTask
from onestop.workdays.services import work_calendar
from onestop.workflow import ACTIVE_TASK, RUNNING_TASK, TaskStatus

DEFAULT_RULES = [
    (RuleKind.TASK_DUE, 3, Audience.ASSIGNEE),
    (RuleKind.TASK_DUE, 1, Audience.ASSIGNEE),
    (RuleKind.TASK_DUE, 0, Audience.ASSIGNEE),
    (RuleKind.TASK_OVERDUE, 0, Audience.ASSIGNEE),
    (RuleKind.TASK_OVERDUE, 2, Audience.PARTNER_LEAD),
    (RuleKind.TASK_OVERDUE, 5, Audience.ACCOUNT_OFFICER),
    (RuleKind.INFO_REQUEST, 3, Audience.FIRM),
    (RuleKind.INFO_REQUEST, 7, Audience.FIRM),
]

KIND_LABELS = {
    RuleKind.TASK_DUE: _l("Task due soon"),
    RuleKind.TASK_OVERDUE: _l("Task overdue"),
    RuleKind.INFO_REQUEST: _l("Information request unanswered"),
}
ALERT_LABELS = {AlertKind.SIGNIN_THROTTLED: _l("Failed sign-ins to your account")}
AUDIENCE_LABELS = {
    Audience.ASSIGNEE: _l("Assignee (or the whole organization)"),
    Audience.PARTNER_LEAD: _l("Partner lead"),
    Audience.ACCOUNT_OFFICER: _l("The firm's account officer"),
    Audience.FIRM: _l("The firm's members"),
}


def ensure_default_rules() -> None:
    """The defaults of DESIGN.md, written once; after that the rules are the admin's."""
    if db.session.scalar(select(ReminderRule.id).limit(1)) is None:
        db.session.add_all(ReminderRule(kind=k, offset_days=d, audience=a)
                           for k, d, a in DEFAULT_RULES)
        db.session.flush()


def _insert():
    return pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert


class _Recipients:
    """Who an audience means for a task, from users loaded once per sweep."""

    def __init__(self) -> None:
        self.members: dict[int, list[User]] = defaultdict(list)
        self.leads: dict[int, list[User]] = defaultdict(list)
        self.firm_members: dict[int, list[User]] = defaultdict(list)
        for user in db.session.scalars(select(User).where(User.is_enabled)):
            if user.role in PARTNER_ROLES and user.organization_id:
                self.members[user.organization_id].append(user)
                if user.role == Role.PARTNER_LEAD:
                    self.leads[user.organization_id].append(user)
            elif user.role == Role.FIRM and user.firm_id:
                self.firm_members[user.firm_id].append(user)

    def __call__(self, audience: str, task: AgencyTask) -> list[int]:
        if audience == Audience.ASSIGNEE:
            assignee = task.assignee
            if (assignee and assignee.is_enabled and assignee.is_partner
                    and assignee.organization_id == task.organization_id):
                return [assignee.id]
            return [u.id for u in self.members[task.organization_id]]
        if audience == Audience.PARTNER_LEAD:
            return [u.id for u in self.leads[task.organization_id]]
        if audience == Audience.ACCOUNT_OFFICER:
            officer = task.case.firm.account_officer_id or task.case.owner_id
            return [officer] if officer else []
        return [u.id for u in self.firm_members[task.case.firm_id]]


def sweep(now: datetime) -> list[int]:
    """Write the ledger rows the rules call for at this moment; returns the new rows' ids.

    Outside working hours nothing is written: a reminder that falls due at night or on a
    holiday goes out when the next working morning's sweep runs. Rows already written (same
    rule, item, due date, recipient and, for daily repeats, day) are left alone.
    """
    calendar = work_calendar()
    if calendar.next_working_moment(now) != now.astimezone(SEOUL):
        return []
    today = now.astimezone(SEOUL).date()
    rules = db.session.scalars(select(ReminderRule).where(ReminderRule.is_active)).all()
    if not rules:
        return []
    tasks = db.session.scalars(
        select(AgencyTask).where(AgencyTask.status.in_(
            ACTIVE_TASK))
        .options(selectinload(AgencyTask.assignee),
                 selectinload(AgencyTask.case).selectinload(Case.firm))).all()
    recipients = _Recipients()
    written_at = utcnow()
    rows = []
    for task in tasks:
        due_day = task.due_at.astimezone(SEOUL).date()
        days_left = calendar.business_days_between(today, due_day)
        for rule in rules:
            fires, occurrence, params = _fires(rule, task, now, today, days_left, calendar)
            if not fires:
                continue
            anchor = task.paused_at if rule.kind == RuleKind.INFO_REQUEST else task.due_at
            for user_id in set(recipients(rule.audience, task)):
                rows.append({
                    "key": f"r{rule.id}.{rule.offset_days}:t{task.id}:{_stamp(anchor)}:"
                           f"{occurrence}:u{user_id}",
                    "user_id": user_id, "rule_id": rule.id, "kind": rule.kind,
                    "case_id": task.case_id, "task_id": task.id, "params": params,
                    "status": Status.QUEUED, "attempts": 0, "last_error": "",
                    # Wall-clock times: a sweep "as if at" another moment still queues now.
                    "next_attempt_at": None, "enqueued_at": written_at, "created_at": written_at,
                })
    if not rows:
        return []
    ids = []
    for start in range(0, len(rows), 500):
        stmt = (_insert()(Notification).values(rows[start:start + 500])
                .on_conflict_do_nothing(index_elements=["key"]).returning(Notification.id))
        ids.extend(db.session.scalars(stmt))
    return ids


def _stamp(moment: datetime) -> str:
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


def _attempt_due(now: datetime):
    return or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now)


def sweep_and_requeue(now: datetime, *, rules_at: datetime | None = None
                      ) -> tuple[list[int], list[int]]:
    """One sweep: the rows the rules call for at `rules_at` (default: now), and the rows whose
    delivery seems lost by the wall clock `now`, which leases and queue times are kept in.
    Returns (written, requeued); no row is in both."""
    written = sweep(rules_at or now)
    return written, requeue(now, besides=written)


def requeue(now: datetime, *, besides: Collection[int] = ()) -> list[int]:
    """Rows that are due for an attempt but whose broker message seems lost (never consumed,
    or its worker died holding the lease): hand them out again, except the ids `besides`."""
    stale = now - timedelta(seconds=current_app.config["NOTIFY_REQUEUE_AFTER_SECONDS"])
    skip = set(besides)
    ids = [i for i in db.session.scalars(
        select(Notification.id).where(
            Notification.status == Status.QUEUED, _attempt_due(now),
            or_(Notification.lease_until.is_(None), Notification.lease_until < now),
            or_(Notification.enqueued_at.is_(None), Notification.enqueued_at < stale))
        .with_for_update(skip_locked=True)) if i not in skip]
    if ids:
        db.session.execute(update(Notification).where(Notification.id.in_(ids))
                           .values(enqueued_at=now))
    return ids


def claim(notification_id: int, now: datetime) -> Notification | None:
    """Take the row for one delivery attempt, or None when it is no longer queued, leased or
    not yet due. Committed at once, so a second delivery of the same row sees the lease."""
    held_for = timedelta(seconds=current_app.config["NOTIFY_LEASE_SECONDS"])
    claimable = (Notification.id == notification_id, Notification.status == Status.QUEUED,
                 _attempt_due(now),
                 or_(Notification.lease_until.is_(None), Notification.lease_until < now))
    if db.session.scalar(select(Notification.id).where(*claimable)
                         .with_for_update(skip_locked=True)) is None:
        db.session.rollback()
        return None
    taken = db.session.execute(update(Notification).where(*claimable).values(
        lease_until=now + held_for, attempts=Notification.attempts + 1)).rowcount
    db.session.commit()
    return db.session.get(Notification, notification_id) if taken else None


def deliver(notification_id: int, now: datetime) -> str:
    """One delivery attempt of one row: claim, render in the recipient's language, send while
    the lease is kept alive, record. Returns what happened: sent, skipped, retry, failed,
    unknown or not-claimed."""
    clock = lease.Clock(now)
    row = claim(notification_id, now)
    if row is None:
        return "not-claimed"
    user = row.user
    if (row.kind in (user.email_muted_kinds or []) or not user.is_enabled
            or not _still_true(row)):
        return _finish(row, status=Status.SKIPPED, now=clock())
    try:
        with lease.kept(row.id, row.lease_until, clock):
            message = render_email(row)
            db.session.commit()  # no transaction stays open while the server takes its time
            mail.send(message)
    except mail.OutcomeUnknown as error:
        return _unanswered(row, str(error), clock())
    except (OSError, smtplib.SMTPException) as error:
        return _failed(row, f"{type(error).__name__}: {error}", clock())
    except Exception as error:  # noqa: BLE001 - a row that cannot be rendered must not loop hot
        current_app.logger.exception("notification %s cannot be delivered", row.id)
        return _failed(row, f"{type(error).__name__}: {error}", clock())
    return _finish(row, status=Status.SENT, now=clock())


def _still_true(row: Notification) -> bool:
    """A reminder delayed by retries is dropped once its reason is gone (task finished,
    clock stopped or restarted, due date moved)."""
    task = row.task
    if task is None:
        return True
    if row.kind == RuleKind.INFO_REQUEST:
        return task.status == TaskStatus.WAITING_ON_FIRM
    return (task.status in RUNNING_TASK
            and f":{_stamp(task.due_at)}:" in row.key)


def _finish(row: Notification, *, status: str, now: datetime) -> str:
    row.status = status
    row.lease_until = None
    row.sent_at = now if status == Status.SENT else None
    db.session.commit()
    return str(status)


def _failed(row: Notification, error: str, now: datetime) -> str:
    """Nothing was delivered: record the error; try again after an exponential backoff kept
    in the row, or give up (as unknown if an earlier attempt went unanswered)."""
    row = _reloaded(row, error)
    if row.attempts >= current_app.config["NOTIFY_MAX_ATTEMPTS"]:
        row.status = Status.UNKNOWN if row.unanswered_attempts else Status.FAILED
        outcome = str(row.status)
    else:
        outcome = _retry_later(row, now)
    db.session.commit()
    return outcome


def _unanswered(row: Notification, error: str, now: datetime) -> str:
    """The server got the whole message and never answered, so it may have arrived: send it
    once more, and after a second silence (or the last attempt) stop as unknown."""
    row = _reloaded(row, f"Outcome unknown: {error}")
    row.unanswered_attempts += 1
    if (row.unanswered_attempts >= 2
            or row.attempts >= current_app.config["NOTIFY_MAX_ATTEMPTS"]):
        row.status = Status.UNKNOWN
        outcome = "unknown"
    else:
        outcome = _retry_later(row, now)
    db.session.commit()
    return outcome


def _reloaded(row: Notification, error: str) -> Notification:
    db.session.rollback()
    row = db.session.get(Notification, row.id)
    row.last_error = error[:2000]
    row.lease_until = None
    return row


def _retry_later(row: Notification, now: datetime) -> str:
    base = current_app.config["NOTIFY_BACKOFF_SECONDS"]
    row.next_attempt_at = now + timedelta(seconds=min(base * 2 ** (row.attempts - 1), 3600))
    row.enqueued_at = None
    return "retry"


# Subject, text and HTML templates of each kind; reminders share one set.
_REMINDER_TEMPLATES = ("emails/reminder_subject.txt", "emails/reminder.txt", "emails/reminder.html")
EMAIL_TEMPLATES = {AlertKind.SIGNIN_THROTTLED: ("emails/signin_alert_subject.txt",
                                                "emails/signin_alert.txt",
                                                "emails/signin_alert.html")}


def _link(row: Notification) -> str:
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    if row.kind in EMAIL_TEMPLATES:
        return f"{base}/account"
    return base + (f"/tasks/{row.task_id}" if row.kind != RuleKind.INFO_REQUEST
                   else f"/cases/{row.case_id}")


def render_email(row: Notification) -> EmailMessage:
    """The message for one row, in the recipient's language, with a Message-ID from the row
    so that a resend after a crash carries the same id."""
    config = current_app.config
    subject_template, text_template, html_template = EMAIL_TEMPLATES.get(
        row.kind, _REMINDER_TEMPLATES)
    with force_locale(row.user.locale or "ko"):
        context = {"row": row, "user": row.user, "case": row.case, "task": row.task,
                   "link": _link(row), "days": row.params.get("days", 0),
                   "escalated": row.params.get("escalated", False), "params": row.params}
        subject = render_template(subject_template, **context).strip()
        text = render_template(text_template, **context)
        html = render_template(html_template, **context)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = config["MAIL_FROM"]
    message["To"] = row.user.email
    message["Message-ID"] = row.message_id
    message["Date"] = formatdate(localtime=False)
    message["X-OneStop-Notification"] = str(row.id)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def write_alert(user: User, kind: str, key: str, params: dict, *, now: datetime) -> list[int]:
    """One account alert (no case) under a unique key; returns [id] when new, [] when the key
    was written before. The caller commits, then queues the delivery."""
    stmt = (_insert()(Notification).values(
        key=key[:200], user_id=user.id, kind=kind, case_id=None, task_id=None, params=params,
        status=Status.QUEUED, attempts=0, last_error="", enqueued_at=now, created_at=now)
        .on_conflict_do_nothing(index_elements=["key"]).returning(Notification.id))
    return list(db.session.scalars(stmt))


def resend(actor, row: Notification, *, now: datetime) -> None:
    """An admin queues a row again (after fixing the mail server, say). A row whose outcome
    is unknown gets one more attempt: another silence ends it as unknown again."""
    policy.require(actor, "admin.manage")
    if row.status == Status.QUEUED and row.lease_until and row.lease_until > now:
        raise Invalid(_l("This message is being delivered right now."))
    row.status = Status.QUEUED
    row.attempts = 0
    row.next_attempt_at = None
    row.lease_until = None
    row.enqueued_at = now


def mark_read(actor, row: Notification, *, now: datetime) -> None:
    if row.user_id != actor.id:
        raise NotFound("not found")
    row.read_at = row.read_at or now


def set_muted_kinds(actor, kinds: list[str]) -> None:
    unknown = set(kinds) - set(RuleKind)
    if unknown:
        raise Invalid(_l("Unknown kind of notification."))
    actor.email_muted_kinds = sorted(set(kinds))


def record_canary(token: str, hostname: str, now: datetime) -> None:
    db.session.add(WorkerCanary(token=token, hostname=hostname, answered_at=now))


def new_canary_token() -> str:
    return secrets.token_hex(16)


def canary_answered(token: str) -> WorkerCanary | None:
    db.session.expire_all()
    return db.session.scalar(select(WorkerCanary).where(WorkerCanary.token == token))


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
    if (kind == RuleKind.INFO_REQUEST) != (audience == Audience.FIRM):
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
