"""A caseworker's saved views of the case queue: a named, validated filter set."""
from datetime import datetime
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import func, select

from onestop import policy
from onestop.cases.models import SavedView
from onestop.errors import Conflict, Invalid, NotFound
from onestop.extensions import db
from onestop.i18n import lazy_gettext as _l

# The queue's filters a view keeps (never the page it was on).
VIEW_KEYS = ("q", "status", "category", "request_type", "organization", "firm", "owner",
             "overdue", "need", "sort")
MAX_VIEWS_PER_USER = 30


def clean_query(query: str) -> str:
    """The filter part of a queue query string, in one canonical order, empty values kept
    (an empty status means "all", not the queue's default)."""
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k in VIEW_KEYS]
    return urlencode(sorted(pairs, key=lambda kv: VIEW_KEYS.index(kv[0])))


def views_of(user) -> list[SavedView]:
    """The user's own saved views (nobody sees another's), by name."""
    if not policy.can(user, "case.save_view"):
        return []
    return list(db.session.scalars(select(SavedView).where(SavedView.user_id == user.id)
                                   .order_by(SavedView.name)))


def view_of(user, view_id: int) -> SavedView:
    view = db.session.get(SavedView, view_id)
    if view is None or view.user_id != user.id:
        raise NotFound("not found")
    return view


def _check_name(user, name: str, *, other_than: int | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise Invalid(_l("Give the view a name."), field="name")
    if len(name) > 60:
        raise Invalid(_l("Use at most 60 characters."), field="name")
    taken = select(SavedView.id).where(SavedView.user_id == user.id, SavedView.name == name)
    if other_than is not None:
        taken = taken.where(SavedView.id != other_than)
    if db.session.scalar(taken):
        raise Conflict(_l("You already have a view named %(name)s.", name=name), field="name")
    return name


def save_view(actor, name: str, query: str, *, now: datetime) -> SavedView:
    """Save the queue's current filters (a query string already validated by the filter
    form) under a name of the actor's."""
    policy.require(actor, "case.save_view")
    name = _check_name(actor, name)
    count = db.session.scalar(select(func.count()).select_from(SavedView).where(
        SavedView.user_id == actor.id))
    if count >= MAX_VIEWS_PER_USER:
        raise Invalid(_l("You have %(n)d saved views already. Delete one first.",
                         n=MAX_VIEWS_PER_USER))
    query = clean_query(query)
    if len(query) > 1000:
        raise Invalid(_l("These filters are too long to save."))
    view = SavedView(user_id=actor.id, name=name, query=query, created_at=now)
    db.session.add(view)
    db.session.flush()
    return view


def rename_view(actor, view: SavedView, name: str) -> None:
    policy.require(actor, "case.save_view")
    if view.user_id != actor.id:
        raise NotFound("not found")
    view.name = _check_name(actor, name, other_than=view.id)


def delete_view(actor, view: SavedView) -> None:
    policy.require(actor, "case.save_view")
    if view.user_id != actor.id:
        raise NotFound("not found")
    db.session.delete(view)
