"""One reminder sweep at a time, and what the last one wrote: the lock the sweep takes in its
transaction, and the moment up to which its rules were fully written (kept in the same
transaction as the rows, so a sweep rolled back remembers nothing)."""
import hashlib
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

from onestop.accounts.models import SiteSetting
from onestop.extensions import db
from onestop.notifications.models import ReminderRule
from onestop.workdays.models import ExtraHoliday

STATE_KEY = "reminder_sweep"
# pg_try_advisory_xact_lock's key: any constant no other advisory lock uses ("OneStopS").
LOCK_KEY = 0x4F6E6553746F7053


def acquire(*, wait: bool = False) -> bool:
    """Take the sweep lock for the rest of the transaction; False when another sweep holds
    it (that sweep writes what this one would), or with `wait` wait for it (a sweep asked
    for by a person, maybe as if at another moment). Taking it twice in one transaction is
    fine."""
    if db.engine.dialect.name == "postgresql":
        if wait:  # a sweep holding it ends within its time limit
            db.session.execute(select(func.pg_advisory_xact_lock(LOCK_KEY)))
            return True
        return bool(db.session.scalar(select(func.pg_try_advisory_xact_lock(LOCK_KEY))))
    # SQLite has one writer at a time: a write first takes its lock now, before anything is
    # read, so a second sweep waits for the first to commit and then reads what it wrote.
    try:
        db.session.execute(update(SiteSetting).where(SiteSetting.key == STATE_KEY)
                           .values(key=SiteSetting.key))
    except OperationalError as error:
        if wait or "locked" not in str(error):
            raise
        return False  # the first sweep outlasted the busy timeout: leave it to it
    return True


def fingerprint(rules: list[ReminderRule]) -> str:
    """What the windows depend on besides the clock: the rules and the admin's calendar."""
    days = db.session.execute(select(ExtraHoliday.day, ExtraHoliday.is_working_day)
                              .order_by(ExtraHoliday.day)).all()
    text = repr(sorted((r.id, r.kind, r.offset_days, r.audience) for r in rules)) + repr(days)
    return hashlib.sha1(text.encode()).hexdigest()


def written_through(signature: str, now: datetime) -> datetime | None:
    """The moment of the last sweep, when it ran with the same rules and calendar and not
    later than now; None when every window must be read whole."""
    setting = db.session.get(SiteSetting, STATE_KEY)
    value = setting.value if setting else {}
    if value.get("signature") != signature or not value.get("at"):
        return None
    at = datetime.fromisoformat(value["at"])
    return at if at <= now else None


def remember(signature: str, now: datetime) -> None:
    setting = db.session.get(SiteSetting, STATE_KEY)
    value = {"at": now.isoformat(), "signature": signature}
    if setting is None:
        db.session.add(SiteSetting(key=STATE_KEY, value=value))
    else:
        setting.value = value
