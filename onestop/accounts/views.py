"""Sign in (password, then a code when two steps are on) and out, accept an invitation,
manage one's own account."""
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user

from onestop.accounts import addresses, devices, services, sessions, twofactor
from onestop.accounts.forms import (
    ChangePasswordForm,
    CodeForm,
    EmailChangeForm,
    LanguageForm,
    LoginForm,
    SetPasswordForm,
)
from onestop.accounts.throttle import Throttled
from onestop.audit.events import security_event
from onestop.db import utcnow
from onestop.errors import DomainError
from onestop.extensions import db
from onestop.i18n import gettext as _
from onestop.web import back, perform, safe_path

bp = Blueprint("accounts", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        try:
            user = services.authenticate(email, form.password.data, request.remote_addr or "?",
                                         device_token=sessions.device_cookie(), now=utcnow())
        except Throttled as error:
            form.password.errors = [str(error.message)]
            status = 429
            security_event("signin.throttled", email=email, outcome="throttled",
                           retry_after=error.retry_after)
        except services.SignInFailed as error:
            db.session.commit()  # an alert to the owner, when there is one
            form.password.errors = [str(error.message)]
            status = 401
            security_event("signin.failure", email=email, outcome="failure",
                           alerted=bool(error.alert_ids))
        else:
            db.session.commit()
            target = safe_path(request.args.get("next"))
            if user.has_two_factor:
                sessions.begin_second_step(user, target)
                security_event("signin.password_ok", user=user, outcome="code-needed")
                return redirect(url_for("accounts.login_code"), 303)
            return sessions.start(user, target)
    elif request.method == "POST":
        status = 422
    return render_template("accounts/login.html", form=form), status


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    pending = sessions.second_step()
    if pending is None:
        flash(_("The time for the code ran out. Sign in again."), "info")
        return redirect(url_for("accounts.login"), 303)
    user, target = pending
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        try:
            how = twofactor.check_code(user, form.code.data, now=utcnow(), device_id=(
                devices.known_device(sessions.device_cookie(), user)))
        except Throttled as error:
            form.code.errors = [str(error.message)]
            status = 429
            security_event("signin.code_throttled", user=user, outcome="throttled")
        except DomainError as error:
            db.session.commit()
            form.code.errors = [str(error.message)]
            status = 401
            security_event("signin.code_failure", user=user, outcome="failure")
        else:
            db.session.commit()
            response = sessions.start(user, target, how=f"password+{how}")
            if how == "recovery":
                flash(_("You signed in with a recovery code; %(n)d are left. Make new ones on "
                        "your account page if you run low.",
                        n=twofactor.recovery_codes_left(user)), "info")
            return response
    elif request.method == "POST":
        status = 422
    return render_template("accounts/login_code.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    user = current_user._get_current_object()
    services.end_all_sessions(user)
    db.session.commit()
    logout_user()
    session.clear()
    session["locale"] = user.locale  # the sign-in page keeps speaking their language
    security_event("signout", user=user)
    flash(_("You are signed out on every device."), "info")
    return redirect(url_for("accounts.login"), 303)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    try:
        invited = services.user_for_invitation(token)
    except DomainError as error:
        return render_template("error.html", code=404, title=_("Invitation"),
                               message=str(error.message)), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        user = perform(services.accept_invitation, token, form.password.data, form=form)
        if user:
            if current_user.is_authenticated:
                logout_user()
            security_event("invitation.accepted", user=user)
            response = sessions.start(user, None, how="invitation")
            flash(_("Welcome to OneStop. Your password is set."), "success")
            return response
    return render_template("accounts/invitation.html", form=form, invited=invited), (
        422 if request.method == "POST" else 200)


def account_page(*, form: ChangePasswordForm | None = None,
                 email_form: EmailChangeForm | None = None, status: int = 200):
    """The account page, with the form that was posted as it was sent and the others empty."""
    user = current_user._get_current_object()
    return render_template(
        "accounts/account.html", form=form or ChangePasswordForm(formdata=None),
        email_form=email_form or EmailChangeForm(formdata=None),
        language=LanguageForm(locale=user.locale), pending_email=addresses.pending_address(user),
        codes_left=twofactor.recovery_codes_left(user)), status


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    if request.method == "GET":
        return account_page()
    form = ChangePasswordForm()
    status = 422
    if form.validate_on_submit():
        user = current_user._get_current_object()
        outcome = perform(services.change_password, user, form.current_password.data,
                          form.password.data, now=utcnow(), form=form,
                          landing=url_for("accounts.account"))
        if outcome:
            sessions.renew(user)  # this browser stays signed in with the new session version
            security_event("password.changed", user=user)
            flash(_("Password changed. Other sessions were signed out."), "success")
            return redirect(url_for("accounts.account"), 303)
        status = outcome.status
    return account_page(form=form, status=status)


@bp.post("/language")
def set_language():
    locale = request.form.get("locale", "")
    if locale not in ("ko", "en"):
        abort(400)
    session["locale"] = locale
    if current_user.is_authenticated:
        perform(services.set_locale, current_user, locale)
    return back("home.index")
