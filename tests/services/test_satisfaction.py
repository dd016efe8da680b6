"""The firm's one answer after its request resolved, and the message that asks for it."""
import pytest
from sqlalchemy import func, select

from onestop.cases import services as cases
from onestop.cases.models import SatisfactionAnswer
from onestop.cases.satisfaction import answer_satisfaction
from onestop.errors import Conflict, Invalid, InvalidTransition, NotAllowed, NotFound
from onestop.extensions import db
from onestop.notifications.models import Notification
from onestop.tasks import services as tasks
from tests.factories import NOW
from tests.mailsink import rendered


def resolved(world):
    case = cases.file_case(world.firm_a_user, world.hiring_type, title="Hire", description="d",
                           priority="normal", form_data={}, checked_items=[], files=[], now=NOW)
    cases.accept_case(world.desk, case, now=NOW, version=None)
    for task, staff in zip(cases.route_case(world.desk, case, [world.union, world.univ],
                                            now=NOW, version=None),
                           (world.union_staff, world.univ_staff), strict=True):
        tasks.accept_task(staff, task, now=NOW, version=None)
        tasks.complete_task(staff, task, "Done", now=NOW, version=None)
    db.session.commit()
    assert case.status == "resolved"
    return case


def answers() -> int:
    return db.session.scalar(select(func.count(SatisfactionAnswer.id)))


def test_a_member_of_the_firm_answers_once(world):
    case = resolved(world)
    answer = answer_satisfaction(world.firm_a_user, case, 4, "  Quick, thanks.  ", now=NOW)
    db.session.commit()
    assert (answer.score, answer.comment, answer.answered_by_id, answer.answered_at) == (
        4, "Quick, thanks.", world.firm_a_user.id, NOW)
    with pytest.raises(Conflict, match="already answered"):
        answer_satisfaction(world.firm_a_user2, case, 1, "", now=NOW)
    db.session.rollback()
    assert answers() == 1


def test_a_closed_request_may_still_be_answered(world):
    case = resolved(world)
    cases.close_case(world.desk, case, now=NOW, version=None)
    answer_satisfaction(world.firm_a_user2, case, 5, "", now=NOW)
    assert answers() == 1


@pytest.mark.parametrize("score", [0, 6, -1, "4", None, True])
def test_a_score_outside_one_to_five_is_refused(world, score):
    case = resolved(world)
    with pytest.raises(Invalid, match="Choose a score from 1") as error:
        answer_satisfaction(world.firm_a_user, case, score, "", now=NOW)
    assert error.value.field == "score"


def test_only_a_resolved_request_is_answered(world):
    case = cases.file_case(world.firm_a_user, world.hiring_type, title="Hire", description="d",
                           priority="normal", form_data={}, checked_items=[], files=[], now=NOW)
    with pytest.raises(InvalidTransition, match="once the request is resolved"):
        answer_satisfaction(world.firm_a_user, case, 5, "", now=NOW)


@pytest.mark.parametrize("who,error", [
    ("desk", NotAllowed), ("union_staff", NotAllowed), ("firm_b_user", NotFound),
    ("univ_staff", NotAllowed), ("permits_staff", NotFound)])
def test_only_the_firms_own_members_answer(world, who, error):
    case = resolved(world)
    with pytest.raises(error):
        answer_satisfaction(getattr(world, who), case, 5, "", now=NOW)
    assert answers() == 0


def test_the_resolved_message_asks_the_firm_and_links_to_the_question(world):
    for user in (world.firm_a_user, world.union_staff):
        user.locale = "en"  # the messages are read in English here
    case = resolved(world)
    rows = db.session.scalars(select(Notification).where(
        Notification.case_id == case.id, Notification.kind == "case_resolved")).all()
    by_user = {row.user.email: row for row in rows}
    firm_row = by_user["ceo@alpha.test"]
    assert firm_row.params["path"] == f"/cases/{case.id}#satisfaction"
    text = rendered(firm_row).get_body(("plain",)).get_content()
    assert "Answer one question" in text and f"/cases/{case.id}#satisfaction" in text
    partner_rows = [row for email, row in by_user.items() if not email.endswith("alpha.test")]
    assert partner_rows, "the union, done first, hears of the resolution too"
    for row in partner_rows:
        assert "#satisfaction" not in row.params["path"]
        assert "Answer one question" not in rendered(row).get_body(
            ("plain",)).get_content()
