"""The notification ledger's other moves: the periodic sweep, account alerts, a user's own
reading and email choices, and the worker canary."""
import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from onestop import policy
from onestop.accounts.models import User
from onestop.errors import Invalid
from onestop.extensions import db
from onestop.notifications.delivery import requeue
from onestop.notifications.models import AlertKind, Notification, RuleKind, Status, WorkerCanary
from onestop.notifications.reminders import insert, sweep

ALERT_LABELS = {AlertKind.SIGNIN_THROTTLED: _l("Failed sign-ins to your account")}


def sweep_and_requeue(now: datetime, *, rules_at: datetime | None = None
                      ) -> tuple[list[int], list[int]]:
    """One sweep: the rows the rules call for at `rules_at` (default: now), and the rows whose
    delivery seems lost by the wall clock `now`, which leases and queue times are kept in.
    Returns (written, requeued); no row is in both."""
    written = sweep(rules_at or now)
    return written, requeue(now, besides=written)


def write_alert(user: User, kind: str, key: str, params: dict, *, now: datetime) -> list[int]:
    """One account alert (no case) under a unique key; returns [id] when new, [] when the key
    was written before. The caller commits, then queues the delivery."""
    stmt = (insert()(Notification).values(
        key=key[:200], user_id=user.id, kind=kind, case_id=None, task_id=None, params=params,
        status=Status.QUEUED, attempts=0, last_error="", enqueued_at=now, created_at=now)
        .on_conflict_do_nothing(index_elements=["key"]).returning(Notification.id))
    return list(db.session.scalars(stmt))


def mark_read(actor, row: Notification, *, now: datetime) -> None:
    policy.require(actor, "notification.read", row)
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


def unread_count(user) -> int:
    """The bell's number: this user's unread notifications about what they may still see."""
    return db.session.scalar(select(func.count(Notification.id)).where(
        policy.visible_notifications(user), Notification.read_at.is_(None))) or 0
