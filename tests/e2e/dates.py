"""Dates for the browser tests, taken from today in Seoul: the app under test runs on the real
clock, so a hard-coded date would one day fall in the past."""
from datetime import date, datetime, timedelta

from onestop.deadlines import SEOUL, WorkCalendar

THURSDAY = 3


def working_day_ahead(days: int, *, weekday: int | None = None) -> date:
    """The first working day at least `days` after today in Seoul (and on `weekday`, if given)."""
    calendar = WorkCalendar()
    day = datetime.now(SEOUL).date() + timedelta(days=days)
    while not calendar.is_working_day(day) or weekday not in (None, day.weekday()):
        day += timedelta(days=1)
    return day
