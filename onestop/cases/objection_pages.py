"""The objection to a rejection, on the case page: the firm files it, the desk extends its
decision once or decides (cases/objections.py)."""
from flask import flash, redirect
from flask_login import current_user, login_required

from onestop import confirmations
from onestop.cases import objections
from onestop.cases.forms import ObjectionDecisionForm, ObjectionForm, ReasonForm
from onestop.cases.models import Case
from onestop.cases.views import _again, _case_url, bp, render_case
from onestop.db import utcnow
from onestop.submissions.uploads import FormFiles
from onestop.web import answer_form, load, perform


@bp.post("/<int:case_id>/objection")
@login_required
def object_to_rejection(case_id: int):
    case = _load(case_id, "case.object")
    form = ObjectionForm()
    files = FormFiles(form, current_user, now=utcnow())
    landing = _case_url(case, "objection")
    if form.validate_on_submit():
        outcome = perform(objections.file_objection, current_user, case, form.reasons.data,
                          files.take(), now=utcnow(), form=form, landing=landing)
        if outcome:
            flash(confirmations.objection_filed(outcome), "success")
            return redirect(landing, 303)
        status = outcome.status
    else:
        status = 422
    files.keep()
    return render_case(case, status=status, refused="objection", form=form, files=files)


@bp.post("/<int:case_id>/objection/extend")
@login_required
def extend_objection(case_id: int):
    case = _load(case_id, "case.decide_objection")
    form = ReasonForm()
    return answer_form(
        form, lambda: objections.extend_decision(current_user, objections.existing(case),
                                                 form.reason.data, now=utcnow()),
        again=_again(case, "objection_extend", form), landing=_case_url(case, "objection"),
        done=lambda _result: confirmations.objection_extended(objections.current(case)))


@bp.post("/<int:case_id>/objection/decide")
@login_required
def decide_objection(case_id: int):
    case = _load(case_id, "case.decide_objection")
    form = ObjectionDecisionForm()
    return answer_form(
        form, lambda: objections.decide(current_user, objections.existing(case),
                                        form.decision.data == objections.UPHELD,
                                        form.reason.data, now=utcnow()),
        again=_again(case, "objection_decision", form), landing=_case_url(case, "objection"),
        done=lambda _result: confirmations.objection_decided(case))


def _load(case_id: int, action: str) -> Case:
    return load(Case, case_id, action)
