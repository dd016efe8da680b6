"""Case and task lifecycles: the only code that sets .status and writes status Events."""
from datetime import datetime

from onestop import policy
from onestop.cases.models import Case, Event
from onestop.errors import InvalidTransition, NotAllowed
from onestop.extensions import db
from onestop.i18n import lazy_gettext as _l
from onestop.statuses import (
    ACTIVE_TASK,
    CONSENTED_TASK,
    FINISHED_TASK,
    OPEN_CASE,
    ROUTABLE_CASE,
    C,
    T,
)
from onestop.tasks.models import AgencyTask
from onestop.workdays.services import work_calendar

# action -> (states it may start from, state it ends in)
CASE_TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "accept": ((C.SUBMITTED,), C.TRIAGED),
    "reject": ((C.SUBMITTED,), C.REJECTED),
    "start": ((C.TRIAGED,), C.IN_PROGRESS),
    "wait_on_firm": ((C.IN_PROGRESS,), C.WAITING_ON_FIRM),
    "firm_answered": ((C.WAITING_ON_FIRM,), C.IN_PROGRESS),
    "resolve": ((C.IN_PROGRESS,), C.RESOLVED),
    "tasks_done": ((C.IN_PROGRESS,), C.RESOLVED),
    "reopen": ((C.RESOLVED,), C.IN_PROGRESS),
    "close": ((C.RESOLVED,), C.CLOSED),
    "withdraw": (OPEN_CASE, C.WITHDRAWN),
    "return": ((C.WAITING_ON_FIRM,), C.RETURNED),
    "reconsider": ((C.REJECTED,), C.SUBMITTED),  # an objection upheld (민원처리법 §35)
}

TASK_TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "accept": ((T.OPEN,), T.ACCEPTED),
    "request_info": ((T.ACCEPTED,), T.WAITING_ON_FIRM),
    "firm_answered": ((T.WAITING_ON_FIRM,), T.ACCEPTED),
    "complete": ((T.ACCEPTED,), T.DONE),
    "decline": ((T.OPEN, T.ACCEPTED), T.DECLINED),
    "transfer": ((T.OPEN, T.ACCEPTED), T.TRANSFERRED),
    "deem_consent": ((T.OPEN, T.ACCEPTED), T.DEEMED_CONSENTED),
    "cancel": (ACTIVE_TASK, T.CANCELLED),
}

# Moves that follow from another, already authorised move (the last task done resolves
# the case; a withdrawn case cancels its tasks); the actor of that first move is recorded.
CASCADES = {("case", "start"), ("case", "wait_on_firm"), ("case", "firm_answered"),
            ("case", "tasks_done"), ("task", "firm_answered"), ("task", "cancel"),
            ("task", "deem_consent"),  # the sweep, when a consultation's period ends
            ("case", "reconsider")}  # the desk upholding the firm's objection

def decline_pending(task: AgencyTask) -> bool:
    """A declined task the desk has not rerouted since (nothing was routed after it)."""
    return (task.status == T.DECLINED
            and task.finished_at >= max(t.routed_at for t in task.case.tasks))


def _all_tasks_finished(case: Case) -> bool:
    return not any(t.status in ACTIVE_TASK for t in case.tasks)


def _work_is_done(case: Case) -> bool:
    return (_all_tasks_finished(case) and any(t.status in CONSENTED_TASK for t in case.tasks)
            and not any(decline_pending(t) for t in case.tasks))


def _supplement_lapsed(case: Case) -> bool:
    """A task still waits for a supplement whose second deadline has passed."""
    return any(t.status == T.WAITING_ON_FIRM and t.supplement_lapsed_at is not None
               for t in case.tasks)


# Preconditions beyond the current state: action -> (check, message when it fails).
CASE_GUARDS = {
    "return": (_supplement_lapsed,
               _l("A request is returned only when the firm has not sent the supplement by "
                  "its second deadline.")),
    "resolve": (_all_tasks_finished,
                _l("Some tasks are still open; they must be finished first.")),
    "tasks_done": (_work_is_done, _l("Some tasks are still open; they must be finished first.")),
}


def guard_allows(case: Case, action: str) -> bool:
    guard = CASE_GUARDS.get(action)
    return guard is None or guard[0](case)

STATUS_LABELS = {
    C.SUBMITTED: _l("Submitted"),
    C.TRIAGED: _l("Accepted"),
    C.IN_PROGRESS: _l("In progress"),
    C.WAITING_ON_FIRM: _l("Waiting on firm"),
    C.RESOLVED: _l("Resolved"),
    C.CLOSED: _l("Closed"),
    C.REJECTED: _l("Rejected"),
    C.RETURNED: _l("Returned"),
    C.WITHDRAWN: _l("Withdrawn"),
    # A task's words differ from a case's: a firm reads both on one page.
    T.OPEN: _l("Not started"),
    T.ACCEPTED: _l("In review"),
    T.DONE: _l("Done"),
    T.DECLINED: _l("Returned to the desk"),
    T.TRANSFERRED: _l("Transferred"),
    T.DEEMED_CONSENTED: _l("Deemed consented"),
    T.CANCELLED: _l("Cancelled"),
}

# One short sentence under each status where it shows (a tooltip does not reach a phone).
CASE_STATUS_HELP = {
    C.SUBMITTED: _l("The one-stop desk checks that the request is complete, then accepts it."),
    C.TRIAGED: _l("The desk accepted the request and the processing clock runs; it routes "
                  "the request to partners next."),
    C.IN_PROGRESS: _l("Partner organizations are working on the request."),
    C.WAITING_ON_FIRM: _l("A partner asked the firm for information. The clock is stopped "
                          "until the firm answers."),
    C.RESOLVED: _l("Every partner has finished. The outcome is shown first on this page."),
    C.CLOSED: _l("The request is finished and closed."),
    C.REJECTED: _l("The desk did not accept the request; its reason is shown."),
    C.RETURNED: _l("The desk returned the request because the supplement asked for did not "
                   "come by its second deadline. It can be filed again with it."),
    C.WITHDRAWN: _l("The firm withdrew the request; the partners' tasks were cancelled."),
}
TASK_STATUS_HELP = {
    T.OPEN: _l("Sent to the partner, not started yet."),
    T.ACCEPTED: _l("The partner is working on it."),
    T.WAITING_ON_FIRM: _l("The partner waits for the firm's answer; its clock is stopped."),
    T.DONE: _l("The partner has finished; its outcome is shown."),
    T.DECLINED: _l("The partner handed it back: the desk will send it to another partner."),
    T.DEEMED_CONSENTED: _l("The partner gave no answer within the legal consultation period, "
                           "so its consent is deemed given (행정기본법 §24)."),
    T.TRANSFERRED: _l("The partner was not competent and handed it to the organization that "
                      "is; the period still runs from the first receipt."),
    T.CANCELLED: _l("Cancelled because the request was withdrawn."),
}


def _apply(kind: str, table, actor, obj, action: str, now: datetime, detail: str,
           cascade: bool, is_internal: bool, params: dict | None = None) -> None:
    if action not in table:
        raise InvalidTransition(_l("Unknown action: %(action)s", action=action))
    sources, target = table[action]
    if cascade:
        if (kind, action) not in CASCADES:
            raise NotAllowed(_l("This change cannot happen on its own."))
    else:
        policy.require(actor, f"{kind}.{action}", obj)
    if obj.status not in sources:
        raise InvalidTransition(
            _l("Cannot %(action)s: it is %(status)s now.",
               action=ACTION_LABELS.get(action, action), status=STATUS_LABELS[obj.status])
        )
    if kind == "case" and not guard_allows(obj, action):
        raise InvalidTransition(CASE_GUARDS[action][1])
    before = obj.status
    obj.status = target
    if kind == "task" and target in FINISHED_TASK:
        obj.finished_at = now  # the policy reads "on the case at that moment" from it
        keep_time_split(obj, now)
    if kind == "case" and target not in ROUTABLE_CASE:
        obj.progress_notice_at = None  # only a request being processed gets one
    if kind == "task" and before == T.WAITING_ON_FIRM:
        obj.supplement_due_at = obj.supplement_lapsed_at = None  # no longer waiting
    case = obj if kind == "case" else obj.case
    db.session.add(Event(
        case=case, task=obj if kind == "task" else None, actor=actor,
        action=f"{kind}.{action}", from_status=before, to_status=target,
        detail=detail, is_internal=is_internal, params=params or {}, created_at=now,
    ))


def keep_time_split(task: AgencyTask, now: datetime) -> None:
    """Keep a finishing task's time apart (the agency's own, waiting on the firm, paused), so
    that reports add columns instead of walking calendars. A task finished while waiting on
    the firm stops waiting now."""
    agency, waited, paused = work_calendar().time_split(task.routed_at, now, task.waited,
                                                        waiting_since=task.paused_at)
    task.agency_seconds = int(agency.total_seconds())
    task.waited_seconds = int(waited.total_seconds())
    task.paused_seconds = int(paused.total_seconds())
    task.paused_at = None


def open_case(actor, case: Case, *, now: datetime) -> None:
    """A newly filed case starts its life as submitted."""
    policy.require(actor, "case.file")
    case.status = C.SUBMITTED
    db.session.add(Event(case=case, actor=actor, action="case.submit", to_status=C.SUBMITTED,
                         created_at=now))


def open_task(actor, task: AgencyTask, *, now: datetime, transferred_from: AgencyTask | None = None,
              detail: str = "") -> None:
    """A newly routed task starts its life as open; so does one transferred from a task the
    actor has just handed on (that move checked the actor's right)."""
    if transferred_from is None:
        policy.require(actor, "case.route", task.case)
    elif transferred_from.status != T.TRANSFERRED:
        raise NotAllowed(_l("This change cannot happen on its own."))
    task.status = T.OPEN
    db.session.add(Event(case=task.case, task=task, actor=actor,
                         action="task.transferred_in" if transferred_from else "task.route",
                         to_status=T.OPEN, detail=detail, created_at=now,
                         params={"due_at": task.due_at.isoformat()} if transferred_from else {}))


def apply_case(actor, case: Case, action: str, *, now: datetime, detail: str = "",
               cascade: bool = False, is_internal: bool = False) -> None:
    """Move a case along its lifecycle, checking the actor's right and recording an Event."""
    _apply("case", CASE_TRANSITIONS, actor, case, action, now, detail, cascade, is_internal)


def apply_task(actor, task: AgencyTask, action: str, *, now: datetime, detail: str = "",
               cascade: bool = False, is_internal: bool = False,
               params: dict | None = None) -> None:
    """Move a task along its lifecycle, checking the actor's right and recording an Event."""
    _apply("task", TASK_TRANSITIONS, actor, task, action, now, detail, cascade, is_internal,
           params)


def case_actions(actor, case: Case) -> list[str]:
    """The case moves this actor may make now (for showing buttons)."""
    return [a for a, (sources, _) in CASE_TRANSITIONS.items()
            if ("case", a) not in CASCADES and case.status in sources
            and guard_allows(case, a)
            and policy.can(actor, f"case.{a}", case)]


def task_actions(actor, task: AgencyTask) -> list[str]:
    """The task moves this actor may make now (for showing buttons)."""
    return [a for a, (sources, _) in TASK_TRANSITIONS.items()
            if ("task", a) not in CASCADES and task.status in sources
            and policy.can(actor, f"task.{a}", task)]


ACTION_LABELS = {
    "accept": _l("accept"),
    "reject": _l("reject"),
    "start": _l("start"),
    "wait_on_firm": _l("wait on the firm"),
    "firm_answered": _l("resume"),
    "tasks_done": _l("resolve"),
    "resolve": _l("resolve"),
    "reopen": _l("reopen"),
    "close": _l("close"),
    "withdraw": _l("withdraw"),
    "return": _l("return"),
    "reconsider": _l("reconsider"),
    "request_info": _l("ask for information"),
    "complete": _l("complete"),
    "decline": _l("decline"),
    "transfer": _l("transfer"),
    "deem_consent": _l("deem consented"),
    "cancel": _l("cancel"),
}
