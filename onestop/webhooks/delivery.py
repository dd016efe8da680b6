"""Sending webhook messages: one claimed under a lease, signed as Standard Webhooks says,
POSTed to the address its host resolves to at that moment, every attempt logged, retried on
a schedule; an endpoint failing for a day is turned off and its keepers emailed."""
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import urllib3
from flask import current_app
from sqlalchemy import or_, select, update
from standardwebhooks import Webhook

from onestop.accounts.models import Role, User
from onestop.extensions import db
from onestop.notifications.ledger import write_account_message
from onestop.notifications.models import AlertKind
from onestop.webhooks.addresses import Refused, resolve
from onestop.webhooks.models import (
    DeliveryStatus,
    EndpointState,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

RESPONSE_KEPT = 1024  # bytes of the answer kept in the attempt's log


class GaveUp(Exception):
    """The message is not tried again."""
USER_AGENT = "OneStop-Webhooks/1"


def check_timing(lease: float, timeout: float) -> None:
    """Refuse (the app will not start) a lease that an attempt's own timeouts could outlast:
    a lapsed lease lets a second worker send the message while the first still is."""
    if lease < 3 * timeout + 10:
        raise RuntimeError(f"WEBHOOK_LEASE_SECONDS is {lease:g}; with WEBHOOK_TIMEOUT_SECONDS "
                           f"{timeout:g} it must be at least {3 * timeout + 10:g} (a lookup, "
                           f"a connection and an answer, each up to the timeout)")


def _due(now: datetime):
    return (WebhookDelivery.status == DeliveryStatus.QUEUED,
            or_(WebhookDelivery.next_attempt_at.is_(None), WebhookDelivery.next_attempt_at <= now),
            or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now),
            WebhookDelivery.endpoint.has(WebhookEndpoint.state == EndpointState.ACTIVE))


def requeue(now: datetime) -> list[int]:
    """Messages due whose broker message seems lost (never consumed, a worker died holding
    the lease, or a retry too far off for a countdown): handed out again."""
    stale = now - timedelta(seconds=current_app.config["NOTIFY_REQUEUE_AFTER_SECONDS"])
    ids = list(db.session.scalars(select(WebhookDelivery.id).where(
        *_due(now), or_(WebhookDelivery.enqueued_at.is_(None), WebhookDelivery.enqueued_at < stale))
        .with_for_update(skip_locked=True)))
    if ids:
        db.session.execute(update(WebhookDelivery).where(WebhookDelivery.id.in_(ids))
                           .values(enqueued_at=now))
    return ids


def _claim(delivery_id: int, now: datetime) -> tuple[WebhookDelivery | None, datetime]:
    until = now + timedelta(seconds=current_app.config["WEBHOOK_LEASE_SECONDS"])
    taken = db.session.scalar(
        update(WebhookDelivery).where(WebhookDelivery.id == delivery_id, *_due(now))
        .values(lease_until=until, attempts=WebhookDelivery.attempts + 1)
        .returning(WebhookDelivery.id).execution_options(synchronize_session=False))
    db.session.commit()
    return (db.session.get(WebhookDelivery, taken, populate_existing=True) if taken else None,
            until)


def _post(endpoint: WebhookEndpoint, delivery: WebhookDelivery, address: str,
          timeout: float) -> tuple[int, str]:
    """POST the message to `address` (the host's name kept for Host, SNI and the certificate
    check); the status and the first bytes of the answer."""
    parts = urlsplit(endpoint.url)
    body = delivery.body.encode()
    sent_at = datetime.now(UTC)
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
               "Host": parts.netloc.rpartition("@")[2],
               "webhook-id": delivery.message_id,
               "webhook-timestamp": str(int(sent_at.timestamp())),
               "webhook-signature": Webhook(endpoint.secret).sign(delivery.message_id, sent_at,
                                                                  body)}
    options = {"timeout": urllib3.Timeout(connect=timeout, read=timeout), "retries": False,
               "maxsize": 1}
    if parts.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(address, parts.port or 443, server_hostname=parts.hostname,
                                           assert_hostname=parts.hostname, **options)
    else:
        pool = urllib3.HTTPConnectionPool(address, parts.port or 80, **options)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    with pool:
        response = pool.urlopen("POST", path, body=body, headers=headers, redirect=False,
                                assert_same_host=False, preload_content=False)
        try:
            # The first bytes, for a while at most: an answer that trickles in must not hold
            # the attempt (each read waits up to the timeout, not the whole answer).
            kept, until = b"", time.monotonic() + timeout
            while len(kept) < RESPONSE_KEPT and time.monotonic() < until:
                chunk = response.read1(RESPONSE_KEPT - len(kept))
                if not chunk:
                    break
                kept += chunk
        finally:
            response.release_conn()
    return response.status, kept.decode("utf-8", "replace")


def deliver(delivery_id: int, now: datetime) -> tuple[str, float | None]:
    """One attempt at one message: its outcome, and in how many seconds the next attempt is
    due after a failure (None when there is none)."""
    delivery, until = _claim(delivery_id, now)
    if delivery is None:
        return "not due", None
    endpoint = delivery.endpoint
    config = current_app.config
    schedule = config["WEBHOOK_RETRY_SECONDS"]
    attempt = WebhookAttempt(delivery_id=delivery.id, started_at=now)
    began = time.monotonic()
    try:
        if delivery.attempts > len(schedule) + 1:
            # More attempts begun than the schedule has: the others never ended (their worker
            # was killed, a hung answer past the time limit). Not tried again for ever.
            raise GaveUp(f"{delivery.attempts - 1} attempts began and none ended")
        attempt.address = resolve(endpoint.url, endpoint.allow_private)
        attempt.status_code, attempt.response = _post(endpoint, delivery, attempt.address,
                                                      config["WEBHOOK_TIMEOUT_SECONDS"])
        if not 200 <= attempt.status_code < 300:
            attempt.error = f"HTTP {attempt.status_code}"
    except Refused as refusal:
        attempt.error = f"refused: {refusal}"
    except Exception as error:  # noqa: BLE001 - whatever went wrong, the attempt is logged
        attempt.error = f"{type(error).__name__}: {error}"[:2000]
    attempt.milliseconds = int((time.monotonic() - began) * 1000)
    done = now + timedelta(milliseconds=attempt.milliseconds)
    db.session.add(attempt)
    still_held = WebhookDelivery.lease_until == until
    if not attempt.error:
        db.session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery.id,
                                                         still_held)
                           .values(status=DeliveryStatus.DELIVERED, delivered_at=done,
                                   lease_until=None))
        endpoint.failing_since = None
        db.session.commit()
        return "delivered", None
    retry = schedule[delivery.attempts - 1] if delivery.attempts <= len(schedule) else None
    db.session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery.id, still_held)
                       .values(lease_until=None, enqueued_at=done,
                               next_attempt_at=done + timedelta(seconds=retry) if retry else None,
                               status=DeliveryStatus.QUEUED if retry else DeliveryStatus.FAILED))
    _count_failure(endpoint, attempt.error, done)
    db.session.commit()
    return "failed", retry if endpoint.state == EndpointState.ACTIVE else None


def _count_failure(endpoint: WebhookEndpoint, error: str, now: datetime) -> None:
    """A day of failures with no success between turns the endpoint off; its keepers (the
    organization's leads, the admins for the desk's) are emailed once."""
    endpoint.failing_since = endpoint.failing_since or now
    day = timedelta(hours=current_app.config["WEBHOOK_DISABLE_AFTER_HOURS"])
    if endpoint.state != EndpointState.ACTIVE or now - endpoint.failing_since < day:
        return
    endpoint.state, endpoint.disabled_at = EndpointState.DISABLED, now
    keepers = (select(User).where(User.role == Role.PARTNER_LEAD,
                                  User.organization_id == endpoint.organization_id)
               if endpoint.organization_id else select(User).where(User.role == Role.ADMIN))
    for user in db.session.scalars(keepers.where(User.is_enabled)):
        write_account_message(
            user, AlertKind.WEBHOOK_DISABLED,
            f"webhook-off:w{endpoint.id}:{endpoint.failing_since.isoformat()}",
            {"url": endpoint.url, "error": error[:300], "path": f"/webhooks/{endpoint.id}"},
            now=now)
