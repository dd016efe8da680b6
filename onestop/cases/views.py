"""Case pages: the case page and its actions, downloads (the list is cases.queue)."""
from urllib.parse import quote

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from onestop import confirmations, policy
from onestop.cases import objections, ownership, services
from onestop.cases.forms import (
    AUDIENCE_LABELS,
    ChecklistForm,
    CommentForm,
    ObjectionDecisionForm,
    ObjectionForm,
    ReasonForm,
    RouteForm,
    SatisfactionForm,
    VersionedForm,
)
from onestop.cases.models import Attachment, Case, Comment, Event
from onestop.cases.queries import attachment_of, task_of
from onestop.cases.satisfaction import answer_of, answer_satisfaction
from onestop.catalog.fields import display_value, field_label
from onestop.catalog.labels import CATEGORY_LABELS
from onestop.db import utcnow
from onestop.deadlines import SEOUL
from onestop.errors import NotFound
from onestop.extensions import db
from onestop.i18n import lazy_gettext as _l
from onestop.notifications import progress
from onestop.orgs.models import Organization
from onestop.statuses import ACTIVE_TASK, CaseStatus, TaskStatus
from onestop.storage import clean_filename, upload_dir
from onestop.submissions.uploads import FormFiles
from onestop.tasks import extensions, supplements
from onestop.tasks.models import AgencyTask
from onestop.web import answer_form, changes_since, load, perform, refused_form_again

bp = Blueprint("cases", __name__, url_prefix="/cases")


def category_label(category: str) -> str:
    return CATEGORY_LABELS.get(category, category)


@bp.get("/<int:case_id>")
@login_required
def show(case_id: int):
    return render_case(load(Case, case_id))


def render_case(case: Case, *, status: int = 200, refused: str | None = None, form=None,
                files: FormFiles | None = None):
    """The case page. After a refused action, `form` is that action's form as it was sent
    (typed text kept), `refused` names the action, and what changed since the page the
    user saw is listed beside it."""
    events = db.session.scalars(
        select(Event).where(Event.case_id == case.id, policy.visible_events(current_user))
        .options(selectinload(Event.actor), selectinload(Event.task)
                 .selectinload(AgencyTask.organization))
        .order_by(Event.id)).all()
    tasks = db.session.scalars(
        select(AgencyTask).where(AgencyTask.case_id == case.id,
                                 policy.visible_tasks(current_user))
        .options(selectinload(AgencyTask.organization), selectinload(AgencyTask.assignee),
                 selectinload(AgencyTask.extensions))
        .order_by(AgencyTask.id)).all()
    seen = str(events[-1].id) if events else "0"
    # Every form but the refused one starts afresh (not from what was posted).
    fresh = {"formdata": None, "version": case.version, "seen": seen}
    forms = {
        "version": VersionedForm(**fresh),
        "reason": {a: ReasonForm(**fresh) for a in ("reject", "withdraw", "reopen", "return")},
        "checklist": ChecklistForm(**fresh, checklist=[
            i for i, item in enumerate(case.checklist) if item["done"]]),
        "route": _route_form(case, tasks, seen),
        "comment": comment_form(case, formdata=None),
        "satisfaction": SatisfactionForm(formdata=None),
        "reassign": ownership.reassign_form(case, seen),
        "objection": ObjectionForm(formdata=None),
        "objection_extend": ReasonForm(**fresh),
        "objection_decision": ObjectionDecisionForm(formdata=None),
    }
    changes = changes_since(events, form, status)
    form = refused_form_again(form, status, version=case.version, seen=seen)
    if refused in forms["reason"]:
        forms["reason"][refused] = form
    elif refused in forms:
        forms[refused] = form
    elif refused:  # accept, resolve, close: the plain versioned form
        forms["version"] = form
    comments = db.session.scalars(
        select(Comment).where(Comment.case_id == case.id, policy.visible_comments(current_user))
        .options(selectinload(Comment.author), selectinload(Comment.attachments))
        .order_by(Comment.created_at, Comment.id)).all()
    attachments = db.session.scalars(
        select(Attachment).where(Attachment.case_id == case.id,
                                 policy.visible_attachments(current_user))
        .options(selectinload(Attachment.uploaded_by)).order_by(Attachment.id)).all()
    return render_template(
        "cases/show.html", case=case, events=events, tasks=tasks, forms=forms,
        refused=refused, kept=files.kept if files else [],
        changes=changes, comments=comments, attachments=attachments,
        questions=_open_questions(tasks, comments),
        objection=objections.current(case), objection_deadline=objections.deadline(case),
        may_object=objections.may_object(case, utcnow()),
        extension_asks=[(ask.task, ask) for ask in extensions.waiting(tasks)]
        if policy.can(current_user, "case.answer_extension", case) else [],
        replies=[a for a in attachments if a.uploaded_by.firm_id is None],
        previewable=previewable,
        form_fields=_form_fields(case),
        satisfaction=answer_of(case) if policy.can(current_user, "case.see_rating", case)
        else None,
    ), status


def _open_questions(tasks, comments) -> list[tuple[AgencyTask, Comment | None]]:
    """Each task waiting on the firm with the question its partner asked (the latest one a
    member of that partner wrote: comments come in the order they were written)."""
    asked = {c.author.organization_id: c for c in comments
             if c.is_info_request and c.author.organization_id is not None}
    return [(t, asked.get(t.organization_id)) for t in tasks
            if t.status == TaskStatus.WAITING_ON_FIRM]


def _form_fields(case: Case) -> list[tuple[str, str]]:
    """(label, value) of every field the firm filled in, labelled as the type names it now
    (a field the type no longer has keeps its value under its name)."""
    locale = str(get_locale())
    specs = {f["name"]: f for f in case.request_type.form_fields}
    return [(field_label(specs.get(name, {"name": name}), locale),
             display_value(specs.get(name, {}), value, locale))
            for name, value in case.form_data.items()]


def _route_form(case: Case, tasks, seen: str) -> RouteForm:
    partners = db.session.scalars(select(Organization).where(
        Organization.kind != "city_desk", Organization.is_active).order_by(Organization.name))
    form = RouteForm(formdata=None, version=case.version, seen=seen)
    busy = {t.organization_id for t in tasks if t.status in ACTIVE_TASK}
    form.organizations.choices = [(o.id, o.display_name(str(get_locale())))
                                  for o in partners if o.id not in busy]
    default_ids = {o.id for o in case.request_type.default_partners}
    form.organizations.data = [i for i in default_ids if i not in busy]
    return form


def comment_form(case: Case, **formdata) -> CommentForm:
    """The comment form (as posted, unless formdata=None) with the audiences this user may
    choose, the default first."""
    audiences = policy.note_audiences(current_user, case)
    form = CommentForm(audience=audiences[0] if audiences else None, **formdata)
    form.audience.choices = [(a, AUDIENCE_LABELS[a]) for a in audiences]
    return form


# action -> (service, whether it takes a reason); confirmations.case_done says what happened
@bp.post("/<int:case_id>/<any(accept, resolve, close, reject, reopen, withdraw, return):action>")
@login_required
def transition(case_id: int, action: str):
    case = load(Case, case_id)
    service, takes_reason = services.CASE_ACTIONS[action]
    form = ReasonForm() if takes_reason else VersionedForm()
    args = (form.reason.data,) if takes_reason else ()
    return answer_form(
        form, lambda: service(current_user, case, *args, now=utcnow(), version=form.version.data),
        again=_again(case, action, form), landing=_case_url(case),
        done=lambda _result: confirmations.case_done(action, case))


def _again(case: Case, refused: str, form):
    return lambda status: render_case(case, status=status, refused=refused, form=form)


def _case_url(case: Case, anchor: str | None = None) -> str:
    return url_for("cases.show", case_id=case.id, _anchor=anchor)


@bp.post("/<int:case_id>/checklist")
@login_required
def checklist(case_id: int):
    case = load(Case, case_id)
    form = ChecklistForm()
    return answer_form(
        form, lambda: services.update_checklist(current_user, case, form.checklist.data or [],
                                                version=form.version.data),
        again=_again(case, "checklist", form), landing=_case_url(case),
        done=lambda _result: confirmations.checklist_saved(case))


@bp.post("/<int:case_id>/route")
@login_required
def route(case_id: int):
    case = load(Case, case_id, "case.route")
    form = RouteForm()
    form.organizations.choices = _route_form(case, case.tasks, "").organizations.choices

    def route_to_chosen():
        organizations = services.organizations_by_id(form.organizations.data or [])
        due = form.due_at.data.replace(tzinfo=SEOUL) if form.due_at.data else None
        return services.route_case(
            current_user, case, organizations, now=utcnow(), version=form.version.data,
            instructions=form.instructions.data or "",
            due_overrides={o.id: (due, form.due_reason.data or "") for o in organizations}
            if due else None)

    return answer_form(
        form, route_to_chosen, again=_again(case, "route", form), landing=_case_url(case),
        done=confirmations.routed)


@bp.post("/<int:case_id>/extensions/<int:extension_id>/<any(agree, refuse):answer>")
@login_required
def answer_extension(case_id: int, extension_id: int, answer: str):
    case = load(Case, case_id, "case.answer_extension")
    extension = extensions.extension_of(case, extension_id)
    form = VersionedForm()
    return answer_form(
        form, lambda: extensions.answer_extension(current_user, extension, answer == "agree",
                                                  now=utcnow()),
        again=_again(case, "extension", form), landing=_case_url(case, "tasks"),
        done=lambda _result: confirmations.extension_answered(extension))


@bp.post("/<int:case_id>/tasks/<int:task_id>/more_time")
@login_required
def more_time(case_id: int, task_id: int):
    case = load(Case, case_id, "case.answer")
    task = task_of(case, task_id)
    form = VersionedForm()
    return answer_form(
        form, lambda: supplements.ask_more_time(current_user, task, now=utcnow()),
        again=_again(case, "more_time", form), landing=_case_url(case, "questions"),
        done=lambda _result: confirmations.more_time(task))


@bp.post("/<int:case_id>/progress")
@login_required
def ask_progress(case_id: int):
    case = load(Case, case_id, "case.ask_progress")
    form = VersionedForm()
    return answer_form(
        form, lambda: progress.ask_progress(current_user, case, now=utcnow()),
        again=_again(case, "progress", form), landing=_case_url(case, "tasks"),
        done=lambda _result: confirmations.progress_sent(case))


@bp.post("/<int:case_id>/satisfaction")
@login_required
def satisfaction(case_id: int):
    case = load(Case, case_id, "case.rate")
    form = SatisfactionForm()
    return answer_form(
        form, lambda: answer_satisfaction(current_user, case, int(form.score.data),
                                          form.comment.data or "", now=utcnow()),
        again=_again(case, "satisfaction", form), landing=_case_url(case, "satisfaction"),
        done=_l("Thank you for answering. The one-stop desk reads every answer."))


@bp.post("/<int:case_id>/comments")
@login_required
def comment(case_id: int):
    case = load(Case, case_id)
    form = comment_form(case)
    files = FormFiles(form, current_user, now=utcnow())
    if form.validate_on_submit():
        answers = (case.status == CaseStatus.WAITING_ON_FIRM
                   and policy.can(current_user, "case.answer", case))
        audience = form.audience.data or next(iter(policy.note_audiences(current_user, case)),
                                              None)
        outcome = perform(services.add_comment, current_user, case, form.body.data,
                          audience=audience, now=utcnow(), files=files.take(),
                          form=form, landing=_case_url(case, "comments"))
        if outcome:
            flash(confirmations.commented(outcome, answered=answers), "success")
            return redirect(_case_url(case, "comments"), 303)
        status = outcome.status
    else:
        status = 422
    files.keep()
    return render_case(case, status=status, refused="comment", form=form, files=files)


@bp.get("/<int:case_id>/attachments/<int:attachment_id>")
@login_required
def download(case_id: int, attachment_id: int):
    attachment = attachment_of(current_user, load(Case, case_id), attachment_id)
    return send_stored(attachment, inline=request.args.get("inline") == "1")


# Shown in the browser rather than saved; anything else is always a download. An image is
# sandboxed outright; Chromium refuses to open a PDF in a sandboxed document, so a PDF gets
# every fetch, frame and form shut instead (its viewer runs apart from the page's origin).
_IMAGE_POLICY = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
INLINE_POLICY = {"image/png": _IMAGE_POLICY, "image/jpeg": _IMAGE_POLICY,
                 "application/pdf": "default-src 'none'; object-src 'self'; "
                                    "frame-ancestors 'none'; form-action 'none'"}
PREVIEWABLE = frozenset(INLINE_POLICY)


def previewable(stored) -> bool:
    return stored.content_type in PREVIEWABLE


def send_stored(stored, *, inline: bool = False):
    """A stored upload (a case attachment, a commitment file) as its download, never cached;
    with inline, an image or PDF opens in the browser, sandboxed (no script, no requests
    of its own, never sniffed into another type)."""
    path = upload_dir() / stored.storage_key
    if not path.is_file():
        current_app.logger.error("%s %s is missing on disk", type(stored).__name__, stored.id)
        raise NotFound("not found")
    inline = inline and previewable(stored)
    response = send_file(path, mimetype=stored.content_type, conditional=False)
    response.headers["Content-Disposition"] = content_disposition(stored, inline=inline)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    if inline:
        response.headers["Content-Security-Policy"] = INLINE_POLICY[stored.content_type]
    return response


def content_disposition(attachment: Attachment, *, inline: bool = False) -> str:
    """RFC 6266: the name as uploaded in filename*, a plain fallback for old clients. (The
    name is cleaned again: rows stored before names were cleaned may hold anything.)"""
    kind = "inline" if inline else "attachment"
    name = clean_filename(attachment.filename)
    extension = name.rsplit(".", 1)[-1] if "." in name else "bin"
    if name.isascii() and not any(c in name for c in '"\\'):
        return f'{kind}; filename="{name}"'
    return (f'{kind}; filename="attachment-{attachment.id}.{extension}"; '
            f"filename*=UTF-8''{quote(name, safe='')}")
