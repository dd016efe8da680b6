"""Keeping webhook endpoints, and writing the messages the history calls for."""
import base64
import json
import secrets
from datetime import datetime

from flask import current_app
from sqlalchemy import delete, select, update

from onestop import policy
from onestop.cases.models import Event
from onestop.db import after_commit
from onestop.errors import Invalid
from onestop.extensions import db
from onestop.i18n import lazy_gettext as _l
from onestop.jobs import enqueue_webhooks
from onestop.notifications import events as case_events
from onestop.notifications.ledger import insert
from onestop.notifications.models import EventKind
from onestop.webhooks.addresses import check
from onestop.webhooks.models import (
    DeliveryStatus,
    EndpointState,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

# Every kind of the notifications but the firm's own progress notice.
KINDS = [kind for kind in EventKind if kind != EventKind.PROGRESS_NOTICE]
DESCRIPTION_MAX = 200


def endpoints_of(user) -> list[WebhookEndpoint]:
    return list(db.session.scalars(select(WebhookEndpoint).where(policy.visible_webhooks(user))
                                   .order_by(WebhookEndpoint.id)))


def deliveries_of(endpoint: WebhookEndpoint, limit: int = 50) -> list[WebhookDelivery]:
    """The endpoint's newest messages (the page shows each with its attempts)."""
    return list(db.session.scalars(select(WebhookDelivery)
                                   .where(WebhookDelivery.endpoint_id == endpoint.id)
                                   .order_by(WebhookDelivery.id.desc()).limit(limit)))


def attempts_of(deliveries: list[WebhookDelivery]) -> dict[int, list[WebhookAttempt]]:
    found: dict[int, list[WebhookAttempt]] = {d.id: [] for d in deliveries}
    for attempt in db.session.scalars(select(WebhookAttempt).where(
            WebhookAttempt.delivery_id.in_(found)).order_by(WebhookAttempt.id)):
        found[attempt.delivery_id].append(attempt)
    return found


def _new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _clean(url: str, kinds: list[str], description: str, allow_private: bool):
    kinds = [k for k in KINDS if k in set(kinds)]
    if not kinds:
        raise Invalid(_l("Pick at least one event."), field="events")
    return check(url, allow_private), kinds, " ".join((description or "").split())[:DESCRIPTION_MAX]


def create_endpoint(actor, *, url: str, kinds: list[str], description: str = "",
                    allow_private: bool = False, now: datetime) -> tuple[WebhookEndpoint, str]:
    """A new endpoint of the actor's organization (an admin's: the desk's); returns it and its
    signing secret, which the page shows once."""
    policy.require(actor, "webhook.keep")
    if allow_private and not policy.can(actor, "webhook.allow_private"):
        raise Invalid(_l("Only an admin may let a webhook reach addresses inside the network."),
                      field="allow_private")
    url, kinds, description = _clean(url, kinds, description, allow_private)
    endpoint = WebhookEndpoint(
        organization_id=None if actor.is_staff else actor.organization_id, url=url,
        events=kinds, description=description, allow_private=allow_private,
        secret=_new_secret(), created_by_id=actor.id, created_at=now)
    db.session.add(endpoint)
    db.session.flush()
    return endpoint, endpoint.secret


def update_endpoint(actor, endpoint: WebhookEndpoint, *, url: str, kinds: list[str],
                    description: str, allow_private: bool) -> None:
    policy.require(actor, "webhook.edit", endpoint)
    if not policy.can(actor, "webhook.allow_private"):
        # What an admin allowed, for this URL: a new one must be allowed again.
        allow_private = endpoint.allow_private and url.strip() == endpoint.url
    endpoint.url, endpoint.events, endpoint.description = _clean(url, kinds, description,
                                                                 allow_private)
    endpoint.allow_private = allow_private


def new_secret(actor, endpoint: WebhookEndpoint) -> str:
    """A new signing secret in place of the old, which stops working at once."""
    policy.require(actor, "webhook.edit", endpoint)
    endpoint.secret = _new_secret()
    return endpoint.secret


def switch(actor, endpoint: WebhookEndpoint, on: bool, now: datetime) -> None:
    """Pause the endpoint (its messages wait) or turn it on again (they are sent)."""
    policy.require(actor, "webhook.edit", endpoint)
    if not on:
        endpoint.state = EndpointState.PAUSED
        return
    endpoint.state, endpoint.failing_since, endpoint.disabled_at = EndpointState.ACTIVE, None, None
    waiting = list(db.session.scalars(select(WebhookDelivery.id).where(
        WebhookDelivery.endpoint_id == endpoint.id,
        WebhookDelivery.status == DeliveryStatus.QUEUED)))
    db.session.execute(update(WebhookDelivery).where(WebhookDelivery.id.in_(waiting))
                       .values(next_attempt_at=None, enqueued_at=now))
    after_commit(db.session, enqueue_webhooks, waiting)


def delete_endpoint(actor, endpoint: WebhookEndpoint) -> None:
    """The endpoint with its messages and their log."""
    policy.require(actor, "webhook.edit", endpoint)
    deliveries = select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint.id)
    db.session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries)))
    db.session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    db.session.delete(endpoint)


def redeliver(actor, delivery: WebhookDelivery, now: datetime) -> None:
    """Send the message again as it was first written (same webhook-id), whatever came of it."""
    endpoint = delivery.endpoint
    policy.require(actor, "webhook.edit", endpoint)
    if endpoint.state != EndpointState.ACTIVE:
        raise Invalid(_l("Turn the endpoint on first: its messages wait while it is off."))
    if delivery.lease_until and delivery.lease_until > now:
        raise Invalid(_l("This message is being sent right now."))
    # A fresh schedule of retries, as if it were new (its log keeps the earlier attempts).
    delivery.status, delivery.attempts, delivery.next_attempt_at, delivery.enqueued_at = (
        DeliveryStatus.QUEUED, 0, None, now)
    after_commit(db.session, enqueue_webhooks, [delivery.id])


def _body(ev: Event, kind: str) -> str:
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    links = {"case": f"{base}/api/v1/cases/{ev.case_id}"}
    if ev.task_id:
        links["task"] = f"{base}/api/v1/tasks/{ev.task_id}"
    data = {"event_id": ev.id, "action": ev.action, "case_id": ev.case_id,
            "task_id": ev.task_id, "comment_id": ev.comment_id,
            "from_status": ev.from_status, "to_status": ev.to_status,
            "text": ev.comment.body if ev.comment else ev.detail, "links": links}
    return json.dumps({"type": kind, "timestamp": ev.created_at.isoformat() + "Z", "data": data},
                      ensure_ascii=False, separators=(",", ":"))


def _organizations_told(ev: Event) -> dict[int | None, str]:
    """The organizations whose people the notifications tell of this event (None: the desk),
    each with the kind it hears it as (a firm's answer is "answered" for those who asked and
    a comment for the other partners at work)."""
    told: dict[int | None, str] = {}
    for kind, audience, _ in case_events.who_hears(ev):
        for user in audience(ev):
            if user.is_staff:
                told.setdefault(None, kind)
            elif user.is_partner:
                told.setdefault(user.organization_id, kind)
    return told


def fan_out(events: list[Event]) -> list[int]:
    """Write a message for each endpoint that listens for the kind its organization hears a
    new event as, when the organization may read the event whole; their deliveries are
    queued once the transaction commits."""
    heard_at_all = [ev for ev in events if case_events.who_hears(ev)]
    if not heard_at_all:
        return []
    endpoints = db.session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.state != EndpointState.DISABLED)).all()
    if not endpoints:
        return []
    wanted = {kind for endpoint in endpoints for kind in endpoint.events}
    told = {ev.id: _organizations_told(ev) for ev in heard_at_all
            if wanted & {kind for kind, _, _ in case_events.who_hears(ev)}}
    rows = []
    for endpoint in endpoints:
        kinds = {ev_id: kind for ev_id, organizations in told.items()
                 if (kind := organizations.get(endpoint.organization_id, "")) in endpoint.events}
        heard = policy.events_heard_by(endpoint, list(kinds)) if kinds else set()
        rows += [{"key": f"e{ev.id}-w{endpoint.id}", "endpoint_id": endpoint.id,
                  "event_id": ev.id, "kind": kinds[ev.id], "body": _body(ev, kinds[ev.id]),
                  "status": DeliveryStatus.QUEUED, "attempts": 0, "enqueued_at": ev.created_at,
                  "created_at": ev.created_at} for ev in heard_at_all if ev.id in heard]
    if not rows:
        return []
    table = WebhookDelivery.__table__
    ids = list(db.session.scalars(insert()(table).on_conflict_do_nothing(index_elements=["key"])
                                  .returning(table.c.id), rows))
    after_commit(db.session, enqueue_webhooks, ids)
    return ids


case_events.LISTENERS.append(fan_out)
