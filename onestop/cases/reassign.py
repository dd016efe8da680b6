"""Handing a case to another caseworker (its owner), from the case page."""
from flask_login import current_user, login_required

from onestop.accounts.models import User
from onestop.cases import services
from onestop.cases.models import Case
from onestop.cases.ownership import reassign_form
from onestop.cases.views import _again, _case_url, bp
from onestop.db import utcnow
from onestop.extensions import db
from onestop.i18n import gettext as _
from onestop.web import answer_form, load


@bp.post("/<int:case_id>/reassign")
@login_required
def reassign(case_id: int):
    case = load(Case, case_id, "case.reassign")
    form = reassign_form()

    def hand_over():
        owner = db.session.get(User, form.owner.data)
        services.reassign_case(current_user, case, owner, now=utcnow(), version=form.version.data)
        return owner

    return answer_form(
        form, hand_over, again=_again(case, "reassign", form), landing=_case_url(case),
        done=lambda owner: _("%(ref)s is now %(name)s's to own; they are told.",
                             ref=case.reference, name=owner.name))
