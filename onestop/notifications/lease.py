"""The lease a delivery holds on its ledger rows, renewed for as long as their sends take."""
import threading
import time
from collections.abc import Collection, Iterator
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
        return self.start + timedelta(seconds=self.elapsed())

    def elapsed(self) -> float:
        return time.monotonic() - self.began


class Held:
    """The rows a delivery still holds and until when, as its last renewal left them."""

    def __init__(self, row_ids: Collection[int], until: datetime):
        self.state = (frozenset(row_ids), until)  # one attribute: read whole by the sender

    def covers(self, row_id: int, now: datetime) -> bool:
        row_ids, until = self.state
        return row_id in row_ids and now < until


@contextmanager
def kept(held: Held, clock: Clock) -> Iterator[None]:
    """Keep the lease of the rows `held` names alive until the block ends: every third of
    NOTIFY_LEASE_SECONDS a thread moves it on, each time in a short transaction of its own,
    for the rows that still carry the lease this delivery set (a row recorded meanwhile
    carries none, and a worker that lost a row does not take it back), and writes down in
    `held` which rows it still holds until when. The block sends a row only while `held`
    covers it. A process that dies stops renewing, so its leases lapse and a sweep hands
    the rows out."""
    lease = current_app.config["NOTIFY_LEASE_SECONDS"]
    engine, logger = db.engine, current_app.logger
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(lease / RENEWALS_PER_LEASE):
            row_ids, until = held.state
            later = clock() + timedelta(seconds=lease)
            try:
                with engine.begin() as connection:
                    renewed = frozenset(connection.scalars(
                        update(Notification).where(Notification.id.in_(row_ids),
                                                   Notification.status == Status.QUEUED,
                                                   Notification.lease_until == until)
                        .values(lease_until=later).returning(Notification.id)))
            except Exception:  # noqa: BLE001 - the database away for a moment: try next time
                logger.warning("notifications %s: leases not renewed", sorted(row_ids),
                               exc_info=True)
                continue
            held.state = (renewed, later)
            if not renewed:
                return  # every row recorded, or lost

    thread = threading.Thread(target=renew, name="lease", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
