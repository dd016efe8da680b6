"""The daily digest: on each working morning one email per user, listing every notification
they chose to hear of in a digest since the one before."""
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from onestop import policy
from onestop.cases.models import Case, Comment, Event
from onestop.deadlines import SEOUL
from onestop.extensions import db
from onestop.notifications import ledger
from onestop.notifications.events import message_context
from onestop.notifications.firm_events import commitment_context, firm_events_of
from onestop.notifications.models import (
    COMMITMENT_KINDS,
    DigestKind,
    EventKind,
    Notification,
    Status,
)
from onestop.notifications.reminders import KIND_LABELS
from onestop.tasks.models import AgencyTask
from onestop.workdays.services import work_calendar


def collect(now: datetime) -> list[int]:
    """Write today's digest row for each user with rows waiting, and mark those rows as
    listed in it, in one transaction: a row is in exactly one digest. Returns the new ids.
    Rows that arrive after today's digest wait for tomorrow's."""
    if work_calendar().next_working_moment(now) != now.astimezone(SEOUL):
        return []
    today = now.astimezone(SEOUL).date().isoformat()
    waiting = db.session.execute(
        select(Notification.user_id, func.max(Notification.id), func.count(Notification.id))
        .where(Notification.status == Status.DIGEST).group_by(Notification.user_id)).all()
    ids = []
    for user_id, last_id, count in waiting:
        new = ledger.write([ledger.row(key=f"digest:u{user_id}:{today}", user_id=user_id,
                                       kind=DigestKind.DIGEST, params={"count": count},
                                       now=now)])
        if not new:
            continue
        db.session.execute(update(Notification).where(
            Notification.user_id == user_id, Notification.status == Status.DIGEST,
            Notification.id <= last_id).values(status=Status.DIGESTED, digest_id=new[0]))
        ids += new
    return ids


def items(user, *, digest_id: int | None) -> list[Notification]:
    """The rows a digest lists (or, with None, those waiting for the next one), oldest first,
    of requests the user may still see."""
    where = (Notification.digest_id == digest_id if digest_id is not None
             else Notification.status == Status.DIGEST)
    return list(db.session.scalars(
        select(Notification).where(where, Notification.user_id == user.id,
                                   policy.visible_notifications(user))
        .options(selectinload(Notification.case), selectinload(Notification.event),
                 selectinload(Notification.firm))
        .order_by(Notification.created_at, Notification.id)))


_event = selectinload(Notification.event)
# What describe() and the bell's page read of each row, loaded a relation at a time.
LINE_LOADS = (selectinload(Notification.case).selectinload(Case.firm),
              selectinload(Notification.firm), selectinload(Notification.task),
              selectinload(Notification.user),
              _event.selectinload(Event.task).selectinload(AgencyTask.organization),
              _event.selectinload(Event.task).selectinload(AgencyTask.assignee),
              _event.selectinload(Event.comment).selectinload(Comment.author))


def describe(rows: list[Notification]) -> dict[int, str]:
    """One line of what each listed row says, by row id (the firm events behind the rows
    loaded in one query)."""
    events = firm_events_of(rows)

    def line(row: Notification) -> str:
        if row.kind in set(EventKind):
            return message_context(row)["sentence"]
        if row.kind in COMMITMENT_KINDS:
            return commitment_context(row, events)["sentence"]
        return str(KIND_LABELS.get(row.kind, row.kind))
    return {row.id: line(row) for row in rows}
