"""Firms: the desk's list, onboarding, a firm's page and member invitations."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from onestop import exports, policy
from onestop.accounts.models import STAFF_ROLES, Role, User
from onestop.accounts.services import invite_user, reinvite_user
from onestop.cases.models import Case
from onestop.cases.ownership import caseworker_choices
from onestop.commitments.forms import DocumentsForm
from onestop.commitments.pages import commitments_of
from onestop.commitments.services import add_agreement_documents
from onestop.db import parse_id, utcnow
from onestop.deadlines import SEOUL
from onestop.errors import NotFound
from onestop.extensions import db
from onestop.firms.forms import FirmForm, InviteMemberForm, OfficerForm, ResendInvitationForm
from onestop.firms.models import Firm
from onestop.firms.services import onboard_firm, reassign_officer
from onestop.i18n import gettext as _
from onestop.statuses import OPEN_CASE
from onestop.submissions.uploads import FormFiles
from onestop.web import load, perform, refusal_status

bp = Blueprint("firms", __name__, url_prefix="/firms")


def staff_choices() -> list[tuple[int, str]]:
    staff = db.session.scalars(select(User).where(
        User.role.in_(STAFF_ROLES), User.is_enabled).order_by(User.name))
    return [(0, _("— none —"))] + [(u.id, u.name) for u in staff]


def _firms_with_open_counts():
    policy.require(current_user, "firm.onboard")
    open_counts = (select(Case.firm_id, func.count().label("n"))
                   .where(Case.status.in_(OPEN_CASE)).group_by(Case.firm_id).subquery())
    return (select(Firm, func.coalesce(open_counts.c.n, 0))
            .outerjoin(open_counts, open_counts.c.firm_id == Firm.id)
            .where(policy.visible_firms(current_user))
            .options(selectinload(Firm.account_officer)).order_by(Firm.name))


@bp.get("/")
@login_required
def index():
    return render_template("firms/index.html",
                           rows=db.session.execute(_firms_with_open_counts()).all())


@bp.get("/export.<any(csv, xlsx):fmt>")
@login_required
def export(fmt: str):
    query = _firms_with_open_counts()
    header = [_("Firm"), _("Registration no."), _("Industry"), _("Site"), _("Phase"),
              _("Account officer"), _("Open requests")]

    def rows():
        for firm, open_count in db.session.execute(query):
            yield [firm.name, firm.brn_display, firm.industry, firm.site, firm.phase,
                   firm.account_officer.name if firm.account_officer else "", open_count]

    return exports.download(fmt, f"firms-{utcnow().astimezone(SEOUL):%Y%m%d}", header, rows)


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
    return _firm_page(load(Firm, firm_id), InviteMemberForm(formdata=None), None, 200)


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
            flash(_("%(name)s is invited: an email with the link below is on its way to them. "
                    "It works once, for 7 days.", name=user.name), "success")
            form = InviteMemberForm(formdata=None)
    return _firm_page(firm, form, link, 200 if link else refusal_status())


@bp.post("/<int:firm_id>/members/<int:user_id>/invitation")
@login_required
def reinvite(firm_id: int, user_id: int):
    """A new invitation for a member who has not set a password yet (the old link dies)."""
    firm = load(Firm, firm_id)
    policy.require(current_user, "firm.invite", firm)
    member = db.session.get(User, user_id)
    if member is None or member.firm_id != firm.id:
        raise NotFound("not found")
    form = ResendInvitationForm()
    link = None
    if form.validate_on_submit():
        token = perform(reinvite_user, current_user, member, now=utcnow(), form=form,
                        landing=url_for("firms.show", firm_id=firm.id))
        if token:
            link = url_for("accounts.accept_invitation", token=token, _external=True)
            flash(_("A new invitation is on its way to %(email)s; the earlier link no longer "
                    "works.", email=member.email), "success")
    return _firm_page(firm, InviteMemberForm(formdata=None), link,
                      200 if link else refusal_status())


@bp.post("/<int:firm_id>/agreement-documents")
@login_required
def add_documents(firm_id: int):
    """The account officer files the agreement's documents; on a refusal the page comes back
    with the chosen files kept, ticked, for the next try."""
    firm = load(Firm, firm_id, "commitments.file_documents")
    form = DocumentsForm()
    files = FormFiles(form, current_user, now=utcnow())
    landing = url_for("firms.show", firm_id=firm.id, _anchor="agreement")
    if form.validate_on_submit():
        filed = perform(add_agreement_documents, current_user, firm, files.take(),
                        now=utcnow(), form=form, landing=landing)
        if filed:
            flash(_("%(n)d documents filed with %(firm)s's agreement.", n=len(filed),
                    firm=firm.name), "success")
            return redirect(landing, 303)
    files.keep()
    return _firm_page(firm, InviteMemberForm(formdata=None), None, refusal_status(),
                      documents_form=form, kept=files.kept)


@bp.post("/<int:firm_id>/officer")
@login_required
def change_officer(firm_id: int):
    firm = load(Firm, firm_id, "firm.reassign_officer")
    form = OfficerForm()
    form.officer.choices = caseworker_choices()
    landing = url_for("firms.show", firm_id=firm.id)
    if form.validate_on_submit():
        officer = db.session.get(User, form.officer.data)
        if perform(reassign_officer, current_user, firm, officer,
                   expected_id=parse_id(form.shown.data), now=utcnow(), form=form,
                   landing=landing):
            flash(_("%(name)s is now the account officer of %(firm)s.", name=officer.name,
                    firm=firm.name), "success")
            return redirect(landing, 303)
    status = refusal_status()
    if status == 409:  # sent again, it is judged against the officer the page now shows
        form.shown.data = str(firm.account_officer_id or "")
    return _firm_page(firm, InviteMemberForm(formdata=None), None, status, officer_form=form)


def _officer_form(firm: Firm) -> OfficerForm:
    form = OfficerForm(formdata=None, officer=firm.account_officer_id,
                       shown=str(firm.account_officer_id or ""))
    form.officer.choices = caseworker_choices()
    return form


def _firm_page(firm: Firm, form: InviteMemberForm, link: str | None, status: int,
               documents_form: DocumentsForm | None = None, kept=(), officer_form=None):
    members = db.session.scalars(select(User).where(User.firm_id == firm.id)
                                 .order_by(User.name)).all()
    resend_forms = {m.id: ResendInvitationForm(formdata=None)
                    for m in members if not m.password_hash}
    return render_template("firms/show.html", firm=firm, members=members, invite_form=form,
                           invitation_link=link, resend_forms=resend_forms,
                           documents_form=documents_form or DocumentsForm(formdata=None),
                           kept=kept, officer_form=officer_form or _officer_form(firm),
                           **commitments_of(firm)), status
