"""Partners' tasks: their queue as cursor pages, a task, its moves and its assignee."""
from flask import jsonify, url_for
from flask_openapi3 import Tag

from onestop import lists, policy
from onestop.accounts.models import User
from onestop.api import api
from onestop.api.auth import caller
from onestop.api.docs import item_links
from onestop.api.move_schemas import (
    DueDate,
    Extension,
    Pause,
    Transfer,
)
from onestop.api.problems import WRITE_RESPONSES
from onestop.api.schemas import (
    Assignment,
    CaseRef,
    IfMatch,
    Named,
    TaskListQuery,
    TaskMove,
    TaskOut,
    TaskPage,
    TaskPath,
    UserRef,
)
from onestop.api.versions import if_match, tagged
from onestop.db import utcnow
from onestop.errors import Invalid
from onestop.extensions import db
from onestop.orgs.models import Organization
from onestop.tasks import consultations, extensions, services
from onestop.tasks.models import AgencyTask
from onestop.tasks.queries import ORDER, task_query

TASKS = Tag(name="tasks", description="The partners' work on a case.")


def _out(user, task: AgencyTask) -> TaskOut:
    internal = policy.can(user, "task.see_internal", task)
    return TaskOut(
        id=task.id, case=CaseRef.model_validate(task.case, from_attributes=True),
        organization=Named.model_validate(task.organization, from_attributes=True),
        status=task.status, due_at=task.due_at, instructions=task.instructions,
        resolution_note=task.resolution_note, version=task.version,
        assignee=UserRef.model_validate(task.assignee, from_attributes=True)
        if internal and task.assignee else None,
        decline_reason=task.decline_reason if internal else None,
        due_override_reason=task.due_override_reason if internal else None)


def _one(user, task: AgencyTask):
    return tagged(_out(user, task), task)


@api.get("/tasks", tags=[TASKS], responses={200: TaskPage})
def list_tasks(query: TaskListQuery):
    """The tasks you may work, soonest due first, as the task queue lists them."""
    user = caller()
    policy.require(user, "task.queue")
    page = lists.page(task_query(user, query.model_dump(), utcnow()), ORDER, query.cursor,
                      query.limit, counted=False)
    body = TaskPage(items=[_out(user, task) for task in page.items],
                    next_cursor=page.next_cursor)
    return jsonify(body.model_dump(mode="json"))


@api.get("/tasks/<int:task_id>", tags=[TASKS], responses={200: TaskOut})
def get_task(path: TaskPath):
    """One task. Its ETag is its version."""
    user = caller()
    return _one(user, policy.load(user, AgencyTask, path.task_id, "task.open"))


@api.post("/tasks/<int:task_id>/moves", tags=[TASKS], responses={200: TaskOut, **WRITE_RESPONSES})
def move_task(path: TaskPath, body: TaskMove, header: IfMatch):
    """Accept, ask the firm for information, complete or decline the task.

    As the task page's buttons do; If-Match must carry the ETag you last read."""
    user = caller()
    task = policy.load(user, AgencyTask, path.task_id, f"task.{body.action}")
    version = if_match(header.if_match, task.version)
    service, text_field = services.TASK_ACTIONS[body.action]
    try:
        service(user, task, *((body.text,) if text_field else ()), now=utcnow(),
                version=version)
    except Invalid as error:  # the page's field for the text: the body calls it text
        error.field = "text" if error.field == text_field else error.field
        raise
    db.session.commit()
    return _one(user, task)


@api.put("/tasks/<int:task_id>/assignee", tags=[TASKS],
         responses={200: TaskOut, **WRITE_RESPONSES})
def assign_task(path: TaskPath, body: Assignment, header: IfMatch):
    """Give the task to a member of its organization, or to nobody (the lead or the desk)."""
    user = caller()
    task = policy.load(user, AgencyTask, path.task_id, "task.assign")
    version = if_match(header.if_match, task.version)
    assignee = db.session.get(User, body.assignee) if body.assignee else None
    if body.assignee and assignee is None:
        services.refuse_assignee(task)
    services.assign_task(user, task, assignee, now=utcnow(), version=version)
    db.session.commit()
    return _one(user, task)


@api.post("/tasks/<int:task_id>/transfer", tags=[TASKS],
          responses={201: TaskOut, **WRITE_RESPONSES})
def transfer_task(path: TaskPath, body: Transfer, header: IfMatch):
    """Hand the task on to the competent organization.

    As the task page does: the new task (the answer) keeps the clock. If-Match must carry
    the ETag you last read."""
    user = caller()
    task = policy.load(user, AgencyTask, path.task_id, "task.transfer")
    version = if_match(header.if_match, task.version)
    organization = db.session.get(Organization, body.organization)
    if organization is None:
        raise Invalid("No such organization.", field="organization")
    successor = services.transfer_task(user, task, organization, body.reason, now=utcnow(),
                                       version=version)
    db.session.commit()
    response = _one(user, successor)
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_task", task_id=successor.id)
    return response


@api.put("/tasks/<int:task_id>/due", tags=[TASKS], responses={200: TaskOut, **WRITE_RESPONSES})
def set_due_date(path: TaskPath, body: DueDate, header: IfMatch):
    """Move the task's due date, with the reason that is recorded (the desk)."""
    user = caller()
    task = policy.load(user, AgencyTask, path.task_id, "task.override_due")
    version = if_match(header.if_match, task.version)
    services.override_due(user, task, body.due_at, body.reason, now=utcnow(), version=version)
    db.session.commit()
    return _one(user, task)


@api.post("/tasks/<int:task_id>/extensions", tags=[TASKS],
          responses={200: TaskOut, **WRITE_RESPONSES})
def extend_task(path: TaskPath, body: Extension, header: IfMatch):
    """Extend the task's period before it runs out, with the reason the firm reads.

    As the task page does (the task's organization, or the desk): by at most the period
    itself. The first extension takes effect at once; a further one only once the firm
    agrees (its due date stays until then). If-Match must carry the ETag you last read."""
    user = caller()
    task = policy.load(user, AgencyTask, path.task_id, "task.extend")
    version = if_match(header.if_match, task.version)
    extensions.extend_task(user, task, body.due_at, body.reason, now=utcnow(), version=version)
    db.session.commit()
    return _one(user, task)


@api.post("/tasks/<int:task_id>/pauses", tags=[TASKS],
          responses={200: TaskOut, **WRITE_RESPONSES})
def record_pause(path: TaskPath, body: Pause, header: IfMatch):
    """Record a deliberation or hearing that has ended on a running consultation.

    Its working time does not count: the due date moves out by it (the task's
    organization). If-Match must carry the ETag you last read."""
    user = caller()
    task = policy.load(user, AgencyTask, path.task_id, "task.record_pause")
    version = if_match(header.if_match, task.version)
    consultations.record_pause(user, task, body.kind, body.start, body.end, body.note,
                               now=utcnow(), version=version)
    db.session.commit()
    return _one(user, task)


item_links("/tasks", "task_id", "get_task",
           ("move_task", "assign_task", "transfer_task", "set_due_date", "extend_task",
            "record_pause"))
