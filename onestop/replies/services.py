"""Keeping an organization's canned replies."""
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from onestop import policy
from onestop.errors import Invalid
from onestop.extensions import db
from onestop.i18n import lazy_gettext as _l
from onestop.replies.models import CannedReply

TITLE_MAX, BODY_MAX = 120, 4000


def replies_of(user) -> list[CannedReply]:
    """The canned replies this user's organization keeps, by title (none for a firm)."""
    if not policy.can(user, "reply.use"):
        return []
    return list(db.session.scalars(select(CannedReply).where(policy.visible_replies(user))
                                   .options(selectinload(CannedReply.created_by))
                                   .order_by(CannedReply.title, CannedReply.id)))


def _clean(title: str, body: str) -> tuple[str, str]:
    title, body = " ".join(title.split()), body.strip()
    if not title:
        raise Invalid(_l("Give the reply a title."), field="title")
    if not body:
        raise Invalid(_l("Write the reply's text."), field="body")
    return title, body


def save_reply(actor, reply: CannedReply | None, *, title: str, body: str,
               now: datetime) -> CannedReply:
    """A new canned reply of the actor's organization, or new words for one of them."""
    policy.require(actor, "reply.use")
    title, body = _clean(title, body)
    if reply is None:
        reply = CannedReply(organization_id=actor.organization_id, created_by_id=actor.id,
                            created_at=now)
        db.session.add(reply)
    else:
        policy.require(actor, "reply.edit", reply)
    reply.title, reply.body, reply.updated_at = title, body, now
    db.session.flush()
    return reply


def delete_reply(actor, reply: CannedReply) -> None:
    policy.require(actor, "reply.edit", reply)
    db.session.delete(reply)
