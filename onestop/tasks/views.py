"""A partner's task queue and the task page with its actions."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from onestop import policy
from onestop.accounts.models import PARTNER_ROLES, User
from onestop.cases.forms import VersionedForm
from onestop.cases.models import Case, Comment
from onestop.db import utcnow
from onestop.deadlines import SEOUL
from onestop.extensions import db
from onestop.tasks import services
from onestop.tasks.forms import (
    AssignForm,
    DeclineForm,
    DueForm,
    NoteForm,
    QuestionForm,
    TaskFilterForm,
)
from onestop.tasks.models import AgencyTask
from onestop.web import load, perform
from onestop.workflow import ACTIVE_TASK, RUNNING_TASK, STATUS_LABELS, TaskStatus

bp = Blueprint("tasks", __name__, url_prefix="/tasks")


@bp.get("/")
@login_required
def index():
    policy.require(current_user, "task.queue")
    form = TaskFilterForm(request.args)
    form.status.choices = [("", _("Open and waiting"))] + [
        (s.value, str(STATUS_LABELS[s])) for s in TaskStatus]
    if request.args and not form.validate():
        abort(400)
    stmt = select(AgencyTask).where(policy.visible_tasks(current_user))
    if form.status.data:
        stmt = stmt.where(AgencyTask.status == form.status.data)
    else:
        stmt = stmt.where(AgencyTask.status.in_(ACTIVE_TASK))
    if form.mine.data:
        stmt = stmt.where(AgencyTask.assignee_id == current_user.id)
    if form.overdue.data:
        stmt = stmt.where(AgencyTask.due_at < utcnow(),
                          AgencyTask.status.in_(RUNNING_TASK))
    stmt = stmt.order_by(AgencyTask.due_at, AgencyTask.id).options(
        selectinload(AgencyTask.case).selectinload(Case.firm),
        selectinload(AgencyTask.case).selectinload(Case.request_type),
        selectinload(AgencyTask.organization), selectinload(AgencyTask.assignee))
    pagination = db.paginate(stmt, page=form.page.data or 1,
                             per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("tasks/index.html", form=form, pagination=pagination)


def _members(task: AgencyTask) -> list[User]:
    return list(db.session.scalars(select(User).where(
        User.organization_id == task.organization_id,
        User.role.in_(PARTNER_ROLES), User.is_enabled).order_by(User.name)))


@bp.get("/<int:task_id>")
@login_required
def show(task_id: int):
    task = load(AgencyTask, task_id, "task.open")
    assign_form = AssignForm(version=task.version, assignee=task.assignee_id or 0)
    assign_form.assignee.choices = [(0, _("— nobody —"))] + [(u.id, u.name)
                                                            for u in _members(task)]
    info_requests = db.session.scalars(
        select(Comment).where(Comment.case_id == task.case_id, Comment.is_info_request)
        .options(selectinload(Comment.author)).order_by(Comment.id)).all()
    due_local = task.due_at.astimezone(SEOUL).replace(tzinfo=None)
    return render_template(
        "tasks/show.html", task=task, case=task.case, info_requests=info_requests,
        question_form=QuestionForm(version=task.version),
        note_form=NoteForm(version=task.version),
        decline_form=DeclineForm(version=task.version),
        assign_form=assign_form, due_form=DueForm(version=task.version, due_at=due_local),
    )


# action -> (service, form, the form's text field passed to the service)
ACTIONS = {
    "accept": (services.accept_task, VersionedForm, None),
    "request_info": (services.request_information, QuestionForm, "question"),
    "complete": (services.complete_task, NoteForm, "note"),
    "decline": (services.decline_task, DeclineForm, "reason"),
}


@bp.post("/<int:task_id>/<any(accept, request_info, complete, decline):action>")
@login_required
def transition(task_id: int, action: str):
    task = load(AgencyTask, task_id)
    service, form_class, text_field = ACTIONS[action]
    form = form_class()
    if not form.validate_on_submit():
        flash(_("Fill in the text box first."), "error")
        return redirect(url_for("tasks.show", task_id=task.id), 303)
    args = (form[text_field].data,) if text_field else ()
    if perform(service, current_user, task, *args, now=utcnow(),
               version=form.version.data):
        flash(_("Saved."), "success")
    return redirect(url_for("tasks.show", task_id=task.id), 303)


@bp.post("/<int:task_id>/assign")
@login_required
def assign(task_id: int):
    task = load(AgencyTask, task_id, "task.assign")
    form = AssignForm()
    form.assignee.choices = [(0, "")] + [(u.id, u.name) for u in _members(task)]
    if form.validate_on_submit():
        assignee = db.session.get(User, form.assignee.data) if form.assignee.data else None
        if perform(services.assign_task, current_user, task, assignee, now=utcnow(),
                   version=form.version.data):
            flash(_("Assignee saved."), "success")
    else:
        flash(_("Choose a member of the organization."), "error")
    return redirect(url_for("tasks.show", task_id=task.id), 303)


@bp.post("/<int:task_id>/due")
@login_required
def change_due(task_id: int):
    task = load(AgencyTask, task_id, "task.override_due")
    form = DueForm()
    if form.validate_on_submit():
        if perform(services.override_due, current_user, task,
                   form.due_at.data.replace(tzinfo=SEOUL), form.reason.data, now=utcnow(),
                   version=form.version.data):
            flash(_("Due date changed."), "success")
    else:
        flash(_("Give the new due date and a reason."), "error")
    return redirect(url_for("tasks.show", task_id=task.id), 303)
