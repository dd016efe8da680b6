"""The service figures against values worked out by hand on tests/service_data.py."""
from datetime import date

import pytest
from sqlalchemy import event

from onestop.errors import NotAllowed
from onestop.extensions import db
from onestop.reports.service import GroupBy, Period, public_service, service_report
from onestop.workdays.services import work_calendar
from tests import service_data
from tests.factories import NOW
from tests.service_data import PERIOD, H

ORG, TYPE = GroupBy.ORGANIZATION, GroupBy.REQUEST_TYPE


def report(user, group_by=ORG, period=PERIOD):
    return service_report(user, period, group_by, now=NOW, calendar=work_calendar())


def figures(f) -> dict:
    return {"open": f.open, "due_soon": f.due_soon, "overdue": f.overdue, "done": f.done,
            "on_time": f.on_time, "median": f.median_seconds, "p90": f.p90_seconds,
            "agency": f.agency_seconds, "waited": f.waited_seconds, "paused": f.paused_seconds,
            "satisfaction": None if f.satisfaction is None else round(f.satisfaction, 4),
            "answers": f.answers}


def row(open=0, due_soon=0, overdue=0, done=0, on_time=0, median=None, p90=None, agency=0,
        waited=0, paused=0, satisfaction=None, answers=0) -> dict:
    def hours(value):
        return None if value is None else value * H

    return {"open": open, "due_soon": due_soon, "overdue": overdue, "done": done,
            "on_time": on_time, "median": hours(median), "p90": hours(p90),
            "agency": agency * H, "waited": waited * H, "paused": paused * H,
            "satisfaction": satisfaction, "answers": answers}


# Union: done 8, 24, 40 (hiring) and 16 (permit) hours; nearest rank: median the 2nd of 4,
# the 90th percentile the 4th. Its answers: 5, 2 and 4 (the 4 after the period is left out).
UNION = row(open=4, due_soon=1, overdue=1, done=4, on_time=3, median=16, p90=40, agency=88,
            waited=6, paused=136, satisfaction=round(11 / 3, 4), answers=3)
# University: 12 and 4 hours: the 1st and the 2nd of 2.
UNIV = row(open=3, due_soon=2, done=2, on_time=1, median=4, p90=12, agency=16, waited=1,
           paused=40, satisfaction=2.0, answers=1)
# Permits: 1 to 11 hours: median the 6th, 90th percentile the 10th (ceil(9.9)).
PERMITS = row(done=11, on_time=8, median=6, p90=10, agency=66, paused=110, satisfaction=3.0,
              answers=1)
# All 17: 1,2,3,4,4,5,6,7,8,8,9,10,11,12,16,24,40: the 9th and the 16th (ceil(15.3)).
TOTAL = row(open=7, due_soon=3, overdue=1, done=17, on_time=12, median=8, p90=24, agency=170,
            waited=7, paused=286, satisfaction=3.5, answers=4)


@pytest.fixture
def cases(world):
    return service_data.build(world)


def test_each_partner_against_hand_computed_figures(world, cases):
    result = report(world.desk)
    assert [f.subject for f in result.rows] == [world.permits, world.union, world.univ], \
        "every partner, by name; never the desk itself"
    assert [figures(f) for f in result.rows] == [PERMITS, UNION, UNIV]
    assert figures(result.total) == TOTAL
    assert result.total.desk_median_seconds == 3 * H, "1, 2, 3, 4, 8 hours: the 3rd"
    assert [f.desk_median_seconds for f in result.rows] == [None] * 3, \
        "the desk's time belongs to no partner"


def test_working_days_and_shares_read_off_the_figures(world, cases):
    union = report(world.desk).rows[1]
    assert union.median_days == 2.0 and union.p90_days == 5.0
    assert union.on_time_share == 0.75
    assert union.average_hours(union.paused_seconds) == 34.0


def test_each_request_type_against_hand_computed_figures(world, cases):
    result = report(world.desk, TYPE)
    assert [f.subject for f in result.rows] == [world.hiring_type, world.permit_type]
    hiring, permit = (figures(f) for f in result.rows)
    # Hiring: 8, 24, 40, 12 -> 8, 12, 24, 40; answers 5 and 4.
    assert hiring == row(open=7, due_soon=3, overdue=1, done=4, on_time=3, median=12, p90=40,
                         agency=84, waited=4, paused=146, satisfaction=4.5, answers=2)
    # Permit: 1..11, 4, 16: the 7th of 13 and the 12th (ceil(11.7)); answers 2 and 3.
    assert permit == row(done=13, on_time=9, median=6, p90=11, agency=86, waited=3, paused=140,
                         satisfaction=2.5, answers=2)
    assert [f.desk_median_seconds for f in result.rows] == [2 * H, 8 * H]
    assert figures(result.total) == TOTAL


def test_months_are_seoul_months(world, cases):
    months = report(world.desk).months
    assert [(m.month, m.done, m.on_time) for m in months] == [
        (date(2026, 9, 1), 2, 1), (date(2026, 10, 1), 3, 2), (date(2026, 11, 1), 12, 9)]
    assert months[1].on_time_share == 2 / 3


def test_a_month_without_work_is_shown_empty(world, cases):
    months = report(world.desk, period=Period(date(2026, 7, 15), date(2026, 9, 30))).months
    assert [(m.month, m.done) for m in months] == [
        (date(2026, 7, 1), 0), (date(2026, 8, 1), 1), (date(2026, 9, 1), 2)], \
        "August: the task done at 23:00 on its last day"
    assert months[0].on_time_share is None


def test_a_partner_sees_only_its_own_organization(world, cases):
    result = report(world.univ_staff)
    assert [f.subject for f in result.rows] == [world.univ]
    assert [figures(f) for f in result.rows] == [UNIV]
    assert figures(result.total) == UNIV
    assert result.total.desk_median_seconds == 3 * H, "its own cases: 3 and 8 hours"
    assert [(m.done, m.on_time) for m in result.months] == [(1, 0), (1, 1), (0, 0)]


def test_a_partner_by_request_type_sees_its_own_tasks_only(world, cases):
    result = report(world.univ_staff, TYPE)
    assert [f.subject for f in result.rows] == [world.hiring_type, world.permit_type]
    hiring, permit = (figures(f) for f in result.rows)
    assert hiring == row(open=3, due_soon=2, done=1, on_time=1, median=12, p90=12, agency=12,
                         paused=30)
    assert permit == row(done=1, median=4, p90=4, agency=4, waited=1, paused=10,
                         satisfaction=2.0, answers=1)


def test_firms_may_not_see_the_report(world, cases):
    with pytest.raises(NotAllowed):
        report(world.firm_a_user)


def test_an_empty_period_has_no_figures(world, cases):
    result = report(world.desk, period=Period(date(2025, 1, 1), date(2025, 1, 31)))
    assert [f.done for f in result.rows] == [0, 0, 0]
    assert result.total.on_time_share is None and result.total.median_days is None
    assert result.total.open == 7, "the open work is as of now, whatever the period"


def _statements(fn) -> int:
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


@pytest.mark.parametrize("group_by", [ORG, TYPE])
def test_the_number_of_statements_does_not_grow_with_the_data(world, group_by):
    calendar = work_calendar()

    def run():
        db.session.expire_all()
        service_report(world.desk, PERIOD, group_by, now=NOW, calendar=calendar)

    few = _statements(run)
    service_data.build(world)
    service_data.build(world)
    many = _statements(run)
    assert few == many <= 7


def test_the_public_page_counts_the_same_done_tasks(world, cases):
    """Zone-wide and nameless, the same 17 tasks done and 12 on time as the desk's total."""
    public = public_service(PERIOD)
    assert (public.done, public.on_time) == (TOTAL["done"], TOTAL["on_time"]) == (17, 12)
    distinct_cases = {t.case_id for c in cases.values() for t in c.tasks
                      if t.status == "done" and PERIOD.start <= t.finished_at < PERIOD.end}
    assert public.cases == len(distinct_cases) > 0
    assert public_service(Period(date(2025, 1, 1), date(2025, 1, 31))).on_time_share is None
