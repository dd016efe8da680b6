"""Delivering ledger rows: claim them under a lease, render each, send it, record what the
mail server answered; and the re-queue of rows whose delivery seems lost."""
import smtplib
from collections.abc import Collection
from datetime import datetime, timedelta
from email.message import Message
from email.utils import formatdate

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import Connection, or_, select, text, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from onestop import mail, policy
from onestop.accounts.models import SiteSetting
from onestop.cases.models import Case, Comment, Event
from onestop.db import kept_loaded
from onestop.errors import Invalid
from onestop.extensions import db
from onestop.i18n import lazy_gettext as _l
from onestop.jobs import enqueue_deliveries
from onestop.notifications import lease
from onestop.notifications.digests import describe, items
from onestop.notifications.events import message_context
from onestop.notifications.firm_events import commitment_context
from onestop.notifications.inbound import reply_address
from onestop.notifications.models import (
    ADDRESSED_KINDS,
    COMMITMENT_KINDS,
    Choice,
    DigestKind,
    EventKind,
    Notification,
    RuleKind,
    Status,
)
from onestop.notifications.preferences import DEFAULTS_SETTING, choice_for
from onestop.notifications.reminders import still_true
from onestop.tasks.models import AgencyTask


def _attempt_due(now: datetime):
    return or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now)


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


# What the email of any kind reads, loaded with the row in the claim's one SELECT.
_EMAIL_NEEDS = (
    joinedload(Notification.user),
    joinedload(Notification.case).joinedload(Case.firm),
    joinedload(Notification.task).joinedload(AgencyTask.organization),
    joinedload(Notification.event).joinedload(Event.comment).joinedload(Comment.author),
    joinedload(Notification.firm),
)


def claim(notification_id: int, now: datetime) -> Notification | None:
    """Take the row for one delivery attempt, or None when it is no longer queued, leased or
    not yet due (as `deliver_batch` takes its rows)."""
    rows, _, _ = _claim([notification_id], now)
    return rows[0] if rows else None


def _claim(notification_ids: Collection[int],
           now: datetime) -> tuple[list[Notification], dict, datetime]:
    """Those of the rows still queued, unleased and due, leased for this delivery and each
    counted an attempt, in id order with what their emails need (one SELECT); the role
    defaults of notification choices read with them; and the lease's end. Committed at
    once, so a second delivery of the same rows sees the lease; the rows stay loaded."""
    until = now + timedelta(seconds=current_app.config["NOTIFY_LEASE_SECONDS"])
    claimable = (Notification.id.in_(notification_ids), Notification.status == Status.QUEUED,
                 _attempt_due(now),
                 or_(Notification.lease_until.is_(None), Notification.lease_until < now))
    if db.session.get_bind().dialect.name == "postgresql":
        # The claim need not wait for the disk (a flush of the log per message halves the
        # rate): the record of the send, committed as usual, makes it durable with it, and a
        # crash of the database before that forgets only the lease of a message being sent,
        # which a database crash may send again in any case (README, Delivery guarantee).
        db.session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    # One statement: the row locks skip rows another claimant holds, and without row locks
    # (SQLite) the conditions asked again let only one claimant win each row.
    locked = select(Notification.id).where(*claimable).with_for_update(skip_locked=True)
    taken = db.session.scalars(
        update(Notification).where(Notification.id.in_(locked), *claimable)
        .values(lease_until=until, attempts=Notification.attempts + 1)
        .returning(Notification.id).execution_options(synchronize_session=False)).all()
    if not taken:
        db.session.rollback()
        return [], {}, until
    found = db.session.execute(
        select(Notification, SiteSetting.value)
        .outerjoin(SiteSetting, SiteSetting.key == DEFAULTS_SETTING)
        .where(Notification.id.in_(taken)).order_by(Notification.id).options(*_EMAIL_NEEDS)
        .execution_options(populate_existing=True)).all()
    with kept_loaded(db.session()):
        db.session.commit()
    return [row for row, _ in found], dict(found[0][1] or {}), until


def deliver(notification_id: int, now: datetime) -> str:
    """One row's delivery attempt, as `deliver_batch` makes it: sent, skipped, retry,
    failed, unknown, not-claimed, lease-lost, handed-back or lease-kept."""
    return deliver_batch([notification_id], now)[notification_id]


def deliver_batch(notification_ids: Collection[int], now: datetime) -> dict[int, str]:
    """Delivery attempts for the rows of one broker message: claim those still due (one
    statement), then for each in turn render it in the recipient's language, send it and
    record what the server answered, while a thread keeps the leases of the rows not yet
    recorded alive. Each row is recorded before the next is sent, so a worker that dies
    sends again at most the one message it was sending. No send starts after
    NOTIFY_BATCH_SECONDS: the rows left go back to the queue unattempted, so a slow mail
    server's messages spread over the processes, and the task stays inside its time limit
    however slow the server. Rows left by an error go back the same way. Returns each id's
    outcome."""
    clock = lease.Clock(now)
    rows, defaults, until = _claim(notification_ids, now)
    outcomes = dict.fromkeys(notification_ids, "not-claimed")
    if not rows:
        return outcomes
    ids = [row.id for row in rows]  # read now: a rollback after a failure expires the rows
    budget = current_app.config["NOTIFY_BATCH_SECONDS"]
    left: list[int] = []
    held = lease.Held(ids, until)
    try:
        # Records go over a connection of their own, each UPDATE committed on its own: one
        # round trip a record instead of four (the pool's ping, BEGIN, UPDATE, COMMIT).
        with lease.kept(held, clock), \
                db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as records:
            for index, (row_id, row) in enumerate(zip(ids, rows, strict=True)):
                left = ids[index:]
                if index and clock.elapsed() > budget:
                    break
                left = ids[index + 1:]
                if not held.covers(row_id, clock()):  # lapsed; maybe another delivery has it
                    current_app.logger.warning("notification %s: lease lost before sending",
                                               row_id)
                    outcomes[row_id] = "lease-lost"
                    continue
                outcomes[row_id] = _attempt(row, defaults, clock, records)
    finally:
        if left:  # the renewals have stopped: what `held` covers is final
            outcomes.update(_hand_back(left, held, clock()))
    return outcomes


def _attempt(row: Notification, defaults: dict, clock: lease.Clock, records: Connection) -> str:
    user = row.user
    if (choice_for(user, row.kind, defaults) == Choice.APP or not user.is_enabled
            or not still_true(row)):
        return _finish(row, Status.SKIPPED, clock(), records)
    try:
        message = render_email(row)
        with kept_loaded(db.session()):
            db.session.commit()  # no transaction stays open while the server takes its time
        mail.send(message)
    except mail.OutcomeUnknown as error:
        return _unanswered(row, str(error), clock())
    except (OSError, smtplib.SMTPException) as error:
        return _failed(row, f"{type(error).__name__}: {error}", clock())
    except Exception as error:  # noqa: BLE001 - a row that cannot be rendered must not loop hot
        current_app.logger.exception("notification %s cannot be delivered", row.id)
        return _failed(row, f"{type(error).__name__}: {error}", clock())
    return _finish(row, Status.SENT, clock(), records)


def _finish(row: Notification, status: str, now: datetime, records: Connection) -> str:
    """Record a send or a skip, durable before the next row is sent."""
    with kept_loaded(db.session()):
        db.session.commit()  # what the next rows' emails read stays loaded
    values = {"status": status, "lease_until": None,
              "sent_at": now if status == Status.SENT else None}
    table = Notification.__table__
    records.execute(table.update().where(table.c.id == row.id).values(values))
    for name, value in values.items():
        set_committed_value(row, name, value)
    return str(status)


def _hand_back(row_ids: list[int], held: lease.Held, now: datetime) -> dict[int, str]:
    """Rows of a batch left unattempted (its time ran out on a slow mail server, or an error
    ended it): those it still holds are unleased, their claim's attempt taken back, and
    queued again one a message, so that every idle process of the workers takes one (a
    broker that cannot take them leaves them to the sweep). Their outcomes."""
    held_ids, until = held.state
    table = Notification.__table__
    try:
        with db.engine.begin() as connection:  # whatever state the session was left in
            back = list(connection.scalars(
                table.update().where(table.c.id.in_([i for i in row_ids if i in held_ids]),
                                     table.c.status == Status.QUEUED,
                                     table.c.lease_until == until)
                .values(lease_until=None, attempts=table.c.attempts - 1, enqueued_at=now)
                .returning(table.c.id)))
    except Exception:  # noqa: BLE001 - the database away: the leases lapse, the sweep re-queues
        current_app.logger.warning("notifications %s not handed back", row_ids, exc_info=True)
        return dict.fromkeys(row_ids, "lease-kept")
    enqueue_deliveries(back, batch=1)
    return {row_id: "handed-back" if row_id in back else "lease-lost" for row_id in row_ids}


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


def _templates(kind: str) -> tuple[str, str, str]:
    """Subject, text and HTML templates: one set for all events, one for all reminders, one
    for everything about a firm's commitments, one per other kind (digest, account
    messages), each named after it."""
    name = ("commitment" if kind in COMMITMENT_KINDS else "event" if kind in set(EventKind)
            else "reminder" if kind in set(RuleKind) else kind)
    return f"emails/{name}_subject.txt", f"emails/{name}.txt", f"emails/{name}.html"


def _link(row: Notification) -> str:
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    if "path" in row.params:
        return base + row.params["path"]
    if row.case_id is None:
        return f"{base}/account"
    return base + (f"/tasks/{row.task_id}" if row.kind != RuleKind.INFO_REQUEST
                   else f"/cases/{row.case_id}")


def extra_context(row: Notification) -> dict:
    if row.kind in COMMITMENT_KINDS:
        return commitment_context(row)
    if row.kind in set(EventKind):
        return message_context(row)
    if row.kind == DigestKind.DIGEST:
        listed = items(row.user, digest_id=row.id)
        lines = describe(listed)
        return {"items": [(item, lines[item.id], _link(item)) for item in listed]}
    return {}


def thread_id(case_id: int) -> str:
    """Every message about one case points at this id, so mail programs keep them together."""
    return f"<case-{case_id}@onestop>"


def recipient(row: Notification) -> str:
    """Where the row's message goes: the user's address, except for the messages about a
    change of address, which go to the address named when the row was written (so a notice
    to the old address still reaches it after the change took effect)."""
    return row.params["to"] if row.kind in ADDRESSED_KINDS else row.user.email


def render_email(row: Notification) -> Message:
    """The message for one row, in the recipient's language, with a Message-ID from the row
    so that a resend after a crash carries the same id."""
    config = current_app.config
    subject_template, text_template, html_template = _templates(row.kind)
    with force_locale(row.user.locale or "ko"):
        context = {"row": row, "user": row.user, "case": row.case, "task": row.task,
                   "link": _link(row), "days": row.params.get("days", 0),
                   "escalated": row.params.get("escalated", False), "params": row.params,
                   **extra_context(row)}
        subject = render_template(subject_template, **context).strip()
        text = render_template(text_template, **context)
        html = render_template(html_template, **context)
    headers = {"Subject": subject, "From": config["MAIL_FROM"], "To": recipient(row),
               "Message-ID": row.message_id, "Date": formatdate(localtime=False),
               "X-OneStop-Notification": str(row.id),
               # RFC 3834: answering machines (out-of-office replies) leave it unanswered.
               "Auto-Submitted": "auto-generated"}
    if row.case_id is not None:
        headers["In-Reply-To"] = headers["References"] = thread_id(row.case_id)
        headers["Reply-To"] = reply_address(row)
    return mail.compose(headers, text, html)


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
