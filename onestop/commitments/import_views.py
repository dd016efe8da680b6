"""Admin pages of the agreement import: upload, the template, each run's progress and error
report, and the list of past runs. The routes join the admin blueprint."""
from flask import Response, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from sqlalchemy.orm import selectinload

from onestop import exports, policy
from onestop.admin.views import bp
from onestop.commitments import imports, sheets
from onestop.commitments.models import ImportRun
from onestop.db import utcnow
from onestop.errors import NotFound
from onestop.extensions import db
from onestop.forms import OnceForm
from onestop.i18n import gettext as _
from onestop.i18n import lazy_gettext as _l
from onestop.jobs import enqueue_imports
from onestop.web import perform, refusal_status


class ImportForm(OnceForm):
    file = FileField(_l("Agreement annex (.xlsx)"),
                     validators=[FileRequired(_l("Choose the workbook to upload."))])


def _run(run_id: int) -> ImportRun:
    policy.require(current_user, "commitment.import")
    run = db.session.get(ImportRun, run_id)
    if run is None:
        raise NotFound("not found")
    return run


@bp.route("/imports", methods=["GET", "POST"])
def imports_page():
    policy.require(current_user, "commitment.import")
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        run = perform(imports.start_import, current_user, upload.filename or "", upload.read(),
                      now=utcnow(), form=form,
                      landing=lambda run: url_for("admin.import_run", run_id=run.id))
        if run:
            enqueue_imports([run.id])
            flash(_("%(file)s is uploaded. Its rows are checked and imported now.",
                    file=run.filename), "success")
            return redirect(url_for("admin.import_run", run_id=run.id), 303)
    pagination = db.paginate(imports.visible_runs().options(selectinload(ImportRun.created_by)),
                             page=min(max(request.args.get("page", 1, type=int), 1), 100_000),
                             per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("admin/imports.html", form=form, pagination=pagination,
                           progress_of=imports.progress_of), refusal_status()


@bp.get("/imports/template.xlsx")
def import_template():
    policy.require(current_user, "commitment.import")
    return Response(sheets.template(), mimetype=exports.XLSX_TYPE, headers={
        "Content-Disposition": 'attachment; filename="agreement-annex-template.xlsx"',
        "Cache-Control": "no-store"})


@bp.get("/imports/<int:run_id>")
def import_run(run_id: int):
    run = _run(run_id)
    return render_template("admin/import_run.html", run=run, progress=imports.progress_of(run),
                           errors=[imports.describe(e) for e in run.errors])


@bp.get("/imports/<int:run_id>/status")
def import_status(run_id: int):
    return jsonify(imports.progress_of(_run(run_id)))


@bp.get("/imports/<int:run_id>/errors.<fmt>")
def import_errors(run_id: int, fmt: str):
    run = _run(run_id)
    if fmt not in exports.FORMATS:
        raise NotFound("not found")
    rows = [imports.describe(e) for e in run.errors]
    return exports.download(
        fmt, f"import-{run.id}-errors",
        [_("Sheet"), _("Row"), _("Cell"), _("Column"), _("Problem")],
        [[r["sheet"], r["row"] or "", r["cell"], r["column"], r["message"]] for r in rows])
