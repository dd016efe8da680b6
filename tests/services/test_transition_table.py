# ruff: noqa: E501 - the verdict tables are read across, one state a line
"""Every (state, action) pair of both lifecycles, brought about through the real services and
checked against verdicts written by hand from DESIGN.md ("Lifecycles"), not read from
workflow.py: allowed moves land in the expected state and leave an Event; refused ones raise
the domain error and change nothing at all."""
import re
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from onestop import statuses, workflow
from onestop.cases import services as cases
from onestop.cases.models import Event
from onestop.errors import Invalid, InvalidTransition, NotAllowed
from onestop.extensions import db
from onestop.tasks import consultations, extensions, supplements
from onestop.tasks import services as tasks
from tests.factories import PDF

R = "refused"

# The case lifecycle: submitted → triaged → in_progress ⇄ waiting_on_firm → resolved → closed;
# submitted → rejected; any open state → withdrawn; resolved → in_progress when the firm
# reopens. Each cell is the case's state after the action, or R.
# - route: the desk splits an accepted, open case into tasks; routing more partners (a reroute
#   after a decline) keeps the state, also while another task waits on the firm.
# - resolve: the caseworker resolves a case whose tasks are all finished (nothing is left
#   running on a resolved case: only a withdrawal cancels tasks).
# - comment: the firm's public comment; while the case waits on the firm it is the answer
#   and the case runs again. note: the desk's internal note, which never restarts the clock.
#   A finished request (closed, rejected, withdrawn) takes no more comments (DESIGN is
#   silent; the product closes the conversation with the request).
CASE_ACTIONS = ("accept", "reject", "route", "resolve", "close", "reopen", "withdraw",
                "comment", "note", "return")
CASE_BUTTONS = {"accept", "reject", "resolve", "close", "reopen", "withdraw", "return"}  # workflow.case_actions
# - return (반려, 민원처리법 §22): the desk returns a request whose supplement did not come by
#   the second deadline (the sweep records the lapse); before that the firm can still answer.
CASE_VERDICTS = {
    #                      accept     reject      route              resolve     close     reopen         withdraw     comment            note               return
    "submitted":          ("triaged", "rejected", R,                 R,          R,        R,             "withdrawn", "submitted",       "submitted",       R),
    "triaged":            (R,         R,          "in_progress",     R,          R,        R,             "withdrawn", "triaged",         "triaged",         R),
    "in_progress":        (R,         R,          "in_progress",     R,          R,        R,             "withdrawn", "in_progress",     "in_progress",     R),
    "in_progress, work finished":
                          (R,         R,          "in_progress",     "resolved", R,        R,             "withdrawn", "in_progress",     "in_progress",     R),
    "waiting_on_firm":    (R,         R,          "waiting_on_firm", R,          R,        R,             "withdrawn", "in_progress",     "waiting_on_firm", R),
    "waiting_on_firm, supplement lapsed":
                          (R,         R,          "waiting_on_firm", R,          R,        R,             "withdrawn", "in_progress",     "waiting_on_firm", "returned"),
    "resolved":           (R,         R,          R,                 R,          "closed", "in_progress", R,           "resolved",        "resolved",        R),
    "closed":             (R,         R,          R,                 R,          R,        R,             R,           R,                 R,                 R),
    "rejected":           (R,         R,          R,                 R,          R,        R,             R,           R,                 R,                 R),
    "returned":           (R,         R,          R,                 R,          R,        R,             R,           R,                 R,                 R),
    "withdrawn":          (R,         R,          R,                 R,          R,        R,             R,           R,                 R,                 R),
}

# The task lifecycle: open → accepted ⇄ waiting_on_firm → done; open|accepted → declined;
# → cancelled when its case is withdrawn. A lead assigns and the desk moves the due date of a
# running task (the state stays); a finished task is not changed any more.
# - transfer (민원처리법 §16): a partner that is not competent hands an open or accepted task
#   to the competent organization instead of declining it (not while it waits on the firm).
# - extend (행정절차법 §19): the partner extends the period of an unfinished task; the state
#   stays.
# - deemed_consented (행정기본법 §24): a consultation on a main permit left unanswered when its
#   period ends; the sweep finishes it, and nobody can change it any more (nor decline it).
TASK_ACTIONS = ("accept", "request_info", "complete", "decline", "assign", "override_due",
                "transfer", "extend")
TASK_BUTTONS = {"accept", "request_info", "complete", "decline", "transfer"}  # workflow.task_actions
TASK_VERDICTS = {
    #                   accept      request_info       complete  decline     assign             override_due       transfer       extend
    "open":            ("accepted", R,                 R,        "declined", "open",            "open",            "transferred", "open"),
    "accepted":        (R,          "waiting_on_firm", "done",   "declined", "accepted",        "accepted",        "transferred", "accepted"),
    "waiting_on_firm": (R,          R,                 R,        R,          "waiting_on_firm", "waiting_on_firm", R,             "waiting_on_firm"),
    "done":            (R,          R,                 R,        R,          R,                 R,                 R,             R),
    "declined":        (R,          R,                 R,        R,          R,                 R,                 R,             R),
    "transferred":     (R,          R,                 R,        R,          R,                 R,                 R,             R),
    "deemed_consented": (R,         R,                 R,        R,          R,                 R,                 R,             R),
    "cancelled":       (R,          R,                 R,        R,          R,                 R,                 R,             R),
}


class Steps:
    """Drives one case of firm A through the services, a minute per step, committing each."""

    def __init__(self, world, now: datetime):
        self.world, self.clock = world, now
        self.case = None
        self.permits_task = self.union_task = None

    def at(self) -> datetime:
        self.clock += timedelta(minutes=1)
        return self.clock

    def do(self, service: Callable, *args, **kwargs):
        result = service(*args, now=self.at(), **kwargs)
        db.session.commit()
        return result

    def file(self):
        w = self.world
        self.case = self.do(cases.file_case, w.firm_a_user, w.permit_type, title="Plant 2",
                            description="Line 2", priority="normal",
                            form_data={"floor_area": "900"}, checked_items=[0, 1],
                            files=[("plan.pdf", PDF)])

    def accept(self):
        self.do(cases.accept_case, self.world.desk, self.case, version=self.case.version)

    def route(self):
        self.permits_task, self.union_task = self.do(
            cases.route_case, self.world.desk, self.case, [self.world.permits, self.world.union],
            version=self.case.version)

    def task_accept(self, task, actor):
        self.do(tasks.accept_task, actor, task, version=task.version)

    def ask_firm(self, task, actor):
        self.do(tasks.request_information, actor, task, "Send the drawings", version=task.version)

    def complete(self, task, actor):
        self.do(tasks.complete_task, actor, task, "Approved", version=task.version)

    def decline(self, task, actor):
        self.do(tasks.decline_task, actor, task, "Not ours", version=task.version)

    def withdraw(self):
        self.do(cases.withdraw_case, self.world.firm_a_user, self.case, "Built elsewhere",
                version=self.case.version)


def bring_case_to(steps: Steps, state: str) -> None:
    w = steps.world
    steps.file()
    if state == "submitted":
        return
    if state == "rejected":
        steps.do(cases.reject_case, w.desk, steps.case, "Not ours", version=steps.case.version)
        return
    steps.accept()
    if state == "triaged":
        return
    steps.route()
    if state.startswith("waiting_on_firm") or state == "returned":
        steps.task_accept(steps.permits_task, w.permits_staff)
        steps.ask_firm(steps.permits_task, w.permits_staff)
        if state != "waiting_on_firm":  # both supplement deadlines pass unanswered
            for days in (30, 60):
                supplements.sweep(steps.at() + timedelta(days=days))
                db.session.commit()
            steps.clock += timedelta(days=61)
        if state == "returned":
            steps.do(cases.return_case, w.desk, steps.case, "No drawings",
                     version=steps.case.version)
    elif state == "in_progress, work finished":
        # One task done, the other declined and not yet rerouted: nothing runs, nothing resolves.
        steps.task_accept(steps.permits_task, w.permits_staff)
        steps.complete(steps.permits_task, w.permits_staff)
        steps.decline(steps.union_task, w.union_staff)
    elif state in ("resolved", "closed"):
        for task, actor in ((steps.permits_task, w.permits_staff),
                            (steps.union_task, w.union_staff)):
            steps.task_accept(task, actor)
            steps.complete(task, actor)
        if state == "closed":
            steps.do(cases.close_case, w.desk, steps.case, version=steps.case.version)
    elif state == "withdrawn":
        steps.withdraw()
    assert steps.case.status == state.split(",")[0], "the setup did not reach the state"


def bring_task_to(steps: Steps, state: str):
    """The union's task in `state`; the permits task of the same case stays open."""
    w = steps.world
    # A consultation on a main permit, unanswered when its period ends (the sweep).
    w.permit_type.deems_permits = state == "deemed_consented"
    steps.file()
    steps.accept()
    steps.route()
    task = steps.union_task
    if state == "deemed_consented":
        consultations.sweep(steps.at() + timedelta(days=60))
        db.session.commit()
    if state in ("accepted", "waiting_on_firm", "done"):
        steps.task_accept(task, w.union_staff)
    if state == "waiting_on_firm":
        steps.ask_firm(task, w.union_staff)
    elif state == "done":
        steps.complete(task, w.union_staff)
    elif state == "declined":
        steps.decline(task, w.union_staff)
    elif state == "transferred":
        steps.do(tasks.transfer_task, w.union_staff, task, w.univ, "The university's",
                 version=task.version)
    elif state == "cancelled":
        steps.withdraw()
    assert task.status == state, "the setup did not reach the state"
    return task


def attempt_case(steps: Steps, action: str, when: datetime):
    """The action by the one entitled to it (the desk, or the firm's member); returns that
    person and the reason they gave ("" for none)."""
    w, case = steps.world, steps.case
    v = case.version
    match action:
        case "accept":
            cases.accept_case(w.desk, case, now=when, version=v)
            return w.desk, ""
        case "reject":
            cases.reject_case(w.desk, case, "Out of scope", now=when, version=v)
            return w.desk, "Out of scope"
        case "route":
            cases.route_case(w.desk, case, [w.univ], now=when, version=v)
            return w.desk, ""
        case "resolve":
            cases.resolve_case(w.desk, case, now=when, version=v)
            return w.desk, ""
        case "close":
            cases.close_case(w.desk, case, now=when, version=v)
            return w.desk, ""
        case "reopen":
            cases.reopen_case(w.firm_a_user, case, "One permit is missing", now=when, version=v)
            return w.firm_a_user, "One permit is missing"
        case "return":
            cases.return_case(w.desk, case, "No drawings", now=when, version=v)
            return w.desk, "No drawings"
        case "withdraw":
            cases.withdraw_case(w.firm_a_user, case, "No longer needed", now=when, version=v)
            return w.firm_a_user, "No longer needed"
        case "comment":
            cases.add_comment(w.firm_a_user, case, "Here it is", now=when)
            return w.firm_a_user, ""
        case "note":
            cases.add_comment(w.desk, case, "Called the firm", audience="desk", now=when)
            return w.desk, ""
    raise AssertionError(action)


def attempt_task(steps: Steps, task, action: str, when: datetime):
    """The action by the one entitled to it (the union's member, its lead, or the desk);
    returns that person and the reason they gave ("" for none)."""
    w, v = steps.world, task.version
    match action:
        case "accept":
            tasks.accept_task(w.union_staff, task, now=when, version=v)
            return w.union_staff, ""
        case "request_info":
            tasks.request_information(w.union_staff, task, "Which shifts?", now=when, version=v)
            return w.union_staff, "Which shifts?"
        case "complete":
            tasks.complete_task(w.union_staff, task, "Agreed", now=when, version=v)
            return w.union_staff, "Agreed"
        case "decline":
            tasks.decline_task(w.union_staff, task, "Not labor", now=when, version=v)
            return w.union_staff, "Not labor"
        case "assign":
            tasks.assign_task(w.union_lead, task, w.union_staff, now=when, version=v)
            return w.union_lead, ""
        case "override_due":
            tasks.override_due(w.desk, task, when + timedelta(days=20), "Site visit", now=when,
                               version=v)
            return w.desk, ""
        case "transfer":
            tasks.transfer_task(w.union_staff, task, w.univ, "The university's", now=when,
                                version=v)
            return w.union_staff, "The university's"
        case "extend":
            extensions.extend_task(w.union_staff, task, when + timedelta(days=14), "Inspection",
                                   now=when, version=v)
            return w.union_staff, ""
    raise AssertionError(action)


def snapshot() -> dict[str, list]:
    """Every row of every table, as the current transaction sees it (pending changes flushed)."""
    db.session.flush()
    return {table.name: sorted((tuple(row) for row in db.session.execute(table.select())), key=repr)
            for table in db.metadata.sorted_tables}


def check_verdict(obj, kind: str, expected: str, attempt: Callable, when: datetime) -> None:
    before_status = obj.status
    before = snapshot()
    if expected == R:
        with pytest.raises((InvalidTransition, Invalid)) as refusal:
            attempt()
        assert snapshot() == before, "a refused move changed something"
        db.session.rollback()
        assert obj.status == before_status
        says_why(refusal.value)
        return
    actor, reason = attempt()
    db.session.commit()
    assert obj.status == expected
    if expected != before_status:
        mine = Event.case_id == obj.id if kind == "case" else Event.task_id == obj.id
        (move,) = db.session.scalars(select(Event).where(
            mine, Event.action.like(f"{kind}.%"), Event.from_status == before_status,
            Event.to_status == expected)).all()
        # The history says who did it, when, and why; only a decline's reason stays internal
        # (another organization's decline reasons are for the desk).
        assert (move.actor, move.created_at, move.detail) == (actor, when, reason)
        assert move.is_internal == (kind == "task" and expected == "declined")


def says_why(error) -> None:
    """A refusal is a sentence in the person's language (Korean by default), not a bare code."""
    english = str(error.message)
    assert english.strip() and "None" not in english, english
    with force_locale("ko"):
        korean = str(error.message)
    assert re.search("[가-힣]", korean), f"not translated: {korean}"


def _cells(verdicts: dict, actions: tuple) -> list:
    return [pytest.param(state, action, row[i], id=f"{state}-{action}".replace(" ", ""))
            for state, row in verdicts.items() for i, action in enumerate(actions)]


@pytest.mark.parametrize("state,action,expected", _cells(CASE_VERDICTS, CASE_ACTIONS))
def test_case_action_in_every_state(world, now, state, action, expected):
    steps = Steps(world, now)
    bring_case_to(steps, state)
    when = steps.at() + timedelta(hours=1)
    if action in CASE_BUTTONS:  # offered on the page exactly when allowed
        actor = world.firm_a_user if action in ("reopen", "withdraw") else world.desk
        assert (action in workflow.case_actions(actor, steps.case)) == (expected != R)
    check_verdict(steps.case, "case", expected, lambda: attempt_case(steps, action, when), when)


@pytest.mark.parametrize("state,action,expected", _cells(TASK_VERDICTS, TASK_ACTIONS))
def test_task_action_in_every_state(world, now, state, action, expected):
    steps = Steps(world, now)
    task = bring_task_to(steps, state)
    when = steps.at() + timedelta(hours=1)
    if action in TASK_BUTTONS:  # offered on the page exactly when allowed
        assert (action in workflow.task_actions(world.union_staff, task)) == (expected != R)
    check_verdict(task, "task", expected, lambda: attempt_task(steps, task, action, when), when)


def test_the_tables_cover_every_state_and_every_move_a_person_makes():
    assert {s.split(",")[0] for s in CASE_VERDICTS} == set(statuses.CaseStatus)
    assert set(TASK_VERDICTS) == set(statuses.TaskStatus)
    for verdicts, actions in ((CASE_VERDICTS, CASE_ACTIONS), (TASK_VERDICTS, TASK_ACTIONS)):
        assert all(len(row) == len(actions) for row in verdicts.values())
    # A move added to the workflow without a column here fails (moves that only follow
    # another one, like the firm's answer resuming a task, are driven by that other one).
    people_moves = {a for kind, table in (("case", workflow.CASE_TRANSITIONS),
                                          ("task", workflow.TASK_TRANSITIONS))
                    for a in table if (kind, a) not in workflow.CASCADES}
    assert people_moves <= set(CASE_ACTIONS) | set(TASK_ACTIONS)


def test_an_illegal_move_says_what_was_tried_and_where_the_case_stands(world, now):
    steps = Steps(world, now)
    bring_case_to(steps, "rejected")
    with pytest.raises(InvalidTransition) as refusal:
        attempt_case(steps, "accept", steps.at())
    assert str(refusal.value.message) == "Cannot accept: it is Rejected now."
    with force_locale("ko"):
        korean = str(refusal.value.message)
    assert "접수" in korean and "거부" in korean, korean


def test_filing_records_who_filed_and_when(world, now):
    steps = Steps(world, now)
    steps.file()
    (filed,) = steps.case.events
    assert (filed.action, filed.actor, filed.created_at) == ("case.submit", world.firm_a_user,
                                                             steps.clock)
    assert (filed.from_status, filed.to_status, filed.is_internal) == (None, "submitted", False)


def test_routing_records_who_routed_which_task_and_when(world, now):
    steps = Steps(world, now)
    bring_case_to(steps, "triaged")
    when = steps.at()
    (task,) = cases.route_case(world.desk, steps.case, [world.univ], now=when,
                               version=steps.case.version)
    db.session.commit()
    (routed,) = db.session.scalars(select(Event).where(Event.action == "task.route")).all()
    assert (routed.task, routed.actor, routed.created_at) == (task, world.desk, when)
    assert (routed.from_status, routed.to_status, routed.is_internal) == (None, "open", False)


def test_a_move_that_only_follows_another_cannot_be_made_on_its_own(world, now):
    steps = Steps(world, now)
    bring_case_to(steps, "resolved")
    # "cascade" skips the policy check only for moves that follow an authorised one.
    with pytest.raises(NotAllowed) as refusal:
        workflow.apply_case(world.firm_b_user, steps.case, "close", now=steps.at(), cascade=True)
    assert str(refusal.value.message).strip()
    assert steps.case.status == "resolved"


def test_an_unknown_move_is_an_error_not_a_silent_no_op(world, now):
    steps = Steps(world, now)
    bring_case_to(steps, "submitted")
    with pytest.raises(InvalidTransition) as refusal:
        workflow.apply_case(world.desk, steps.case, "approve", now=steps.at())
    assert "approve" in str(refusal.value.message)
    assert steps.case.status == "submitted"
