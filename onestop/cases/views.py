"""Case pages: the list and queue, filing, the case page and its actions, downloads."""
import re

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload
from wtforms import StringField
from wtforms.validators import Length, Optional

from onestop import policy
from onestop.cases import services
from onestop.cases.forms import (
    CaseFilterForm,
    ChecklistForm,
    CommentForm,
    FileCaseForm,
    ReasonForm,
    RouteForm,
    VersionedForm,
)
from onestop.cases.models import Attachment, Case, Comment, Event
from onestop.catalog.labels import CATEGORY_LABELS
from onestop.catalog.models import Category, RequestType
from onestop.db import utcnow
from onestop.deadlines import SEOUL
from onestop.errors import NotFound
from onestop.extensions import db
from onestop.firms.models import Firm
from onestop.orgs.models import Organization
from onestop.storage import upload_dir
from onestop.tasks.models import AgencyTask
from onestop.web import load, perform
from onestop.workflow import ACTIVE_TASK, OPEN_CASE, STATUS_LABELS, CaseStatus

bp = Blueprint("cases", __name__, url_prefix="/cases")


def uploaded_files(field) -> list[tuple[str, bytes]]:
    return [(f.filename, f.read()) for f in (field.data or []) if f and f.filename]


def _filter_choices(form: CaseFilterForm) -> None:
    any_ = [("", _("All"))]
    locale = str(get_locale())
    form.status.choices = any_ + [("open", _("Open requests"))] + [
        (s.value, str(STATUS_LABELS[s])) for s in CaseStatus]
    form.category.choices = any_ + [(c.value, str(category_label(c))) for c in Category]
    types = db.session.scalars(select(RequestType).order_by(RequestType.name))
    form.request_type.choices = any_ + [(str(t.id), t.display_name(locale)) for t in types]
    orgs = db.session.scalars(select(Organization).where(Organization.kind != "city_desk")
                              .order_by(Organization.name))
    form.organization.choices = any_ + [(str(o.id), o.display_name(locale)) for o in orgs]
    firms = db.session.scalars(select(Firm).where(policy.visible_firms(current_user))
                               .order_by(Firm.name))
    form.firm.choices = any_ + [(str(f.id), f.name) for f in firms]


def category_label(category: str) -> str:
    return CATEGORY_LABELS.get(category, category)


def case_query(form: CaseFilterForm, now):
    """The cases the user may see, narrowed by the filter form."""
    stmt = select(Case).where(policy.visible_cases(current_user))
    data = form.data
    if data["status"] == "open":
        stmt = stmt.where(Case.status.in_(OPEN_CASE))
    elif data["status"]:
        stmt = stmt.where(Case.status == data["status"])
    if data["category"]:
        stmt = stmt.where(Case.request_type.has(RequestType.category == data["category"]))
    if data["request_type"]:
        stmt = stmt.where(Case.request_type_id == _int(data["request_type"]))
    if data["organization"]:
        stmt = stmt.where(Case.tasks.any(AgencyTask.organization_id == _int(data["organization"])))
    if data["firm"]:
        stmt = stmt.where(Case.firm_id == _int(data["firm"]))
    if data["overdue"]:
        stmt = stmt.where(Case.due_at < now,
                          Case.status.in_([CaseStatus.TRIAGED, CaseStatus.IN_PROGRESS]))
    if data["q"]:
        text = data["q"].strip()
        pattern = f"%{text}%"
        conditions = [Case.title.ilike(pattern), Case.description.ilike(pattern),
                      Case.firm.has(Firm.name.ilike(pattern))]
        reference = re.fullmatch(r"(?:OS-\d{4}-)?0*(\d{1,9})", text, re.IGNORECASE)
        if reference:
            conditions.append(Case.id == int(reference.group(1)))
        stmt = stmt.where(or_(*conditions))
    order = {
        "due": (Case.due_at.asc().nulls_last(), Case.id),
        "-due": (Case.due_at.desc().nulls_last(), Case.id.desc()),
        "-submitted": (Case.submitted_at.desc(), Case.id.desc()),
    }[data["sort"] or "due"]
    return stmt.order_by(*order).options(
        selectinload(Case.firm), selectinload(Case.request_type),
        selectinload(Case.tasks).selectinload(AgencyTask.organization))


def _int(value: str) -> int:
    if not value.isdigit():
        abort(400)
    return int(value)


@bp.get("/")
@login_required
def index():
    # The desk's queue opens on what is still open; a firm sees all of its requests.
    form = CaseFilterForm(request.args, status="open" if policy.can(current_user, "case.queue")
                          else "")
    _filter_choices(form)
    if request.args and not form.validate():
        abort(400)
    pagination = db.paginate(case_query(form, utcnow()), page=form.page.data or 1,
                             per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("cases/index.html", form=form, pagination=pagination)


@bp.get("/new")
@login_required
def choose_type():
    policy.require(current_user, "case.file")
    types = services.active_request_types()
    return render_template("cases/choose_type.html", types=types, category_label=category_label)


@bp.route("/new/<int:type_id>", methods=["GET", "POST"])
@login_required
def new(type_id: int):
    policy.require(current_user, "case.file")
    request_type = db.session.get(RequestType, type_id)
    if request_type is None or not request_type.is_active:
        raise NotFound("not found")
    form = file_case_form(request_type)
    if form.validate_on_submit():
        field_values = {f["name"]: form["field_" + f["name"]].data or ""
                        for f in request_type.form_fields}
        case = perform(services.file_case, current_user, request_type,
                       title=form.title.data, description=form.description.data,
                       priority=form.priority.data, form_data=field_values,
                       checked_items=form.checklist.data or [],
                       files=uploaded_files(form.files), now=utcnow(), form=form)
        if case:
            flash(_("Your request %(ref)s is filed. The one-stop desk will check it.",
                    ref=case.reference), "success")
            return redirect(url_for("cases.show", case_id=case.id), 303)
    return render_template("cases/new.html", form=form, request_type=request_type), (
        422 if request.method == "POST" else 200)


def file_case_form(request_type: RequestType) -> FileCaseForm:
    """The filing form with the request type's own fields added as field_<name>."""
    locale = str(get_locale())

    class TypeForm(FileCaseForm):
        pass

    for spec in request_type.form_fields:
        setattr(TypeForm, "field_" + spec["name"], StringField(
            spec.get(locale) or spec.get("ko", spec["name"]),
            validators=[Optional(), Length(max=500)],
            render_kw={"required": True} if spec.get("required") else {}))
    form = TypeForm()
    form.checklist.choices = list(enumerate(_labels(request_type.checklist)))
    return form


def _labels(items: list[dict]) -> list[str]:
    locale = str(get_locale())
    return [item.get(locale) or item.get("ko", "") for item in items]


@bp.get("/<int:case_id>")
@login_required
def show(case_id: int):
    case = load(Case, case_id)
    sees_internal = policy.can(current_user, "case.see_internal", case)
    comments = db.session.scalars(
        select(Comment).where(Comment.case_id == case.id,
                              or_(Comment.is_internal.is_(False), sees_internal))
        .options(selectinload(Comment.author), selectinload(Comment.attachments))
        .order_by(Comment.created_at, Comment.id)).all()
    events = db.session.scalars(
        select(Event).where(Event.case_id == case.id,
                            or_(Event.is_internal.is_(False), sees_internal))
        .options(selectinload(Event.actor), selectinload(Event.task)
                 .selectinload(AgencyTask.organization))
        .order_by(Event.id)).all()
    tasks = db.session.scalars(
        select(AgencyTask).where(AgencyTask.case_id == case.id,
                                 policy.visible_tasks(current_user))
        .options(selectinload(AgencyTask.organization), selectinload(AgencyTask.assignee))
        .order_by(AgencyTask.id)).all()
    partners = db.session.scalars(select(Organization).where(
        Organization.kind != "city_desk", Organization.is_active).order_by(Organization.name))
    route_form = RouteForm(version=case.version)
    default_ids = {o.id for o in case.request_type.default_partners}
    busy = {t.organization_id for t in tasks if t.status in ACTIVE_TASK}
    route_form.organizations.choices = [(o.id, o.display_name(str(get_locale())))
                                        for o in partners if o.id not in busy]
    route_form.organizations.data = [i for i in default_ids if i not in busy]
    return render_template(
        "cases/show.html", case=case, comments=comments, events=events, tasks=tasks,
        checklist=_labels(case.request_type.checklist),
        form_fields=[(f, case.form_data.get(f["name"], "")) for f in case.request_type.form_fields],
        version_form=VersionedForm(version=case.version),
        reason_form=ReasonForm(version=case.version),
        checklist_form=ChecklistForm(version=case.version, checklist=case.checked_items),
        route_form=route_form, comment_form=CommentForm(),
        public_attachments=db.session.scalars(
            select(Attachment).where(Attachment.case_id == case.id, or_(
                Attachment.comment_id.is_(None), sees_internal,
                Attachment.comment.has(Comment.is_internal.is_(False))))
            .options(selectinload(Attachment.uploaded_by)).order_by(Attachment.id)).all(),
    )


def _service_for(action: str):
    simple = {"accept": services.accept_case, "resolve": services.resolve_case,
              "close": services.close_case}
    with_reason = {"reject": services.reject_case, "reopen": services.reopen_case,
                   "withdraw": services.withdraw_case}
    return simple.get(action), with_reason.get(action)


@bp.post("/<int:case_id>/<any(accept, resolve, close, reject, reopen, withdraw):action>")
@login_required
def transition(case_id: int, action: str):
    case = load(Case, case_id)
    simple, with_reason = _service_for(action)
    if simple:
        form = VersionedForm()
        if form.validate_on_submit():
            perform(simple, current_user, case, now=utcnow(), version=form.version.data)
    else:
        form = ReasonForm()
        if form.validate_on_submit():
            perform(with_reason, current_user, case, form.reason.data, now=utcnow(),
                    version=form.version.data)
        else:
            flash(_("Give a reason."), "error")
    return redirect(url_for("cases.show", case_id=case.id), 303)


@bp.post("/<int:case_id>/checklist")
@login_required
def checklist(case_id: int):
    case = load(Case, case_id)
    form = ChecklistForm()
    if form.validate_on_submit():
        if perform(services.update_checklist, current_user, case, form.checklist.data or [],
                   version=form.version.data):
            flash(_("Checklist saved."), "success")
    return redirect(url_for("cases.show", case_id=case.id), 303)


@bp.post("/<int:case_id>/route")
@login_required
def route(case_id: int):
    case = load(Case, case_id, "case.route")
    form = RouteForm()
    if not form.validate_on_submit():
        flash(_("Check the due date: use the date and time picker."), "error")
        return redirect(url_for("cases.show", case_id=case.id), 303)
    ids = form.organizations.data or []
    organizations = db.session.scalars(select(Organization).where(Organization.id.in_(ids))).all()
    if len(organizations) != len(set(ids)):
        raise NotFound("not found")
    overrides = {}
    if form.due_at.data:
        due = form.due_at.data.replace(tzinfo=SEOUL)
        overrides = {o.id: (due, form.due_reason.data or "") for o in organizations}
    tasks = perform(services.route_case, current_user, case, organizations, now=utcnow(),
                    version=form.version.data, instructions=form.instructions.data or "",
                    due_overrides=overrides)
    if tasks:
        flash(_("Routed to %(names)s.", names=", ".join(
            t.organization.display_name(str(get_locale())) for t in tasks)), "success")
    return redirect(url_for("cases.show", case_id=case.id), 303)


@bp.post("/<int:case_id>/comments")
@login_required
def comment(case_id: int):
    case = load(Case, case_id)
    form = CommentForm()
    if form.validate_on_submit():
        if perform(services.add_comment, current_user, case, form.body.data,
                   is_internal=bool(form.is_internal.data), now=utcnow(),
                   files=uploaded_files(form.files)):
            flash(_("Comment added."), "success")
    else:
        flash(_("Write something first."), "error")
    return redirect(url_for("cases.show", case_id=case.id, _anchor="comments"), 303)


@bp.get("/<int:case_id>/attachments/<int:attachment_id>")
@login_required
def download(case_id: int, attachment_id: int):
    case = load(Case, case_id)
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.case_id != case.id or (
            attachment.comment is not None and attachment.comment.is_internal
            and not policy.can(current_user, "case.see_internal", case)):
        raise NotFound("not found")
    path = upload_dir() / attachment.storage_key
    if not path.is_file():
        current_app.logger.error("attachment %s is missing on disk", attachment.id)
        raise NotFound("not found")
    return send_file(path, mimetype=attachment.content_type,
                     as_attachment=True, download_name=attachment.filename)
