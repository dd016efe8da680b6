"""The work calendar with the admin's changes to the holiday list, and their management."""
from datetime import date, datetime

from sqlalchemy import select

from onestop import policy
from onestop.audit.services import record_change
from onestop.db import utcnow
from onestop.deadlines import WorkCalendar
from onestop.errors import Conflict
from onestop.extensions import db
from onestop.i18n import lazy_gettext as _l
from onestop.workdays.models import ExtraHoliday

_built: dict[tuple, WorkCalendar] = {}


def work_calendar() -> WorkCalendar:
    """The public holidays with the admin's changes: days added, listed days that count.

    One calendar per process for each state of the admin's list (a small query tells which),
    so its day index is built once, and an admin's change reaches every process at once."""
    rows = tuple(tuple(row) for row in db.session.execute(
        select(ExtraHoliday.day, ExtraHoliday.name, ExtraHoliday.is_working_day)
        .order_by(ExtraHoliday.day)).all())
    calendar = _built.get(rows)
    if calendar is None:
        calendar = WorkCalendar({day: name for day, name, working in rows if not working},
                                working_days=[day for day, _name, working in rows if working])
        _built.clear()
        _built[rows] = calendar
    return calendar


def add_extra_holiday(actor, day: date, name: str, *, working: bool = False,
                      now: datetime | None = None) -> ExtraHoliday:
    """A day that does not count (a temporary holiday), or with `working` a listed holiday
    that does, with its name or reason."""
    policy.require(actor, "admin.manage")
    if db.session.scalar(select(ExtraHoliday.id).where(ExtraHoliday.day == day)):
        raise Conflict(_l("That day is changed already; remove that change first."), field="day")
    counts = work_calendar().is_working_day(day)
    if not working and not counts:
        raise Conflict(_l("That day is already a non-working day."), field="day")
    if working and counts:
        raise Conflict(_l("That day is a working day already."), field="day")
    holiday = ExtraHoliday(day=day, name=name.strip(), is_working_day=working)
    db.session.add(holiday)
    db.session.flush()
    record_change(actor, "holiday.working_day" if working else "holiday.add", "holiday",
                  holiday.id, after={"day": day.isoformat(), "name": holiday.name},
                  now=now or utcnow())
    return holiday


def remove_extra_holiday(actor, holiday: ExtraHoliday, *, now: datetime | None = None) -> None:
    policy.require(actor, "admin.manage")
    record_change(actor, "holiday.remove", "holiday", holiday.id,
                  before={"day": holiday.day.isoformat(), "name": holiday.name,
                          "is_working_day": holiday.is_working_day}, now=now or utcnow())
    db.session.delete(holiday)
