"""The firm's one answer after its request resolved: a score from 1 to 5 and a comment."""
from datetime import datetime

from sqlalchemy import select

from onestop import policy
from onestop.cases.models import Case, SatisfactionAnswer
from onestop.errors import Conflict, Invalid, InvalidTransition
from onestop.extensions import db
from onestop.i18n import lazy_gettext as _l
from onestop.statuses import CaseStatus

SCORES = range(1, 6)
RATEABLE = (CaseStatus.RESOLVED, CaseStatus.CLOSED)
CHOOSE_A_SCORE = _l("Choose a score from 1 (very dissatisfied) to 5 (very satisfied).")


def answer_of(case: Case) -> SatisfactionAnswer | None:
    return db.session.scalar(select(SatisfactionAnswer).where(
        SatisfactionAnswer.case_id == case.id))


def answer_satisfaction(actor, case: Case, score: int, comment: str, *,
                        now: datetime) -> SatisfactionAnswer:
    """The firm answers, once per request, how satisfied it is with a resolved request."""
    policy.require(actor, "case.rate", case)
    if case.status not in RATEABLE:
        raise InvalidTransition(_l("You can answer once the request is resolved."))
    if type(score) is not int or score not in SCORES:
        raise Invalid(CHOOSE_A_SCORE, field="score")
    if answer_of(case) is not None:
        raise Conflict(_l("Your firm has already answered for this request. Thank you."))
    answer = SatisfactionAnswer(case_id=case.id, score=score, comment=comment.strip(),
                                answered_by_id=actor.id, answered_at=now)
    db.session.add(answer)
    db.session.flush()
    return answer
