"""Objections to a rejection (민원처리법 §35). A rejected request shows its firm how to
object: within the request type's objection days (90 by default, calendar days) from the
rejection, with reasons and files. The desk decides within the objection period (10 days,
counted by the rules), which it may extend once by as much with notice; the firm is told
the decision and the remedies left. Upheld, the request goes back to the desk's review."""
from datetime import datetime

from sqlalchemy import select

from onestop import policy, workflow
from onestop.cases.models import Case, Comment, Event, NoteAudience, Objection
from onestop.cases.services import attach_files, review_due
from onestop.concurrency import check_version
from onestop.deadlines import parse_period
from onestop.errors import Invalid, InvalidTransition, NotFound
from onestop.extensions import db
from onestop.i18n import lazy_gettext as _l
from onestop.statuses import CaseStatus
from onestop.workdays.services import work_calendar

UPHELD, DISMISSED = "upheld", "dismissed"


def current(case: Case) -> Objection | None:
    """The objection to the case's rejection as it stands: the latest, unless the request
    was rejected again since."""
    objection = db.session.scalar(select(Objection).where(Objection.case_id == case.id)
                                  .order_by(Objection.id.desc()).limit(1))
    if objection is None or (case.closed_at is not None
                             and objection.filed_at < case.closed_at):
        return None
    return objection


def existing(case: Case) -> Objection:
    """The objection as it stands (current); NotFound when there is none to act on."""
    objection = current(case)
    if objection is None:
        raise NotFound("not found")
    return objection


def deadline(case: Case) -> datetime | None:
    """The last moment the firm may object, for a rejected request."""
    if case.status != CaseStatus.REJECTED or case.closed_at is None:
        return None
    return work_calendar().calendar_days_end(case.closed_at, case.request_type.objection_days)


def may_object(case: Case, now: datetime) -> bool:
    limit = deadline(case)
    return current(case) is None and limit is not None and now <= limit


def file_objection(actor, case: Case, reasons: str, files: list[tuple[str, bytes]], *,
                   now: datetime) -> Objection:
    policy.require(actor, "case.object", case)
    if current(case) is not None:
        raise InvalidTransition(_l("Your firm has objected to this rejection already."))
    limit = deadline(case)
    if limit is None:
        raise InvalidTransition(_l("Only a rejected request can be objected to."))
    if now > limit:
        raise InvalidTransition(_l("The period to object ended on %(end)s.",
                                   end=limit.strftime("%Y-%m-%d")))
    reasons = reasons.strip()
    if not reasons:
        raise Invalid(_l("Say why the rejection should be reconsidered."), field="reasons")
    comment = Comment(case=case, author=actor, body=reasons, audience=NoteAudience.PUBLIC,
                      created_at=now)
    db.session.add(comment)
    attach_files(actor, case, list(files), comment=comment)
    period = parse_period(case.request_type.objection_period)
    objection = Objection(case=case, comment=comment, filed_by_id=actor.id, filed_at=now,
                          decision_due_at=work_calendar().due_at(now, period))
    db.session.add(objection)
    db.session.add(Event(case=case, comment=comment, actor=actor, action="case.object",
                         params={"due_at": objection.decision_due_at.isoformat()},
                         created_at=now))
    case.updated_at = now  # the objection is part of the case as read: its version moves
    return objection


def _pending(actor, objection: Objection, version) -> None:
    policy.require(actor, "case.decide_objection", objection.case)
    check_version(objection.case, version)
    if objection.decision:
        raise InvalidTransition(_l("This objection has been decided."))


def extend_decision(actor, objection: Objection, reason: str, *, now: datetime,
                    version=None) -> None:
    """Once, before it runs out, by at most the objection period; the firm is told why.
    version is the case's, as read (None: not checked)."""
    _pending(actor, objection, version)
    if objection.extended:
        raise InvalidTransition(_l("The decision was extended once already."))
    if objection.decision_due_at <= now:
        raise InvalidTransition(_l("The period to decide has run out."))
    if not reason.strip():
        raise Invalid(_l("Tell the firm why the decision takes longer."), field="reason")
    period = parse_period(objection.case.request_type.objection_period)
    objection.decision_due_at = work_calendar().extension_limit(objection.decision_due_at,
                                                               period)
    objection.extended = True
    db.session.add(Event(case=objection.case, actor=actor, action="case.objection_extended",
                         detail=reason.strip(),
                         params={"due_at": objection.decision_due_at.isoformat()},
                         created_at=now))
    objection.case.updated_at = now


def decide(actor, objection: Objection, upheld: bool, reason: str, *, now: datetime,
           version=None) -> None:
    """Uphold (the request goes back to the desk's review) or dismiss (the rejection stands),
    with the reason the firm reads. version is the case's, as read (None: not checked)."""
    _pending(actor, objection, version)
    if not reason.strip():
        raise Invalid(_l("Give the firm the reason for the decision."), field="reason")
    objection.decision = UPHELD if upheld else DISMISSED
    objection.decision_reason = reason.strip()
    objection.decided_by_id = actor.id
    objection.decided_at = now
    case = objection.case
    db.session.add(Event(case=case, actor=actor, action="case.objection_decided",
                         detail=reason.strip(), params={"decision": objection.decision},
                         created_at=now))
    if upheld:
        workflow.apply_case(actor, case, "reconsider", now=now, cascade=True)
        case.closed_at = None
        case.rejection_reason = ""
        case.review_due_at = review_due(now)
    case.updated_at = now
