"""Enqueuing Celery tasks by name from the web side, after the transaction has committed."""
from celery import Celery
from flask import Flask, current_app

DELIVER = "onestop.deliver"
SWEEP = "onestop.sweep"
CANARY = "onestop.canary"
HOUSEKEEPING = "onestop.housekeeping"
# A "forgot password" request: the worker looks the address up, so the page does the same
# work whether or not it has an account.
PASSWORD_RESET = "onestop.password_reset"
# Sweeps, canaries and reset requests go on their own queue so that a backlog of deliveries
# never holds them up (a busy worker must still answer `workers check`).
CONTROL_QUEUE = "onestop.control"
DELIVERY_QUEUE = "celery"
ROUTES = {SWEEP: {"queue": CONTROL_QUEUE}, CANARY: {"queue": CONTROL_QUEUE},
          HOUSEKEEPING: {"queue": CONTROL_QUEUE}, PASSWORD_RESET: {"queue": CONTROL_QUEUE}}


def init_app(app: Flask) -> None:
    """A Celery client for sending; the worker app with the task code lives in workers/."""
    app.extensions["celery"] = Celery("onestop-client", broker=app.config["CELERY_BROKER_URL"],
                                      set_as_current=False)


def enqueue(task_name: str, *args) -> None:
    queue = ROUTES.get(task_name, {}).get("queue", DELIVERY_QUEUE)
    current_app.extensions["celery"].send_task(task_name, args=args, queue=queue)


def enqueue_deliveries(notification_ids: list[int]) -> int:
    """Send one delivery message per row. A failure to reach the broker loses nothing: the
    rows stay queued and the next sweep queues them again. Returns how many were sent."""
    sent = 0
    for notification_id in notification_ids:
        try:
            enqueue(DELIVER, notification_id)
            sent += 1
        except Exception:  # noqa: BLE001 - any broker failure; the sweep retries
            current_app.logger.warning("broker unreachable; %s rows wait for the next sweep",
                                       len(notification_ids) - sent)
            break
    return sent
