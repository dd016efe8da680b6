"""Who hears about each step of a case: every row of the issue's table, with who must not
(the actor, other firms, other partners), in which language, and only once."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from onestop.cases import services as cases
from onestop.cases.models import Event
from onestop.extensions import db
from onestop.notifications import delivery, events
from onestop.notifications.models import Notification
from onestop.notifications.preferences import set_choices
from onestop.tasks import services as tasks
from tests.factories import NOW, make_user
from tests.mailsink import rendered

LATER = NOW + timedelta(hours=1)


class Heard:
    """The ledger rows written since the last look, as {email: kind}."""

    def __init__(self) -> None:
        self.seen = 0

    def __call__(self) -> dict[str, str]:
        db.session.commit()
        rows = db.session.scalars(select(Notification).where(Notification.id > self.seen)
                                  .order_by(Notification.id)).all()
        self.seen = max([self.seen, *(r.id for r in rows)])
        got = {}
        for row in rows:
            assert row.user.email not in got, f"{row.user.email} told twice of one step"
            got[row.user.email] = row.kind
        return got


@pytest.fixture
def heard():
    return Heard()


def filed(world, heard, title="Hire"):
    case = cases.file_case(world.firm_a_user, world.hiring_type, title=title, description="d",
                           priority="normal", form_data={}, checked_items=[], files=[], now=NOW)
    heard()
    return case


def routed(world, heard, orgs=None):
    case = filed(world, heard)
    cases.accept_case(world.desk, case, now=NOW, version=None)
    found = cases.route_case(world.desk, case, orgs or [world.union, world.univ], now=NOW,
                             version=None)
    heard()
    return case, found


def test_a_filed_request_goes_to_the_account_officer(world, heard):
    cases.file_case(world.firm_a_user, world.hiring_type, title="Hire", description="d",
                    priority="normal", form_data={}, checked_items=[], files=[], now=NOW)
    assert heard() == {"desk@test.example": "case_filed"}


def test_without_an_officer_every_caseworker_hears(world, heard):
    world.firm_a.account_officer = None
    make_user("desk2@test.example", "caseworker", organization=world.desk_org)
    db.session.commit()
    cases.file_case(world.firm_a_user, world.hiring_type, title="Hire", description="d",
                    priority="normal", form_data={}, checked_items=[], files=[], now=NOW)
    assert heard() == {"desk@test.example": "case_filed", "desk2@test.example": "case_filed"}


def test_accepting_and_rejecting_tell_the_firm_members(world, heard):
    case = filed(world, heard)
    cases.accept_case(world.desk, case, now=NOW, version=None)
    assert heard() == {"ceo@alpha.test": "case_accepted", "hr@alpha.test": "case_accepted"}
    other = filed(world, heard, title="Other")
    cases.reject_case(world.desk, other, "out of scope", now=NOW, version=None)
    assert heard() == {"ceo@alpha.test": "case_rejected", "hr@alpha.test": "case_rejected"}


def test_a_routed_task_goes_to_its_organization_only(world, heard):
    case = filed(world, heard)
    cases.accept_case(world.desk, case, now=NOW, version=None)
    heard()
    cases.route_case(world.desk, case, [world.union], now=NOW, version=None)
    assert heard() == {"lead@union.test": "task_routed", "staff@union.test": "task_routed"}


def test_assignment_tells_the_new_and_the_previous_assignee(world, heard):
    _, (union_task, _) = routed(world, heard)
    tasks.assign_task(world.union_lead, union_task, world.union_staff, now=NOW, version=None)
    assert heard() == {"staff@union.test": "task_assigned"}  # the lead acted
    new = make_user("staff2@union.test", "partner", organization=world.union)
    tasks.assign_task(world.union_lead, union_task, new, now=NOW, version=None)
    assert heard() == {"staff@union.test": "task_assigned", "staff2@union.test": "task_assigned"}


def test_a_question_goes_to_the_firm_and_the_answer_to_who_asked(world, heard):
    case, (union_task, univ_task) = routed(world, heard)
    tasks.accept_task(world.union_staff, union_task, now=NOW, version=None)
    tasks.accept_task(world.univ_staff, univ_task, now=NOW, version=None)
    heard()
    tasks.request_information(world.union_staff, union_task, "Send the payroll", now=NOW,
                              version=None)
    assert heard() == {"ceo@alpha.test": "info_requested", "hr@alpha.test": "info_requested"}
    cases.add_comment(world.firm_a_user, case, "Attached", now=LATER)
    assert heard() == {"staff@union.test": "firm_answered", "desk@test.example": "firm_answered",
                       "staff@univ.test": "comment"}


def test_completing_and_declining_tell_the_desk(world, heard):
    make_user("desk2@test.example", "caseworker", organization=world.desk_org)
    _, (union_task, univ_task) = routed(world, heard)
    tasks.accept_task(world.union_staff, union_task, now=NOW, version=None)
    heard()
    tasks.complete_task(world.union_staff, union_task, "Done", now=NOW, version=None)
    assert heard() == {"desk@test.example": "task_completed"}
    tasks.decline_task(world.univ_staff, univ_task, "Not ours", now=NOW, version=None)
    assert heard() == {"desk@test.example": "task_declined",
                       "desk2@test.example": "task_declined"}


def test_resolving_tells_the_firm_and_every_partner_with_a_task(world, heard):
    case, (union_task, univ_task) = routed(world, heard)
    for task, who in ((union_task, world.union_staff), (univ_task, world.univ_staff)):
        tasks.accept_task(who, task, now=NOW, version=None)
    tasks.complete_task(world.union_staff, union_task, "ok", now=NOW, version=None)
    heard()
    tasks.complete_task(world.univ_staff, univ_task, "ok", now=NOW, version=None)
    got = heard()
    assert got.pop("desk@test.example") == "task_completed"
    assert got == {"ceo@alpha.test": "case_resolved", "hr@alpha.test": "case_resolved",
                   "staff@union.test": "case_resolved"}  # univ_staff acted; assignees only
    cases.reopen_case(world.firm_a_user, case, "Missing a page", now=LATER, version=None)
    assert heard() == {"hr@alpha.test": "case_reopened", "desk@test.example": "case_reopened",
                       "staff@union.test": "case_reopened", "staff@univ.test": "case_reopened"}


def test_closing_and_withdrawing(world, heard):
    case, (union_task, _) = routed(world, heard)
    cases.withdraw_case(world.firm_a_user2, case, "Plans changed", now=LATER, version=None)
    assert heard() == {"ceo@alpha.test": "case_withdrawn", "desk@test.example": "case_withdrawn",
                       "lead@union.test": "case_withdrawn", "staff@union.test": "case_withdrawn",
                       "staff@univ.test": "case_withdrawn"}


def test_a_due_date_change_tells_the_organization_and_the_firm_without_the_reason(world, heard):
    case, (union_task, _) = routed(world, heard)
    tasks.override_due(world.desk, union_task, NOW + timedelta(days=20), "SECRET-REASON",
                       now=NOW, version=None)
    got = heard()
    assert got == {"lead@union.test": "due_changed", "staff@union.test": "due_changed",
                   "ceo@alpha.test": "due_changed", "hr@alpha.test": "due_changed"}
    for row in rows_of(case):
        message = rendered(row)
        text = "".join(message.get_body((part,)).get_content() for part in ("plain", "html"))
        assert ("SECRET-REASON" in text) == row.user.is_partner, row.user.email


def rows_of(case):
    return db.session.scalars(select(Notification).where(Notification.case_id == case.id,
                                                         Notification.kind == "due_changed"))


def test_a_public_comment_goes_to_the_other_side(world, heard):
    case, _ = routed(world, heard)
    cases.add_comment(world.firm_a_user, case, "A question", now=LATER)
    assert heard() == {"desk@test.example": "comment", "lead@union.test": "comment",
                       "staff@union.test": "comment", "staff@univ.test": "comment"}
    cases.add_comment(world.union_staff, case, "An answer", audience="public", now=LATER)
    assert heard() == {"ceo@alpha.test": "comment", "hr@alpha.test": "comment"}


def test_internal_notes_reach_their_audience_only(world, heard):
    case, (union_task, _) = routed(world, heard)
    cases.add_comment(world.union_staff, case, "For partners", audience="partners", now=LATER)
    assert heard() == {"desk@test.example": "note", "lead@union.test": "note",
                       "staff@univ.test": "note"}
    cases.add_comment(world.union_staff, case, "For the desk", audience="desk", now=LATER)
    assert heard() == {"desk@test.example": "note"}
    tasks.decline_task(world.union_staff, union_task, "no", now=LATER, version=None)
    heard()
    cases.add_comment(world.desk, case, "After the union left", audience="partners", now=LATER)
    assert heard() == {"staff@univ.test": "note"}


def test_other_firms_and_other_partners_never_hear(world, heard):
    """Across a whole case's life, nobody outside it gets a row."""
    case, (union_task,) = routed(world, heard, orgs=[world.union])
    tasks.accept_task(world.union_staff, union_task, now=NOW, version=None)
    tasks.request_information(world.union_staff, union_task, "Q", now=NOW, version=None)
    cases.add_comment(world.firm_a_user, case, "A", now=LATER)
    cases.add_comment(world.desk, case, "note", audience="partners", now=LATER)
    tasks.complete_task(world.union_staff, union_task, "ok", now=LATER, version=None)
    db.session.commit()
    outsiders = [world.firm_b_user, world.univ_staff, world.permits_staff, world.admin]
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id.in_([u.id for u in outsiders]))) == 0


def test_announcing_an_event_again_writes_nothing(world, heard):
    case, _ = routed(world, heard)
    ev = db.session.scalars(select(Event).where(Event.action == "task.route")).first()
    assert events.announce([ev]) == []


def test_a_rolled_back_change_leaves_no_row(world, heard):
    case, _ = routed(world, heard)
    cases.add_comment(world.firm_a_user, case, "Lost", now=LATER)
    db.session.rollback()
    assert heard() == {}


def test_each_email_is_in_the_recipients_language_and_threads_by_case(world, heard):
    world.firm_a_user.locale, world.firm_a_user2.locale = "en", "ko"
    case = filed(world, heard)
    cases.accept_case(world.desk, case, now=NOW, version=None)
    heard()
    by_user = {row.user.email: rendered(row) for row in db.session.scalars(
        select(Notification).where(Notification.kind == "case_accepted"))}
    english, korean = by_user["ceo@alpha.test"], by_user["hr@alpha.test"]
    assert english["Subject"] == f"[{case.reference}] Request accepted: Hire"
    assert korean["Subject"].startswith(f"[{case.reference}] ") and \
        any("\uac00" <= ch <= "\ud7a3" for ch in korean["Subject"])
    text = english.get_body(("plain",)).get_content()
    assert text.startswith("The one-stop desk accepted your request.")
    assert f"/cases/{case.id}" in text
    assert english["In-Reply-To"] == english["References"] == f"<case-{case.id}@onestop>"
    assert english["Reply-To"].startswith("reply+")


def test_the_choice_decides_how_a_row_starts(world, heard):
    set_choices(world.firm_a_user, {"case_accepted": "digest"}, has_quiet_hours=False)
    set_choices(world.firm_a_user2, {"case_accepted": "app"}, has_quiet_hours=False)
    case = filed(world, heard)
    cases.accept_case(world.desk, case, now=NOW, version=None)
    heard()
    status = {r.user.email: r.status for r in db.session.scalars(
        select(Notification).where(Notification.kind == "case_accepted"))}
    assert status == {"ceo@alpha.test": "digest", "hr@alpha.test": "in_app"}


def test_quiet_hours_hold_an_evening_email_until_the_next_working_morning(world, heard):
    set_choices(world.firm_a_user, {}, has_quiet_hours=True)
    case = filed(world, heard)
    evening = NOW.replace(hour=20)  # Tuesday 20:00 -> Wednesday 09:00
    cases.accept_case(world.desk, case, now=evening, version=None)
    heard()
    held = {r.user.email: r.next_attempt_at for r in db.session.scalars(
        select(Notification).where(Notification.kind == "case_accepted"))}
    assert held["ceo@alpha.test"] == NOW.replace(day=11, hour=9)
    assert held["hr@alpha.test"] is None


def test_the_policy_drops_a_recipient_who_may_no_longer_read_it(world, heard):
    """The previous assignee moved to another organization: the reassignment is that
    organization's internal business now, and they are not told."""
    _, (union_task, _) = routed(world, heard)
    tasks.assign_task(world.union_lead, union_task, world.union_staff, now=NOW, version=None)
    heard()
    world.union_staff.organization = world.permits
    db.session.commit()
    tasks.assign_task(world.union_lead, union_task, None, now=NOW, version=None)
    assert heard() == {}


def test_an_event_email_is_delivered(world, heard):
    """Only reminders are dropped when their reason is gone; a routed task's email is sent."""
    _, (union_task, _) = routed(world, heard)
    row = db.session.scalars(select(Notification).where(
        Notification.kind == "task_routed", Notification.task_id == union_task.id)).first()
    assert delivery.deliver(row.id, NOW) == "sent"
