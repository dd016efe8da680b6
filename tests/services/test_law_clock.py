"""The law's clock beyond counting: extending a period (once with notice, again only with the
firm's consent) and transferring a task to the competent organization, on fixed dates with
Chuseok (9.24–26), the substitute holiday for National Foundation Day (10.5) and Hangul Day
(10.9) in between."""
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from onestop import policy, workflow
from onestop.audit.models import AuditEntry
from onestop.cases import calendar_changes, objections
from onestop.cases import services as cases
from onestop.cases.models import Case, Event
from onestop.cases.urgency import need_condition
from onestop.deadlines import SEOUL
from onestop.errors import Conflict, Invalid, InvalidTransition, NotAllowed, NotFound
from onestop.extensions import db
from onestop.lists import capped_count
from onestop.notifications import progress
from onestop.notifications.models import Notification
from onestop.reports.service import GroupBy, Period, service_report
from onestop.tasks import consultations, extensions, supplements
from onestop.tasks import services as tasks
from onestop.tasks.due import legal_due_at
from onestop.workdays.models import ExtraHoliday
from onestop.workdays.services import work_calendar
from tests.factories import PDF
from tests.mailsink import rendered
from tests.services.test_inbound import address_for, deliver, reply

ROUTED = datetime(2026, 9, 21, 10, 0, tzinfo=SEOUL)  # Monday before Chuseok
DUE = datetime(2026, 10, 7, 18, 0, tzinfo=SEOUL)     # 10 days, first day counted
LATEST = datetime(2026, 10, 22, 18, 0, tzinfo=SEOUL)  # 10 more from 10.8, Hangul Day skipped


def routed_permit(world, orgs=None):
    case = cases.file_case(world.firm_a_user, world.permit_type, title="New plant",
                           description="Line 2", priority="normal",
                           form_data={"floor_area": "900"}, checked_items=[0, 1], files=[],
                           now=ROUTED - timedelta(hours=1))
    cases.accept_case(world.desk, case, now=ROUTED, version=None)
    found = cases.route_case(world.desk, case, orgs or [world.permits], now=ROUTED, version=None)
    db.session.commit()
    return case, found[0]


def told(task_or_case, kind: str) -> set[str]:
    """Who got a ledger row of this kind about the request."""
    case_id = getattr(task_or_case, "case_id", None) or task_or_case.id
    return {r.user.email for r in db.session.scalars(select(Notification).where(
        Notification.case_id == case_id, Notification.kind == kind))}


def extend(actor, task, due_at, reason="Site inspection needs the fire department.", *,
           now=ROUTED + timedelta(days=2)):
    extension = extensions.extend_task(actor, task, due_at, reason, now=now, version=None)
    db.session.commit()
    return extension


def test_the_first_extension_counts_from_the_original_period_and_tells_the_firm(world):
    case, task = routed_permit(world)
    assert task.due_at == DUE
    with pytest.raises(Invalid) as error:
        extend(world.permits_staff, task, LATEST + timedelta(minutes=1))
    assert "2026-10-22 18:00" in str(error.value)
    db.session.rollback()

    extension = extend(world.permits_staff, task, LATEST)
    assert extension.consent == "not_needed"
    assert task.due_at == LATEST
    assert task.extended == timedelta(hours=80), "ten working days of eight hours"
    assert legal_due_at(task, work_calendar()) == LATEST, "no longer 'beyond the period'"
    event = case.events[-1]
    assert (event.action, event.is_internal, event.detail) == (
        "task.extend", False, "Site inspection needs the fire department.")
    assert {"ceo@alpha.test", "hr@alpha.test", "desk@test.example"} <= told(task,
                                                                            "period_extended")
    assert "staff@permits.test" not in told(task, "period_extended"), "the actor is not told"


def test_a_period_is_extended_before_it_runs_out_and_later_than_it_was(world):
    _case, task = routed_permit(world)
    with pytest.raises(Invalid, match="already run out"):
        extend(world.permits_staff, task, LATEST, now=DUE)
    with pytest.raises(Invalid, match="after the current due date"):
        extend(world.permits_staff, task, DUE)
    with pytest.raises(Invalid, match="reason"):
        extend(world.permits_staff, task, LATEST, reason="  ")


def test_a_second_extension_waits_for_the_firm_and_a_refusal_keeps_the_date(world):
    case, task = routed_permit(world)
    extend(world.permits_staff, task, datetime(2026, 10, 14, 18, 0, tzinfo=SEOUL))
    second = extend(world.permits_staff, task, datetime(2026, 10, 20, 18, 0, tzinfo=SEOUL),
                    reason="The fire department asked for a second visit.")
    assert second.consent == "asked"
    assert task.due_at == datetime(2026, 10, 14, 18, 0, tzinfo=SEOUL), "not before consent"
    assert {"ceo@alpha.test", "hr@alpha.test"} <= told(task, "extension_asked")
    with pytest.raises(Invalid, match="not answered"):
        extend(world.permits_staff, task, datetime(2026, 10, 19, 18, 0, tzinfo=SEOUL))
    db.session.rollback()

    with pytest.raises(NotFound):
        extensions.answer_extension(world.firm_b_user, second, True, now=ROUTED)
    with pytest.raises(NotAllowed):
        extensions.answer_extension(world.permits_staff, second, True, now=ROUTED)
    extensions.answer_extension(world.firm_a_user, second, False, now=ROUTED + timedelta(days=3))
    db.session.commit()
    assert (second.consent, second.answered_by_id) == ("refused", world.firm_a_user.id)
    assert task.due_at == datetime(2026, 10, 14, 18, 0, tzinfo=SEOUL)
    assert case.events[-1].action == "task.extension_refused"
    assert "staff@permits.test" in told(task, "extension_refused")
    extensions.answer_extension(world.firm_a_user, second, False, now=ROUTED + timedelta(days=3))
    with pytest.raises(InvalidTransition):
        extensions.answer_extension(world.firm_a_user2, second, True, now=ROUTED)


def test_the_firms_consent_puts_a_further_extension_in_effect_once(world):
    case, task = routed_permit(world)
    first_due = datetime(2026, 10, 14, 18, 0, tzinfo=SEOUL)
    extend(world.permits_staff, task, first_due)
    latest = extensions.latest_date(task)
    assert latest == datetime(2026, 10, 28, 18, 0, tzinfo=SEOUL), "counted from the new date"
    second = extend(world.desk, task, latest)
    extensions.answer_extension(world.firm_a_user2, second, True, now=ROUTED + timedelta(days=3))
    db.session.commit()
    assert task.due_at == latest
    extensions.answer_extension(world.firm_a_user2, second, True, now=ROUTED + timedelta(days=3))
    db.session.commit()
    assert [e.action for e in case.events].count("task.extension_consented") == 1
    assert task.extended == work_calendar().working_time_between(DUE, latest)
    assert "staff@permits.test" in told(task, "period_extended")


def test_only_the_tasks_organization_and_the_desk_extend(world):
    _case, task = routed_permit(world)
    with pytest.raises(NotFound):
        extend(world.union_staff, task, LATEST)
    with pytest.raises(NotFound):
        extend(world.firm_b_user, task, LATEST)
    db.session.rollback()
    assert policy.can(world.desk, "task.extend", task)
    assert not policy.can(world.firm_a_user, "task.extend", task)


def test_a_finished_task_is_not_extended(world):
    _case, task = routed_permit(world)
    tasks.accept_task(world.permits_staff, task, now=ROUTED, version=None)
    tasks.complete_task(world.permits_staff, task, "Approved.", now=ROUTED, version=None)
    db.session.commit()
    with pytest.raises(InvalidTransition):
        extend(world.permits_staff, task, LATEST)


def test_a_transfer_keeps_the_original_clock_and_tells_the_firm_who_handles_it(world):
    case, task = routed_permit(world, [world.union])
    tasks.assign_task(world.union_lead, task, world.union_staff, now=ROUTED, version=None)
    moment = ROUTED + timedelta(days=3)
    successor = tasks.transfer_task(world.union_staff, task, world.univ,
                                    "Research contracts are the university's.", now=moment,
                                    version=None)
    db.session.commit()
    assert task.status == "transferred" and task.finished_at == moment
    assert (successor.organization, successor.status) == (world.univ, "open")
    assert (successor.routed_at, successor.due_at) == (ROUTED, DUE), "the clock keeps running"
    assert successor.transferred_from_id == task.id
    assert {"ceo@alpha.test", "hr@alpha.test", "desk@test.example"} <= told(
        case, "task_transferred")
    assert "staff@univ.test" in told(case, "task_routed")
    assert case.status == "in_progress", "the request goes on, not back to the desk"

    seen = {e.action for e in db.session.scalars(
        select(Event).where(Event.case_id == case.id, policy.visible_events(world.univ_staff)))}
    assert "task.transferred_in" in seen, "the new organization learns why it has the task"
    assert not {"task.transfer", "task.assign"} & seen, "the union's own work stays the union's"


def test_a_transfer_goes_to_another_partner_that_has_no_task_on_the_request(world):
    _case, task = routed_permit(world, [world.union, world.univ])
    for org, message in ((world.union, "another organization"),
                         (world.univ, "already has an open task"),
                         (world.desk_org, "cannot take tasks")):
        with pytest.raises(Invalid, match=message):
            tasks.transfer_task(world.union_staff, task, org, "Not ours.", now=ROUTED,
                                version=None)
    with pytest.raises(Invalid, match="competent"):
        tasks.transfer_task(world.union_staff, task, world.permits, " ", now=ROUTED,
                            version=None)
    with pytest.raises(NotAllowed):
        tasks.transfer_task(world.desk, task, world.permits, "Not ours.", now=ROUTED,
                            version=None)
    db.session.rollback()
    assert task.status == "open"


def test_the_service_report_counts_extensions_and_transfers_apart(world):
    case, permits_task = routed_permit(world, [world.permits, world.union])
    union_task = next(t for t in case.tasks if t.organization == world.union)
    extend(world.permits_staff, permits_task, LATEST)
    tasks.accept_task(world.permits_staff, permits_task, now=ROUTED, version=None)
    tasks.complete_task(world.permits_staff, permits_task, "Approved.",
                        now=datetime(2026, 10, 20, 11, 0, tzinfo=SEOUL), version=None)
    tasks.transfer_task(world.union_lead, union_task, world.univ, "The university's.",
                        now=ROUTED + timedelta(days=1), version=None)
    db.session.commit()
    found = service_report(world.desk, Period(date(2026, 9, 1), date(2026, 10, 31)),
                           GroupBy.ORGANIZATION, now=datetime(2026, 11, 2, tzinfo=SEOUL),
                           calendar=work_calendar())
    by_org = {f.subject.name_en: (f.done, f.extended, f.extended_seconds // 3600, f.transferred)
              for f in found.rows}
    assert by_org["Building permits"] == (1, 1, 80, 0)
    assert by_org["Labor union council"] == (0, 0, 0, 1)
    assert by_org["University foundation"] == (0, 0, 0, 0)
    total = found.total
    assert (total.done, total.extended, total.extended_seconds // 3600, total.transferred) == (
        1, 1, 80, 1)


@pytest.mark.parametrize("first_line,consent,due", [
    ("동의합니다.", "given", datetime(2026, 10, 20, 18, 0, tzinfo=SEOUL)),
    ("I do NOT agree", "refused", datetime(2026, 10, 14, 18, 0, tzinfo=SEOUL)),
    ("동의하지만 한 가지 묻고 싶습니다.", "asked", datetime(2026, 10, 14, 18, 0, tzinfo=SEOUL)),
])
def test_the_firm_answers_a_request_to_extend_by_replying_to_its_email(world, first_line,
                                                                        consent, due):
    case, task = routed_permit(world)
    extend(world.permits_staff, task, datetime(2026, 10, 14, 18, 0, tzinfo=SEOUL))
    second = extend(world.permits_staff, task, datetime(2026, 10, 20, 18, 0, tzinfo=SEOUL))
    to = address_for(world.firm_a_user, "extension_asked")
    outcome, stored = deliver(reply(to, "ceo@alpha.test", first_line + "\n\n> 연장 요청\n"),
                              to, received_at=ROUTED + timedelta(days=3),
                              now=ROUTED + timedelta(days=3))
    assert outcome == "posted"
    db.session.expire_all()
    assert (second.consent, task.due_at) == (consent, due)
    # An answer is recorded as the firm's consent (or refusal), anything else as a comment.
    assert (stored.comment is None) == (consent != "asked")


def test_a_yes_to_another_email_is_a_comment_and_no_consent(world):
    case, task = routed_permit(world)
    tasks.accept_task(world.permits_staff, task, now=ROUTED, version=None)
    tasks.request_information(world.permits_staff, task, "Send the plan.", now=ROUTED,
                              version=None)
    extend(world.permits_staff, task, datetime(2026, 10, 14, 18, 0, tzinfo=SEOUL))
    second = extend(world.permits_staff, task, datetime(2026, 10, 20, 18, 0, tzinfo=SEOUL))
    to = address_for(world.firm_a_user, "info_requested")
    outcome, stored = deliver(reply(to, "ceo@alpha.test", "Yes\n\n> 보완 요청\n"), to,
                              received_at=ROUTED + timedelta(days=3),
                              now=ROUTED + timedelta(days=3))
    db.session.expire_all()
    assert outcome == "posted" and stored.comment.body == "Yes"
    assert second.consent == "asked", "an answer to the question is no consent"


def test_the_progress_notice_goes_out_thirty_days_after_acceptance_once(world):
    case, task = routed_permit(world)
    # 30 working days, the first counted: Chuseok, 10.5, 10.9 and the weekends skipped.
    due = datetime(2026, 11, 5, 18, 0, tzinfo=SEOUL)
    assert case.progress_notice_at == due
    assert progress.sweep(due - timedelta(minutes=1)) == []
    written = progress.sweep(due)
    db.session.commit()
    assert len(written) == 2 and told(case, "progress_notice") == {"ceo@alpha.test",
                                                                 "hr@alpha.test"}
    assert case.events[-1].action == "case.progress_notice"
    assert progress.sweep(due + timedelta(days=1)) == [], "once"
    world.firm_a_user.locale = "en"
    row = db.session.scalars(select(Notification).where(
        Notification.kind == "progress_notice", Notification.user == world.firm_a_user)).one()
    message = rendered(row).get_body(("plain",)).get_content()
    assert f"Progress of your request {case.reference}: In progress." in message
    assert "Expected completion: 2026-10-07 18:00." in message
    assert "Building permits: Not started, 2026-10-07 18:00" in message


def test_a_finished_request_gets_no_progress_notice(world):
    case, task = routed_permit(world)
    tasks.accept_task(world.permits_staff, task, now=ROUTED, version=None)
    tasks.complete_task(world.permits_staff, task, "Approved.", now=ROUTED, version=None)
    db.session.commit()
    assert case.status == "resolved"
    assert progress.sweep(datetime(2026, 12, 1, tzinfo=SEOUL)) == []
    with pytest.raises(InvalidTransition):
        progress.ask_progress(world.firm_a_user, case, now=ROUTED)


def test_the_firm_asks_for_the_progress_and_each_ask_is_sent_once(world):
    case, _task = routed_permit(world)
    first = progress.ask_progress(world.firm_a_user, case, now=ROUTED + timedelta(days=1))
    second = progress.ask_progress(world.firm_a_user2, case, now=ROUTED + timedelta(days=2))
    db.session.commit()
    rows = db.session.scalars(select(Notification).where(
        Notification.kind == "progress_notice")).all()
    assert sorted((r.event_id, r.user.email) for r in rows) == sorted(
        (e.id, u) for e in (first, second) for u in ("ceo@alpha.test", "hr@alpha.test")), \
        "the one who asked is sent it too"
    with pytest.raises(Invalid, match="today already"):
        progress.ask_progress(world.firm_a_user, case, now=ROUTED + timedelta(days=2, hours=1))
    with pytest.raises(NotFound):
        progress.ask_progress(world.firm_b_user, case, now=ROUTED)
    with pytest.raises(NotAllowed):
        progress.ask_progress(world.permits_staff, case, now=ROUTED)


def test_a_request_that_leaves_processing_drops_its_progress_notice(world):
    case, task = routed_permit(world)
    cases.withdraw_case(world.firm_a_user, case, "Built elsewhere", now=ROUTED, version=None)
    db.session.commit()
    assert case.progress_notice_at is None, "the sweep's index holds only what may fire"


ASKED_AT = datetime(2026, 9, 22, 10, 0, tzinfo=SEOUL)  # Tuesday, Chuseok from Thursday
# 7 working days, the first counted: 9.22, 9.23, 9.28, 9.29, 9.30, 10.1, 10.2.
FIRST_DEADLINE = datetime(2026, 10, 2, 18, 0, tzinfo=SEOUL)


def asked_firm(world, due=None):
    case, task = routed_permit(world)
    tasks.accept_task(world.permits_staff, task, now=ROUTED, version=None)
    tasks.request_information(world.permits_staff, task, "Send the fire plan.", now=ASKED_AT,
                              version=None, supplement_due=due)
    db.session.commit()
    return case, task


def test_an_information_request_names_a_deadline_by_the_request_types_default(world):
    _case, task = asked_firm(world)
    assert task.supplement_due_at == FIRST_DEADLINE
    asked = next(e for e in task.case.events if e.action == "task.request_info")
    assert asked.params["due_at"] == FIRST_DEADLINE.isoformat()
    world.permit_type.supplement_period = "3d"
    _case, other = asked_firm(world, due=datetime(2026, 10, 14, 18, 0, tzinfo=SEOUL))
    assert other.supplement_due_at == datetime(2026, 10, 14, 18, 0, tzinfo=SEOUL), "as set"
    case, third = routed_permit(world)
    tasks.accept_task(world.permits_staff, third, now=ROUTED, version=None)
    with pytest.raises(Invalid, match="future"):
        tasks.request_information(world.permits_staff, third, "Plan?", now=ASKED_AT,
                                  version=None, supplement_due=ASKED_AT)


def test_the_firm_asks_once_for_more_time(world):
    case, task = asked_firm(world)
    with pytest.raises(NotFound):
        supplements.ask_more_time(world.firm_b_user, task, now=ASKED_AT)
    with pytest.raises(NotAllowed):
        supplements.ask_more_time(world.permits_staff, task, now=ASKED_AT)
    supplements.ask_more_time(world.firm_a_user, task, now=ASKED_AT + timedelta(days=1))
    db.session.commit()
    # 7 more working days from 10.2 18:00: 10.6, 10.7, 10.8, 10.12 … 10.15 (10.9 skipped).
    assert task.supplement_due_at == datetime(2026, 10, 15, 18, 0, tzinfo=SEOUL)
    assert "staff@permits.test" in told(case, "supplement_more_time")
    with pytest.raises(Invalid, match="already"):
        supplements.ask_more_time(world.firm_a_user2, task, now=ASKED_AT + timedelta(days=2))


def test_a_supplement_deadline_runs_out_the_firm_is_reminded_then_the_desk_returns(world):
    case, task = asked_firm(world)
    supplements.sweep(FIRST_DEADLINE - timedelta(minutes=1))
    db.session.commit()
    assert not task.supplement_reminded
    with pytest.raises(InvalidTransition, match="second deadline"):
        cases.return_case(world.desk, case, "No fire plan.", now=FIRST_DEADLINE, version=None)
    db.session.rollback()

    supplements.sweep(FIRST_DEADLINE)
    db.session.commit()
    # A second deadline of 7 working days after the first's end: 10.6 to 10.15, the
    # substitute holiday 10.5 and Hangul Day 10.9 skipped.
    second = datetime(2026, 10, 15, 18, 0, tzinfo=SEOUL)
    assert (task.supplement_reminded, task.supplement_due_at) == (True, second)
    assert case.events[-1].action == "task.supplement_reminded"
    assert {"ceo@alpha.test", "hr@alpha.test"} == told(case, "supplement_reminded")
    supplements.sweep(FIRST_DEADLINE + timedelta(days=1))
    db.session.commit()
    assert [e.action for e in case.events].count("task.supplement_reminded") == 1, "once"
    assert "return" not in workflow.case_actions(world.desk, case)

    supplements.sweep(second)
    db.session.commit()
    assert task.supplement_lapsed_at == second and task.supplement_due_at is None
    assert "desk@test.example" in told(case, "supplement_lapsed")
    assert "return" in workflow.case_actions(world.desk, case)
    with pytest.raises(NotAllowed):
        cases.return_case(world.permits_staff, case, "No.", now=second, version=None)
    cases.return_case(world.desk, case, "The fire plan never came.", now=second, version=None)
    db.session.commit()
    assert (case.status, case.rejection_reason) == ("returned", "The fire plan never came.")
    assert task.status == "cancelled" and task.supplement_lapsed_at is None
    assert {"ceo@alpha.test", "hr@alpha.test"} <= told(case, "case_returned")
    assert workflow.case_actions(world.firm_a_user, case) == [], "a final state"


def test_an_answer_stops_the_supplement_deadline(world):
    case, task = asked_firm(world)
    cases.add_comment(world.firm_a_user, case, "Attached.", now=ASKED_AT + timedelta(hours=2))
    db.session.commit()
    assert task.status == "accepted" and task.supplement_due_at is None
    supplements.sweep(datetime(2026, 12, 1, tzinfo=SEOUL))
    db.session.commit()
    assert not task.supplement_reminded


def test_the_service_report_counts_returned_requests(world):
    case, task = asked_firm(world)
    union_case, union_task = routed_permit(world, [world.union])
    for days in (30, 60):
        supplements.sweep(ASKED_AT + timedelta(days=days))
    db.session.commit()
    cases.return_case(world.desk, case, "No plan.", now=ASKED_AT + timedelta(days=61),
                      version=None)
    db.session.commit()
    found = service_report(world.desk, Period(date(2026, 9, 1), date(2026, 11, 30)),
                           GroupBy.ORGANIZATION, now=datetime(2026, 12, 1, tzinfo=SEOUL),
                           calendar=work_calendar())
    assert {f.subject.name_en: f.returned for f in found.rows} == {
        "Building permits": 1, "Labor union council": 0, "University foundation": 0}
    assert found.total.returned == 1


CONSULTED_DUE = datetime(2026, 10, 22, 18, 0, tzinfo=SEOUL)  # 20 working days from 9.21


def consultation(world, orgs=None):
    world.permit_type.deems_permits = True
    case, task = routed_permit(world, orgs or [world.union, world.univ])
    union_task = next(t for t in case.tasks if t.organization == world.union)
    tasks.assign_task(world.union_lead, union_task, world.union_staff, now=ROUTED, version=None)
    db.session.commit()
    return case, union_task


def test_a_consultation_is_deemed_consented_exactly_when_its_period_ends(world):
    case, task = consultation(world)
    univ_task = next(t for t in case.tasks if t.organization == world.univ)
    tasks.accept_task(world.univ_staff, univ_task, now=ROUTED, version=None)
    tasks.request_information(world.univ_staff, univ_task, "Which lab?", now=ROUTED,
                              version=None)  # its clock stops: the request stays open
    db.session.commit()
    assert (task.is_consultation, task.period, task.due_at) == (True, "20d", CONSULTED_DUE)
    consultations.sweep(CONSULTED_DUE - timedelta(minutes=1))
    db.session.commit()
    assert task.status == "open", "not a minute before"
    consultations.sweep(CONSULTED_DUE)
    db.session.commit()
    assert (task.status, task.finished_at) == ("deemed_consented", CONSULTED_DUE)
    event = next(e for e in case.events if e.action == "task.deem_consent")
    assert event.actor is None and event.created_at == CONSULTED_DUE
    assert {"desk@test.example", "staff@union.test", "lead@union.test"} <= told(
        case, "deemed_consent"), "the desk, the partner and its lead"
    with pytest.raises(InvalidTransition):
        tasks.decline_task(world.union_staff, task, "Too late.", now=CONSULTED_DUE,
                           version=None)
    db.session.rollback()
    desk_sees = capped_count(select(Case.id).where(
        Case.id == case.id, need_condition("deemed", CONSULTED_DUE, work_calendar())))
    assert desk_sees == 1, "the desk's home page lists it"


def test_a_deemed_consent_counts_as_done_for_the_request(world):
    case, task = consultation(world, [world.union])
    consultations.sweep(CONSULTED_DUE)
    db.session.commit()
    assert case.status == "resolved"


def test_a_consultation_waiting_on_the_firm_is_not_deemed(world):
    case, task = consultation(world)
    tasks.accept_task(world.union_staff, task, now=ROUTED, version=None)
    tasks.request_information(world.union_staff, task, "Which shifts?", now=ROUTED,
                              version=None)
    db.session.commit()
    consultations.sweep(CONSULTED_DUE + timedelta(days=30))
    db.session.commit()
    assert task.status == "waiting_on_firm", "its clock is stopped"


def test_a_recorded_deliberation_does_not_count(world):
    case, task = consultation(world)
    # 10.6 09:00 to 10.8 18:00: three working days (the substitute holiday 10.5 is not one).
    consultations.record_pause(world.union_staff, task, "deliberation",
                               datetime(2026, 10, 5, 9, 0, tzinfo=SEOUL),
                               datetime(2026, 10, 8, 18, 0, tzinfo=SEOUL), "Labor committee",
                               now=datetime(2026, 10, 9, 10, tzinfo=SEOUL), version=None)
    db.session.commit()
    assert task.due_at == datetime(2026, 10, 27, 18, 0, tzinfo=SEOUL)
    assert task.deliberated == timedelta(hours=24)
    assert "ceo@alpha.test" in told(case, "due_changed"), "the firm learns the new date"
    consultations.sweep(CONSULTED_DUE)
    db.session.commit()
    assert task.status == "open"
    with pytest.raises(Invalid, match="after the start"):
        consultations.record_pause(world.union_staff, task, "hearing", CONSULTED_DUE,
                                   CONSULTED_DUE, "", now=CONSULTED_DUE, version=None)
    with pytest.raises(NotFound):
        consultations.record_pause(world.permits_staff, task, "hearing", ROUTED, CONSULTED_DUE,
                                   "", now=CONSULTED_DUE, version=None)


def test_an_ordinary_task_records_no_deliberation_and_is_never_deemed(world):
    case, task = routed_permit(world)
    with pytest.raises(InvalidTransition):
        consultations.record_pause(world.permits_staff, task, "hearing", ROUTED,
                                   ROUTED + timedelta(days=1), "", now=ROUTED, version=None)
    consultations.sweep(datetime(2027, 1, 1, tzinfo=SEOUL))
    db.session.commit()
    assert task.status == "open"


def test_the_service_report_counts_deemed_consents(world):
    case, task = consultation(world)
    consultations.sweep(CONSULTED_DUE)
    db.session.commit()
    found = service_report(world.desk, Period(date(2026, 9, 1), date(2026, 10, 31)),
                           GroupBy.ORGANIZATION, now=datetime(2026, 11, 2, tzinfo=SEOUL),
                           calendar=work_calendar())
    assert {f.subject.name_en: f.deemed for f in found.rows}["Labor union council"] == 1
    assert found.total.deemed == 2, "the university did not answer either"


REJECTED_AT = datetime(2026, 9, 21, 15, 0, tzinfo=SEOUL)


def rejected(world):
    case = cases.file_case(world.firm_a_user, world.permit_type, title="Plant 3",
                           description="d", priority="normal", form_data={"floor_area": "9"},
                           checked_items=[0, 1], files=[], now=REJECTED_AT - timedelta(hours=2))
    cases.reject_case(world.desk, case, "Outside the zone.", now=REJECTED_AT, version=None)
    db.session.commit()
    return case


def test_the_firm_objects_within_ninety_days_and_the_desk_decides_within_ten(world):
    case = rejected(world)
    # 90 calendar days from 9.21 is 12.20, a Sunday: the next working day.
    assert objections.deadline(case) == datetime(2026, 12, 21, 18, 0, tzinfo=SEOUL)
    with pytest.raises(NotFound):
        objections.file_objection(world.firm_b_user, case, "No.", [], now=REJECTED_AT)
    filed_at = datetime(2026, 9, 22, 10, 0, tzinfo=SEOUL)
    objection = objections.file_objection(world.firm_a_user, case, "The site is inside.",
                                          [("map.pdf", PDF)], now=filed_at)
    db.session.commit()
    # 10 working days, the first counted: Chuseok, 10.5 and the weekends skipped.
    assert objection.decision_due_at == datetime(2026, 10, 8, 18, 0, tzinfo=SEOUL)
    assert objection.comment.attachments[0].filename == "map.pdf"
    assert objections.current(case) == objection
    assert "desk@test.example" in told(case, "objection_filed")
    with pytest.raises(InvalidTransition, match="already"):
        objections.file_objection(world.firm_a_user2, case, "Again.", [], now=filed_at)
    with pytest.raises(NotAllowed):
        objections.extend_decision(world.firm_a_user, objection, "Later.", now=filed_at)

    objections.extend_decision(world.desk, objection, "Site survey needed.", now=filed_at)
    db.session.commit()
    # Once, by 10 working days more after 10.8: Hangul Day (10.9) skipped.
    assert objection.decision_due_at == datetime(2026, 10, 23, 18, 0, tzinfo=SEOUL)
    assert {"ceo@alpha.test", "hr@alpha.test"} <= told(case, "objection_extended")
    with pytest.raises(InvalidTransition, match="once"):
        objections.extend_decision(world.desk, objection, "Again.", now=filed_at)
    db.session.rollback()

    objections.decide(world.desk, objection, True, "The site is inside the zone.",
                      now=datetime(2026, 10, 20, 11, 0, tzinfo=SEOUL))
    db.session.commit()
    assert (case.status, objection.decision) == ("submitted", "upheld")
    assert case.review_due_at is not None and case.closed_at is None
    assert "ceo@alpha.test" in told(case, "objection_decided")
    with pytest.raises(InvalidTransition, match="decided"):
        objections.decide(world.desk, objection, False, "No.", now=filed_at)


def test_a_dismissed_objection_leaves_the_rejection_and_names_the_remedies(world):
    case = rejected(world)
    objection = objections.file_objection(world.firm_a_user, case, "Please.", [],
                                          now=REJECTED_AT + timedelta(days=1))
    objections.decide(world.desk, objection, False, "Still outside.",
                      now=REJECTED_AT + timedelta(days=2))
    db.session.commit()
    assert case.status == "rejected"
    world.firm_a_user.locale = "en"
    row = db.session.scalars(select(Notification).where(
        Notification.kind == "objection_decided", Notification.user == world.firm_a_user)).one()
    text = rendered(row).get_body(("plain",)).get_content()
    assert "dismissed your objection" in text and "행정심판" in text and "Still outside." in text


def test_an_objection_after_ninety_days_is_refused(world):
    case = rejected(world)
    late = datetime(2026, 12, 21, 18, 1, tzinfo=SEOUL)
    assert not objections.may_object(case, late)
    with pytest.raises(InvalidTransition, match="2026-12-21"):
        objections.file_objection(world.firm_a_user, case, "Late.", [], now=late)
    with pytest.raises(Invalid):
        objections.file_objection(world.firm_a_user, case, "  ", [], now=REJECTED_AT)


def test_a_temporary_holiday_declared_late_moves_the_due_dates_it_falls_in(world):
    case, task = routed_permit(world, [world.permits, world.union])
    union_task = next(t for t in case.tasks if t.organization == world.union)
    tasks.override_due(world.desk, union_task, datetime(2026, 10, 30, 18, 0, tzinfo=SEOUL),
                       "Site visit", now=ROUTED, version=None)
    db.session.commit()
    assert (task.due_at, case.due_at) == (DUE, DUE)
    now = ROUTED + timedelta(days=2)
    day, moved = calendar_changes.add_day(world.admin, date(2026, 9, 30), "임시공휴일",
                                          working=False, now=now)
    db.session.commit()
    # One working day fewer before 10.7: the task and the request end a working day later.
    assert (moved, task.due_at, case.due_at) == (2, datetime(2026, 10, 8, 18, 0, tzinfo=SEOUL),
                                                 datetime(2026, 10, 8, 18, 0, tzinfo=SEOUL))
    assert union_task.due_at == datetime(2026, 10, 30, 18, 0, tzinfo=SEOUL), "set by hand"
    assert "staff@permits.test" in told(case, "due_changed")
    assert {"ceo@alpha.test", "hr@alpha.test"} <= told(case, "due_changed")
    assert "task.due_recomputed" in [e.action for e in case.events]
    audit = db.session.scalars(select(AuditEntry.action)).all()
    assert "holiday.add" in audit
    with pytest.raises(Conflict):
        calendar_changes.add_day(world.admin, date(2026, 10, 9), "한글날", working=False,
                                 now=now)


def test_a_listed_holiday_marked_as_working_pulls_the_due_dates_in_and_back(world):
    case, task = routed_permit(world)
    assert task.due_at == DUE
    now = ROUTED + timedelta(days=2)
    # The substitute holiday of 10.5 counts after all: 10.7 becomes the 11th day.
    calendar_changes.add_day(world.admin, date(2026, 10, 5), "공공기관 정상 근무", working=True,
                             now=now)
    db.session.commit()
    assert task.due_at == datetime(2026, 10, 6, 18, 0, tzinfo=SEOUL)
    holiday = db.session.scalars(select(ExtraHoliday)).one()
    assert holiday.is_working_day
    with pytest.raises(NotAllowed):
        calendar_changes.remove_day(world.desk, holiday, now=now)
    calendar_changes.remove_day(world.admin, holiday, now=now)
    db.session.commit()
    assert task.due_at == DUE, "undone, the due date is what it was"
    with pytest.raises(Conflict):
        calendar_changes.add_day(world.admin, date(2026, 10, 6), "x", working=True, now=now)


def test_consent_never_pulls_a_due_date_that_moved_out_meanwhile_back_in(world):
    case, task = routed_permit(world)
    extend(world.permits_staff, task, datetime(2026, 10, 14, 18, 0, tzinfo=SEOUL))
    second = extend(world.permits_staff, task, datetime(2026, 10, 15, 18, 0, tzinfo=SEOUL))
    tasks.accept_task(world.permits_staff, task, now=ROUTED, version=None)
    tasks.request_information(world.permits_staff, task, "Plan?", now=ROUTED + timedelta(days=3),
                              version=None)
    cases.add_comment(world.firm_a_user, case, "Here.", now=ROUTED + timedelta(days=10))
    db.session.commit()
    moved = task.due_at
    assert moved > second.due_at, "the wait moved the due date past the asked extension"
    extensions.answer_extension(world.firm_a_user, second, True, now=ROUTED + timedelta(days=10))
    db.session.commit()
    assert (second.consent, task.due_at) == ("given", moved)


def test_another_partner_on_the_request_reads_no_extension_or_transfer_reasons(world):
    case, task = routed_permit(world, [world.permits, world.union])
    union_task = next(t for t in case.tasks if t.organization == world.union)
    extend(world.permits_staff, task, LATEST, reason="PERMITS-REASON")
    tasks.transfer_task(world.union_staff, union_task, world.univ, "UNION-REASON",
                        now=ROUTED + timedelta(days=1), version=None)
    db.session.commit()

    def read_by(user):
        return {(e.action, e.detail) for e in db.session.scalars(select(Event).where(
            Event.case_id == case.id, policy.visible_events(user)))}
    assert ("task.extend", "PERMITS-REASON") not in read_by(world.univ_staff)
    assert ("task.transfer", "UNION-REASON") not in read_by(world.permits_staff)
    assert ("task.extend", "PERMITS-REASON") in read_by(world.permits_staff)
    assert {("task.extend", "PERMITS-REASON"), ("task.transfer", "UNION-REASON")} <= read_by(
        world.firm_a_user), "the firm is told why"
    assert ("task.transferred_in", "UNION-REASON") in read_by(world.univ_staff), \
        "the new organization learns why it has the task"


def test_a_transferred_task_keeps_its_extensions_and_consultation(world):
    case, task = consultation(world, [world.union])
    extend(world.union_staff, task, CONSULTED_DUE + timedelta(days=1))
    successor = tasks.transfer_task(world.union_staff, task, world.univ, "The university's.",
                                    now=ROUTED + timedelta(days=3), version=None)
    db.session.commit()
    assert successor.is_consultation and extensions.needs_consent(successor)
    asked = extend(world.univ_staff, successor, successor.due_at + timedelta(days=1))
    assert asked.consent == "asked", "a transfer is no way round the firm's consent"


def test_a_request_rejected_again_after_an_upheld_objection_can_be_objected_to_again(world):
    case = rejected(world)
    first = objections.file_objection(world.firm_a_user, case, "Inside.", [],
                                      now=REJECTED_AT + timedelta(days=1))
    objections.decide(world.desk, first, True, "Agreed.", now=REJECTED_AT + timedelta(days=2))
    db.session.commit()
    assert objections.current(case) == first, "the upheld decision shows on the request"
    cases.reject_case(world.desk, case, "Still incomplete.", now=REJECTED_AT + timedelta(days=3),
                      version=None)
    db.session.commit()
    assert objections.current(case) is None
    second = objections.file_objection(world.firm_a_user, case, "Complete now.", [],
                                       now=REJECTED_AT + timedelta(days=4))
    db.session.commit()
    assert objections.current(case) == second != first
