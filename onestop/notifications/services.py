"""The notification ledger's other moves: the periodic sweep, the bell, a user's reading,
and the worker canary."""
import secrets
from datetime import datetime

from sqlalchemy import and_, select

from onestop import lists, policy
from onestop.extensions import db
from onestop.i18n import lazy_gettext as _l
from onestop.notifications import progress, sweep_state
from onestop.notifications.delivery import requeue
from onestop.notifications.digests import collect
from onestop.notifications.models import (
    MAILBOX_ONLY_KINDS,
    AlertKind,
    DigestKind,
    Notification,
    WorkerCanary,
)
from onestop.notifications.reminders import sweep
from onestop.tasks import consultations, supplements

ALERT_LABELS = {AlertKind.SIGNIN_THROTTLED: _l("Failed sign-ins to your account"),
                AlertKind.REPLY_REFUSED: _l("Your emailed reply was not posted"),
                AlertKind.INVITATION: _l("Invitation"),
                AlertKind.PASSWORD_RESET: _l("Link to set a new password"),
                AlertKind.EMAIL_CONFIRM: _l("Confirmation of a new email address"),
                AlertKind.EMAIL_NOTICE: _l("Change of email address"),
                AlertKind.WEBHOOK_DISABLED: _l("A webhook was turned off")}


def sweep_and_requeue(now: datetime, *, rules_at: datetime | None = None, wait: bool = False
                      ) -> tuple[list[int], list[int]]:
    """One sweep: the rows the rules call for at `rules_at` (default: now) and the morning's
    digests, and the rows whose delivery seems lost by the wall clock `now`, which leases and
    queue times are kept in. Returns (written, requeued); no row is in both. While another
    sweep runs, this one does nothing (that one does it all), or with `wait` waits for it."""
    if not sweep_state.acquire(wait=wait):
        return [], []
    moment = rules_at or now
    supplements.sweep(moment)  # their events are announced; their rows are flushed below
    consultations.sweep(moment)
    written = sweep(moment) + progress.sweep(moment) + collect(moment)
    return written, requeue(now, besides=written)


def mark_read(actor, row: Notification, *, now: datetime) -> None:
    policy.require(actor, "notification.read", row)
    row.read_at = row.read_at or now


def record_canary(token: str, hostname: str, now: datetime) -> None:
    db.session.add(WorkerCanary(token=token, hostname=hostname, answered_at=now))


def new_canary_token() -> str:
    return secrets.token_hex(16)


def canary_answered(token: str) -> WorkerCanary | None:
    db.session.expire_all()
    return db.session.scalar(select(WorkerCanary).where(WorkerCanary.token == token))


BELL_CAP = 99


def in_bell(user):
    """WHERE clause for the bell's list: what this user may read, less the digest emails
    (their items are listed one by one) and the one-time links meant for a mailbox."""
    return and_(policy.visible_notifications(user),
                Notification.kind.not_in([DigestKind.DIGEST, *MAILBOX_ONLY_KINDS]))


def unread_count(user) -> int:
    """The bell's number: this user's unread notifications about what they may still see,
    counted no further than BELL_CAP + 1 (the bell then shows "99+")."""
    return lists.capped_count(select(Notification.id).where(
        in_bell(user), Notification.read_at.is_(None)), BELL_CAP)
