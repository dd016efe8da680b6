"""A partner's task queue and the task page with its actions."""
from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from onestop import confirmations, exports, lists, policy
from onestop.accounts.models import PARTNER_ROLES, User
from onestop.cases.forms import VersionedForm
from onestop.cases.models import Comment, Event
from onestop.db import utcnow
from onestop.deadlines import SEOUL
from onestop.errors import Invalid
from onestop.extensions import db
from onestop.i18n import gettext as _
from onestop.orgs.models import Organization
from onestop.statuses import TaskStatus
from onestop.tasks import consultations, extensions, queries, services, supplements
from onestop.tasks.forms import (
    AssignForm,
    DeclineForm,
    DueForm,
    ExtendForm,
    NoteForm,
    PauseForm,
    QuestionForm,
    TaskFilterForm,
    TransferForm,
)
from onestop.tasks.models import AgencyTask
from onestop.web import answer_form, changes_since, load, refused_form_again
from onestop.workdays.services import work_calendar
from onestop.workflow import STATUS_LABELS

bp = Blueprint("tasks", __name__, url_prefix="/tasks")


def _filters() -> tuple[dict, TaskFilterForm]:
    policy.require(current_user, "task.queue")
    form = TaskFilterForm(request.args)
    form.status.choices = [("", _("Open and waiting"))] + [
        (s.value, str(STATUS_LABELS[s])) for s in TaskStatus]
    if request.args and not form.validate():
        abort(400)
    return form.data, form


@bp.get("/")
@login_required
def index():
    filters, form = _filters()
    try:
        page = lists.page(queries.task_query(current_user, filters, utcnow()), queries.ORDER,
                          form.after.data, current_app.config["PAGE_SIZE"])
    except lists.BadCursor:
        abort(400)
    return render_template("tasks/index.html", form=form, page=page)


@bp.get("/export.<any(csv, xlsx):fmt>")
@login_required
def export(fmt: str):
    """Every task the queue shows under the same filters (all pages), as a file."""
    filters, _form = _filters()
    stmt = queries.sorted_by(queries.task_query(current_user, filters, utcnow()))
    locale = str(get_locale())
    header = [_("Reference"), _("Request"), _("Firm"), _("Type"), _("Partner"), _("Assignee"),
              _("Status"), _("Routed"), _("Due"), _("Finished")]

    def rows():
        for task in db.session.scalars(stmt.execution_options(yield_per=500)):
            yield [task.case.reference, task.case.title, task.case.firm.name,
                   task.case.request_type.display_name(locale),
                   task.organization.display_name(locale),
                   task.assignee.name if task.assignee else "", str(STATUS_LABELS[task.status]),
                   task.routed_at, task.due_at, task.finished_at]

    return exports.download(fmt, f"tasks-{utcnow().astimezone(SEOUL):%Y%m%d}", header, rows)


def _members(task: AgencyTask) -> list[User]:
    return list(db.session.scalars(select(User).where(
        User.organization_id == task.organization_id,
        User.role.in_(PARTNER_ROLES), User.is_enabled).order_by(User.name)))


@bp.get("/<int:task_id>")
@login_required
def show(task_id: int):
    return render_task(load(AgencyTask, task_id, "task.open"))


def render_task(task: AgencyTask, *, status: int = 200, refused: str | None = None,
                form=None):
    """The task page. After a refused action, `form` is that action's form as it was sent
    (typed text kept) and what changed since the page the user saw is listed beside it."""
    events = db.session.scalars(
        select(Event).where(Event.case_id == task.case_id, policy.visible_events(current_user))
        .options(selectinload(Event.actor), selectinload(Event.task)
                 .selectinload(AgencyTask.organization))
        .order_by(Event.id)).all()
    seen = str(events[-1].id) if events else "0"
    due_local = _local_minute(task.due_at)
    latest = extensions.latest_date(task)
    # Every form but the refused one starts afresh (not from what was posted).
    fresh = {"formdata": None, "version": task.version, "seen": seen}
    forms = {
        "accept": VersionedForm(**fresh),
        "request_info": QuestionForm(**fresh, supplement_due=_local_minute(
            supplements.next_deadline(task, utcnow(), work_calendar()))),
        "complete": NoteForm(**fresh),
        "decline": DeclineForm(**fresh),
        "assign": AssignForm(**fresh, assignee=task.assignee_id or 0),
        "due": DueForm(**fresh, due_at=due_local),
        "extend": ExtendForm(**fresh, due_at=_local_minute(latest)),
        "transfer": TransferForm(**fresh),
        "pause": PauseForm(**fresh),
    }
    forms["pause"].kind.choices = _pause_kinds()
    changes = changes_since(events, form, status)
    if refused:
        forms[refused] = refused_form_again(form, status, version=task.version, seen=seen)
    forms["assign"].assignee.choices = [(0, _("— nobody —"))] + [
        (u.id, u.name) for u in _members(task)]
    forms["transfer"].organization.choices = _transfer_choices(task)
    info_requests = db.session.scalars(
        select(Comment).where(Comment.case_id == task.case_id, Comment.is_info_request,
                              policy.visible_comments(current_user))
        .options(selectinload(Comment.author)).order_by(Comment.id)).all()
    return render_template("tasks/show.html", task=task, case=task.case, forms=forms,
                           info_requests=info_requests, refused=refused, changes=changes,
                           latest_extension=latest,
                           extension_needs_consent=extensions.needs_consent(task),
                           extension_pending=extensions.pending(task)), status


def _pause_kinds() -> list[tuple[str, str]]:
    return [(k, str(label)) for k, label in consultations.PAUSE_KINDS.items()]


def _local_minute(moment):
    """A moment as a date-time field shows it (Seoul, no zone)."""
    return moment.astimezone(SEOUL).replace(tzinfo=None)


def _transfer_choices(task: AgencyTask) -> list[tuple[int, str]]:
    """The other partner organizations, by name (services.transfer_task checks the choice)."""
    locale = str(get_locale())
    orgs = db.session.scalars(select(Organization).where(
        Organization.is_active, Organization.id != task.organization_id)).all()
    return [(0, _("— choose —"))] + sorted(
        ((o.id, o.display_name(locale)) for o in orgs if o.is_partner), key=lambda c: c[1])


# action -> the form of services.TASK_ACTIONS[action]; what is said when done is
# confirmations.task_done
FORMS = {"accept": VersionedForm, "request_info": QuestionForm, "complete": NoteForm,
         "decline": DeclineForm}


@bp.post("/<int:task_id>/<any(accept, request_info, complete, decline):action>")
@login_required
def transition(task_id: int, action: str):
    task = load(AgencyTask, task_id)
    service, text_field = services.TASK_ACTIONS[action]
    form = FORMS[action]()
    args = (form[text_field].data,) if text_field else ()
    extra = {}
    if action == "request_info" and form.supplement_due.data:
        extra["supplement_due"] = form.supplement_due.data.replace(tzinfo=SEOUL)
    return answer_form(
        form, lambda: service(current_user, task, *args, now=utcnow(), version=form.version.data,
                              **extra),
        again=_again(task, action, form), landing=_task_url(task),
        done=lambda _result: confirmations.task_done(action, task))


def _again(task: AgencyTask, refused: str, form):
    return lambda status: render_task(task, status=status, refused=refused, form=form)


def _task_url(task: AgencyTask) -> str:
    return url_for("tasks.show", task_id=task.id)


@bp.post("/<int:task_id>/assign")
@login_required
def assign(task_id: int):
    task = load(AgencyTask, task_id, "task.assign")
    form = AssignForm()
    form.assignee.choices = [(0, "")] + [(u.id, u.name) for u in _members(task)]

    def assign_chosen():
        assignee = db.session.get(User, form.assignee.data) if form.assignee.data else None
        services.assign_task(current_user, task, assignee, now=utcnow(),
                             version=form.version.data)
        return assignee  # perform turns None into True

    return answer_form(
        form, assign_chosen, again=_again(task, "assign", form), landing=_task_url(task),
        done=lambda assignee: _("%(org)s's task on %(ref)s is assigned to %(name)s; they are "
                                "told.", org=confirmations.name_of(task.organization),
                                ref=task.case.reference, name=assignee.name)
        if assignee is not True else _("Nobody is assigned now; the whole of %(org)s is "
                                       "reminded.", org=confirmations.name_of(task.organization)))


@bp.post("/<int:task_id>/due")
@login_required
def change_due(task_id: int):
    task = load(AgencyTask, task_id, "task.override_due")
    form = DueForm()
    return answer_form(
        form, lambda: services.override_due(
            current_user, task, form.due_at.data.replace(tzinfo=SEOUL), form.due_reason.data,
            now=utcnow(), version=form.version.data),
        again=_again(task, "due", form), landing=_task_url(task),
        done=lambda _result: _("%(org)s's task is now due %(due)s. They see the new date and "
                               "your reason.", org=confirmations.name_of(task.organization),
                               due=confirmations.when(task.due_at)))


@bp.post("/<int:task_id>/extend")
@login_required
def extend(task_id: int):
    task = load(AgencyTask, task_id, "task.extend")
    form = ExtendForm()
    return answer_form(
        form, lambda: extensions.extend_task(
            current_user, task, form.due_at.data.replace(tzinfo=SEOUL), form.reason.data,
            now=utcnow(), version=form.version.data),
        again=_again(task, "extend", form), landing=_task_url(task), done=confirmations.extended)


@bp.post("/<int:task_id>/transfer")
@login_required
def transfer(task_id: int):
    task = load(AgencyTask, task_id, "task.transfer")
    form = TransferForm()
    form.organization.choices = _transfer_choices(task)

    def transfer_to_chosen():
        organization = db.session.get(Organization, form.organization.data or 0)
        if organization is None:
            raise Invalid(_("Choose the competent organization."), field="organization")
        return services.transfer_task(current_user, task, organization, form.reason.data,
                                      now=utcnow(), version=form.version.data)

    return answer_form(
        form, transfer_to_chosen, again=_again(task, "transfer", form),
        landing=_task_url(task), done=confirmations.transferred)


@bp.post("/<int:task_id>/pause")
@login_required
def record_pause(task_id: int):
    task = load(AgencyTask, task_id, "task.record_pause")
    form = PauseForm()
    form.kind.choices = _pause_kinds()
    return answer_form(
        form, lambda: consultations.record_pause(
            current_user, task, form.kind.data, form.start.data.replace(tzinfo=SEOUL),
            form.end.data.replace(tzinfo=SEOUL), form.note.data or "", now=utcnow(),
            version=form.version.data),
        again=_again(task, "pause", form), landing=_task_url(task),
        done=lambda _result: confirmations.pause_recorded(task))
