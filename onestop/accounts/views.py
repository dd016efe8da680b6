"""Sign in and out, accept an invitation, manage one's own account."""
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from onestop.accounts import services
from onestop.accounts.forms import ChangePasswordForm, LanguageForm, LoginForm, SetPasswordForm
from onestop.db import utcnow
from onestop.errors import DomainError, NotAllowed
from onestop.extensions import db
from onestop.notifications.forms import EmailPreferencesForm
from onestop.notifications.models import RuleKind
from onestop.web import back, perform

bp = Blueprint("accounts", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data,
                                         request.remote_addr or "?", now=utcnow())
        except DomainError as error:
            db.session.commit()  # the failure is counted even though sign-in failed
            form.password.errors = [str(error.message)]
            status = 429 if isinstance(error, NotAllowed) else 401
        else:
            db.session.commit()
            session.clear()
            login_user(user)
            return redirect(_safe_next() or url_for("home.index"), 303)
    elif request.method == "POST":
        status = 422
    return render_template("accounts/login.html", form=form), status


def _safe_next() -> str | None:
    target = request.args.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else None


@bp.post("/logout")
@login_required
def logout():
    services.end_all_sessions(current_user)
    db.session.commit()
    logout_user()
    session.clear()
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
            session.clear()
            login_user(user)
            flash(_("Welcome to OneStop. Your password is set."), "success")
            return redirect(url_for("home.index"), 303)
    return render_template("accounts/invitation.html", form=form, invited=invited), (
        422 if request.method == "POST" else 200)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = ChangePasswordForm()
    language = LanguageForm(locale=current_user.locale)
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if perform(services.change_password, user, form.current_password.data,
                   form.password.data, form=form):
            session.clear()
            login_user(user)  # this browser stays signed in with the new session version
            flash(_("Password changed. Other sessions were signed out."), "success")
            return redirect(url_for("accounts.account"), 303)
    email_form = EmailPreferencesForm(emailed_kinds=[
        k.value for k in RuleKind if k not in (current_user.email_muted_kinds or [])])
    return render_template("accounts/account.html", form=form, language=language,
                           email_form=email_form), (
        422 if request.method == "POST" else 200)


@bp.post("/language")
def set_language():
    locale = request.form.get("locale", "")
    if locale not in ("ko", "en"):
        abort(400)
    session["locale"] = locale
    if current_user.is_authenticated:
        perform(services.set_locale, current_user, locale)
    return back("home.index")
