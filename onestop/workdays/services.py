"""The work calendar with the admin's extra days, and their management."""
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from onestop import policy
from onestop.audit.services import record_change
from onestop.db import utcnow
from onestop.deadlines import WorkCalendar
from onestop.errors import Conflict
from onestop.extensions import db
from onestop.workdays.models import ExtraHoliday


def work_calendar() -> WorkCalendar:
    """The public holidays plus every day an admin added."""
    extra = {h.day: h.name for h in db.session.scalars(select(ExtraHoliday))}
    return WorkCalendar(extra)


def add_extra_holiday(actor, day: date, name: str, *, now: datetime | None = None) -> ExtraHoliday:
    policy.require(actor, "admin.manage")
    if db.session.scalar(select(ExtraHoliday.id).where(ExtraHoliday.day == day)):
        raise Conflict(_l("That day is already a non-working day."), field="day")
    holiday = ExtraHoliday(day=day, name=name.strip())
    db.session.add(holiday)
    db.session.flush()
    record_change(actor, "holiday.add", "holiday", holiday.id,
                  after={"day": day.isoformat(), "name": holiday.name}, now=now or utcnow())
    return holiday


def remove_extra_holiday(actor, holiday: ExtraHoliday, *, now: datetime | None = None) -> None:
    policy.require(actor, "admin.manage")
    record_change(actor, "holiday.remove", "holiday", holiday.id,
                  before={"day": holiday.day.isoformat(), "name": holiday.name}, now=now or utcnow())
    db.session.delete(holiday)
