"""Working time as whole minutes, for generating a million consistent histories quickly.

A moment is the number of working minutes (weekdays 09–12 and 13–18 of the work calendar)
since the first working day of a window around today: working time between two moments is
their difference, and a period's due moment is what WorkCalendar.due_at gives, with no
calendar walked per row. Minute 480·d is 18:00 of day d−1, as add_working_time ends a day.
"""
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from onestop.deadlines import SEOUL, WorkCalendar, parse_period

DAY = 480  # working minutes in a day (09–12, 13–18)
_MORNING = 180
_OFFSETS = [timedelta(hours=9, minutes=m) if m <= _MORNING
            else timedelta(hours=13, minutes=m - _MORNING) for m in range(DAY + 1)]


_parse = cache(parse_period)


class WorkClock:
    def __init__(self, calendar: WorkCalendar, now: datetime, *, years_back: int = 4,
                 years_ahead: int = 2):
        today = now.astimezone(SEOUL).date()
        first, last = today - timedelta(days=365 * years_back), today + timedelta(
            days=365 * years_ahead)
        self.calendar = calendar
        self.days: list[date] = [first + timedelta(days=i) for i in range((last - first).days)
                                 if calendar.is_working_day(first + timedelta(days=i))]
        self.index = {day: i for i, day in enumerate(self.days)}
        self._midnight = [datetime.combine(d, time(0), SEOUL).astimezone(UTC) for d in self.days]
        self.now = self.floor(now)

    def at(self, minute: int) -> datetime:
        """The UTC moment of a working minute."""
        day, offset = divmod(minute - 1, DAY)
        return self._midnight[day] + _OFFSETS[offset + 1]

    def floor(self, moment: datetime) -> int:
        """The last working minute at or before a moment."""
        local = moment.astimezone(SEOUL)
        day = local.date()
        while day not in self.index:
            day -= timedelta(days=1)
            local = datetime.combine(day, time(23, 59), SEOUL)
        clock = local.hour * 60 + local.minute
        morning = min(max(clock - 9 * 60, 0), _MORNING)
        afternoon = min(max(clock - 13 * 60, 0), DAY - _MORNING)
        return self.index[day] * DAY + morning + afternoon

    def due(self, start: int, period: str) -> int:
        """The due minute of a period counted from a working minute (WorkCalendar.due_at)."""
        parsed = _parse(period)
        if parsed.unit in ("hours", "immediate"):
            return start + 60 * (3 if parsed.unit == "immediate" else parsed.amount)
        if parsed.unit == "days" and parsed.amount <= 5:
            return start + DAY * parsed.amount
        # A start at 18:00 (a multiple of DAY) counts from the next day, as _first_day does.
        return self._day_counted(start // DAY, period)

    @cache  # noqa: B019 - one clock per load, a few thousand keys
    def _day_counted(self, first_day: int, period: str) -> int:
        due = self.calendar.due_at(self.at(first_day * DAY + 1), parse_period(period))
        return (self.index[due.astimezone(SEOUL).date()] + 1) * DAY
