"""Thin tasks: parse the arguments, call one service, commit, enqueue after the commit."""
import socket

from onestop.db import utcnow
from onestop.extensions import db
from onestop.notifications import services
from onestop.queue import CANARY, DELIVER, SWEEP, enqueue_deliveries
from workers.celery_app import celery_app, settings


@celery_app.task(name=SWEEP)
def sweep_reminders() -> int:
    written, requeued = services.sweep_and_requeue(utcnow())
    db.session.commit()
    enqueue_deliveries(written + requeued)
    return len(written) + len(requeued)


# A delivery must end before its lease does, or a sweep could hand the row out again while
# the first send is still under way.
@celery_app.task(name=DELIVER, time_limit=max(1, settings.NOTIFY_LEASE_SECONDS - 5))
def deliver_notification(notification_id) -> str:
    return services.deliver(int(notification_id), utcnow())


@celery_app.task(name=CANARY)
def canary(token: str) -> None:
    services.record_canary(str(token), socket.gethostname(), utcnow())
    db.session.commit()
