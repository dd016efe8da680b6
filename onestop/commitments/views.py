"""A firm's commitments page and its reports of actuals; the officer's reports to verify and
the review of one report; evidence downloads."""
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from onestop import policy
from onestop.cases.forms import VersionedForm
from onestop.cases.views import send_stored
from onestop.commitments import services
from onestop.commitments.forms import ReportForm, ReturnForm, parse_amount
from onestop.commitments.labels import amount_text, measure_label, template_helpers
from onestop.commitments.models import ActualReport, CommitmentFile, FirmEvent
from onestop.commitments.pages import commitments_of, report_choices, reports_to_verify
from onestop.db import utcnow
from onestop.errors import NotAllowed, NotFound
from onestop.exports import FORMATS, download
from onestop.extensions import db
from onestop.i18n import gettext as _
from onestop.i18n import lazy_gettext as _l
from onestop.submissions.uploads import FormFiles
from onestop.web import answer_form, load, perform, refused_form_again

bp = Blueprint("commitments", __name__, url_prefix="/commitments")


@bp.app_context_processor
def helpers() -> dict:
    return template_helpers()


def _own_firm():
    firm = current_user.firm
    if not policy.can(current_user, "commitments.report", firm):
        raise NotAllowed("not allowed")
    return firm


@bp.get("/")
@login_required
def mine():
    firm = _own_firm()
    return _mine_page(firm, _report_form(firm, formdata=None), status=200)


def _report_form(firm, **formdata) -> ReportForm:
    form = ReportForm(**formdata)
    choices, first_open = report_choices(firm)
    form.target.choices = choices
    if form.target.data is None:
        form.target.data = first_open
    return form


def _mine_page(firm, form: ReportForm, *, status: int, kept=()):
    return render_template("commitments/mine.html", firm=firm, form=form, kept=kept,
                           **commitments_of(firm)), status


@bp.post("/reports")
@login_required
def report():
    firm = _own_firm()
    form = _report_form(firm)
    files = FormFiles(form, current_user, now=utcnow())
    status = 422
    if form.validate_on_submit():
        target = services.firm_target(firm, form.target.data) \
            if form.target.data is not None else None
        outcome = perform(
            services.report_actual, current_user, firm,
            measure=target.measure if target else "", year=target.year if target else 0,
            phase=target.phase if target else 0, amount=parse_amount(form.amount.data),
            note=form.note.data or "", files=files.take(), now=utcnow(),
            form=form, landing=url_for("commitments.mine", _anchor="reports"))
        if outcome:
            officer = firm.account_officer
            flash(_("Your %(measure)s report for %(year)s is sent to %(officer)s, who verifies "
                    "it; you hear when it is done.", measure=measure_label(target.measure),
                    year=target.year, officer=officer.name if officer
                    else _("the one-stop desk")), "success")
            return redirect(url_for("commitments.mine", _anchor="reports"), 303)
        status = outcome.status
    files.keep()
    return _mine_page(firm, form, status=status, kept=files.kept)


EXPORT_HEADER = (_l("Reported on"), _l("Firm"), _l("Registration no."), _l("Measure"),
                 _l("Year"), _l("Phase"), _l("Reported"), _l("Reported by"), _l("Files"),
                 _l("Note"))


@bp.get("/to-verify")
@login_required
def to_verify():
    policy.require(current_user, "actuals.queue")
    fmt = request.args.get("fmt")
    if fmt:
        if fmt not in FORMATS:
            abort(400)
        return download(fmt, "reports-to-verify", [str(h) for h in EXPORT_HEADER], lambda: (
            (r.submitted_at, r.firm.name, r.firm.brn_display, measure_label(r.measure), r.year,
             r.phase, r.amount, r.submitted_by.name, len(r.files), r.note)
            for r in db.session.scalars(reports_to_verify(current_user))))
    page = min(max(request.args.get("page", 1, type=int), 1), 100_000)
    pagination = db.paginate(reports_to_verify(current_user), page=page,
                             per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("commitments/to_verify.html", pagination=pagination)


@bp.get("/reports/<int:report_id>")
@login_required
def show(report_id: int):
    return render_report(load(ActualReport, report_id))


def render_report(report: ActualReport, *, status: int = 200, refused: str | None = None,
                  form=None):
    history = db.session.scalars(
        select(FirmEvent).where(FirmEvent.report_id == report.id,
                                policy.visible_firm_events(current_user))
        .options(selectinload(FirmEvent.actor)).order_by(FirmEvent.id)).all()
    fresh = {"formdata": None, "version": report.version}
    forms = {"verify": VersionedForm(**fresh), "return": ReturnForm(**fresh)}
    if refused:
        forms[refused] = refused_form_again(form, status, version=report.version, seen="")
    target = services.target_for(report.firm, report.measure, report.year)
    return render_template("commitments/report.html", report=report, history=history,
                           forms=forms, refused=refused, target=target,
                           target_text=amount_text(report.measure, target.amount)
                           if target else ""), status


ACTIONS = {
    "verify": (services.verify_report, VersionedForm, False,
               _l("%(firm)s's %(measure)s report for %(year)s is verified. It counts towards "
                  "the firm's progress; the firm is told.")),
    "return": (services.return_report, ReturnForm, True,
               _l("%(firm)s's %(measure)s report for %(year)s is returned. The firm reads your "
                  "reason and may report again.")),
}


@bp.post("/reports/<int:report_id>/<any(verify, return):action>")
@login_required
def review(report_id: int, action: str):
    report = load(ActualReport, report_id)
    service, form_class, takes_reason, done = ACTIONS[action]
    form = form_class()
    args = (form.reason.data or "",) if takes_reason else ()
    return answer_form(
        form, lambda: service(current_user, report, *args, now=utcnow(),
                              version=form.version.data),
        again=lambda status: render_report(report, status=status, refused=action, form=form),
        landing=url_for("commitments.show", report_id=report.id),
        done=lambda _result: str(done) % {"firm": report.firm.name, "year": report.year,
                                          "measure": measure_label(report.measure)})


@bp.get("/files/<int:file_id>")
@login_required
def file(file_id: int):
    stored = db.session.scalar(select(CommitmentFile).where(
        CommitmentFile.id == file_id, policy.visible_commitment_files(current_user)))
    if stored is None:
        raise NotFound("not found")
    return send_stored(stored, inline=request.args.get("inline") == "1")
