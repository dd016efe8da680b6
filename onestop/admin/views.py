"""Admin pages: users, organizations, request types, extra non-working days, sign-in
security."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from onestop import policy
from onestop.accounts import twofactor
from onestop.accounts.labels import ROLE_LABELS
from onestop.accounts.models import STAFF_ROLES, User
from onestop.accounts.services import invite_user, reinvite_user
from onestop.accounts.sessions import reauthenticated
from onestop.admin import services
from onestop.admin.forms import (
    HolidayForm,
    NewUserForm,
    OrganizationForm,
    ReinviteForm,
    RequestTypeForm,
    ResetTwoFactorForm,
    SecuritySettingsForm,
    UserForm,
)
from onestop.audit.events import security_event
from onestop.cases import calendar_changes
from onestop.catalog.models import RequestType
from onestop.db import utcnow
from onestop.errors import NotFound
from onestop.extensions import db
from onestop.firms.models import Firm
from onestop.i18n import gettext as _
from onestop.orgs.models import Organization
from onestop.web import perform, refusal_status
from onestop.workdays.models import ExtraHoliday

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def admins_only():
    policy.require(current_user, "admin.manage")


def _get(model, object_id: int):
    obj = db.session.get(model, object_id)
    if obj is None:
        raise NotFound("not found")
    return obj


def _user_choices(form: UserForm) -> None:
    none = [(0, _("— none —"))]
    form.organization.choices = none + [(o.id, o.name) for o in db.session.scalars(
        select(Organization).order_by(Organization.name))]
    form.firm.choices = none + [(f.id, f.name) for f in db.session.scalars(
        select(Firm).order_by(Firm.name))]


@bp.get("/users")
def users():
    rows = db.session.scalars(select(User).options(
        selectinload(User.firm), selectinload(User.organization))
        .order_by(User.role, User.name)).all()
    return render_template("admin/users.html", users=rows, role_labels=ROLE_LABELS)


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = NewUserForm()
    _user_choices(form)
    if form.validate_on_submit() and reauthenticated(form):
        result = perform(invite_user, current_user, email=form.email.data, name=form.name.data,
                         role=form.role.data, firm=db.session.get(Firm, form.firm.data or 0),
                         organization=db.session.get(Organization, form.organization.data or 0),
                         locale=form.locale.data, now=utcnow(), form=form,
                         landing=url_for("admin.users"))
        if result:
            user, token = result
            return render_template("admin/invited.html", user=user, link=url_for(
                "accounts.accept_invitation", token=token, _external=True))
    return render_template("admin/user_form.html", form=form, user=None), refusal_status()


def _user_page(user: User, form: UserForm | None = None, *, reinvite: ReinviteForm | None = None,
               reset: ResetTwoFactorForm | None = None):
    """The edit page; the forms not posted are shown empty."""
    if form is None:
        form = UserForm(obj=user, formdata=None)
        form.organization.data = user.organization_id or 0
        form.firm.data = user.firm_id or 0
    _user_choices(form)
    return render_template("admin/user_form.html", form=form, user=user,
                           reinvite_form=reinvite or ReinviteForm(prefix="reinvite", formdata=None),
                           reset_form=reset or ResetTwoFactorForm(prefix="reset", formdata=None))


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):
    user = _get(User, user_id)
    if request.method == "GET":
        return _user_page(user)
    form = UserForm()
    _user_choices(form)
    if form.validate_on_submit() and reauthenticated(form):
        if perform(services.update_user, current_user, user, name=form.name.data,
                   role=form.role.data, is_enabled=form.is_enabled.data,
                   organization=db.session.get(Organization, form.organization.data or 0),
                   firm=db.session.get(Firm, form.firm.data or 0), now=utcnow(), form=form,
                   landing=url_for("admin.users")):
            flash(_("%(name)s's account is saved.", name=user.name), "success")
            return redirect(url_for("admin.users"), 303)
    return _user_page(user, form), refusal_status()


@bp.post("/users/<int:user_id>/invitation")
def reinvite(user_id: int):
    user = _get(User, user_id)
    form = ReinviteForm(prefix="reinvite")
    if form.validate_on_submit() and reauthenticated(form):
        token = perform(reinvite_user, current_user, user, now=utcnow(), form=form,
                        landing=url_for("admin.edit_user", user_id=user.id))
        if token:
            return render_template("admin/invited.html", user=user, link=url_for(
                "accounts.accept_invitation", token=token, _external=True))
    return _user_page(user, reinvite=form), refusal_status()


@bp.post("/users/<int:user_id>/two-factor/reset")
def reset_two_factor(user_id: int):
    user = _get(User, user_id)
    form = ResetTwoFactorForm(prefix="reset")
    if form.validate_on_submit() and reauthenticated(form):
        if perform(twofactor.reset_two_factor, current_user, user, now=utcnow()):
            security_event("twofactor.reset", user=current_user, obj=f"user:{user.id}")
            flash(_("Two-step sign-in of %(name)s is off. They sign in with their password and "
                    "can set it up again.", name=user.name), "success")
            return redirect(url_for("admin.edit_user", user_id=user.id), 303)
    return _user_page(user, reset=form), refusal_status()


@bp.route("/security", methods=["GET", "POST"])
def security():
    form = SecuritySettingsForm(staff_two_factor=twofactor.staff_must_use_two_factor())
    if form.validate_on_submit() and reauthenticated(form):
        if perform(twofactor.set_staff_two_factor, current_user, form.staff_two_factor.data,
                   now=utcnow(), form=form):
            flash(_("Two-step sign-in is now required of every staff account.")
                  if form.staff_two_factor.data
                  else _("Two-step sign-in is now each staff member's own choice."), "success")
            return redirect(url_for("admin.security"), 303)
    staff_without = db.session.scalars(select(User).where(
        User.role.in_(STAFF_ROLES), User.is_enabled, User.totp_enabled_at.is_(None))
        .order_by(User.name)).all()
    with_two_factor = db.session.scalar(select(func.count(User.id)).where(
        User.totp_enabled_at.is_not(None))) or 0
    return render_template("admin/security.html", form=form, staff_without=staff_without,
                           with_two_factor=with_two_factor), refusal_status()


@bp.get("/organizations")
def organizations():
    rows = db.session.scalars(select(Organization).order_by(Organization.kind,
                                                            Organization.name)).all()
    return render_template("admin/organizations.html", organizations=rows)


@bp.route("/organizations/new", methods=["GET", "POST"], defaults={"org_id": None})
@bp.route("/organizations/<int:org_id>", methods=["GET", "POST"])
def edit_organization(org_id: int | None):
    org = _get(Organization, org_id) if org_id else None
    form = OrganizationForm(obj=org)
    if form.validate_on_submit():
        if perform(services.save_organization, current_user, org, name=form.name.data,
                   name_en=form.name_en.data or "", kind=form.kind.data,
                   is_active=form.is_active.data, now=utcnow(), form=form,
                   landing=url_for("admin.organizations")):
            flash(_("%(name)s is saved.", name=form.name.data.strip()), "success")
            return redirect(url_for("admin.organizations"), 303)
    return render_template("admin/organization_form.html", form=form, org=org), refusal_status()


@bp.get("/request-types")
def request_types():
    rows = db.session.scalars(select(RequestType).options(
        selectinload(RequestType.default_partners))
        .order_by(RequestType.category, RequestType.name)).all()
    return render_template("admin/request_types.html", request_types=rows)


@bp.route("/request-types/new", methods=["GET", "POST"], defaults={"type_id": None})
@bp.route("/request-types/<int:type_id>", methods=["GET", "POST"])
def edit_request_type(type_id: int | None):
    request_type = _get(RequestType, type_id) if type_id else None
    form = RequestTypeForm()
    if request.method == "GET" and request_type:
        # Field by field: the model's checklist and form fields are lists, the form's text.
        form = RequestTypeForm(
            code=request_type.code, name=request_type.name, name_en=request_type.name_en,
            category=request_type.category, period=request_type.period,
            is_active=request_type.is_active,
            supplement_period=request_type.supplement_period,
            progress_notice_period=request_type.progress_notice_period,
            deems_permits=request_type.deems_permits,
            consultation_period=request_type.consultation_period,
            objection_days=request_type.objection_days,
            objection_period=request_type.objection_period,
            partners=[p.id for p in request_type.default_partners],
            checklist="\n".join(f"{i['ko']} | {i['en']}" for i in request_type.checklist),
            form_fields=services.form_fields_text(request_type.form_fields))
    partners = db.session.scalars(select(Organization).where(
        Organization.kind != "city_desk").order_by(Organization.name)).all()
    form.partners.choices = [(o.id, o.name) for o in partners]
    if form.validate_on_submit():
        chosen = [o for o in partners if o.id in set(form.partners.data or [])]
        if perform(services.save_request_type, current_user, request_type,
                   code=form.code.data, name=form.name.data, name_en=form.name_en.data or "",
                   category=form.category.data, period=form.period.data,
                   checklist=form.checklist.data or "", form_fields=form.form_fields.data or "",
                   partners=chosen, is_active=form.is_active.data,
                   law={name: form[name].data for name in
                        (*services.LAW_PERIODS, *services.LAW_FLAGS, *services.LAW_DAYS)},
                   now=utcnow(), form=form,
                   landing=url_for("admin.request_types")):
            flash(_("%(name)s is saved. New requests follow it; requests filed before keep "
                    "their checklist.", name=form.name.data.strip()), "success")
            return redirect(url_for("admin.request_types"), 303)
    return render_template("admin/request_type_form.html", form=form,
                           request_type=request_type), refusal_status()


@bp.route("/holidays", methods=["GET", "POST"])
def holidays():
    form = HolidayForm()
    if form.validate_on_submit():
        saved = perform(calendar_changes.add_day, current_user, form.day.data, form.name.data,
                        working=form.working.data, now=utcnow(), form=form,
                        landing=url_for("admin.holidays"))
        if saved:
            flash(_("%(day)s (%(name)s) is saved. %(n)d running due dates were recomputed and "
                    "their holders told.", day=form.day.data.isoformat(),
                    name=form.name.data.strip(), n=saved[1]), "success")
            return redirect(url_for("admin.holidays"), 303)
    rows = db.session.scalars(select(ExtraHoliday).order_by(ExtraHoliday.day.desc())).all()
    return render_template("admin/holidays.html", form=form, holidays=rows), refusal_status()


@bp.post("/holidays/<int:holiday_id>/delete")
def delete_holiday(holiday_id: int):
    holiday = _get(ExtraHoliday, holiday_id)
    day, name = holiday.day.isoformat(), holiday.name
    removed = perform(calendar_changes.remove_day, current_user, holiday, now=utcnow())
    if removed:
        flash(_("%(day)s (%(name)s) is removed. %(n)d running due dates were recomputed and "
                "their holders told.", day=day, name=name, n=removed[1]), "success")
    return redirect(url_for("admin.holidays"), 303)
