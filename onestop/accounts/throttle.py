"""Sign-in throttling: every attempt first claims a slot under its keys, atomically.

Each key (account:<email>, address:<ip>, device:<id>, code:<user id>, reauth:<user id>, and
for "forgot password" requests reset:<email typed> and reset_from:<ip>) has a row. A claim is
one conditional UPDATE per key that succeeds only while the key is not blocked, and it is
committed before the password or code is checked, so parallel guesses cannot slip past the
count. The first THROTTLE_FREE[kind] attempts are free; from then on each attempt blocks
the key for the next delay of THROTTLE_DELAYS (1, 2, 4, 8, then 15 minutes). A key that
has been quiet for THROTTLE_QUIET starts again from nothing. A success resets the account
(or device) key and takes back its own attempt from the address key.
"""
import math
from datetime import datetime

from flask import current_app
from sqlalchemy import case, delete, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from onestop.accounts.models import LoginThrottle
from onestop.db import UTCDateTime
from onestop.errors import TooManyAttempts
from onestop.extensions import db
from onestop.i18n import lazy_gettext as _l


class Throttled(TooManyAttempts):
    """Too many attempts under a key; retry_after is in seconds."""

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(_l("Too many attempts. Wait %(n)d min and try again.", n=minutes))
        self.retry_after = retry_after


def _insert():
    return pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert


def _moment(value: datetime):
    return literal(value, UTCDateTime())


def claim(keys: list[str], *, now: datetime) -> None:
    """Count one attempt under every key, or none when any is blocked (raise Throttled).

    Commits: the count must stand before the secret is checked, whatever happens next.
    """
    config = current_app.config
    keys = sorted(set(keys))  # one lock order for every claimant
    quiet_since = now - config["THROTTLE_QUIET"]
    delays = config["THROTTLE_DELAYS"]
    for key in keys:
        db.session.execute(_insert()(LoginThrottle).values(key=key, attempts=0)
                           .on_conflict_do_nothing(index_elements=["key"]))
    for key in keys:
        free = config["THROTTLE_FREE"][key.partition(":")[0]]
        fresh = or_(LoginThrottle.attempts == 0, LoginThrottle.last_attempt_at.is_(None),
                    LoginThrottle.last_attempt_at < quiet_since)
        count = case((fresh, 1), else_=LoginThrottle.attempts + 1)
        blocked = case(*[(count == free + step, _moment(now + delay))
                         for step, delay in enumerate(delays[:-1])],
                       (count >= free + len(delays) - 1, _moment(now + delays[-1])),
                       else_=None)
        claimed = db.session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == key,
                   or_(LoginThrottle.blocked_until.is_(None), LoginThrottle.blocked_until <= now))
            .values(attempts=count, blocked_until=blocked, last_attempt_at=now,
                    episode_started_at=case((fresh, _moment(now)),
                                            else_=LoginThrottle.episode_started_at))
            .execution_options(synchronize_session=False)).rowcount
        if not claimed:
            db.session.rollback()
            raise Throttled(_retry_after(keys, now))
    db.session.commit()


def _retry_after(keys: list[str], now: datetime) -> int:
    until = db.session.scalar(select(LoginThrottle.blocked_until)
                              .where(LoginThrottle.key.in_(keys))
                              .order_by(LoginThrottle.blocked_until.desc()).limit(1))
    return max(1, int((until - now).total_seconds())) if until and until > now else 1


def state(key: str) -> LoginThrottle | None:
    """The key's row as stored now."""
    return db.session.execute(select(LoginThrottle).where(LoginThrottle.key == key)
                              .execution_options(populate_existing=True)).scalar_one_or_none()


def reset(key: str) -> None:
    """A success under this key: its count starts again from nothing."""
    db.session.execute(update(LoginThrottle).where(LoginThrottle.key == key).values(
        attempts=0, blocked_until=None, episode_started_at=None)
        .execution_options(synchronize_session=False))


def refund(key: str) -> None:
    """A success under a shared key (an address): its own attempt no longer counts, so an
    office behind one address is not slowed down by its people signing in. Before the
    claim the key was not blocked, so whatever block the claim set is lifted too."""
    db.session.execute(update(LoginThrottle).where(LoginThrottle.key == key, LoginThrottle.attempts > 0)
                       .values(attempts=LoginThrottle.attempts - 1, blocked_until=None)
                       .execution_options(synchronize_session=False))


def purge(now: datetime) -> int:
    """Delete rows idle for THROTTLE_KEEP and no longer blocking; returns how many."""
    before = now - current_app.config["THROTTLE_KEEP"]
    return db.session.execute(delete(LoginThrottle).where(
        LoginThrottle.last_attempt_at < before,
        or_(LoginThrottle.blocked_until.is_(None), LoginThrottle.blocked_until < now))
        .execution_options(synchronize_session=False)).rowcount
