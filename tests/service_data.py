"""A small fixed set of cases and tasks whose service figures are computed by hand in
tests/services/test_service_report.py (every time in Seoul; NOW is Tue 2026-11-10 10:00).

Rows are written directly with their kept times, so that each figure can be worked out on
paper; the time split itself is tested through the services."""
from datetime import date, datetime, timedelta

from onestop.cases.models import Case, SatisfactionAnswer
from onestop.deadlines import SEOUL
from onestop.extensions import db
from onestop.reports.service import Period
from onestop.tasks.models import AgencyTask

H = 3600
PERIOD = Period(date(2026, 9, 1), date(2026, 11, 30))


def seoul(*parts) -> datetime:
    return datetime(*parts, tzinfo=SEOUL)


def _case(w, request_type, accepted_at, desk_hours, status="in_progress") -> Case:
    case = Case(firm=w.firm_a, request_type=request_type, title="Service figures",
                status=status, created_by=w.firm_a_user, checklist=[], form_data={},
                submitted_at=accepted_at - timedelta(hours=desk_hours),
                accepted_at=accepted_at, desk_seconds=int(desk_hours * H))
    db.session.add(case)
    return case


def _task(case, org, status, due_at, finished_at=None, agency=0, waited=0, paused=0):
    task = AgencyTask(case=case, organization=org, status=status, period="5d", due_at=due_at,
                      routed_at=(case.accepted_at or due_at) + timedelta(minutes=5),
                      finished_at=finished_at, waited_seconds=waited * H,
                      agency_seconds=agency * H if finished_at else None,
                      paused_seconds=paused * H if finished_at else None)
    db.session.add(task)
    return task


def _answer(w, case, score, at):
    db.session.add(SatisfactionAnswer(case=case, score=score, answered_by_id=w.firm_a_user.id,
                                      answered_at=at))


def build(w) -> dict:
    """The data set; returns its cases by name."""
    hiring, permit = w.hiring_type, w.permit_type
    c = {}
    # Done in the period, hiring type.
    c["u1"] = _case(w, hiring, seoul(2026, 9, 1, 0, 0), 2)  # accepted at the period's start
    _task(c["u1"], w.union, "done", seoul(2026, 9, 11, 18), seoul(2026, 9, 10, 10), 8, 0, 16)
    _answer(w, c["u1"], 5, seoul(2026, 9, 12, 9))
    c["u2"] = _case(w, hiring, seoul(2026, 10, 10, 10), 4)
    _task(c["u2"], w.union, "done", seoul(2026, 10, 14, 18), seoul(2026, 10, 15, 12), 24, 4, 40)
    _answer(w, c["u2"], 4, seoul(2026, 12, 2, 9))  # answered after the period
    c["u4"] = _case(w, hiring, seoul(2026, 10, 28, 10), 1)
    _task(c["u4"], w.union, "done", seoul(2026, 11, 3, 18), seoul(2026, 11, 2, 15), 40, 0, 60)
    _answer(w, c["u4"], 4, seoul(2026, 11, 4, 9))
    c["v1"] = _case(w, hiring, seoul(2026, 9, 28, 10), 3)
    # 08:00 in Seoul on October 1 is still September 30 in UTC: an October task.
    _task(c["v1"], w.univ, "done", seoul(2026, 10, 1, 18), seoul(2026, 10, 1, 8), 12, 0, 30)
    # A permit case two partners worked on; its one answer counts for each of them.
    c["b1"] = _case(w, permit, seoul(2026, 9, 14, 10), 8)
    _task(c["b1"], w.union, "done", seoul(2026, 10, 30, 18), seoul(2026, 10, 20, 11), 16, 2, 20)
    _task(c["b1"], w.univ, "done", seoul(2026, 9, 30, 18), seoul(2026, 9, 30, 23, 30), 4, 1, 10)
    _answer(w, c["b1"], 2, seoul(2026, 10, 21, 9))
    # Eleven permit tasks of the permits division, 1 to 11 working hours; the last three late.
    for k in range(1, 12):
        c[f"p{k}"] = _case(w, permit, seoul(2026, 8, 20, 10), 100)  # accepted before the period
        due = seoul(2026, 11, 3, 18) if k <= 8 else seoul(2026, 11, 2, 18)
        _task(c[f"p{k}"], w.permits, "done", due, seoul(2026, 11, 3, 9, k), k, 0, 10)
    _answer(w, c["p1"], 3, seoul(2026, 11, 5, 9))
    # Finished in the period but not done: not counted as done.
    c["declined"] = _case(w, permit, seoul(2026, 8, 20, 10), 1)
    _task(c["declined"], w.permits, "declined", seoul(2026, 10, 10, 18), seoul(2026, 10, 5, 9), 5)
    # An answer about a case on which no task was done counts for nobody.
    c["x"] = _case(w, hiring, seoul(2026, 8, 20, 10), 1, status="resolved")
    _task(c["x"], w.union, "declined", seoul(2026, 9, 20, 18), seoul(2026, 9, 10, 9), 2)
    _answer(w, c["x"], 1, seoul(2026, 10, 10, 9))
    # Done just outside the period, on each side.
    c["edge"] = _case(w, hiring, seoul(2026, 8, 1, 10), 50)
    _task(c["edge"], w.union, "done", seoul(2026, 9, 5, 18), seoul(2026, 8, 31, 23), 100)
    c["late_edge"] = _case(w, hiring, seoul(2026, 12, 1, 0, 0), 50)  # accepted after the period
    _task(c["late_edge"], w.union, "done", seoul(2026, 12, 5, 18), seoul(2026, 12, 1, 0, 30), 100)
    # Open now (NOW Tue 11-10 10:00; due soon = by Fri 11-13 18:00).
    for name, org, status, due in [
        ("o1", w.union, "open", seoul(2026, 11, 9, 18)),             # overdue
        ("o2", w.union, "accepted", seoul(2026, 11, 12, 12)),        # due soon
        ("o3", w.union, "waiting_on_firm", seoul(2026, 11, 5, 18)),  # clock stopped: neither
        ("o4", w.union, "open", seoul(2026, 11, 30, 18)),
        ("o5", w.univ, "accepted", seoul(2026, 11, 13, 17)),         # due soon
        ("o6", w.univ, "open", seoul(2026, 11, 13, 18)),             # due soon, the last minute
        ("o7", w.univ, "open", seoul(2026, 11, 16, 9)),
    ]:
        c[name] = _case(w, hiring, seoul(2026, 8, 25, 10), 7)
        _task(c[name], org, status, due)
    db.session.commit()
    return c
