"""A partner's work on its task: accept, ask the firm, complete, decline, assign."""
from datetime import datetime
from typing import NoReturn

from onestop import policy, workflow
from onestop.accounts.models import User
from onestop.cases.models import Comment, Event
from onestop.cases.services import check_can_take, resolve_if_all_done
from onestop.concurrency import check_version
from onestop.errors import Invalid, InvalidTransition
from onestop.extensions import db
from onestop.i18n import lazy_gettext as _l
from onestop.orgs.models import Organization
from onestop.statuses import ACTIVE_TASK, CaseStatus
from onestop.tasks import supplements
from onestop.tasks.due import set_due
from onestop.tasks.models import AgencyTask
from onestop.workdays.services import work_calendar


def accept_task(actor, task: AgencyTask, *, now: datetime, version) -> None:
    check_version(task, version)
    workflow.apply_task(actor, task, "accept", now=now)
    if task.assignee_id is None and actor.organization_id == task.organization_id:
        task.assignee = actor


def request_information(actor, task: AgencyTask, question: str, *, now: datetime,
                        version, supplement_due: datetime | None = None) -> Comment:
    """Ask the firm for more (보완요구) by a deadline (the request type's supplement period
    unless given): the task and the case wait, their clocks stop."""
    check_version(task, version)
    if not question.strip():
        raise Invalid(_l("Say what the firm must send."), field="question")
    deadline = supplements.deadline_for(task, supplement_due, now=now)
    workflow.apply_task(actor, task, "request_info", now=now, detail=question.strip(),
                        params={"due_at": deadline.isoformat()})
    supplements.start(task, deadline)
    task.paused_at = now
    case = task.case
    if case.status == CaseStatus.IN_PROGRESS:
        workflow.apply_case(actor, case, "wait_on_firm", now=now, cascade=True)
        case.paused_at = now
    comment = Comment(case=case, author=actor, body=question.strip(), is_info_request=True,
                      created_at=now)
    db.session.add(comment)
    return comment


def complete_task(actor, task: AgencyTask, note: str, *, now: datetime, version) -> None:
    """Finish the task with a resolution note; the last one resolves the case."""
    check_version(task, version)
    if not note.strip():
        raise Invalid(_l("Write a resolution note for the firm."), field="note")
    workflow.apply_task(actor, task, "complete", now=now, detail=note.strip())
    task.resolution_note = note.strip()
    # Touching the case bumps its version, so two last tasks completed at once conflict
    # instead of both missing the resolution.
    task.case.updated_at = now
    resolve_if_all_done(actor, task.case, now=now)


def decline_task(actor, task: AgencyTask, reason: str, *, now: datetime, version) -> None:
    """Hand the task back to the desk to reroute."""
    check_version(task, version)
    if not reason.strip():
        raise Invalid(_l("Tell the desk why, so it can reroute."), field="reason")
    # The reason is for the desk; the firm sees only that the task went back.
    workflow.apply_task(actor, task, "decline", now=now, detail=reason.strip(), is_internal=True)
    task.case.updated_at = now  # bumps the case version: concurrent moves conflict
    task.decline_reason = reason.strip()


def transfer_task(actor, task: AgencyTask, organization: Organization, reason: str, *,
                  now: datetime, version) -> AgencyTask:
    """A partner that is not competent hands the task to the organization that is (민원처리법
    §16). The new task keeps the clock: the first receipt, the due date, the time waited."""
    check_version(task, version)
    reason = reason.strip()
    if not reason:
        raise Invalid(_l("Say why the other organization is the competent one."),
                      field="reason")
    if organization.id == task.organization_id:
        raise Invalid(_l("Choose another organization than your own."), field="organization")
    check_can_take(task.case, organization, field="organization")
    workflow.apply_task(actor, task, "transfer", now=now, detail=reason,
                        params={"organization_id": organization.id})
    successor = AgencyTask(
        case=task.case, organization=organization, period=task.period, routed_at=task.routed_at,
        due_at=task.due_at, due_override_reason=task.due_override_reason,
        waited_seconds=task.waited_seconds, extended_seconds=task.extended_seconds,
        is_consultation=task.is_consultation, deliberation_seconds=task.deliberation_seconds,
        instructions=task.instructions, transferred_from_id=task.id)
    db.session.add(successor)
    workflow.open_task(actor, successor, now=now, transferred_from=task, detail=reason)
    task.case.updated_at = now  # bumps the case version: concurrent moves conflict
    return successor


def _require_active(task: AgencyTask) -> None:
    if task.status not in ACTIVE_TASK:
        raise InvalidTransition(_l("This task is finished; it cannot be changed any more."))


def assign_task(actor, task: AgencyTask, assignee: User | None, *, now: datetime,
                version) -> None:
    """A partner lead (or the desk) gives the task to one member of the organization."""
    check_version(task, version)
    policy.require(actor, "task.assign", task)
    _require_active(task)
    if assignee is not None and (assignee.organization_id != task.organization_id
                                 or not assignee.is_partner or not assignee.is_enabled):
        refuse_assignee(task)
    previous_id = task.assignee_id
    task.assignee = assignee
    db.session.add(Event(case=task.case, task=task, actor=actor, action="task.assign",
                         detail=assignee.name if assignee else "", is_internal=True,
                         params={"assignee_id": assignee.id if assignee else None,
                                 "previous_id": previous_id},
                         created_at=now))


def refuse_assignee(task: AgencyTask) -> NoReturn:
    """The one answer to anyone but an enabled member of the task's organization (no more is
    said: an id that names no one reads the same)."""
    raise Invalid(_l("Choose a member of %(org)s.", org=task.organization.name),
                  field="assignee")


def override_due(actor, task: AgencyTask, due_at: datetime, reason: str, *, now: datetime,
                 version) -> None:
    """The desk moves a task's due date, with a reason that is recorded."""
    check_version(task, version)
    policy.require(actor, "task.override_due", task)
    _require_active(task)
    set_due(actor, task, due_at, reason, now=now, calendar=work_calendar())


# The task moves a partner makes by name (pages and API): the service, and the text it takes
# (None, or the name of that text: question, note, reason).
TASK_ACTIONS = {
    "accept": (accept_task, None),
    "request_info": (request_information, "question"),
    "complete": (complete_task, "note"),
    "decline": (decline_task, "reason"),
}
