"""Firms: the desk's list, onboarding, a firm's page and member invitations."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from onestop import policy
from onestop.accounts.models import STAFF_ROLES, Role, User
from onestop.accounts.services import invite_user
from onestop.cases.models import Case
from onestop.db import utcnow
from onestop.extensions import db
from onestop.firms.forms import FirmForm, InviteMemberForm
from onestop.firms.models import Firm
from onestop.firms.services import onboard_firm
from onestop.web import load, perform, refusal_status
from onestop.workflow import OPEN_CASE

bp = Blueprint("firms", __name__, url_prefix="/firms")


def staff_choices() -> list[tuple[int, str]]:
    staff = db.session.scalars(select(User).where(
        User.role.in_(STAFF_ROLES), User.is_enabled).order_by(User.name))
    return [(0, _("— none —"))] + [(u.id, u.name) for u in staff]


@bp.get("/")
@login_required
def index():
    policy.require(current_user, "firm.onboard")
    open_counts = (select(Case.firm_id, func.count().label("n"))
                   .where(Case.status.in_(OPEN_CASE)).group_by(Case.firm_id).subquery())
    rows = db.session.execute(
        select(Firm, func.coalesce(open_counts.c.n, 0))
        .outerjoin(open_counts, open_counts.c.firm_id == Firm.id)
        .where(policy.visible_firms(current_user))
        .options(selectinload(Firm.account_officer)).order_by(Firm.name)).all()
    return render_template("firms/index.html", rows=rows)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    policy.require(current_user, "firm.onboard")
    form = FirmForm()
    form.account_officer.choices = staff_choices()
    if form.validate_on_submit():
        firm = perform(onboard_firm, current_user, name=form.name.data, brn=form.brn.data,
                       industry=form.industry.data, site=form.site.data,
                       phase=form.phase.data,
                       account_officer=db.session.get(User, form.account_officer.data or 0),
                       now=utcnow(), form=form,
                       landing=lambda firm: url_for("firms.show", firm_id=firm.id))
        if firm:
            flash(_("%(name)s is onboarded. Invite its members next.", name=firm.name),
                  "success")
            return redirect(url_for("firms.show", firm_id=firm.id), 303)
    return render_template("firms/new.html", form=form), refusal_status()


@bp.route("/<int:firm_id>", methods=["GET"])
@login_required
def show(firm_id: int):
    firm = load(Firm, firm_id)
    members = db.session.scalars(select(User).where(User.firm_id == firm.id)
                                 .order_by(User.name)).all()
    return render_template("firms/show.html", firm=firm, members=members,
                           invite_form=InviteMemberForm(formdata=None), invitation_link=None)


@bp.post("/<int:firm_id>/invite")
@login_required
def invite(firm_id: int):
    firm = load(Firm, firm_id)
    policy.require(current_user, "firm.invite", firm)
    form = InviteMemberForm()
    link = None
    if form.validate_on_submit():
        result = perform(invite_user, current_user, email=form.email.data, name=form.name.data,
                         role=Role.FIRM, firm=firm, locale=form.locale.data, form=form,
                         landing=url_for("firms.show", firm_id=firm.id))
        if result:
            user, token = result
            link = url_for("accounts.accept_invitation", token=token, _external=True)
            flash(_("%(name)s is invited. Send them the link below; it works once, for 7 days.",
                    name=user.name), "success")
            form = InviteMemberForm(formdata=None)
    members = db.session.scalars(select(User).where(User.firm_id == firm.id)
                                 .order_by(User.name)).all()
    status = 200 if link else refusal_status()
    return render_template("firms/show.html", firm=firm, members=members, invite_form=form,
                           invitation_link=link), status
