"""The reminder sweep reads only the tasks in its rules' windows: what it writes is what the
old sweep (every active task, every rule) wrote, one sweep at a time, and on PostgreSQL its
statements use the indexes and do not grow in number with the tasks."""
import random
import threading
from collections import defaultdict
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.orm import selectinload

from onestop.accounts.models import PARTNER_ROLES, Role, User
from onestop.cases import services as cases
from onestop.cases.models import Case
from onestop.deadlines import SEOUL
from onestop.extensions import db
from onestop.notifications import reminders, services
from onestop.notifications.models import Audience, Notification, ReminderRule
from onestop.notifications.preferences import role_defaults, set_choices, start_of
from onestop.statuses import ACTIVE_TASK, TaskStatus
from onestop.tasks.models import AgencyTask
from onestop.workdays.services import add_extra_holiday, work_calendar
from tests.factories import NOW

EXTRA_RULES = [("task_due", 2, "partner_lead"), ("task_overdue", 1, "account_officer"),
               ("info_request", 0, "firm"), ("info_request", 1, "firm")]
STATUSES = [TaskStatus.OPEN, TaskStatus.ACCEPTED, TaskStatus.WAITING_ON_FIRM, TaskStatus.DONE]
# Chuseok (24-26 Sep 2026, Saturday 26th), National Foundation Day (Sat 3 Oct, substitute
# Mon 5 Oct), Hangul Day (Fri 9 Oct), weekends; the admin adds Wed 14 Oct on the way.
FIRST_DAY, LAST_DAY = date(2026, 9, 18), date(2026, 10, 20)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SEOUL)


@pytest.fixture
def rules(world):
    reminders.ensure_default_rules()
    for kind, days, audience in EXTRA_RULES:
        db.session.add(ReminderRule(kind=kind, offset_days=days, audience=audience))
    db.session.commit()


def two_cases(world) -> list[Case]:
    made = []
    for firm_user in (world.firm_a_user, world.firm_b_user):
        case = cases.file_case(firm_user, world.hiring_type, title="Hire", description="d",
                               priority="normal", form_data={}, checked_items=[], files=[],
                               now=NOW)
        cases.accept_case(world.desk, case, now=NOW, version=None)
        made.append(case)
    world.firm_b.account_officer = None  # the case's owner hears instead
    db.session.commit()
    return made


def random_moment(rng: random.Random, first: date, days: int) -> datetime:
    return at(first + timedelta(days=rng.randrange(days)), rng.randrange(24),
              rng.randrange(60)).astimezone(SEOUL)


def old_sweep_rows(now: datetime) -> dict[str, tuple]:
    """The sweep as it was: every active task, every rule, the users of the whole site."""
    calendar = work_calendar()
    if calendar.next_working_moment(now) != now.astimezone(SEOUL):
        return {}
    today = now.astimezone(SEOUL).date()
    rules = db.session.scalars(select(ReminderRule).where(
        ReminderRule.is_active, ReminderRule.kind.in_(("task_due", "task_overdue",
                                                        "info_request")))).all()
    users = db.session.scalars(select(User).where(User.is_enabled)).all()
    members, leads, firm_members = defaultdict(list), defaultdict(list), defaultdict(list)
    for user in users:
        if user.role in PARTNER_ROLES and user.organization_id:
            members[user.organization_id].append(user)
            if user.role == Role.PARTNER_LEAD:
                leads[user.organization_id].append(user)
        elif user.role == Role.FIRM and user.firm_id:
            firm_members[user.firm_id].append(user)
    enabled = {u.id: u for u in users}

    def audience_of(audience, task):
        if audience == Audience.ASSIGNEE:
            a = task.assignee
            if a and a.is_enabled and a.is_partner and a.organization_id == task.organization_id:
                return [a]
            return members[task.organization_id]
        if audience == Audience.PARTNER_LEAD:
            return leads[task.organization_id]
        if audience == Audience.ACCOUNT_OFFICER:
            officer = enabled.get(task.case.firm.account_officer_id or task.case.owner_id)
            return [officer] if officer else []
        return firm_members[task.case.firm_id]

    rows = {}
    tasks = db.session.scalars(select(AgencyTask).where(AgencyTask.status.in_(ACTIVE_TASK))
                               .options(selectinload(AgencyTask.assignee))).all()
    for task in tasks:
        days_left = calendar.business_days_between(today, task.due_at.astimezone(SEOUL).date())
        for rule in rules:
            fires, occurrence, params = reminders._fires(rule, task, now, today, days_left,
                                                         calendar)
            if not fires:
                continue
            anchor = task.paused_at if rule.kind == "info_request" else task.due_at
            for user in set(audience_of(rule.audience, task)):
                key = (f"r{rule.id}.{rule.offset_days}:t{task.id}:{reminders.stamp(anchor)}:"
                       f"{occurrence}:u{user.id}")
                rows[key] = (user.id, rule.id, rule.kind, task.case_id, task.id, params,
                             start_of(user, rule.kind, now, calendar, role_defaults())["status"])
    return rows


def new_sweep_rows(now: datetime) -> dict[str, tuple]:
    ids = reminders.sweep(now)
    db.session.commit()
    return {r.key: (r.user_id, r.rule_id, r.kind, r.case_id, r.task_id, r.params, r.status)
            for r in db.session.scalars(select(Notification).where(Notification.id.in_(ids)))}


def change_some(rng: random.Random, tasks: list[AgencyTask], users: list, moment: datetime,
                *, overnight: bool) -> None:
    """What people do between two sweeps: a task waits on the firm (from this moment) or
    stops waiting, its due date moves, it is done or reopened, reassigned. During the day
    only moves that may be noticed at once (README: a task that becomes overdue otherwise
    than by the clock is reminded of from the next working day)."""
    for task in rng.sample(tasks, 4):
        move = rng.choice(["wait", "due", "status", "assign"])
        if move == "wait" and task.status != TaskStatus.WAITING_ON_FIRM:
            task.status, task.paused_at = TaskStatus.WAITING_ON_FIRM, moment
        elif move == "due" and overnight:
            task.due_at = random_moment(rng, moment.date() - timedelta(days=10), 20)
        elif move == "due" and task.due_at > moment:
            task.due_at = moment + timedelta(minutes=rng.randrange(1, 60 * 24 * 8))
        elif overnight and move == "status":
            task.status, task.paused_at = rng.choice(STATUSES[:2] + STATUSES[3:]), None
        elif overnight and move == "assign":
            task.assignee = rng.choice(users)
    db.session.commit()


def sweep_moments(rng: random.Random) -> list[datetime]:
    moments, day = [], FIRST_DAY
    while day <= LAST_DAY:
        hours = sorted(rng.sample([7, 9, 10, 11, 12, 14, 15, 17, 19], rng.randrange(1, 4)))
        moments += [at(day, hour, rng.randrange(60)) for hour in hours]
        day += timedelta(days=rng.choice([1, 1, 1, 2]))
    return moments


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_windowed_sweep_writes_what_the_old_one_did(world, rules, seed):
    rng = random.Random(seed)
    made = two_cases(world)
    users = [None, world.union_staff, world.union_lead, world.univ_staff, world.permits_staff]
    tasks = []
    for n in range(60):
        status = rng.choice(STATUSES[:3])
        task = AgencyTask(case=made[n % 2], organization=rng.choice([world.union, world.univ]),
                          assignee=rng.choice(users), status=status, period="5d",
                          due_at=random_moment(rng, FIRST_DAY - timedelta(days=10), 45),
                          routed_at=NOW,
                          paused_at=random_moment(rng, FIRST_DAY - timedelta(days=12), 12)
                          if status == TaskStatus.WAITING_ON_FIRM else None)
        tasks.append(task)
    db.session.add_all(tasks)
    set_choices(world.union_lead, {"task_overdue": "digest", "task_due": "app"},
                has_quiet_hours=True)
    db.session.commit()

    checked = 0
    previous = None
    for moment in sweep_moments(rng):
        if previous is not None:
            overnight = previous.date() != moment.date()
            change_some(rng, tasks, users, previous + (moment - previous) / 2,
                        overnight=overnight)
        if previous and previous.date() < date(2026, 10, 12) <= moment.date():
            add_extra_holiday(world.admin, date(2026, 10, 14), "zone day")
            db.session.commit()
        written = set(db.session.scalars(select(Notification.key)))
        expected = {k: v for k, v in old_sweep_rows(moment).items() if k not in written}
        assert new_sweep_rows(moment) == expected, moment
        checked += len(expected)
        previous = moment
    assert checked > 100, "the comparison saw too few reminders to prove anything"
    # Back in time, as `reminders sweep --at` may be: every window is read whole again.
    again = at(date(2026, 9, 22), 10)
    written = set(db.session.scalars(select(Notification.key)))
    assert new_sweep_rows(again) == {k: v for k, v in old_sweep_rows(again).items()
                                     if k not in written}


def overdue_task(world) -> AgencyTask:
    case = two_cases(world)[0]
    task = AgencyTask(case=case, organization=world.union, status=TaskStatus.OPEN,
                      period="5d", due_at=at(date(2026, 11, 16), 10), routed_at=NOW)
    db.session.add(task)
    db.session.commit()
    return task


def test_an_overdue_task_is_reminded_once_a_working_day(world, rules):
    task = overdue_task(world)
    first = new_sweep_rows(at(date(2026, 11, 18), 9, 5))
    assert first and {v[2] for v in first.values()} == {"task_overdue"}
    assert new_sweep_rows(at(date(2026, 11, 18), 9, 10)) == {}
    # Its date moved to another past day during the day: heard of from the next working
    # day (README), the later sweeps of the day do not read every overdue task again.
    task.due_at = at(date(2026, 11, 13), 10)
    db.session.commit()
    assert new_sweep_rows(at(date(2026, 11, 18), 11)) == {}
    next_day = at(date(2026, 11, 19), 9, 5)
    written = set(db.session.scalars(select(Notification.key)))
    expected = {k: v for k, v in old_sweep_rows(next_day).items() if k not in written}
    assert expected and new_sweep_rows(next_day) == expected


def test_a_second_sweep_meanwhile_writes_nothing_and_gives_up_quietly(world, rules, app):
    overdue_task(world)
    moment = at(date(2026, 11, 18), 9, 5)
    mine = reminders.sweep(moment)  # this transaction holds the sweep until it commits
    assert mine
    postgres = db.engine.dialect.name == "postgresql"
    theirs, errors = {}, []

    def second_sweep():
        try:
            with app.app_context():
                theirs["sweep"] = reminders.sweep(moment)
                theirs["whole"] = services.sweep_and_requeue(moment)
                db.session.commit()
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported by the test thread
            errors.append(error)

    other = threading.Thread(target=second_sweep)
    other.start()
    if postgres:  # it does not wait for this one: the lock is taken, it returns at once
        other.join(timeout=60)
        assert not other.is_alive(), "the second sweep waited for the first"
    db.session.commit()
    other.join(timeout=60)
    assert not other.is_alive() and not errors, errors
    assert theirs["sweep"] == [] and theirs["whole"][0] == []
    keys = list(db.session.scalars(select(Notification.key).where(
        Notification.rule_id.is_not(None))))
    assert len(keys) == len(set(keys)) == len(mine)


def test_a_sweep_from_the_command_line_waits_for_the_one_running(world, rules, app):
    """A person's `reminders sweep --at` must not give up because the beat's sweep (of
    another moment) holds the lock: it waits for it, then writes what its moment calls for."""
    overdue_task(world)
    mine = reminders.sweep(at(date(2026, 11, 18), 9, 5))  # held until this one commits
    assert mine
    outcome = {}

    def command_line_sweep():
        result = app.test_cli_runner().invoke(args=["reminders", "sweep", "--at",
                                                    "2026-11-19T09:05"])
        outcome.update(code=result.exit_code, output=result.output)

    other = threading.Thread(target=command_line_sweep)
    other.start()
    other.join(timeout=1)
    assert other.is_alive(), f"the command line did not wait: {outcome}"
    db.session.commit()
    other.join(timeout=60)
    assert outcome["code"] == 0, outcome
    written = int(outcome["output"].split()[0])
    assert written > 0, f"it swept after the first, as if on the next day: {outcome}"


# --- many tasks: statements that do not grow, and (on PostgreSQL) plans through indexes --------

def add_tasks(case_id: int, org_id: int, far: datetime, count: int) -> None:
    """`count` running tasks due after `far`, every fifth waiting on the firm since then."""
    db.session.execute(AgencyTask.__table__.insert(), [
        {"case_id": case_id, "organization_id": org_id, "period": "5d",
         "status": TaskStatus.WAITING_ON_FIRM if n % 5 == 0 else TaskStatus.OPEN,
         "due_at": far + timedelta(minutes=n), "routed_at": far,
         "paused_at": far if n % 5 == 0 else None} for n in range(1, count + 1)])


def statements_of_a_sweep(moment: datetime) -> list[tuple[str, dict]]:
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        services.sweep_and_requeue(moment)
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


def test_the_sweep_reads_through_indexes_in_as_many_statements_whatever_the_tasks(world,
                                                                                  rules):
    postgres = db.engine.dialect.name == "postgresql"
    case = two_cases(world)[0]
    moment = at(date(2026, 11, 18), 9, 5)
    far = moment + timedelta(days=60)  # none of them due soon, overdue or waited on long
    params = {"case_id": case.id, "org_id": world.union.id, "far": far}
    add_tasks(**params, count=2000)
    db.session.commit()
    assert new_sweep_rows(moment) == {}
    few = statements_of_a_sweep(moment + timedelta(minutes=5))
    add_tasks(**params, count=40000)
    db.session.execute(text("ANALYZE agency_tasks" if postgres else "ANALYZE"))
    db.session.commit()
    next_day = at(date(2026, 11, 19), 9, 5)  # a first sweep of the day reads whole windows
    for statements in (statements_of_a_sweep(next_day),
                       statements_of_a_sweep(next_day + timedelta(minutes=5))):
        assert len(statements) <= len(few) + 2, "statements grow with the tasks"
        if not postgres:
            continue  # the plans below are PostgreSQL's
        with db.engine.connect() as conn:
            for statement, parameters in statements:
                if "agency_tasks" not in statement or not statement.lstrip().startswith(
                        ("SELECT", "UPDATE", "INSERT")):
                    continue
                plan = "\n".join(conn.exec_driver_sql("EXPLAIN " + statement,
                                                      parameters).scalars())
                assert "Seq Scan on agency_tasks" not in plan, f"{statement}\n{plan}"
