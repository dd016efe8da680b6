"""What the desk must look at first, most urgent first: the home page's sections and the
queue's `need` filter are the same conditions, so a count and its "see all" always agree."""
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import aliased

from onestop.cases.models import Case, Event, Objection
from onestop.deadlines import WorkCalendar
from onestop.i18n import lazy_gettext as _l
from onestop.statuses import OPEN_CASE, CaseStatus, TaskStatus
from onestop.tasks.due import DUE_SOON_BUSINESS_DAYS
from onestop.tasks.models import AgencyTask

# The case-level clock runs in these states (a case waiting on the firm is paused).
_RUNNING = (CaseStatus.TRIAGED, CaseStatus.IN_PROGRESS)


def _declined(now: datetime, calendar: WorkCalendar) -> ColumnElement[bool]:
    """Open cases with a declined task nothing was routed after (workflow.decline_pending)."""
    later = aliased(AgencyTask)
    return and_(Case.status.in_(OPEN_CASE), Case.id.in_(select(AgencyTask.case_id).where(
        AgencyTask.status == TaskStatus.DECLINED,
        ~select(later.id).where(later.case_id == AgencyTask.case_id,
                                later.routed_at > AgencyTask.finished_at).exists())))


def overdue(now: datetime, calendar: WorkCalendar | None = None) -> ColumnElement[bool]:
    """Past the case's due date while its clock runs, or past the desk's review deadline (the
    home page's section and the queue's "overdue only")."""
    # The open requests named as well: the open queue's partial indexes then serve it.
    return and_(Case.status.in_(OPEN_CASE), or_(
        and_(Case.status.in_(_RUNNING), Case.due_at < now),
        and_(Case.status == CaseStatus.SUBMITTED, Case.review_due_at < now)))


def _new(now: datetime, calendar: WorkCalendar) -> ColumnElement[bool]:
    return Case.status == CaseStatus.SUBMITTED


def _due_soon(now: datetime, calendar: WorkCalendar) -> ColumnElement[bool]:
    soon = calendar.end_of_business_day(now, DUE_SOON_BUSINESS_DAYS)
    return and_(Case.status.in_(_RUNNING), Case.due_at >= now, Case.due_at <= soon)


def _reopened(now: datetime, calendar: WorkCalendar) -> ColumnElement[bool]:
    """Open cases the firm reopened after their resolution."""
    return and_(Case.status.in_(OPEN_CASE), Case.id.in_(
        select(Event.case_id).where(Event.action == "case.reopen")))


def _deemed(now: datetime, calendar: WorkCalendar) -> ColumnElement[bool]:
    """Open cases on which a consultation's consent was deemed given (행정기본법 §24)."""
    return and_(Case.status.in_(OPEN_CASE), Case.id.in_(select(AgencyTask.case_id).where(
        AgencyTask.status == TaskStatus.DEEMED_CONSENTED)))


def _lapsed(now: datetime, calendar: WorkCalendar) -> ColumnElement[bool]:
    """Requests whose supplement did not come by its second deadline: the desk may return."""
    return and_(Case.status == CaseStatus.WAITING_ON_FIRM, Case.id.in_(
        select(AgencyTask.case_id).where(AgencyTask.status == TaskStatus.WAITING_ON_FIRM,
                                         AgencyTask.supplement_lapsed_at.is_not(None))))


def _objections(now: datetime, calendar: WorkCalendar) -> ColumnElement[bool]:
    """Rejected requests whose firm objected, waiting for the desk's decision."""
    return Case.id.in_(select(Objection.case_id).where(Objection.decision == ""))


# name -> (condition, heading, what the section says when it is empty), in urgency order.
NEEDS = {
    "declined": (_declined, _l("Declined: reroute these"),
                 _l("No partner declined a task that still needs routing.")),
    "overdue": (overdue, _l("Overdue"), _l("Nothing is overdue.")),
    "new": (_new, _l("New requests to triage"),
            _l("No new requests. Everything filed has been triaged.")),
    "due_soon": (_due_soon, _l("Due soon"), _l("Nothing is due in the next 3 business days.")),
    "reopened": (_reopened, _l("Reopened by the firm"), _l("No request was reopened.")),
    "lapsed": (_lapsed, _l("Supplement not received: return or wait"),
               _l("No supplement is past its second deadline.")),
    "deemed": (_deemed, _l("Consent deemed given"),
               _l("No consultation ran out of its period unanswered.")),
    "objections": (_objections, _l("Objections to decide"),
                   _l("No objection waits for a decision.")),
}


# What the law's clock rarely brings: its section shows only while it holds a request (its
# count on the home page's tiles always shows).
QUIET_WHEN_EMPTY = frozenset({"lapsed", "deemed", "objections"})


def need_condition(name: str, now: datetime, calendar: WorkCalendar) -> ColumnElement[bool]:
    return NEEDS[name][0](now, calendar)
