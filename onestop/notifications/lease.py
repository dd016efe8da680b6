"""The lease a delivery holds on its ledger row, renewed for as long as the send takes."""
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import update

from onestop.extensions import db
from onestop.notifications.models import Notification, Status

RENEWALS_PER_LEASE = 3
# With a renewal every third of the lease, a lease this long still holds when two renewals in
# a row come a second late on a busy machine.
MIN_LEASE_SECONDS = 6.0


def check_lease_seconds(seconds: float) -> None:
    """Refuse a lease too short for its renewals to arrive in time (the app will not start)."""
    if seconds < MIN_LEASE_SECONDS:
        raise RuntimeError(
            f"NOTIFY_LEASE_SECONDS is {seconds:g}; it must be at least {MIN_LEASE_SECONDS:g}: "
            f"a delivery renews its lease every third of it, and a lease that lapses while "
            f"the message is being sent lets a second worker send it again")


class Clock:
    """A delivery's `now`, moved on by the time that has passed since it began."""

    def __init__(self, start: datetime):
        self.start = start
        self.began = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.began)


@contextmanager
def kept(row_id: int, lease_until: datetime, clock: Clock) -> Iterator[None]:
    """Keep the row's lease alive until the block ends: every third of NOTIFY_LEASE_SECONDS a
    thread moves it on, each time in a short transaction of its own, and only while the row
    still carries the lease this delivery set (a worker that lost it does not take it back).
    A process that dies stops renewing, so its lease lapses and a sweep hands the row out."""
    lease = current_app.config["NOTIFY_LEASE_SECONDS"]
    engine, logger = db.engine, current_app.logger
    stop = threading.Event()

    def renew() -> None:
        held = lease_until
        while not stop.wait(lease / RENEWALS_PER_LEASE):
            until = clock() + timedelta(seconds=lease)
            try:
                with engine.begin() as connection:
                    renewed = connection.execute(
                        update(Notification).where(Notification.id == row_id,
                                                   Notification.status == Status.QUEUED,
                                                   Notification.lease_until == held)
                        .values(lease_until=until)).rowcount
            except Exception:  # noqa: BLE001 - the database away for a moment: try next time
                logger.warning("notification %s: lease not renewed", row_id, exc_info=True)
                continue
            if not renewed:
                logger.warning("notification %s: lease lost while sending", row_id)
                return
            held = until

    thread = threading.Thread(target=renew, name=f"lease-{row_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
