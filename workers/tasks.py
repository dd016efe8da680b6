"""Thin tasks: parse the arguments, call one service, commit, enqueue after the commit."""
import socket

from onestop.db import utcnow
from onestop.extensions import db
from onestop.notifications import services
from onestop.queue import CANARY, DELIVER, PURGE_SIGN_INS, SWEEP, enqueue_deliveries
from workers.celery_app import celery_app, settings


@celery_app.task(name=SWEEP)
def sweep_reminders() -> int:
    now = utcnow()
    ids = services.sweep(now) + services.requeue(now)
    db.session.commit()
    enqueue_deliveries(ids)
    return len(ids)


# A delivery must end before its lease does, or a sweep could hand the row out again while
# the first send is still under way.
@celery_app.task(name=DELIVER, time_limit=max(1, settings.NOTIFY_LEASE_SECONDS - 5))
def deliver_notification(notification_id) -> str:
    return services.deliver(int(notification_id), utcnow())


@celery_app.task(name=CANARY)
def canary(token: str) -> None:
    services.record_canary(str(token), socket.gethostname(), utcnow())
    db.session.commit()


@celery_app.task(name=PURGE_SIGN_INS)
def purge_sign_ins() -> int:
    from onestop.accounts.throttle import purge

    removed = purge(utcnow())
    db.session.commit()
    return removed
