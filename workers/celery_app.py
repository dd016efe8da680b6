"""The Celery app: configured from the same settings as the web, tasks run in a Flask app
context built once per worker process (not at import), beat runs the reminder sweep."""
from functools import cache

from celery import Celery, Task, signals
from kombu import Queue

from onestop import mail
from onestop.config import config_for
from onestop.jobs import CONTROL_QUEUE, DELIVERY_QUEUE, HOUSEKEEPING, ROUTES, SWEEP
from onestop.notifications.lease import check_lease_seconds
from onestop.webhooks.delivery import check_timing

settings = config_for(None)
check_lease_seconds(settings.NOTIFY_LEASE_SECONDS)
check_timing(settings.WEBHOOK_LEASE_SECONDS, settings.WEBHOOK_TIMEOUT_SECONDS)

# How every OneStop worker is started. The workers need no chatter among themselves
# (mingle, gossip, worker heartbeats; the SQLite broker cannot carry it anyway), and that
# chatter is where Celery workers have been seen to stop consuming after a Redis restart
# (celery/celery#8030, #9054).
WORKER_ARGS = ["worker", "--without-mingle", "--without-gossip", "--without-heartbeat"]
PREFETCH_PER_PROCESS = 2


@cache
def flask_app():
    from onestop import create_app

    return create_app()


@signals.worker_process_shutdown.connect
@signals.worker_shutdown.connect
def close_mail_connections(**_) -> None:
    """A pool process (or a worker without one) keeps its SMTP connection open between
    deliveries; it says QUIT when it stops."""
    mail.close_connections()


class FlaskTask(Task):
    def __call__(self, *args, **kwargs):
        with flask_app().app_context():
            return self.run(*args, **kwargs)


celery_app = Celery("onestop", task_cls=FlaskTask, include=["workers.tasks"])
celery_app.conf.update(
    task_queues=(Queue(DELIVERY_QUEUE), Queue(CONTROL_QUEUE)),
    task_routes=ROUTES,
    broker_url=settings.CELERY_BROKER_URL,
    broker_connection_retry_on_startup=True,
    # Redis: retry forever while it is away, come back on its own.
    broker_connection_max_retries=None,
    task_ignore_result=True,
    # Deliveries are idempotent (a row is claimed before it is sent), so a message is
    # acknowledged only after the task ran and given back if the worker dies.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    # Each pool process has the next delivery batch at hand besides the one it is sending
    # (acks are late, so both count), instead of asking Redis after each. Prefetched
    # messages are not yet claimed: a worker that dies with them sends none of them, and the
    # sweep queues their rows again (NOTIFY_REQUEUE_AFTER_SECONDS). More would hold up the
    # control queue: a canary waits for a free slot behind batches of a slow server.
    worker_prefetch_multiplier=PREFETCH_PER_PROCESS,
    # Set here, not left to the host's CPU count: each worker death may send again as many
    # messages as the worker was delivering, and the README promises this bound.
    worker_concurrency=settings.CELERY_WORKER_CONCURRENCY,
    worker_hijack_root_logger=False,
    timezone="UTC",
    beat_schedule={
        "reminder-sweep": {"task": SWEEP, "schedule": settings.REMINDER_SWEEP_SECONDS},
        "housekeeping": {"task": HOUSEKEEPING, "schedule": 3600},
    },
)
