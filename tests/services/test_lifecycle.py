"""The case and task lifecycles through the services, with time injected."""
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from onestop.cases import services as cases
from onestop.cases.models import Attachment, Case, Event
from onestop.deadlines import SEOUL
from onestop.errors import Conflict, Invalid, InvalidTransition, NotAllowed, NotFound
from onestop.extensions import db
from onestop.storage import upload_dir
from onestop.tasks import services as tasks
from tests.factories import PDF


def file_permit(world, now, *, actor=None, complete=True, files=(("plan.pdf", PDF),)):
    case = cases.file_case(actor or world.firm_a_user, world.permit_type, title="New plant",
                           description="Line 2", priority="normal", form_data={"floor_area": "900"},
                           checked_items=[0, 1] if complete else [0], files=list(files), now=now)
    db.session.commit()
    return case


def routed_case(world, now, orgs=None):
    case = file_permit(world, now)
    cases.accept_case(world.desk, case, now=now, version=case.version)
    db.session.commit()
    tasks_ = cases.route_case(world.desk, case, orgs or [world.permits, world.union], now=now,
                              version=case.version)
    db.session.commit()
    return case, tasks_


def test_filing_records_a_submitted_case_with_history(world, now):
    case = file_permit(world, now)
    assert case.status == "submitted"
    assert case.owner == world.desk, "the firm's account officer owns its cases"
    assert [e.action for e in case.events] == ["case.submit"]
    assert case.attachments[0].filename == "plan.pdf"
    assert (upload_dir() / case.attachments[0].storage_key).read_bytes() == PDF


def test_only_firm_members_file(world, now):
    with pytest.raises(NotAllowed):
        file_permit(world, now, actor=world.desk)


def test_missing_required_field_is_refused_and_nothing_saved(world, now):
    with pytest.raises(Invalid) as error:
        cases.file_case(world.firm_a_user, world.permit_type, title="t", description="d",
                        priority="normal", form_data={}, checked_items=[], files=[], now=now)
    assert error.value.field == "field_floor_area"
    db.session.rollback()
    assert db.session.scalar(select(func.count(Case.id))) == 0


def test_a_bad_second_attachment_leaves_no_case_and_no_file(world, now):
    before = set(upload_dir().iterdir()) if upload_dir().exists() else set()
    with pytest.raises(Invalid):
        cases.file_case(world.firm_a_user, world.permit_type, title="t", description="d",
                        priority="normal", form_data={"floor_area": "1"}, checked_items=[],
                        files=[("ok.pdf", PDF), ("evil.pdf", b"MZ\x90\x00 not a pdf")], now=now)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Case.id))) == 0
    assert db.session.scalar(select(func.count(Attachment.id))) == 0
    assert set(upload_dir().iterdir()) == before, "the stored first file is removed again"


@pytest.mark.parametrize("name,data,message", [
    ("run.exe", b"MZ", "not accepted"),
    ("scan.pdf", b"GIF89a....", "does not contain"),
    ("empty.pdf", b"", "empty"),
    ("huge.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "larger than"),
])
def test_attachments_are_checked_by_content_and_size(world, now, name, data, message):
    with pytest.raises(Invalid, match=message):
        file_permit(world, now, files=[(name, data)])


def test_accept_needs_the_complete_checklist_and_starts_the_clock(world, now):
    case = file_permit(world, now, complete=False)
    with pytest.raises(Invalid, match="missing"):
        cases.accept_case(world.desk, case, now=now, version=case.version)
    db.session.rollback()
    cases.update_checklist(world.firm_a_user, case, [0, 1], version=case.version)
    db.session.commit()
    cases.accept_case(world.desk, case, now=now, version=case.version)
    assert case.status == "triaged"
    # 10d counted in days with the first day included: Tue 10 Nov .. Mon 23 Nov 18:00
    assert case.due_at == datetime(2026, 11, 23, 18, 0, tzinfo=SEOUL)


def test_reject_needs_a_reason_and_is_final(world, now):
    case = file_permit(world, now)
    with pytest.raises(Invalid):
        cases.reject_case(world.desk, case, "  ", now=now, version=case.version)
    cases.reject_case(world.desk, case, "Not ours", now=now, version=case.version)
    assert case.status == "rejected"
    with pytest.raises(InvalidTransition):
        cases.accept_case(world.desk, case, now=now, version=case.version)


def test_routing_creates_parallel_tasks_with_rule_due_dates(world, now):
    case, (permit_task, union_task) = routed_case(world, now)
    assert case.status == "in_progress"
    assert {permit_task.organization, union_task.organization} == {world.permits, world.union}
    assert permit_task.due_at == union_task.due_at == datetime(2026, 11, 23, 18, 0, tzinfo=SEOUL)
    assert [e.action for e in case.events].count("task.route") == 2


def test_routing_twice_to_a_busy_partner_is_refused(world, now):
    case, _ = routed_case(world, now)
    with pytest.raises(Invalid, match="already has an open task"):
        cases.route_case(world.desk, case, [world.permits], now=now, version=case.version)


def test_due_override_needs_a_reason(world, now):
    case = file_permit(world, now)
    cases.accept_case(world.desk, case, now=now, version=case.version)
    db.session.commit()
    due = datetime(2026, 12, 1, 18, 0, tzinfo=SEOUL)
    with pytest.raises(Invalid, match="reason"):
        cases.route_case(world.desk, case, [world.permits], now=now, version=case.version,
                         due_overrides={world.permits.id: (due, "")})
    db.session.rollback()
    (task,) = cases.route_case(world.desk, case, [world.permits], now=now, version=case.version,
                               due_overrides={world.permits.id: (due, "site visit needed")})
    assert task.due_at == due and task.due_override_reason == "site visit needed"


def test_partner_cannot_touch_another_organizations_task(world, now):
    case, (permit_task, _) = routed_case(world, now)
    with pytest.raises(NotFound):
        tasks.accept_task(world.univ_staff, permit_task, now=now, version=permit_task.version)
    # The union holds a task on the same case, but the permits task is still not its own.
    with pytest.raises(NotFound):
        tasks.accept_task(world.union_staff, permit_task, now=now, version=permit_task.version)


def test_stop_the_clock_moves_the_due_date_by_the_working_time_waited(world, now):
    case, (permit_task, union_task) = routed_case(world, now)
    tasks.accept_task(world.permits_staff, permit_task, now=now, version=permit_task.version)
    asked = datetime(2026, 11, 12, 16, 0, tzinfo=SEOUL)        # Thu 16:00
    tasks.request_information(world.permits_staff, permit_task, "Send the drawings in DWG",
                              now=asked, version=permit_task.version)
    db.session.commit()
    assert permit_task.status == "waiting_on_firm" and case.status == "waiting_on_firm"
    answered = datetime(2026, 11, 16, 11, 0, tzinfo=SEOUL)     # Mon 11:00
    cases.add_comment(world.firm_a_user, case, "Attached", now=answered)
    db.session.commit()
    # Waited Thu 16-18 (2h) + Fri (8h) + Mon 9-11 (2h) = 12 working hours.
    assert permit_task.waited_seconds == 12 * 3600
    assert permit_task.status == "accepted" and case.status == "in_progress"
    # Due Mon 23 Nov 18:00 + 12h -> Tue 24 Nov 18:00 (8h) + Wed 25 Nov 14:00 (4h: 9-12, 13-14)
    assert permit_task.due_at == datetime(2026, 11, 25, 14, 0, tzinfo=SEOUL)
    assert union_task.due_at == datetime(2026, 11, 23, 18, 0, tzinfo=SEOUL), "not waiting: unchanged"
    assert case.due_at == datetime(2026, 11, 25, 14, 0, tzinfo=SEOUL)


def test_last_task_done_resolves_the_case_and_firm_may_reopen_within_14_days(world, now):
    case, (permit_task, union_task) = routed_case(world, now)
    for task, actor in ((permit_task, world.permits_staff), (union_task, world.union_staff)):
        tasks.accept_task(actor, task, now=now, version=task.version)
        tasks.complete_task(actor, task, "done", now=now + timedelta(days=1), version=task.version)
        db.session.commit()
    assert case.status == "resolved"
    assert [e.action for e in case.events][-1] == "case.tasks_done"
    with pytest.raises(Invalid, match="14 days"):
        cases.reopen_case(world.firm_a_user, case, "more", now=now + timedelta(days=16),
                          version=case.version)
    db.session.rollback()
    cases.reopen_case(world.firm_a_user, case, "one more permit", now=now + timedelta(days=5),
                      version=case.version)
    assert case.status == "in_progress"


def test_declined_task_waits_for_reroute_before_the_case_resolves(world, now):
    case, (permit_task, union_task) = routed_case(world, now)
    tasks.decline_task(world.union_staff, union_task, "not labor", now=now,
                       version=union_task.version)
    tasks.accept_task(world.permits_staff, permit_task, now=now, version=permit_task.version)
    tasks.complete_task(world.permits_staff, permit_task, "ok", now=now, version=permit_task.version)
    db.session.commit()
    assert case.status == "in_progress", "the desk must reroute the declined part first"
    (univ_task,) = cases.route_case(world.desk, case, [world.univ], now=now + timedelta(hours=1),
                                    version=case.version)
    tasks.accept_task(world.univ_staff, univ_task, now=now, version=univ_task.version)
    tasks.complete_task(world.univ_staff, univ_task, "ok", now=now + timedelta(hours=2),
                        version=univ_task.version)
    assert case.status == "resolved"


def test_withdrawing_cancels_every_running_task(world, now):
    case, task_list = routed_case(world, now)
    with pytest.raises(NotAllowed):
        cases.withdraw_case(world.desk, case, "no", now=now, version=case.version)
    db.session.rollback()
    cases.withdraw_case(world.firm_a_user2, case, "we built elsewhere", now=now,
                        version=case.version)
    assert case.status == "withdrawn"
    assert {t.status for t in task_list} == {"cancelled"}


def test_other_firm_cannot_see_or_act(world, now):
    case = file_permit(world, now)
    with pytest.raises(NotFound):
        cases.withdraw_case(world.firm_b_user, case, "x", now=now, version=case.version)
    with pytest.raises(NotFound):
        cases.add_comment(world.firm_b_user, case, "hi", now=now)


def test_firm_cannot_write_internal_notes(world, now):
    case = file_permit(world, now)
    with pytest.raises(NotAllowed):
        cases.add_comment(world.firm_a_user, case, "psst", audience="partners", now=now)


def test_stale_version_is_a_conflict_not_an_overwrite(world, now):
    case, (task, _) = routed_case(world, now)
    old = task.version
    tasks.assign_task(world.union_lead, _, world.union_staff, now=now, version=_.version)
    tasks.accept_task(world.permits_staff, task, now=now, version=old)
    db.session.commit()
    with pytest.raises(Conflict):
        tasks.complete_task(world.permits_staff, task, "done", now=now, version=old)


def test_every_transition_writes_an_event_with_before_and_after(world, now):
    case, (task, _) = routed_case(world, now)
    tasks.accept_task(world.permits_staff, task, now=now, version=task.version)
    db.session.commit()
    event = db.session.scalar(select(Event).where(Event.task_id == task.id,
                                                  Event.action == "task.accept"))
    assert (event.from_status, event.to_status, event.actor) == ("open", "accepted",
                                                                 world.permits_staff)


def test_illegal_task_move_is_a_clear_error(world, now):
    _case, (task, _) = routed_case(world, now)
    with pytest.raises(InvalidTransition, match="Cannot"):
        tasks.complete_task(world.permits_staff, task, "done", now=now, version=task.version)


def test_lead_assigns_only_members_of_the_organization(world, now):
    _case, (_permit, union_task) = routed_case(world, now)
    with pytest.raises(NotAllowed):
        tasks.assign_task(world.union_staff, union_task, world.union_staff, now=now,
                          version=union_task.version)
    with pytest.raises(Invalid):
        tasks.assign_task(world.union_lead, union_task, world.univ_staff, now=now,
                          version=union_task.version)
    tasks.assign_task(world.union_lead, union_task, world.union_staff, now=now,
                      version=union_task.version)
    assert union_task.assignee == world.union_staff


def test_uploads_live_outside_the_web_root(app):
    from onestop.app import ROOT

    assert ROOT / "static" not in Path(app.config["UPLOAD_DIR"]).parents


def test_an_admin_added_day_moves_new_due_dates(world, now):
    from onestop.workdays.services import add_extra_holiday

    add_extra_holiday(world.admin, datetime(2026, 11, 20).date(), "zone foundation day")
    db.session.commit()
    case = file_permit(world, now)
    cases.accept_case(world.desk, case, now=now, version=case.version)
    # 10 working days from Tue 10 Nov without Fri 20 Nov: Tue 24 Nov.
    assert case.due_at == datetime(2026, 11, 24, 18, 0, tzinfo=SEOUL)


def test_an_answer_within_the_minute_leaves_the_due_date_alone(world, now):
    case, (task, _) = routed_case(world, now)
    before = task.due_at
    tasks.accept_task(world.permits_staff, task, now=now, version=task.version)
    tasks.request_information(world.permits_staff, task, "?", now=now, version=task.version)
    db.session.commit()
    cases.add_comment(world.firm_a_user, case, "!",
                      now=now + timedelta(seconds=20))
    assert task.due_at == before and task.waited_seconds == 0


def test_decline_reason_and_assignee_stay_off_the_firms_history(world, now):
    case, (permit_task, union_task) = routed_case(world, now)
    tasks.assign_task(world.union_lead, union_task, world.union_staff, now=now, version=None)
    tasks.decline_task(world.union_staff, union_task, "not ours", now=now, version=None)
    db.session.commit()
    internal = {e.action for e in case.events if e.is_internal}
    assert {"task.decline", "task.assign"} <= internal


def test_a_finished_task_cannot_be_reassigned_or_redated(world, now):
    _case, (task, _) = routed_case(world, now)
    tasks.accept_task(world.permits_staff, task, now=now, version=None)
    tasks.complete_task(world.permits_staff, task, "ok", now=now, version=None)
    with pytest.raises(InvalidTransition):
        tasks.assign_task(world.desk, task, None, now=now, version=None)
    with pytest.raises(InvalidTransition):
        tasks.override_due(world.desk, task, now + timedelta(days=9), "late", now=now,
                           version=None)


def test_a_title_is_one_line(world, now):
    case = cases.file_case(world.firm_a_user, world.hiring_type, title="Line 1\r\nBcc: x@y",
                           description="d", priority="normal", form_data={}, checked_items=[],
                           files=[], now=now)
    assert case.title == "Line 1 Bcc: x@y"
