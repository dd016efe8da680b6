"""Filing a request: choosing its type and the type's own form."""
from flask import flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required
from wtforms import StringField
from wtforms.validators import Length, Optional

from onestop import policy
from onestop.cases import services
from onestop.cases.forms import FileCaseForm
from onestop.cases.views import bp, category_label
from onestop.catalog.fields import field_label, unit_label
from onestop.catalog.models import RequestType
from onestop.db import utcnow
from onestop.errors import NotFound
from onestop.extensions import db
from onestop.i18n import gettext as _
from onestop.submissions.uploads import FormFiles
from onestop.web import perform


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
    files = FormFiles(form, current_user, now=utcnow())
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            case = perform(
                services.file_case, current_user, request_type, title=form.title.data,
                description=form.description.data, priority=form.priority.data,
                form_data={spec["name"]: form["field_" + spec["name"]].data or ""
                           for spec in request_type.form_fields},
                checked_items=form.checklist.data or [], files=files.take(), now=utcnow(),
                offered_checklist=form.offered_checklist.data or None, form=form,
                landing=lambda case: url_for("cases.show", case_id=case.id))
            if case:
                flash(_("Your request %(ref)s is filed. The one-stop desk checks it next; you "
                        "will see its answer here.", ref=case.reference), "success")
                return redirect(url_for("cases.show", case_id=case.id), 303)
            status = case.status
        files.keep()
        current = services.checklist_version(request_type)
        if form.offered_checklist.data != current:
            # The checklist changed meanwhile: offer it as it is now, with nothing ticked.
            form.checklist.data = []
            form.offered_checklist.data = current
    return render_template("cases/new.html", form=form, request_type=request_type,
                           kept=files.kept), status


def file_case_form(request_type: RequestType) -> FileCaseForm:
    """The filing form with the request type's own fields added as field_<name>."""
    locale = str(get_locale())

    class TypeForm(FileCaseForm):
        pass

    for spec in request_type.form_fields:
        setattr(TypeForm, "field_" + spec["name"], StringField(
            field_label(spec, locale), validators=[Optional(), Length(max=500)],
            description=_("Unit: %(unit)s", unit=unit_label(spec, locale))
            if unit_label(spec, locale) else "",
            render_kw={**({"required": True} if spec.get("required") else {}),
                       **({"inputmode": "decimal"} if spec.get("kind") in ("number", "integer")
                          else {})}))
    form = TypeForm(offered_checklist=services.checklist_version(request_type))
    form.checklist.choices = [(i, item.get(locale) or item["ko"])
                              for i, item in enumerate(request_type.checklist)]
    return form
