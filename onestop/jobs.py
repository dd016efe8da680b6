"""Enqueuing Celery tasks by name from the web side, after the transaction has committed."""
import time

from celery import Celery
from flask import Flask, current_app

DELIVER = "onestop.deliver"
SWEEP = "onestop.sweep"
CANARY = "onestop.canary"
HOUSEKEEPING = "onestop.housekeeping"
PROCESS_REPLY = "onestop.process_reply"
IMPORT_AGREEMENTS = "onestop.import_agreements"
# A "forgot password" request: the worker looks the address up, so the page does the same
# work whether or not it has an account.
PASSWORD_RESET = "onestop.password_reset"
DELIVER_WEBHOOK = "onestop.deliver_webhook"
# Sweeps, canaries, reset requests and imports go on their own queue so that a backlog of
# deliveries never holds them up (a busy worker must still answer `workers check`, and an
# admin watches the import's page).
CONTROL_QUEUE = "onestop.control"
# Rows per delivery message: a worker claims them in one statement and sends them over its
# one SMTP connection, so the broker, the claim and the task's setup are paid once per batch.
DELIVERY_BATCH = 25
PUBLISH_TRIES = 3
DELIVERY_QUEUE = "celery"
ROUTES = {SWEEP: {"queue": CONTROL_QUEUE}, CANARY: {"queue": CONTROL_QUEUE},
          HOUSEKEEPING: {"queue": CONTROL_QUEUE}, PASSWORD_RESET: {"queue": CONTROL_QUEUE},
          IMPORT_AGREEMENTS: {"queue": CONTROL_QUEUE},
          PROCESS_REPLY: {"queue": DELIVERY_QUEUE}}


def init_app(app: Flask) -> None:
    """A Celery client for sending; the worker app with the task code lives in workers/."""
    app.extensions["celery"] = Celery("onestop-client", broker=app.config["CELERY_BROKER_URL"],
                                      set_as_current=False)


def enqueue(task_name: str, *args) -> None:
    """Send one message that nothing sweeps up again (a reset request, a canary): a refusal
    is tried twice more before it is the caller's. The embedded default's SQLite broker
    refuses now and then while another process holds its lock (a worker starting)."""
    queue = ROUTES.get(task_name, {}).get("queue", DELIVERY_QUEUE)
    for attempt in range(1, PUBLISH_TRIES + 1):
        try:
            current_app.extensions["celery"].send_task(task_name, args=args, queue=queue)
            return
        except Exception:  # noqa: BLE001 - any broker failure; the last one is the caller's
            if attempt == PUBLISH_TRIES:
                raise
            current_app.logger.warning("the broker refused %s (try %d of %d)", task_name,
                                       attempt, PUBLISH_TRIES, exc_info=True)
            time.sleep(0.25 * attempt)


def enqueue_deliveries(notification_ids: list[int], batch: int = DELIVERY_BATCH) -> int:
    """Send one delivery message per `batch` rows, all over one broker connection. A failure
    to reach the broker loses nothing: the rows stay queued and the next sweep queues them
    again. Returns how many rows were queued."""
    batches = [notification_ids[start:start + batch]
               for start in range(0, len(notification_ids), batch)]
    return sum(map(len, batches[:_enqueue_each(DELIVER, batches, "batches of rows")]))


def enqueue_replies(inbound_ids: list[int]) -> int:
    """Queue the processing of stored inbound messages; as with deliveries, those the broker
    did not take wait for the next sweep."""
    return _enqueue_each(PROCESS_REPLY, inbound_ids, "inbound messages")


def enqueue_webhooks(delivery_ids: list[int]) -> int:
    """Queue webhook messages, one task each (each goes to its own endpoint); those the broker
    did not take are queued again by the sweep."""
    return _enqueue_each(DELIVER_WEBHOOK, delivery_ids, "webhook messages")


def enqueue_imports(run_ids: list[int]) -> int:
    """Queue agreement imports; a run the broker did not take is queued again by the sweep
    once its lease_until has passed."""
    return _enqueue_each(IMPORT_AGREEMENTS, run_ids, "imports")


def _enqueue_each(task_name: str, arguments: list, what: str) -> int:
    """One message for each argument; returns how many the broker took."""
    if not arguments:
        return 0
    celery = current_app.extensions["celery"]
    queue = ROUTES.get(task_name, {}).get("queue", DELIVERY_QUEUE)
    sent = 0
    try:
        # One producer (connection and channel) for the batch, not one acquired per message.
        with celery.producer_or_acquire() as producer:
            for argument in arguments:
                celery.send_task(task_name, args=(argument,), queue=queue, producer=producer)
                sent += 1
    except Exception:  # noqa: BLE001 - any broker failure; the sweep retries
        current_app.logger.warning("broker unreachable; %s %s wait for the next sweep",
                                   len(arguments) - sent, what)
    return sent
