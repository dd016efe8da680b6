"""Accounts by email: "forgot password" and the link it sends, changing one's email address
and the link that confirms it. Routes of the accounts blueprint."""
from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user

from onestop.accounts import addresses, resets
from onestop.accounts.forms import (
    ConfirmForm,
    EmailChangeForm,
    ForgotPasswordForm,
    SetPasswordForm,
)
from onestop.accounts.throttle import Throttled
from onestop.accounts.views import account_page, bp
from onestop.audit.events import security_event
from onestop.db import utcnow
from onestop.errors import DomainError
from onestop.i18n import gettext as _
from onestop.jobs import PASSWORD_RESET, enqueue
from onestop.web import perform


def _link_problem(message: str, *, next_url: str, next_label: str):
    return render_template("error.html", code=404, title=_("This link cannot be used"),
                           message=message, next_url=next_url, next_label=next_label), 404


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.account"))
    form = ForgotPasswordForm()
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        typed = resets.normalized_email(form.email.data)
        try:
            email = resets.ask_for_reset(typed, request.remote_addr or "?", now=utcnow())
            enqueue(PASSWORD_RESET, email, form.once.data)
        except Throttled as error:
            form.email.errors = [str(error.message)]
            status = 429
            security_event("password.reset_throttled", email=typed, outcome="throttled",
                           retry_after=error.retry_after)
        except Exception:  # noqa: BLE001 - any broker failure; the same answer for everyone
            current_app.logger.warning("broker unreachable; a password reset was not passed on",
                                       exc_info=True)
            flash(_("The request could not be passed on just now. Try again in a minute."),
                  "error")
            status = 503
        else:
            security_event("password.reset_asked", email=email)
            flash(_("If an account uses %(email)s, a link to set a new password is on its way "
                    "to it. The link works for one hour. Nothing came? Look in the spam folder, "
                    "or ask the one-stop desk.", email=email), "info")
            return redirect(url_for("accounts.login"), 303)
    return render_template("accounts/forgot_password.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        user = resets.user_for_reset(token)
    except resets.LinkRefused as error:
        security_event("password.reset_refused", outcome=error.reason)
        return _link_problem(str(error.message), next_url=url_for("accounts.forgot_password"),
                             next_label=_("Ask for a new link"))
    # The page speaks the language of the email, unless this browser chose another.
    session.setdefault("locale", user.locale)
    form = SetPasswordForm()
    if form.validate_on_submit():
        if perform(resets.reset_password, token, form.password.data, form=form):
            if current_user.is_authenticated:
                logout_user()
            session.clear()
            session["locale"] = user.locale
            security_event("password.reset", user=user)
            flash(_("Your new password is set, and every session of the account has ended. "
                    "Sign in with the new password."), "success")
            return redirect(url_for("accounts.login"), 303)
    return render_template("accounts/reset_password.html", form=form, user=user), (
        422 if request.method == "POST" else 200)


@bp.post("/account/email")
@login_required
def change_email():
    user = current_user._get_current_object()
    form = EmailChangeForm()
    status = 422
    if form.validate_on_submit():
        address = perform(addresses.request_email_change, user, form.new_email.data,
                          form.reauth_password.data, form.reauth_code.data or "", now=utcnow(),
                          form=form, landing=url_for("accounts.account"))
        if address:
            flash(_("A confirmation link is on its way to %(email)s. Your address changes when "
                    "you open it (within 24 hours); until then you sign in with %(old)s.",
                    email=address, old=user.email), "success")
            return redirect(url_for("accounts.account"), 303)
        status = address.status
        security_event("email.change_refused", user=user, outcome=str(status))
    return account_page(email_form=form, status=status)


@bp.route("/account/email/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    done = url_for("accounts.account" if current_user.is_authenticated else "accounts.login")
    try:
        user, address = addresses.change_for(token)
    except addresses.AlreadyChanged as error:
        flash(str(error.message), "info")
        return redirect(done, 303)
    except DomainError as error:
        security_event("email.change_refused", outcome="link")
        return _link_problem(str(error.message), next_url=url_for("accounts.account"),
                             next_label=_("Your account"))
    session.setdefault("locale", user.locale)
    form = ConfirmForm()
    status = 200
    if form.validate_on_submit():
        outcome = perform(addresses.confirm_email_change, token, now=utcnow(), form=form)
        if outcome:
            flash(_("Your account's address is now %(email)s. Sign in with it from now on.",
                    email=address), "success")
            return redirect(done, 303)
        status = outcome.status
    elif request.method == "POST":
        status = 422
    return render_template("accounts/confirm_email.html", form=form, user=user,
                           address=address), status
