"""Filing, triage, routing, comments and the case's end of life."""
import hashlib
import json
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from onestop import policy, workflow
from onestop.cases.models import PRIORITIES, Attachment, Case, Comment, Event, NoteAudience
from onestop.catalog.fields import clean_value
from onestop.catalog.models import RequestType
from onestop.concurrency import check_version
from onestop.deadlines import WorkCalendar, parse_period
from onestop.errors import Conflict, Invalid, InvalidTransition, NotAllowed
from onestop.extensions import db
from onestop.i18n import lazy_gettext as _l
from onestop.orgs.models import Organization
from onestop.statuses import ACTIVE_TASK, FINISHED_CASE, ROUTABLE_CASE, CaseStatus, TaskStatus
from onestop.storage import store_upload
from onestop.tasks.due import set_due
from onestop.tasks.models import AgencyTask
from onestop.workdays.services import work_calendar


def attach_files(actor, case: Case, files: list[tuple[str, bytes]],
                 comment: Comment | None = None) -> list[Attachment]:
    policy.require(actor, "case.attach", case)
    limit = current_app.config["MAX_FILES_PER_SUBMIT"]
    if len(files) > limit:
        raise Invalid(_l("Attach at most %(n)d files at a time.", n=limit), field="files")
    attachments = [
        Attachment(case=case, comment=comment, uploaded_by=actor,
                   **store_upload(db.session, name, data))
        for name, data in files
    ]
    db.session.add_all(attachments)
    return attachments


def checklist_version(request_type: RequestType) -> str:
    """A short fingerprint of the checklist a form offered, to notice an edit meanwhile."""
    text = json.dumps(request_type.checklist, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def file_case(actor, request_type: RequestType, *, title: str, description: str,
              priority: str, form_data: dict, checked_items: list[int],
              files: list[tuple[str, bytes]], now: datetime,
              offered_checklist: str | None = None) -> Case:
    """A firm member files a request for their firm. checked_items index the checklist the
    form offered; offered_checklist is its fingerprint, when the form carried one."""
    policy.require(actor, "case.file")
    if not request_type.is_active:
        raise Invalid(_l("This request type is no longer offered."), field="request_type")
    if priority not in PRIORITIES:
        raise Invalid(_l("Choose a priority."), field="priority")
    if offered_checklist is not None and offered_checklist != checklist_version(request_type):
        raise Invalid(_l("The list of required documents changed while you were filling in "
                         "the form. Check the list below and tick what you attach again."),
                      field="checklist")
    values = {spec["name"]: clean_value(spec, form_data.get(spec["name"], ""))
              for spec in request_type.form_fields}
    missing = [spec["name"] for spec in request_type.form_fields
               if spec.get("required") and not values[spec["name"]]]
    if missing:
        raise Invalid(_l("Fill in every required field."), field="field_" + missing[0])
    ticked = _ticked(request_type.checklist, checked_items)
    case = Case(
        firm_id=actor.firm_id, request_type=request_type, title=" ".join(title.split()),
        description=description.strip(), priority=priority, form_data=values,
        checklist=[{"ko": item["ko"], "en": item["en"], "done": i in ticked}
                   for i, item in enumerate(request_type.checklist)],
        created_by=actor, owner_id=actor.firm.account_officer_id, submitted_at=now,
    )
    case.review_due_at = review_due(now)
    db.session.add(case)
    workflow.open_case(actor, case, now=now)
    attach_files(actor, case, files)
    db.session.flush()
    return case


def review_due(filed_at: datetime, calendar: WorkCalendar | None = None) -> datetime:
    """When the desk should have reviewed a request filed then (its intake deadline)."""
    days = current_app.config["INTAKE_WORKING_DAYS"]
    return (calendar or work_calendar()).due_at(filed_at, parse_period(f"{days}d")) \
        .astimezone(filed_at.tzinfo)


def _ticked(items: list, checked_items: list[int]) -> set[int]:
    if any(i not in range(len(items)) for i in checked_items):
        raise Invalid(_l("Unknown checklist item."), field="checklist")
    return set(checked_items)


def checklist_complete(case: Case) -> bool:
    return all(item["done"] for item in case.checklist)


def update_checklist(actor, case: Case, checked_items: list[int], *, version) -> None:
    """The firm (before triage) or the desk ticks the required documents of the case's own list."""
    policy.require(actor, "case.edit_checklist", case)
    check_version(case, version)
    if case.status != CaseStatus.SUBMITTED:
        raise Invalid(_l("The checklist is fixed once the request is accepted."))
    ticked = _ticked(case.checklist, checked_items)
    case.checklist = [{**item, "done": i in ticked} for i, item in enumerate(case.checklist)]


def accept_case(actor, case: Case, *, now: datetime, version) -> None:
    """The desk accepts a complete request: its clock starts now."""
    check_version(case, version)
    policy.require(actor, "case.accept", case)
    if not checklist_complete(case):
        raise Invalid(_l("Required documents are missing. Ask the firm for them or reject "
                         "the request with a reason."))
    workflow.apply_case(actor, case, "accept", now=now)
    calendar = work_calendar()
    case.accepted_at = now
    case.desk_seconds = int(calendar.working_time_between(case.submitted_at, now).total_seconds())
    case.due_at = calendar.due_at(now, parse_period(case.request_type.period))
    notice = case.request_type.progress_notice_period
    case.progress_notice_at = calendar.due_at(now, parse_period(notice)) if notice else None


def reject_case(actor, case: Case, reason: str, *, now: datetime, version) -> None:
    check_version(case, version)
    if not reason.strip():
        raise Invalid(_l("Give the firm a reason."), field="reason")
    workflow.apply_case(actor, case, "reject", now=now, detail=reason.strip())
    case.rejection_reason = reason.strip()
    case.closed_at = now  # the objection period counts from here (cases/objections.py)


def check_can_take(case: Case, org: Organization, *, field: str) -> None:
    """An active partner organization with no open task on the case may take one."""
    if not org.is_partner or not org.is_active:
        raise Invalid(_l("%(org)s cannot take tasks.", org=org.name), field=field)
    if any(t.organization_id == org.id and t.status in ACTIVE_TASK for t in case.tasks):
        raise Invalid(_l("%(org)s already has an open task on this request.", org=org.name),
                      field=field)


def organizations_by_id(ids: list[int]) -> list[Organization]:
    """The organizations a routing names, each once; Invalid if any does not exist."""
    found = db.session.scalars(select(Organization).where(Organization.id.in_(ids))).all()
    if len(found) != len(set(ids)):
        raise Invalid(_l("Choose the partner organizations from the list."),
                      field="organizations")
    return list(found)


def route_case(actor, case: Case, organizations: list[Organization], *, now: datetime,
               version, instructions: str = "",
               due_overrides: dict[int, tuple[datetime, str]] | None = None) -> list[AgencyTask]:
    """Split the case into one task per partner organization, all running at once."""
    check_version(case, version)
    policy.require(actor, "case.route", case)
    if case.status not in ROUTABLE_CASE:
        raise Invalid(_l("Only an accepted, open request can be routed."))
    if not organizations:
        raise Invalid(_l("Choose at least one partner organization."), field="organizations")
    for org in organizations:
        check_can_take(case, org, field="organizations")
    calendar = work_calendar()
    request_type = case.request_type
    # A main permit's partners are consulted, within the legal answer period.
    consulted = request_type.deems_permits
    period = request_type.consultation_period if consulted else request_type.period
    tasks = []
    for org in organizations:
        task = AgencyTask(case=case, organization=org, period=period, routed_at=now, waited_seconds=0,
                          due_at=calendar.due_at(now, parse_period(period)),
                          instructions=instructions.strip(), is_consultation=consulted)
        db.session.add(task)
        workflow.open_task(actor, task, now=now)
        due_at, reason = (due_overrides or {}).get(org.id, (None, ""))
        if due_at is not None:
            set_due(actor, task, due_at, reason, now=now, calendar=calendar)
        tasks.append(task)
    if case.status == CaseStatus.TRIAGED:
        workflow.apply_case(actor, case, "start", now=now, cascade=True)
    case.updated_at = now  # bumps the version: two desks routing at once cannot both win
    db.session.flush()
    return tasks


def add_comment(actor, case: Case, body: str, *, now: datetime,
                audience: str = NoteAudience.PUBLIC,
                files: list[tuple[str, bytes]] = ()) -> Comment:
    """A comment to the audience its author chose; the firm's comment while the case waits on
    it answers and restarts the clock."""
    body = body.strip()
    if not body:
        raise Invalid(_l("Write something first."), field="body")
    policy.require(actor, "case.comment", case)
    if audience not in policy.note_audiences(actor, case):
        if policy.can(actor, "case.file"):  # a firm's role never writes internal notes
            raise NotAllowed(_l("You cannot write to this audience on this request."))
        # A partner's task may have ended while it typed: a 409 shows the page again with
        # the text kept.
        raise Conflict(_l("You cannot write to this audience on this request now. Choose "
                          "another audience."), field="audience")
    if case.status in FINISHED_CASE:
        raise InvalidTransition(_l("This request is finished; comments are closed."))
    comment = Comment(case=case, author=actor, body=body, audience=audience, created_at=now)
    db.session.add(comment)
    attach_files(actor, case, list(files), comment=comment)
    answers = policy.can(actor, "case.answer", case) and case.status == CaseStatus.WAITING_ON_FIRM
    answered = [t.id for t in case.tasks if t.status == TaskStatus.WAITING_ON_FIRM] if answers else []
    db.session.add(Event(case=case, comment=comment, actor=actor, action="case.comment",
                         is_internal=comment.is_internal, created_at=now,
                         params={"answered_tasks": answered} if answered else {}))
    if answers:
        resume_clock(actor, case, now=now)
    db.session.flush()
    return comment


def resume_clock(actor, case: Case, *, now: datetime) -> None:
    """The firm answered: every waiting task and the case run again, due dates pushed out
    by the working time waited."""
    calendar = work_calendar()

    def waited_since(moment: datetime) -> timedelta:
        # Deadlines move by whole minutes: seconds of waiting must not push 18:00 to 09:00.
        return timedelta(minutes=calendar.working_time_between(moment, now) // timedelta(minutes=1))

    for task in case.tasks:
        if task.status == TaskStatus.WAITING_ON_FIRM:
            waited = waited_since(task.paused_at)
            task.due_at = calendar.add_working_time(task.due_at, waited)
            task.waited_seconds += int(waited.total_seconds())
            task.paused_at = None
            workflow.apply_task(actor, task, "firm_answered", now=now, cascade=True,
                                detail=_waited_detail(waited))
    if case.paused_at is not None and case.due_at is not None:
        case.due_at = calendar.add_working_time(case.due_at, waited_since(case.paused_at))
    case.paused_at = None
    workflow.apply_case(actor, case, "firm_answered", now=now, cascade=True)


def _waited_detail(waited: timedelta) -> str:
    hours, rest = divmod(int(waited.total_seconds()) // 60, 60)
    return f"+{hours}h{rest:02d}m"


def resolve_case(actor, case: Case, *, now: datetime, version) -> None:
    """The desk resolves a case whose tasks are all finished."""
    check_version(case, version)
    workflow.apply_case(actor, case, "resolve", now=now)
    case.resolved_at = now


def close_case(actor, case: Case, *, now: datetime, version) -> None:
    check_version(case, version)
    workflow.apply_case(actor, case, "close", now=now)
    case.closed_at = now


def reopen_case(actor, case: Case, reason: str, *, now: datetime, version) -> None:
    """The firm reopens a resolved case within the reopen window."""
    check_version(case, version)
    policy.require(actor, "case.reopen", case)
    window = timedelta(days=current_app.config["REOPEN_WINDOW_DAYS"])
    if case.resolved_at is None or now > case.resolved_at + window:
        raise Invalid(_l("A request can be reopened only within %(days)d days of its "
                         "resolution. File a new request instead.",
                         days=window.days))
    if not reason.strip():
        raise Invalid(_l("Say what is still missing."), field="reason")
    workflow.apply_case(actor, case, "reopen", now=now, detail=reason.strip())
    case.resolved_at = None


def withdraw_case(actor, case: Case, reason: str, *, now: datetime, version) -> None:
    """The firm withdraws its request; every running task is cancelled."""
    check_version(case, version)
    policy.require(actor, "case.withdraw", case)
    if not reason.strip():
        raise Invalid(_l("Say why you withdraw it."), field="reason")
    workflow.apply_case(actor, case, "withdraw", now=now, detail=reason.strip())
    case.closed_at = now
    for task in case.tasks:
        if task.status in ACTIVE_TASK:
            workflow.apply_task(actor, task, "cancel", now=now, cascade=True)


def return_case(actor, case: Case, reason: str, *, now: datetime, version) -> None:
    """The desk returns (반려) a request whose supplement did not come by its second
    deadline; the partners' tasks are cancelled. A final state: the firm may file again."""
    check_version(case, version)
    if not reason.strip():
        raise Invalid(_l("Give the firm a reason."), field="reason")
    workflow.apply_case(actor, case, "return", now=now, detail=reason.strip())
    case.rejection_reason = reason.strip()
    case.closed_at = now
    for task in case.tasks:
        if task.status in ACTIVE_TASK:
            workflow.apply_task(actor, task, "cancel", now=now, cascade=True)


def resolve_if_all_done(actor, case: Case, *, now: datetime) -> None:
    """The last finished task resolves the case, when one was done and no decline still
    waits for the desk to reroute (the workflow's guard on "tasks_done")."""
    if case.status != CaseStatus.IN_PROGRESS or not workflow.guard_allows(case, "tasks_done"):
        return
    workflow.apply_case(actor, case, "tasks_done", now=now, cascade=True)
    case.resolved_at = now


def active_request_types() -> list[RequestType]:
    return list(db.session.scalars(
        select(RequestType).where(RequestType.is_active).order_by(RequestType.category,
                                                                 RequestType.name)))


def caseworker(user) -> bool:
    """May this user own a case or be a firm's account officer? An enabled caseworker or admin."""
    return user is not None and user.is_staff and user.is_enabled


def reassign_case(actor, case: Case, owner, *, now: datetime, version) -> None:
    """Make another caseworker the case's owner; recorded for the desk, the new owner told."""
    policy.require(actor, "case.reassign", case)
    if not caseworker(owner):
        raise Invalid(_l("Choose a caseworker of the one-stop desk."), field="owner")
    check_version(case, version)
    if case.status in FINISHED_CASE:
        raise Invalid(_l("This request is finished; its owner no longer changes."))
    if owner.id == case.owner_id:
        raise Invalid(_l("%(name)s already owns this request.", name=owner.name), field="owner")
    before = case.owner
    case.owner = owner
    case.updated_at = now
    db.session.add(Event(
        case=case, actor=actor, action="case.reassign", is_internal=True, created_at=now,
        detail=f"{before.name if before else '—'} → {owner.name}",
        params={"owner_id": owner.id, "previous_id": before.id if before else None}))


# The case moves a person makes by name (pages and API): the service, and whether it takes a
# reason.
CASE_ACTIONS = {
    "accept": (accept_case, False),
    "resolve": (resolve_case, False),
    "close": (close_case, False),
    "reject": (reject_case, True),
    "reopen": (reopen_case, True),
    "withdraw": (withdraw_case, True),
    "return": (return_case, True),
}
