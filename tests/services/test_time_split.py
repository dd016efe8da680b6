"""Finished tasks keep the agency's own time, the time waited on the firm and the paused
time; accepted cases the desk's own time. Walked through the services, with Korean holidays
from the library and a day the admin added."""
from datetime import date, timedelta

import pytest

from onestop.cases import services as cases
from onestop.deadlines import WorkCalendar
from onestop.extensions import db
from onestop.tasks import services as tasks
from onestop.workdays.models import ExtraHoliday
from tests.service_data import H, seoul


def filed(world, at):
    case = cases.file_case(world.firm_a_user, world.hiring_type, title="Hiring", description="d",
                           priority="normal", form_data={}, checked_items=[], files=[], now=at)
    db.session.flush()
    return case


@pytest.mark.parametrize("extra_day,waited,paused", [
    # Chuseok 2026 is Thu 9/24 - Sat 9/26. Routed Tue 9/22 10:00, asked the firm Wed 9/23
    # 14:00, answered Tue 9/29 10:00, done Wed 9/30 12:00: 194 wall-clock hours.
    # Working time: 7 (22nd) + 8 (23rd) + 8 (Mon 28th) + 8 (29th) + 3 (30th) = 34 hours;
    # waited: 4 (23rd) + 8 (28th) + 1 (29th) = 13; agency 34 - 13 = 21; paused 194 - 34 = 160.
    (None, 13, 160),
    # The admin made Monday 9/28 a non-working day: 8 fewer working hours, all of them waited.
    (date(2026, 9, 28), 5, 168),
])
def test_a_stopped_clock_across_chuseok(world, extra_day, waited, paused):
    if extra_day:
        db.session.add(ExtraHoliday(day=extra_day, name="zone day"))
    case = filed(world, seoul(2026, 9, 22, 9, 0))
    cases.accept_case(world.desk, case, now=seoul(2026, 9, 22, 9, 30), version=None)
    union_task, univ_task = cases.route_case(world.desk, case, [world.union, world.univ],
                                             now=seoul(2026, 9, 22, 10), version=None)
    tasks.accept_task(world.union_staff, union_task, now=seoul(2026, 9, 22, 11), version=None)
    tasks.request_information(world.union_staff, union_task, "Send the hiring plan.",
                              now=seoul(2026, 9, 23, 14), version=None)
    assert union_task.agency_seconds is None, "kept only when the task finishes"
    cases.add_comment(world.firm_a_user, case, "Here it is.", now=seoul(2026, 9, 29, 10))
    tasks.complete_task(world.union_staff, union_task, "Done.", now=seoul(2026, 9, 30, 12),
                        version=None)
    assert (union_task.agency_seconds, union_task.waited_seconds, union_task.paused_seconds) \
        == (21 * H, waited * H, paused * H)
    assert (union_task.agency_seconds + union_task.waited_seconds
            + union_task.paused_seconds) == 194 * H, "the three parts make the wall clock"
    assert univ_task.agency_seconds is None, "the other partner's task still runs"
    assert case.desk_seconds == 30 * 60


def test_a_task_cancelled_while_waiting_on_the_firm_stops_waiting_then(world):
    case = filed(world, seoul(2026, 11, 10, 9))
    cases.accept_case(world.desk, case, now=seoul(2026, 11, 10, 9, 30), version=None)
    (task,) = cases.route_case(world.desk, case, [world.union], now=seoul(2026, 11, 10, 10),
                               version=None)
    tasks.accept_task(world.union_staff, task, now=seoul(2026, 11, 10, 10, 30), version=None)
    tasks.request_information(world.union_staff, task, "More, please.",
                              now=seoul(2026, 11, 10, 11), version=None)
    cases.withdraw_case(world.firm_a_user, case, "Not needed.", now=seoul(2026, 11, 12, 10),
                        version=None)
    # 48 wall-clock hours; 16 working (7 + 8 + 1), of them 15 waited (6 + 8 + 1).
    assert task.status == "cancelled" and task.paused_at is None
    assert (task.agency_seconds, task.waited_seconds, task.paused_seconds) == (H, 15 * H, 32 * H)


def test_a_declined_task_keeps_its_split_too(world):
    case = filed(world, seoul(2026, 11, 13, 17))  # Friday, an hour before closing
    cases.accept_case(world.desk, case, now=seoul(2026, 11, 16, 9, 30), version=None)
    (task,) = cases.route_case(world.desk, case, [world.union], now=seoul(2026, 11, 16, 10),
                               version=None)
    tasks.decline_task(world.union_staff, task, "Not ours.", now=seoul(2026, 11, 16, 15),
                       version=None)
    assert (task.agency_seconds, task.waited_seconds, task.paused_seconds) == (4 * H, 0, H)
    assert case.desk_seconds == int(1.5 * H), "Friday 17-18 and Monday 9:00-9:30"


def test_the_desk_time_skips_the_admins_extra_days(world):
    db.session.add(ExtraHoliday(day=date(2026, 11, 16), name="zone day"))
    case = filed(world, seoul(2026, 11, 13, 17))
    cases.accept_case(world.desk, case, now=seoul(2026, 11, 17, 10), version=None)
    assert case.desk_seconds == 2 * H, "Friday 17-18 and Tuesday 9-10; Monday is off"


def test_the_split_never_goes_below_zero():
    calendar = WorkCalendar()
    agency, waited, paused = calendar.time_split(seoul(2026, 11, 10, 10), seoul(2026, 11, 10, 11),
                                                 waited=timedelta(hours=2))
    assert (agency, waited, paused) == (timedelta(0), timedelta(hours=2), timedelta(0))
