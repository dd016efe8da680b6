"""Working-time calendar and civil-petition deadline counting (민원처리법 시행령 §19)."""

from __future__ import annotations

import calendar
import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

SEOUL = ZoneInfo("Asia/Seoul")
WORK_PERIODS = ((time(9), time(12)), (time(13), time(18)))

_OPEN = WORK_PERIODS[0][0]
_CLOSE = WORK_PERIODS[-1][1]
_WORKDAY = timedelta(hours=8)
_ONE_DAY = timedelta(days=1)
_UNITS = {"h": "hours", "d": "days", "w": "weeks", "m": "months", "y": "years"}
_LETTERS = {unit: letter for letter, unit in _UNITS.items()}
_PERIOD_RE = re.compile(r"([0-9]+)([hdwmy])")
_IMMEDIATE_HOURS = 3
_INDEX_ORIGIN = 2000
_LIBRARY_LANGUAGES = {"ko": "ko", "en": "en_US"}
_WEEKEND_NAMES = {"ko": ("토요일", "일요일"), "en": ("Saturday", "Sunday")}


@dataclass(frozen=True)
class Period:
    unit: str
    amount: int

    def __post_init__(self) -> None:
        if self.unit != "immediate" and self.unit not in _LETTERS:
            raise ValueError(f"Unknown period unit {self.unit!r}")
        # bool is an int subclass; True is not a period length.
        if type(self.amount) is not int or self.amount < 1:
            raise ValueError(f"Period amount must be a positive whole number, not {self.amount!r}")
        if self.unit == "immediate" and self.amount != _IMMEDIATE_HOURS:
            raise ValueError(f"An immediate period is {_IMMEDIATE_HOURS} working hours")

    def __str__(self) -> str:
        if self.unit == "immediate":
            return "immediate"
        return f"{self.amount}{_LETTERS[self.unit]}"


# Nothing the law or a partner works by comes near ten years; beyond it dates overflow.
_MAX_AMOUNT = {"hours": 8 * 260 * 10, "days": 260 * 10, "weeks": 52 * 10, "months": 120,
               "years": 10}


def parse_period(text: str) -> Period:
    cleaned = text.strip().lower() if isinstance(text, str) else ""
    if cleaned == "immediate":
        return Period("immediate", _IMMEDIATE_HOURS)
    match = _PERIOD_RE.fullmatch(cleaned)
    if match is None:
        raise ValueError(f"Unknown period {text!r}: write e.g. 3h, 5d, 2w, 1m, 1y or immediate")
    amount = int(match[1])
    if amount < 1:
        raise ValueError(f"Period {text!r} must be at least 1")
    if amount > _MAX_AMOUNT[_UNITS[match[2]]]:
        raise ValueError(f"Period {text!r} is longer than ten years")
    return Period(_UNITS[match[2]], amount)


def _seoul(moment: datetime) -> datetime:
    if not isinstance(moment, datetime):
        raise TypeError(f"Expected a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"Naive datetime {moment.isoformat()} refused: give it a time zone")
    return moment.astimezone(SEOUL)


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=SEOUL)


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += _ONE_DAY


def _check_language(language: str) -> None:
    if language not in _LIBRARY_LANGUAGES:
        raise ValueError(f"Unsupported language {language!r}: use 'ko' or 'en'")


def _calendar_end(first: date, period: Period) -> date:
    """Last day of a week/month/year period counted from `first` inclusive (Civil Act §160)."""
    if period.unit == "weeks":
        return first + timedelta(weeks=period.amount) - _ONE_DAY
    months = period.amount * (12 if period.unit == "years" else 1)
    index = first.month - 1 + months
    year, month = first.year + index // 12, index % 12 + 1
    last_of_month = calendar.monthrange(year, month)[1]
    if first.day > last_of_month:
        return date(year, month, last_of_month)
    return date(year, month, first.day) - _ONE_DAY


class WorkCalendar:
    """Seoul working time: weekdays 09–12 and 13–18, minus public holidays and extra days."""

    def __init__(self, extra_days: Mapping[date, str] | None = None,
                 working_days: Iterable[date] = ()) -> None:
        self._extra: dict[date, str] = dict(extra_days or {})
        self._working = frozenset(working_days)  # listed holidays that count after all
        self._library: dict[tuple[int, str], dict[date, str]] = {}
        # The cumulative working-day index: per year, the working days from 1 January up to
        # each day; and each year's first index, counted from a fixed origin (the same in
        # every thread sharing the calendar, which fill it in as they need it).
        self._running: dict[int, list[int]] = {}
        self._bases: dict[int, int] = {_INDEX_ORIGIN: 0}

    def _library_names(self, year: int, language: str) -> dict[date, str]:
        key = (year, language)
        if key not in self._library:
            country = holidays.KR(years=year, language=_LIBRARY_LANGUAGES[language])
            self._library[key] = {day: name for day, name in country.items() if day.year == year}
        return self._library[key]

    def holiday_name(self, day: date, language: str = "ko") -> str | None:
        _check_language(language)
        if day in self._working:
            return None
        if day in self._extra:
            return self._extra[day]
        return self._library_names(day.year, language).get(day)

    def is_working_day(self, day: date) -> bool:
        return day in self._working or (
            day.weekday() < 5
            and day not in self._extra
            and day not in self._library_names(day.year, "ko")
        )

    def _next_working_day(self, day: date) -> date:
        day += _ONE_DAY
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day

    def next_working_moment(self, moment: datetime) -> datetime:
        moment = _seoul(moment)
        day = moment.date()
        if self.is_working_day(day):
            for opens, closes in WORK_PERIODS:
                if moment < _at(day, closes):
                    return max(moment, _at(day, opens))
        return _at(self._next_working_day(day), _OPEN)

    def add_working_time(self, start: datetime, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("Cannot add negative working time")
        if not delta:
            return _seoul(start)
        remaining = delta
        moment = self.next_working_moment(start)
        while True:
            day = moment.date()
            if moment == _at(day, _OPEN) and remaining > _WORKDAY:
                remaining -= _WORKDAY
            else:
                for opens, closes in WORK_PERIODS:
                    closing = _at(day, closes)
                    if moment >= closing:
                        continue
                    begin = max(moment, _at(day, opens))
                    available = closing - begin
                    # `<=` so that time running out exactly at 12:00 or 18:00 ends there.
                    if remaining <= available:
                        return begin + remaining
                    remaining -= available
            moment = _at(self._next_working_day(day), _OPEN)

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        start, end = _seoul(start), _seoul(end)
        total = timedelta(0)
        if end <= start:
            return total
        for day in _days(start.date(), end.date()):
            if not self.is_working_day(day):
                continue
            for opens, closes in WORK_PERIODS:
                overlap = min(end, _at(day, closes)) - max(start, _at(day, opens))
                if overlap > timedelta(0):
                    total += overlap
        return total

    def time_split(self, start: datetime, end: datetime, waited: timedelta,
                   waiting_since: datetime | None = None) -> tuple[timedelta, ...]:
        """A finished task's wall-clock time from start to end in three parts: the agency's
        own working time; the working time it waited on the firm (`waited`, plus the wait
        still running since `waiting_since`, in whole minutes as due dates move); and the
        paused time the law's clock does not count (nights, weekends, holidays)."""
        if waiting_since is not None:
            running = self.working_time_between(waiting_since, end)
            waited += running // timedelta(minutes=1) * timedelta(minutes=1)
        wall = max(_seoul(end) - _seoul(start), timedelta(0))
        agency = max(self.working_time_between(start, end) - waited, timedelta(0))
        return agency, waited, max(wall - agency - waited, timedelta(0))

    def _year_running(self, year: int) -> list[int]:
        if year not in self._running:
            total, running = 0, []
            for day in _days(date(year, 1, 1), date(year, 12, 31)):
                total += self.is_working_day(day)
                running.append(total)
            self._running[year] = running
        return self._running[year]

    def _base(self, year: int) -> int:
        if year in self._bases:
            return self._bases[year]
        known = min(list(self._bases), key=lambda y: abs(y - year))
        while known < year:
            self._bases[known + 1] = self._bases[known] + self._year_running(known)[-1]
            known += 1
        while known > year:
            self._bases[known - 1] = self._bases[known] - self._year_running(known - 1)[-1]
            known -= 1
        return self._bases[year]

    def _index(self, day: date) -> int:
        """Working days up to and including `day`, from a fixed origin: differences count."""
        return self._base(day.year) + self._year_running(day.year)[day.timetuple().tm_yday - 1]

    def end_of_business_day(self, moment: datetime, n: int) -> datetime:
        """18:00 of the n-th working day after moment's day ("due within n business days")."""
        day = _seoul(moment).date()
        if n > 0:
            wanted, year = self._index(day) + n, day.year
            while self._base(year) + self._year_running(year)[-1] < wanted:
                year += 1
            position = bisect_left(self._year_running(year), wanted - self._base(year))
            day = date(year, 1, 1) + timedelta(days=position)
        return _at(day, WORK_PERIODS[-1][1])

    def business_days_between(self, from_day: date, to_day: date) -> int:
        """Working days after from_day up to and including to_day (negative when earlier)."""
        return self._index(to_day) - self._index(from_day)

    def skipped_days(
        self, start: datetime, end: datetime, language: str = "ko"
    ) -> list[tuple[date, str]]:
        _check_language(language)
        skipped: list[tuple[date, str]] = []
        for day in _days(_seoul(start).date(), _seoul(end).date()):
            if self.is_working_day(day):
                continue
            name = self.holiday_name(day, language)
            if name is None:
                name = _WEEKEND_NAMES[language][day.weekday() - 5]
            skipped.append((day, name))
        return skipped

    def _first_day(self, start: datetime) -> date:
        """Day 1 of a day-counted period: the intake day, unless it is closed or after hours."""
        moment = _seoul(start)
        day = moment.date()
        if self.is_working_day(day) and moment.time() < _CLOSE:
            return day
        return self._next_working_day(day)

    def due_at(self, start: datetime, period: Period) -> datetime:
        _seoul(start)
        if period.unit in ("hours", "immediate"):
            return self.add_working_time(start, timedelta(hours=period.amount))
        if period.unit == "days" and period.amount <= 5:
            return self.add_working_time(start, period.amount * _WORKDAY)
        day = self._first_day(start)
        if period.unit == "days":
            for _ in range(period.amount - 1):
                day = self._next_working_day(day)
        else:
            day = _calendar_end(day, period)
            if not self.is_working_day(day):
                day = self._next_working_day(day)
        return _at(day, _CLOSE)

    def extension_limit(self, due: datetime, period: Period) -> datetime:
        """The latest date a period may be extended to (행정절차법 §19: at most the period
        itself): the period counted again after its due date, by the same rules (a period
        counted in days starts on the next working day, even when the due date moved to
        mid-day after a wait)."""
        if period.unit in ("hours", "immediate") or (period.unit == "days"
                                                     and period.amount <= 5):
            return self.due_at(due, period)
        return self.due_at(_at(_seoul(due).date(), _CLOSE), period)

    def calendar_days_end(self, start: datetime, days: int) -> datetime:
        """18:00 of the day `days` calendar days after start's, or of the next working day
        when that one is not (a deadline such as the 90 days to object, 민원처리법 §35)."""
        day = _seoul(start).date() + timedelta(days=days)
        if not self.is_working_day(day):
            day = self._next_working_day(day)
        return _at(day, _CLOSE)

    def counted(self, start: datetime, end: datetime, language: str = "ko") -> CountedWindow:
        """From start to end: the working days counted (the first as a day-counted period
        counts it), the working time, and the days skipped."""
        first = self._first_day(start)
        days = sum(1 for day in _days(first, _seoul(end).date()) if self.is_working_day(day))
        return CountedWindow(start=_seoul(start), end=_seoul(end), working_days=days,
                             working=self.working_time_between(start, end),
                             skipped=self.skipped_days(start, end, language))

    def extension_window(self, due: datetime, period: Period,
                         language: str = "ko") -> CountedWindow:
        """The longest extension of a period due at `due`, counted."""
        return self.counted(due, self.extension_limit(due, period), language)


@dataclass(frozen=True)
class CountedWindow:
    """A stretch of the law's clock, as the calculator and the CLI show it."""

    start: datetime
    end: datetime
    working_days: int
    working: timedelta
    skipped: list[tuple[date, str]]
