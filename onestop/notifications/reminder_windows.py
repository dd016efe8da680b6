"""Which tasks a reminder rule can fire for at a moment, as a range of the column its firing
depends on (the due date, or since when the firm is waited on): the sweep reads only those
rows, through the (status, due_at) and (status, paused_at) indexes. A window may hold tasks
the rule does not fire for (the rule's own test decides); it leaves out only what the
previous sweep (`since`) has read already, and the tasks made late during the day by
something other than the clock (a due date moved into the past, a task back from the firm
still late): those are reminded from the next working day's first sweep (README,
"Reminders and escalation")."""
from datetime import date, datetime, time, timedelta

from onestop.deadlines import SEOUL, WorkCalendar
from onestop.notifications.models import ReminderRule, RuleKind

# A change committed a little after the previous sweep read the tasks (its moment is the
# change's, written before the commit) is still found by the next one.
RACE_MARGIN = timedelta(minutes=30)
_TICK = timedelta(microseconds=1)

Window = tuple[datetime | None, datetime]  # [start, end); no start: from the beginning


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time(0), SEOUL)


def working_day_after(day: date, n: int, calendar: WorkCalendar) -> date:
    """The n-th working day after `day` (day itself for n = 0), from the calendar's index."""
    return calendar.end_of_business_day(start_of_day(day), n).date()


def working_day_back(day: date, n: int, calendar: WorkCalendar) -> date:
    """The n-th working day counting back from `day`, itself included when it is one:
    a day before it has at least n working days after it up to `day`."""
    while True:
        n -= calendar.is_working_day(day)
        if n <= 0:
            return day
        day -= timedelta(days=1)


def window(rule: ReminderRule, now: datetime, calendar: WorkCalendar,
           since: datetime | None) -> Window | None:
    """The rule's window at `now` (a working moment), or None when it can fire for nothing
    new since the sweep at `since` (same rules and calendar; None: no such sweep)."""
    today = now.astimezone(SEOUL).date()
    k = rule.offset_days
    if rule.kind == RuleKind.TASK_DUE:
        # Due on a day with exactly k working days after today up to it, and not yet due.
        return (max(start_of_day(working_day_after(today, k, calendar)), now),
                start_of_day(working_day_after(today, k + 1, calendar)))
    if rule.kind == RuleKind.TASK_OVERDUE:
        # Every working day anew (the day is in the key): the day's first sweep reads all
        # the overdue tasks; later ones only those that fell due since.
        if since is None or since.astimezone(SEOUL).date() != today:
            return None, _overdue_end(k, now, today, calendar)
        return (since - RACE_MARGIN, now + _TICK) if k == 0 else None
    # Information request: waited k working days. Once per wait (no day in the key), so a
    # sweep reads the waits that reached k since the previous one, and those begun since.
    end = _waited_end(k, today, calendar)
    if since is None:
        return None, end
    before = since - RACE_MARGIN
    start = min(_waited_end(k, before.astimezone(SEOUL).date(), calendar), before)
    return (start, end) if start < end else None


def _overdue_end(k: int, now: datetime, today: date, calendar: WorkCalendar) -> datetime:
    if k == 0:
        return now + _TICK  # due_at <= now
    return start_of_day(working_day_back(today, k, calendar))


def _waited_end(k: int, day: date, calendar: WorkCalendar) -> datetime:
    """paused_at before this has waited at least k working days on `day`."""
    if k == 0:
        return start_of_day(day + timedelta(days=1))
    return start_of_day(working_day_back(day, k, calendar))


def merged(windows: list[Window]) -> list[Window]:
    """The same moments in as few ranges as possible (one query each)."""
    out: list[Window] = []
    for start, end in sorted(windows, key=lambda w: (w[0] is not None, w[0] or w[1])):
        if out and (start is None or out[-1][1] >= start):
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
            continue
        out.append((start, end))
    return out
