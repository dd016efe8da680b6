"""Deadline rules checked against dates worked out by hand on a 2025–2029 calendar."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, tzinfo

import pytest

import onestop.deadlines as deadlines
from onestop.deadlines import SEOUL, WORK_PERIODS, Period, WorkCalendar, parse_period

# Holidays relied on below (holidays 0.109): 2025-10-03 개천절, 2025-10-05..07 추석 + 10-08
# substitute, 2025-10-09 한글날; 2026-02-16..18 설날, 2026-03-02 substitute, 2026-05-01 노동절,
# 2026-05-05, 2026-06-03 local election, 2026-08-17 substitute, 2026-09-24..26 추석,
# 2026-10-05 substitute, 2026-10-09; 2028-01-26..28 설날; 2029-02-12..14 설날.


def kst(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SEOUL)


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar()


def due(cal: WorkCalendar, start: str, period: str) -> str:
    return cal.due_at(kst(start), parse_period(period)).isoformat()


def test_constants() -> None:
    assert str(SEOUL) == "Asia/Seoul"
    assert [(a.hour, b.hour) for a, b in WORK_PERIODS] == [(9, 12), (13, 18)]


# --- hours and immediate -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "period", "expected"),
    [
        # Mon 10:00: 10–12 is 2h, then 13–14.
        ("2026-03-09T10:00", "3h", "2026-03-09T14:00:00+09:00"),
        # Third hour ends exactly at noon: due 12:00, not 13:00.
        ("2026-03-09T09:00", "3h", "2026-03-09T12:00:00+09:00"),
        ("2026-03-09T10:00", "2h", "2026-03-09T12:00:00+09:00"),
        # Ends exactly at closing: 18:00 that day.
        ("2026-03-09T14:00", "4h", "2026-03-09T18:00:00+09:00"),
        # 15–18 is 3h, the last hour is Tue 09–10.
        ("2026-03-09T15:00", "4h", "2026-03-10T10:00:00+09:00"),
        # Lunch intake starts counting at 13:00.
        ("2026-03-09T12:30", "3h", "2026-03-09T16:00:00+09:00"),
        # After-hours intake starts next working day 09:00.
        ("2026-03-09T18:30", "3h", "2026-03-10T12:00:00+09:00"),
        # Before opening: starts at 09:00 the same day.
        ("2026-03-09T07:00", "2h", "2026-03-09T11:00:00+09:00"),
        # Saturday intake starts Monday 09:00.
        ("2026-03-07T10:00", "3h", "2026-03-09T12:00:00+09:00"),
        # Fri 17–18 is 1h; Sat, Sun, Mon 3/2 (substitute for 3/1) skipped; Tue 09–11.
        ("2026-02-27T17:00", "3h", "2026-03-03T11:00:00+09:00"),
        # Tue 15–18 is 3h; Wed 6/3 local election; Thu 09–12 and 13–15.
        ("2026-06-02T15:00", "8h", "2026-06-04T15:00:00+09:00"),
        # immediate = 3h. Fri 16–18 is 2h; Sat 8/15, Sun, Mon 8/17 substitute; Tue 09–10.
        ("2026-08-14T16:00", "immediate", "2026-08-18T10:00:00+09:00"),
        ("2026-03-09T09:00", "immediate", "2026-03-09T12:00:00+09:00"),
    ],
)
def test_hours_and_immediate(cal: WorkCalendar, start: str, period: str, expected: str) -> None:
    assert due(cal, start, period) == expected


# --- days, 5 or fewer: counted as 8 working hours each --------------------------------------


@pytest.mark.parametrize(
    ("start", "period", "expected"),
    [
        # The brief's example: Wed 14–18 4h; Thu–Sun Chuseok + weekend; Mon–Thu 32h (10/1 is
        # not a holiday in 2026); Fri 10/2 09–12 and 13–14.
        ("2026-09-23T14:00", "5d", "2026-10-02T14:00:00+09:00"),
        # 10–12 and 13–18 is 7h, the 8th is Tue 09–10.
        ("2026-03-09T10:00", "1d", "2026-03-10T10:00:00+09:00"),
        ("2026-03-09T09:00", "1d", "2026-03-09T18:00:00+09:00"),
        # Seollal: Fri 11–18 6h; Sat–Wed skipped; Thu 8h, Fri 8h, Mon 09–11.
        ("2026-02-13T11:00", "3d", "2026-02-23T11:00:00+09:00"),
        # Lunch intake: Tue 13–18 5h, Wed–Fri 24h, Mon 8h, Tue 09–12 (ends at noon).
        ("2026-03-10T12:30", "5d", "2026-03-17T12:00:00+09:00"),
        # Friday evening intake: Mon 8h, Tue 8h.
        ("2026-07-10T19:00", "2d", "2026-07-14T18:00:00+09:00"),
        # Chuseok 2025: Thu 10–18 7h; 10/3–10/9 all off; Fri 10/10 8h, Mon 8h, Tue 8h, Wed 09–10.
        ("2025-10-02T10:00", "4d", "2025-10-15T10:00:00+09:00"),
    ],
)
def test_short_days(cal: WorkCalendar, start: str, period: str, expected: str) -> None:
    assert due(cal, start, period) == expected


def test_start_in_another_time_zone_is_read_in_seoul(cal: WorkCalendar) -> None:
    start = datetime(2026, 9, 23, 5, 0, tzinfo=UTC)  # 14:00 in Seoul
    result = cal.due_at(start, parse_period("5d"))
    assert result.isoformat() == "2026-10-02T14:00:00+09:00"
    assert result.tzinfo is SEOUL


# --- days, 6 or more: counted in working days, first day included -----------------------------


@pytest.mark.parametrize(
    ("start", "period", "expected"),
    [
        # Day 1 = Mon 3/9: 9,10,11,12,13,16.
        ("2026-03-09T10:00", "6d", "2026-03-16T18:00:00+09:00"),
        ("2026-03-09T10:00", "10d", "2026-03-20T18:00:00+09:00"),
        # Before opening and at lunch still count the day received.
        ("2026-03-09T07:00", "6d", "2026-03-16T18:00:00+09:00"),
        ("2026-03-09T12:30", "6d", "2026-03-16T18:00:00+09:00"),
        ("2026-03-09T17:59", "6d", "2026-03-16T18:00:00+09:00"),
        # At or after 18:00 day 1 is Tue: 10,11,12,13,16,17.
        ("2026-03-09T18:00", "6d", "2026-03-17T18:00:00+09:00"),
        ("2026-03-09T20:00", "6d", "2026-03-17T18:00:00+09:00"),
        # Saturday intake: day 1 = Mon 3/9.
        ("2026-03-07T10:00", "6d", "2026-03-16T18:00:00+09:00"),
        # Sat 2/28 intake; 3/1 Sun, 3/2 substitute; day 1 = Tue 3/3: 3,4,5,6,9,10.
        ("2026-02-28T10:00", "6d", "2026-03-10T18:00:00+09:00"),
        # Chuseok: 9/23(1), 28,29,30, 10/1, 10/2 (6), 10/3–5 off, Tue 10/6 (7).
        ("2026-09-23T14:00", "7d", "2026-10-06T18:00:00+09:00"),
        # Seollal: 2/12, 2/13, 19, 20, 23–27 (9), 2/28–3/2 off, 3/3 (10).
        ("2026-02-12T16:00", "10d", "2026-03-03T18:00:00+09:00"),
        # 4/30(1), 5/1 노동절, 5/4(2), 5/5 off, 6,7,8 (5), 11–15 (10), 18–21 (14).
        ("2026-04-30T10:00", "14d", "2026-05-21T18:00:00+09:00"),
    ],
)
def test_long_days(cal: WorkCalendar, start: str, period: str, expected: str) -> None:
    assert due(cal, start, period) == expected


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (datetime(2026, 3, 9, 8, 30, tzinfo=UTC), "2026-03-16T18:00:00+09:00"),  # 17:30
        (datetime(2026, 3, 9, 9, 30, tzinfo=UTC), "2026-03-17T18:00:00+09:00"),  # 18:30
        (datetime(2026, 3, 9, 15, 30, tzinfo=UTC), "2026-03-17T18:00:00+09:00"),  # Tue
    ],
)
def test_long_days_use_the_seoul_date(cal: WorkCalendar, start: datetime, expected: str) -> None:
    assert cal.due_at(start, parse_period("6d")).isoformat() == expected


# --- weeks, months, years: by the calendar, first day included -------------------------------


@pytest.mark.parametrize(
    ("start", "period", "expected"),
    [
        # Wed 3/11 + 1w: corresponding day Wed 3/18, ends Tue 3/17.
        ("2026-03-11T10:00", "1w", "2026-03-17T18:00:00+09:00"),
        ("2026-03-11T10:00", "2w", "2026-03-24T18:00:00+09:00"),
        # Ends Sun 3/15 -> Mon 3/16.
        ("2026-03-09T10:00", "1w", "2026-03-16T18:00:00+09:00"),
        # Ends Tue 2/17 (설날); 2/18 also off -> Thu 2/19.
        ("2026-02-11T10:00", "1w", "2026-02-19T18:00:00+09:00"),
        # Ends Mon 10/5 (substitute holiday) -> Tue 10/6.
        ("2026-09-29T10:00", "1w", "2026-10-06T18:00:00+09:00"),
        # Sat 8/15 intake; Sun, Mon 8/17 substitute; start Tue 8/18, ends Mon 8/24.
        ("2026-08-15T11:00", "1w", "2026-08-24T18:00:00+09:00"),
        # Wed 3/11 + 1m: ends Fri 4/10.
        ("2026-03-11T10:00", "1m", "2026-04-10T18:00:00+09:00"),
        # Tue 6/16 + 3m: ends Tue 9/15.
        ("2026-06-16T10:00", "3m", "2026-09-15T18:00:00+09:00"),
        # Tue 8/25 + 1m: ends Thu 9/24 (추석 전날); 25–27 off -> Mon 9/28.
        ("2026-08-25T10:00", "1m", "2026-09-28T18:00:00+09:00"),
        # Across the year end: Mon 12/14 + 1m ends Wed 2027-01-13.
        ("2026-12-14T10:00", "1m", "2027-01-13T18:00:00+09:00"),
        # Friday evening intake: start Mon 7/13, ends Wed 8/12.
        ("2026-07-10T19:00", "1m", "2026-08-12T18:00:00+09:00"),
        # Mon 3/30 + 1m: April has a 30th, so the day before it, Wed 4/29 (not its last day).
        ("2026-03-30T10:00", "1m", "2026-04-29T18:00:00+09:00"),
        # Fri 2025-01-31 + 1m: February has no 31st -> its last day, Fri 2/28.
        ("2025-01-31T10:00", "1m", "2025-02-28T18:00:00+09:00"),
        # Thu 2026-01-29 + 1m: no Feb 29 in 2026 -> Sat 2/28; 3/1 Sun, 3/2 substitute -> 3/3.
        ("2026-01-29T10:00", "1m", "2026-03-03T18:00:00+09:00"),
        # Leap year: Mon 2028-01-31 + 1m -> Tue 2/29.
        ("2028-01-31T10:00", "1m", "2028-02-29T18:00:00+09:00"),
        # Wed 2026-03-11 + 1y: ends Wed 2027-03-10.
        ("2026-03-11T10:00", "1y", "2027-03-10T18:00:00+09:00"),
        # Tue 2028-02-29 + 1y: no Feb 29 in 2029 -> Wed 2029-02-28.
        ("2028-02-29T10:00", "1y", "2029-02-28T18:00:00+09:00"),
    ],
)
def test_calendar_periods(cal: WorkCalendar, start: str, period: str, expected: str) -> None:
    assert due(cal, start, period) == expected


# --- admin-added extra days ---------------------------------------------------------------


@pytest.fixture
def moving_day() -> WorkCalendar:
    return WorkCalendar({date(2026, 3, 10): "청사 이전"})


def test_extra_day_is_not_a_working_day(moving_day: WorkCalendar) -> None:
    assert not moving_day.is_working_day(date(2026, 3, 10))
    assert moving_day.holiday_name(date(2026, 3, 10)) == "청사 이전"
    assert moving_day.holiday_name(date(2026, 3, 10), "en") == "청사 이전"


def test_extra_day_is_skipped_when_counting(cal: WorkCalendar, moving_day: WorkCalendar) -> None:
    start = kst("2026-03-09T15:00")
    # Mon 15–18 is 3h; the 3 hours left land on Tue without the extra day, Wed with it.
    assert cal.due_at(start, parse_period("6h")).isoformat() == "2026-03-10T12:00:00+09:00"
    assert moving_day.due_at(start, parse_period("6h")).isoformat() == "2026-03-11T12:00:00+09:00"
    # 9, (10 off), 11, 12, 13, 16, 17.
    assert moving_day.due_at(start, parse_period("6d")).isoformat() == "2026-03-17T18:00:00+09:00"
    assert moving_day.business_days_between(date(2026, 3, 9), date(2026, 3, 13)) == 3


def test_extra_day_reason_wins_over_library_name() -> None:
    cal = WorkCalendar({date(2026, 9, 25): "비상 근무"})
    assert cal.holiday_name(date(2026, 9, 25)) == "비상 근무"


# --- holiday names and working days ---------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "language", "expected"),
    [
        (date(2026, 2, 17), "ko", "설날"),
        (date(2026, 2, 17), "en", "Korean New Year"),
        (date(2026, 3, 2), "ko", "삼일절 대체 휴일"),
        (date(2026, 3, 2), "en", "Alternative holiday for Independence Movement Day"),
        (date(2026, 8, 17), "ko", "광복절 대체 휴일"),
        (date(2026, 8, 17), "en", "Alternative holiday for Liberation Day"),
        (date(2026, 10, 5), "en", "Alternative holiday for National Foundation Day"),
        (date(2026, 9, 25), "ko", "추석"),
        (date(2025, 10, 8), "en", "Alternative holiday for Chuseok"),
        (date(2026, 3, 7), "ko", None),  # a plain Saturday is not a holiday
        (date(2026, 3, 9), "en", None),
    ],
)
def test_holiday_name(cal: WorkCalendar, day: date, language: str, expected: str | None) -> None:
    assert cal.holiday_name(day, language) == expected


def test_holiday_name_defaults_to_korean(cal: WorkCalendar) -> None:
    assert cal.holiday_name(date(2026, 10, 9)) == "한글날"


def test_unknown_language_refused(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="'fr'"):
        cal.holiday_name(date(2026, 3, 2), "fr")


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 2, 16), False),
        (date(2026, 2, 17), False),
        (date(2026, 2, 18), False),
        (date(2026, 2, 19), True),
        (date(2026, 3, 2), False),
        (date(2026, 3, 3), True),
        (date(2026, 5, 1), False),
        (date(2026, 6, 3), False),
        (date(2026, 8, 17), False),
        (date(2026, 9, 24), False),
        (date(2026, 9, 25), False),
        (date(2026, 9, 28), True),
        (date(2026, 10, 1), True),
        (date(2026, 10, 5), False),
        (date(2025, 10, 8), False),
        (date(2025, 10, 10), True),
        (date(2026, 3, 7), False),
        (date(2026, 3, 8), False),
        (date(2026, 3, 9), True),
    ],
)
def test_is_working_day(cal: WorkCalendar, day: date, expected: bool) -> None:
    assert cal.is_working_day(day) is expected


def test_library_is_built_once_per_year_and_language(
    cal: WorkCalendar, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = []
    real = deadlines.holidays.KR

    def counting(**kwargs: object) -> object:
        built.append((kwargs["years"], kwargs["language"]))
        return real(**kwargs)

    monkeypatch.setattr(deadlines.holidays, "KR", counting)
    for offset in range(730):
        cal.is_working_day(date(2026, 1, 1) + timedelta(days=offset))
    cal.holiday_name(date(2026, 3, 2), "en")
    cal.holiday_name(date(2026, 3, 3), "en")
    assert built == [(2026, "ko"), (2027, "ko"), (2026, "en_US")]


# --- next_working_moment ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-03-09T10:00", "2026-03-09T10:00:00+09:00"),
        ("2026-03-09T08:00", "2026-03-09T09:00:00+09:00"),
        ("2026-03-09T12:00", "2026-03-09T13:00:00+09:00"),
        ("2026-03-09T12:30", "2026-03-09T13:00:00+09:00"),
        ("2026-03-09T18:00", "2026-03-10T09:00:00+09:00"),
        ("2026-03-07T10:00", "2026-03-09T09:00:00+09:00"),
        ("2026-02-28T10:00", "2026-03-03T09:00:00+09:00"),
        ("2026-09-23T19:00", "2026-09-28T09:00:00+09:00"),
        ("2025-10-02T18:30", "2025-10-10T09:00:00+09:00"),
    ],
)
def test_next_working_moment(cal: WorkCalendar, moment: str, expected: str) -> None:
    assert cal.next_working_moment(kst(moment)).isoformat() == expected


def test_next_working_moment_returns_seoul_time(cal: WorkCalendar) -> None:
    moment = datetime(2026, 3, 9, 1, 0, tzinfo=UTC)
    assert cal.next_working_moment(moment).isoformat() == "2026-03-09T10:00:00+09:00"


# --- stop-the-clock arithmetic ------------------------------------------------------------


def test_stopped_clock_moves_due_out_by_working_time_waited(cal: WorkCalendar) -> None:
    # Waiting Tue 10:00 -> Wed 15:00 is Tue 2+5h and Wed 3+2h = 12 working hours.
    waited = cal.working_time_between(kst("2026-03-10T10:00"), kst("2026-03-11T15:00"))
    assert waited == timedelta(hours=12)
    # Due Fri 18:00 + 12h: Mon 8h, Tue 09–12 and 13–14.
    new_due = cal.add_working_time(kst("2026-03-13T18:00"), waited)
    assert new_due.isoformat() == "2026-03-17T14:00:00+09:00"


@pytest.mark.parametrize(
    ("start", "delta", "expected"),
    [
        ("2026-03-09T18:00", timedelta(hours=1), "2026-03-10T10:00:00+09:00"),
        ("2026-03-13T18:00", timedelta(hours=1), "2026-03-16T10:00:00+09:00"),
        ("2026-03-09T10:00", timedelta(hours=2), "2026-03-09T12:00:00+09:00"),
        ("2026-03-09T11:45", timedelta(minutes=30), "2026-03-09T13:15:00+09:00"),
        ("2026-03-09T12:15", timedelta(minutes=30), "2026-03-09T13:30:00+09:00"),
        ("2026-03-09T10:00", timedelta(0), "2026-03-09T10:00:00+09:00"),
        # 20 whole days from Mon 2/2: 2–6, 9–13, 19–20, 23–27, 3/3–3/5 (Seollal, 3/2 skipped).
        ("2026-02-02T09:00", timedelta(hours=160), "2026-03-05T18:00:00+09:00"),
    ],
)
def test_add_working_time(cal: WorkCalendar, start: str, delta: timedelta, expected: str) -> None:
    assert cal.add_working_time(kst(start), delta).isoformat() == expected


def test_add_negative_working_time_refused(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="negative"):
        cal.add_working_time(kst("2026-03-09T10:00"), timedelta(hours=-1))


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # Fri 17–18 1h; Mon–Wed 24h; Thu–Sun Chuseok + weekend; Mon 8h; Tue 09–10 1h.
        ("2026-09-18T17:00", "2026-09-29T10:00", timedelta(hours=34)),
        ("2026-03-09T11:30", "2026-03-09T13:30", timedelta(hours=1)),
        ("2026-03-13T18:00", "2026-03-16T09:00", timedelta(0)),
        ("2026-03-09T10:00", "2026-03-09T10:00", timedelta(0)),
        ("2026-03-10T10:00", "2026-03-09T10:00", timedelta(0)),
        ("2026-02-13T09:00", "2026-02-19T09:00", timedelta(hours=8)),
    ],
)
def test_working_time_between(cal: WorkCalendar, start: str, end: str, expected: timedelta) -> None:
    assert cal.working_time_between(kst(start), kst(end)) == expected


def test_working_time_between_mixed_time_zones(cal: WorkCalendar) -> None:
    start = datetime(2026, 3, 9, 1, 0, tzinfo=UTC)  # 10:00 Seoul
    assert cal.working_time_between(start, kst("2026-03-09T14:00")) == timedelta(hours=3)


@pytest.mark.parametrize("hours", [1, 7, 8, 9, 250, 2000])
def test_add_and_between_agree_over_long_spans(cal: WorkCalendar, hours: int) -> None:
    start = kst("2026-01-05T10:30")
    end = cal.add_working_time(start, timedelta(hours=hours))
    assert cal.working_time_between(start, end) == timedelta(hours=hours)


# --- business_days_between ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("from_day", "to_day", "expected"),
    [
        (date(2026, 3, 9), date(2026, 3, 13), 4),
        (date(2026, 3, 13), date(2026, 3, 9), -4),
        (date(2026, 3, 13), date(2026, 3, 16), 1),
        (date(2026, 3, 9), date(2026, 3, 9), 0),
        (date(2026, 2, 13), date(2026, 2, 19), 1),
        (date(2026, 2, 19), date(2026, 2, 13), -1),
        (date(2026, 9, 23), date(2026, 10, 6), 6),
        (date(2026, 10, 6), date(2026, 9, 23), -6),
        (date(2026, 2, 27), date(2026, 3, 3), 1),
        (date(2026, 3, 7), date(2026, 3, 9), 1),
        (date(2026, 3, 9), date(2026, 3, 7), -1),
        (date(2026, 3, 7), date(2026, 3, 8), 0),
    ],
)
def test_business_days_between(
    cal: WorkCalendar, from_day: date, to_day: date, expected: int
) -> None:
    assert cal.business_days_between(from_day, to_day) == expected


# --- end_of_business_day: "due within n business days" -------------------------------------


@pytest.mark.parametrize(
    ("moment", "n", "expected"),
    [
        # Tue 11/10 + 3 working days: Fri 11/13, at closing time.
        ("2026-11-10T10:00", 3, "2026-11-13T18:00:00+09:00"),
        # n = 0: the end of this very day.
        ("2026-11-10T10:00", 0, "2026-11-10T18:00:00+09:00"),
        # Fri + 1: the weekend is skipped, Mon 11/9.
        ("2026-11-06T17:30", 1, "2026-11-09T18:00:00+09:00"),
        # Sat + 1: Mon 11/16.
        ("2026-11-14T11:00", 1, "2026-11-16T18:00:00+09:00"),
        # Tue 9/22 + 2: Wed 9/23, then 추석 (9/24–26) and Sunday skipped, Mon 9/28.
        ("2026-09-22T15:00", 2, "2026-09-28T18:00:00+09:00"),
    ],
)
def test_end_of_business_day(cal: WorkCalendar, moment: str, n: int, expected: str) -> None:
    assert cal.end_of_business_day(kst(moment), n).isoformat() == expected


def test_end_of_business_day_skips_an_admin_added_day(moving_day: WorkCalendar) -> None:
    assert moving_day.end_of_business_day(kst("2026-03-09T10:00"), 1) == kst("2026-03-11T18:00")


# --- skipped_days -------------------------------------------------------------------------


def test_skipped_days_chuseok_2026_in_korean(cal: WorkCalendar) -> None:
    assert cal.skipped_days(kst("2026-09-23T14:00"), kst("2026-10-06T10:00")) == [
        (date(2026, 9, 24), "추석 전날"),
        (date(2026, 9, 25), "추석"),
        (date(2026, 9, 26), "추석 다음날"),
        (date(2026, 9, 27), "일요일"),
        (date(2026, 10, 3), "개천절"),
        (date(2026, 10, 4), "일요일"),
        (date(2026, 10, 5), "개천절 대체 휴일"),
    ]


def test_skipped_days_chuseok_2026_in_english(cal: WorkCalendar) -> None:
    assert cal.skipped_days(kst("2026-09-23T14:00"), kst("2026-10-06T10:00"), "en") == [
        (date(2026, 9, 24), "The day preceding Chuseok"),
        (date(2026, 9, 25), "Chuseok"),
        (date(2026, 9, 26), "The second day of Chuseok"),
        (date(2026, 9, 27), "Sunday"),
        (date(2026, 10, 3), "National Foundation Day"),
        (date(2026, 10, 4), "Sunday"),
        (date(2026, 10, 5), "Alternative holiday for National Foundation Day"),
    ]


def test_skipped_days_chuseok_2025(cal: WorkCalendar) -> None:
    assert cal.skipped_days(kst("2025-10-02T10:00"), kst("2025-10-10T10:00"), "en") == [
        (date(2025, 10, 3), "National Foundation Day"),
        (date(2025, 10, 4), "Saturday"),
        (date(2025, 10, 5), "The day preceding Chuseok"),
        (date(2025, 10, 6), "Chuseok"),
        (date(2025, 10, 7), "The second day of Chuseok"),
        (date(2025, 10, 8), "Alternative holiday for Chuseok"),
        (date(2025, 10, 9), "Hangul Day"),
    ]


@pytest.mark.parametrize(
    ("language", "saturday", "sunday"), [("ko", "토요일", "일요일"), ("en", "Saturday", "Sunday")]
)
def test_skipped_days_weekend(cal: WorkCalendar, language: str, saturday: str, sunday: str) -> None:
    skipped = cal.skipped_days(kst("2026-03-06T10:00"), kst("2026-03-09T10:00"), language)
    assert skipped == [(date(2026, 3, 7), saturday), (date(2026, 3, 8), sunday)]


def test_skipped_days_include_extra_days_and_end_day(moving_day: WorkCalendar) -> None:
    skipped = moving_day.skipped_days(kst("2026-03-09T10:00"), kst("2026-03-10T09:00"), "en")
    assert skipped == [(date(2026, 3, 10), "청사 이전")]


def test_skipped_days_empty_when_end_before_start(cal: WorkCalendar) -> None:
    assert cal.skipped_days(kst("2026-03-09T10:00"), kst("2026-03-06T10:00")) == []


# --- parse_period and Period --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "unit", "amount", "canonical"),
    [
        ("3h", "hours", 3, "3h"),
        ("5d", "days", 5, "5d"),
        ("10d", "days", 10, "10d"),
        ("2w", "weeks", 2, "2w"),
        ("1m", "months", 1, "1m"),
        ("1y", "years", 1, "1y"),
        ("immediate", "immediate", 3, "immediate"),
        ("  5D ", "days", 5, "5d"),
        ("IMMEDIATE", "immediate", 3, "immediate"),
    ],
)
def test_parse_period(text: str, unit: str, amount: int, canonical: str) -> None:
    period = parse_period(text)
    assert period == Period(unit, amount)
    assert str(period) == canonical


@pytest.mark.parametrize(
    "text", ["", "   ", "5x", "d", "5", "-1d", "1.5d", "5 d", "3hours", "immediately", "٣h"]
)
def test_parse_period_rejects_nonsense(text: str) -> None:
    with pytest.raises(ValueError, match=r"Unknown period .*write e\.g\. 3h, 5d, 2w, 1m, 1y"):
        parse_period(text)


def test_parse_period_error_message_is_exact() -> None:
    with pytest.raises(ValueError) as caught:
        parse_period("5x")
    assert str(caught.value) == "Unknown period '5x': write e.g. 3h, 5d, 2w, 1m, 1y or immediate"


@pytest.mark.parametrize("text", ["0d", "0h", "00w"])
def test_parse_period_rejects_zero(text: str) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        parse_period(text)


@pytest.mark.parametrize("text", ["10y", "120m", "520w", "2600d", "20800h"])
def test_parse_period_takes_up_to_ten_years_and_counts_them(cal: WorkCalendar, text: str) -> None:
    assert cal.due_at(kst("2026-03-09T10:00"), parse_period(text)) > kst("2031-01-01T00:00")


@pytest.mark.parametrize("text", ["11y", "121m", "521w", "2601d", "20801h"])
def test_parse_period_refuses_more_than_ten_years(text: str) -> None:
    with pytest.raises(ValueError, match=f"Period '{text}' is longer than ten years"):
        parse_period(text)


def test_parse_period_rejects_non_text() -> None:
    with pytest.raises(ValueError):
        parse_period(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("unit", "amount"),
    [("days", 0), ("days", -2), ("fortnights", 1), ("immediate", 5), ("hours", True)],
)
def test_invalid_period_refused(unit: str, amount: int) -> None:
    with pytest.raises(ValueError):
        Period(unit, amount)


# --- naive datetimes ----------------------------------------------------------------------

NAIVE = datetime(2026, 3, 9, 10, 0)
AWARE = kst("2026-03-09T10:00")


@pytest.mark.parametrize(
    "call",
    [
        lambda cal: cal.due_at(NAIVE, parse_period("5d")),
        lambda cal: cal.due_at(NAIVE, parse_period("1m")),
        lambda cal: cal.next_working_moment(NAIVE),
        lambda cal: cal.add_working_time(NAIVE, timedelta(hours=1)),
        lambda cal: cal.add_working_time(NAIVE, timedelta(0)),
        lambda cal: cal.working_time_between(NAIVE, AWARE),
        lambda cal: cal.working_time_between(AWARE, NAIVE),
        lambda cal: cal.skipped_days(NAIVE, AWARE),
    ],
)
def test_naive_datetime_refused(cal: WorkCalendar, call: Callable[[WorkCalendar], object]) -> None:
    with pytest.raises(ValueError, match="[Nn]aive"):
        call(cal)


class _NoOffset(tzinfo):
    """A time zone that knows no offset: a datetime carrying it is still naive."""

    def utcoffset(self, moment):
        return None


def test_a_zone_without_an_offset_is_naive_too(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="[Nn]aive"):
        cal.next_working_moment(datetime(2026, 3, 9, 10, 0, tzinfo=_NoOffset()))


def test_day_counting_agrees_with_walking_the_days_one_by_one() -> None:
    """The cumulative index against a day-by-day walk, across years, an added holiday and a
    listed holiday that counts, in both directions."""
    import random

    cal = WorkCalendar({date(2026, 12, 24): "임시공휴일"}, working_days=[date(2026, 10, 9)])

    def walked(first: date, last: date) -> int:
        if last < first:
            return -walked(last, first)
        return sum(cal.is_working_day(first + timedelta(days=i))
                   for i in range(1, (last - first).days + 1))

    def walked_end(day: date, n: int) -> date:
        while n > 0:
            day += timedelta(days=1)
            n -= cal.is_working_day(day)
        return day

    rng = random.Random(12)
    for _ in range(2000):
        first = date(2023, 1, 1) + timedelta(days=rng.randrange(1800))
        last = first + timedelta(days=rng.randrange(-800, 800))
        assert cal.business_days_between(first, last) == walked(first, last), (first, last)
        n = rng.randrange(0, 300)
        moment = datetime(first.year, first.month, first.day, rng.randrange(24), tzinfo=SEOUL)
        assert cal.end_of_business_day(moment, n).date() == walked_end(first, n), (first, n)
