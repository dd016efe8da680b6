"""Thin tasks: parse the arguments, call one service, commit, enqueue after the commit."""
import socket
from collections import Counter

from onestop.accounts import resets
from onestop.commitments import imports
from onestop.db import utcnow
from onestop.extensions import db
from onestop.jobs import (
    CANARY,
    DELIVER,
    DELIVER_WEBHOOK,
    HOUSEKEEPING,
    IMPORT_AGREEMENTS,
    PASSWORD_RESET,
    PROCESS_REPLY,
    SWEEP,
    enqueue_deliveries,
    enqueue_imports,
    enqueue_replies,
    enqueue_webhooks,
)
from onestop.mail import longest_send
from onestop.notifications import delivery, inbound, services
from onestop.webhooks import delivery as webhooks
from workers.celery_app import celery_app, settings

# A sweep holds the sweep lock (another finds it taken and returns at once) and reads only
# what can fire, so it is short; the limits stop one that is not before the beat's next few,
# its transaction rolled back (written again by the next sweep, nothing sent twice).
SWEEP_SOFT_LIMIT, SWEEP_HARD_LIMIT = 240, 300


@celery_app.task(name=SWEEP, soft_time_limit=SWEEP_SOFT_LIMIT, time_limit=SWEEP_HARD_LIMIT)
def sweep_reminders() -> int:
    now = utcnow()
    written, requeued = services.sweep_and_requeue(now)
    replies = inbound.requeue_replies(now)
    stalled = imports.requeue_stalled(now)
    hooks = webhooks.requeue(now)
    db.session.commit()  # queues the written rows
    enqueue_deliveries(requeued)
    enqueue_replies(replies)
    enqueue_imports(stalled)
    enqueue_webhooks(hooks)
    return len(written) + len(requeued) + len(replies) + len(stalled) + len(hooks)


# The leases are kept alive while sends are under way (notifications/lease.py), so the time
# limit is only a backstop for a hung task: it lies beyond the longest legitimate send
# started at the end of the batch's time, and killing a send would be a worker death (its
# message may go out again).
@celery_app.task(name=DELIVER, time_limit=60 + settings.NOTIFY_BATCH_SECONDS + longest_send(
    connect=settings.SMTP_CONNECT_TIMEOUT, command=settings.SMTP_COMMAND_TIMEOUT,
    reply=settings.SMTP_REPLY_TIMEOUT))
def deliver_notifications(notification_ids) -> dict[str, int]:
    if isinstance(notification_ids, int):
        notification_ids = [notification_ids]  # a message queued before deliveries were batched
    outcomes = delivery.deliver_batch([int(row_id) for row_id in notification_ids], utcnow())
    return dict(Counter(outcomes.values()))


# The hard limit lies inside the message's lease, so a hung attempt is killed before another
# worker may take the message; a retry due before the next sweep is queued for its moment.
@celery_app.task(name=DELIVER_WEBHOOK, time_limit=settings.WEBHOOK_LEASE_SECONDS - 5)
def deliver_webhook(delivery_id) -> str:
    outcome, retry = webhooks.deliver(int(delivery_id), utcnow())
    if retry is not None and retry < settings.REMINDER_SWEEP_SECONDS:
        deliver_webhook.apply_async((int(delivery_id),), countdown=retry)
    return outcome


@celery_app.task(name=PROCESS_REPLY)
def process_reply(inbound_id) -> str:
    return inbound.handle_reply(int(inbound_id), utcnow())


# A redelivered message finds its run taken (claimed) and does nothing; a worker that dies
# mid-import leaves an open transaction that dies with it, and the sweep queues the run again.
@celery_app.task(name=IMPORT_AGREEMENTS)
def import_agreements(run_id) -> str:
    return imports.run_import(int(run_id), utcnow())


# Idempotent: the request's own key admits one email, so a message given back is harmless.
@celery_app.task(name=PASSWORD_RESET)
def mail_password_reset(email, request_key) -> int:
    written = resets.mail_reset_link(str(email), str(request_key), now=utcnow())
    db.session.commit()  # queues the delivery
    return len(written)


@celery_app.task(name=CANARY)
def canary(token: str) -> None:
    services.record_canary(str(token), socket.gethostname(), utcnow())
    db.session.commit()


@celery_app.task(name=HOUSEKEEPING)
def housekeeping() -> dict[str, int]:
    from onestop.housekeeping import clear_up

    return clear_up(utcnow())
