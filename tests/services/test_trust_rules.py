"""Rules behind the trust fixes: who reads a note, registration numbers, request types,
hand-set due dates."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from onestop import policy
from onestop.admin import services as admin
from onestop.cases import services as cases
from onestop.cases.models import Comment, Event
from onestop.errors import Conflict, Invalid, NotAllowed
from onestop.extensions import db
from onestop.firms.services import normalize_brn, onboard_firm
from onestop.tasks import services as tasks
from tests.services.test_lifecycle import routed_case


def readers(case, body) -> set[str]:
    """Who of the world's people reads the comment with this body."""
    names = set()
    for user in _people:
        found = db.session.scalar(select(Comment.id).where(
            Comment.case_id == case.id, Comment.body == body, policy.visible_comments(user)))
        if found:
            names.add(user.email.split("@")[0] + "@" + user.email.split("@")[1].split(".")[0])
    return names


_people: list = []


@pytest.fixture
def people(world):
    _people[:] = [world.desk, world.permits_staff, world.union_lead, world.union_staff,
                  world.univ_staff, world.firm_a_user, world.firm_b_user]
    return world


def test_a_note_reaches_the_partners_active_when_it_was_written(people, now):
    w = people
    case, (permit_task, union_task) = routed_case(w, now)
    cases.add_comment(w.desk, case, "before", audience="partners", now=now)
    tasks.decline_task(w.union_staff, union_task, "not ours", now=now + timedelta(minutes=1),
                       version=None)
    cases.add_comment(w.desk, case, "after", audience="partners", now=now + timedelta(minutes=2))
    cases.add_comment(w.desk, case, "desk only", audience="desk", now=now + timedelta(minutes=2))
    cases.add_comment(w.desk, case, "for all", now=now + timedelta(minutes=2))
    db.session.commit()
    union = {"lead@union", "staff@union"}
    assert readers(case, "before") == {"desk@test", "staff@permits"} | union
    assert readers(case, "after") == {"desk@test", "staff@permits"}
    assert readers(case, "desk only") == {"desk@test"}
    assert readers(case, "for all") == {"desk@test", "staff@permits", "ceo@alpha"} | union


def test_a_note_of_the_past_reaches_a_partner_while_its_task_runs(people, now):
    w = people
    case, _ = routed_case(w, now, orgs=[w.permits])
    cases.add_comment(w.desk, case, "context", audience="partners", now=now)
    db.session.commit()
    assert "staff@univ" not in readers(case, "context")
    cases.route_case(w.desk, case, [w.univ], now=now + timedelta(hours=1), version=None)
    db.session.commit()
    assert "staff@univ" in readers(case, "context"), "routed later, it reads the earlier notes"


def test_the_audiences_a_partner_may_choose(world, now):
    case, (permit_task, _) = routed_case(world, now)
    assert policy.note_audiences(world.permits_staff, case) == ["partners", "public", "desk"]
    assert policy.note_audiences(world.desk, case) == ["public", "partners", "desk"]
    assert policy.note_audiences(world.firm_a_user, case) == ["public"]
    tasks.accept_task(world.permits_staff, permit_task, now=now, version=None)
    tasks.complete_task(world.permits_staff, permit_task, "done", now=now, version=None)
    assert policy.note_audiences(world.permits_staff, case) == ["public"], \
        "a finished partner no longer writes internal notes"
    with pytest.raises(Conflict):
        cases.add_comment(world.permits_staff, case, "psst", audience="partners", now=now)
    with pytest.raises(NotAllowed):
        cases.add_comment(world.firm_a_user, case, "psst", audience="desk", now=now)


def test_a_partners_desk_only_note_stays_with_its_author(people, now):
    w = people
    case, _ = routed_case(w, now)
    cases.add_comment(w.permits_staff, case, "for the desk", audience="desk", now=now)
    db.session.commit()
    assert readers(case, "for the desk") == {"desk@test", "staff@permits"}


def test_another_organizations_task_internals_stay_with_it(world, now):
    case, (permit_task, union_task) = routed_case(world, now)
    tasks.decline_task(world.union_staff, union_task, "reason", now=now, version=None)
    tasks.override_due(world.desk, permit_task, now + timedelta(days=30), "why", now=now,
                       version=None)
    db.session.commit()

    def internal_actions(user):
        return {e.action for e in db.session.scalars(select(Event).where(
            Event.case_id == case.id, Event.is_internal, policy.visible_events(user)))}

    assert internal_actions(world.permits_staff) == {"task.due_beyond_period"}
    assert internal_actions(world.union_lead) == {"task.decline"}
    assert internal_actions(world.firm_a_user) == set()
    assert internal_actions(world.desk) == {"task.decline", "task.due_beyond_period"}


@pytest.mark.parametrize("typed", ["１２３-４５-６７８９１", "123 45 67891", "123.45.67891",
                                   "123‐45‐67891", " 1234567891 ", "١٢٣٤٥٦٧٨٩١"])
def test_registration_numbers_are_normalized(typed):
    assert normalize_brn(typed) == "1234567891"


@pytest.mark.parametrize("typed", ["123-45-6789l", "12345678911", "123456789", "123_45_67891",
                                   "1234567891\u200b"])
def test_registration_numbers_refuse_what_is_not_ten_good_digits(typed):
    with pytest.raises(Invalid):
        normalize_brn(typed)


def test_a_full_width_number_is_the_same_firm(world, now):
    with pytest.raises(Conflict):
        onboard_firm(world.desk, name="Copy", brn="１２３-４５-６７８９１", industry="x",
                     site="y", phase=1, account_officer=None, now=now)


def save_type(world, request_type=None, **changes):
    values = {"code": "new-type", "name": "새 유형", "name_en": "New type", "category": "other",
              "period": "5d", "checklist": "", "form_fields": "", "partners": [],
              "is_active": True, **changes}
    return admin.save_request_type(world.admin, request_type, **values)


@pytest.mark.parametrize("code", ["Has Space", "-start", "x", "ünï", "a" * 41, "under_score"])
def test_request_type_codes_are_validated(world, code):
    with pytest.raises(Invalid, match="code"):
        save_type(world, code=code)


def test_request_type_names_are_unique_in_each_language(world):
    with pytest.raises(Conflict):
        save_type(world, name="건축 허가")
    with pytest.raises(Conflict):
        save_type(world, name_en="building PERMIT")
    save_type(world, name="건축  허가 (신규)", name_en="Building permit, new")
    assert save_type(world, world.permit_type, code="building-permit", name="건축 허가",
                     name_en="Building permit").id == world.permit_type.id, "itself is no clash"


def test_form_field_options_round_trip(world):
    text = "site_area | 부지 면적 | Site area | required number unit=㎡\n" \
           "headcount | 인원 | Headcount | integer unit=명/people\nnote | 메모 | Note"
    fields = admin.parse_form_fields(text)
    assert fields[0] == {"name": "site_area", "ko": "부지 면적", "en": "Site area",
                         "required": True, "kind": "number", "unit": {"ko": "㎡", "en": "㎡"}}
    assert fields[1]["unit"] == {"ko": "명", "en": "people"} and not fields[1]["required"]
    assert admin.parse_form_fields(admin.form_fields_text(fields)) == fields
    with pytest.raises(Invalid, match="unknown option"):
        admin.parse_form_fields("x | a | b | sometimes")


def test_a_hand_set_due_date_is_never_in_the_past_and_is_marked_beyond_the_period(world, now):
    case, (task, _) = routed_case(world, now)
    with pytest.raises(Invalid, match="future"):
        tasks.override_due(world.desk, task, now - timedelta(hours=1), "late", now=now,
                           version=None)
    db.session.rollback()
    case, (task, _) = routed_case(world, now)
    tasks.override_due(world.desk, task, task.due_at - timedelta(days=1), "sooner", now=now,
                       version=None)
    tasks.override_due(world.desk, task, task.due_at + timedelta(days=40), "later", now=now,
                       version=None)
    actions = [e.action for e in case.events if e.task_id == task.id]
    assert actions[-2:] == ["task.due_changed", "task.due_beyond_period"]


def test_routing_with_a_due_date_in_the_past_is_refused(world, now):
    case, _ = routed_case(world, now, orgs=[world.permits])
    with pytest.raises(Invalid, match="future"):
        cases.route_case(world.desk, case, [world.univ], now=now, version=None,
                         due_overrides={world.univ.id: (now - timedelta(days=1), "oops")})
