"""Your notifications (what the bell lists), newest first, and marking one read."""
from flask import jsonify
from flask_openapi3 import Tag
from sqlalchemy import select

from onestop import lists, policy
from onestop.api import api
from onestop.api.auth import caller
from onestop.api.schemas import NotificationOut, NotificationPage, NotificationPath, NotificationQuery
from onestop.db import utcnow
from onestop.extensions import db
from onestop.lists import Key
from onestop.notifications import services
from onestop.notifications.digests import LINE_LOADS, describe
from onestop.notifications.models import Notification

NOTIFICATIONS = Tag(name="notifications", description="What reached you.")
NEWEST = (Key("created_at", Notification.created_at, descending=True),
          Key("id", Notification.id, descending=True))


def _items(rows: list[Notification]) -> list[NotificationOut]:
    lines = describe(rows)
    return [NotificationOut(id=row.id, kind=row.kind, text=lines[row.id], case_id=row.case_id,
                            task_id=row.task_id, created_at=row.created_at,
                            read_at=row.read_at) for row in rows]


@api.get("/notifications", tags=[NOTIFICATIONS], responses={200: NotificationPage})
def list_notifications(query: NotificationQuery):
    """Your notifications, newest first, as the bell lists them."""
    user = caller()
    stmt = select(Notification).where(services.in_bell(user)).options(*LINE_LOADS)
    if query.unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    page = lists.page(stmt, NEWEST, query.cursor, query.limit, counted=False)
    body = NotificationPage(items=_items(page.items), next_cursor=page.next_cursor)
    return jsonify(body.model_dump(mode="json"))


@api.post("/notifications/<int:notification_id>/read", tags=[NOTIFICATIONS],
          responses={200: NotificationOut})
def read_notification(path: NotificationPath):
    """Mark one of your notifications read (again is harmless)."""
    user = caller()
    row = policy.load(user, Notification, path.notification_id)
    services.mark_read(user, row, now=utcnow())
    db.session.commit()
    return jsonify(_items([row])[0].model_dump(mode="json"))
