"""One's own two-step sign-in: set it up with an authenticator app, turn it off, make new
recovery codes. Routes of the accounts blueprint."""
from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from onestop.accounts import sessions, twofactor
from onestop.accounts.forms import CodeForm, ConfirmItsYouForm
from onestop.accounts.views import bp
from onestop.audit.events import security_event
from onestop.db import utcnow
from onestop.i18n import gettext as _
from onestop.web import perform

_SETUP_SECRET = "totp_setup"


def _setup_page(form: CodeForm, status: int):
    user = current_user._get_current_object()
    secret = session.get(_SETUP_SECRET)
    if not isinstance(secret, str):
        secret = session[_SETUP_SECRET] = twofactor.new_secret()
    uri = twofactor.provisioning_uri(user, secret)
    return render_template(
        "accounts/two_factor_setup.html", form=form, secret=secret,
        qr=twofactor.qr_svg(uri, _("QR code to scan with your authenticator app")),
        required=twofactor.must_set_up(user)), status


def _codes_page(codes: list[str]):
    return render_template("accounts/recovery_codes.html", codes=codes)


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def two_factor():
    user = current_user._get_current_object()
    if user.has_two_factor:
        return render_template("accounts/two_factor.html", off_form=ConfirmItsYouForm(
            prefix="off"), codes_form=ConfirmItsYouForm(prefix="codes"),
            codes_left=twofactor.recovery_codes_left(user))
    form = CodeForm()
    if not form.validate_on_submit():
        return _setup_page(form, 422 if request.method == "POST" else 200)
    secret = session.get(_SETUP_SECRET)
    if not isinstance(secret, str):
        form.code.errors = [_("The setup started over. Scan the new code and type its code.")]
        return _setup_page(form, 422)
    codes = perform(twofactor.enable_two_factor, user, secret, form.code.data, now=utcnow(),
                    form=form)
    if not codes:
        return _setup_page(form, 422)
    session.pop(_SETUP_SECRET, None)
    security_event("twofactor.enabled", user=user)
    flash(_("Two-step sign-in is on. From now on you sign in with your password and a code "
            "from the app."), "success")
    return _codes_page(codes)


def _confirmed(form: ConfirmItsYouForm) -> bool:
    """The password and a code, asked every time for these two changes."""
    return form.validate_on_submit() and sessions.reauthenticated(form, always=True)


def _status_page(off_form: ConfirmItsYouForm, codes_form: ConfirmItsYouForm):
    return render_template("accounts/two_factor.html", off_form=off_form, codes_form=codes_form,
                           codes_left=twofactor.recovery_codes_left(current_user)), 422


@bp.post("/account/two-factor/off")
@login_required
def two_factor_off():
    user = current_user._get_current_object()
    form = ConfirmItsYouForm(prefix="off")
    if user.has_two_factor and _confirmed(form) and perform(twofactor.turn_off_two_factor,
                                                            user, form=form):
        security_event("twofactor.disabled", user=user)
        flash(_("Two-step sign-in is off. You sign in with your password alone."), "info")
        return redirect(url_for("accounts.account"), 303)
    if not user.has_two_factor:
        return redirect(url_for("accounts.two_factor"), 303)
    return _status_page(form, ConfirmItsYouForm(prefix="codes", formdata=None))


@bp.post("/account/two-factor/codes")
@login_required
def recovery_codes():
    user = current_user._get_current_object()
    form = ConfirmItsYouForm(prefix="codes")
    if not user.has_two_factor:
        return redirect(url_for("accounts.two_factor"), 303)
    if _confirmed(form):
        codes = perform(twofactor.regenerate_recovery_codes, user, form=form)
        if codes:
            security_event("twofactor.recovery_codes_renewed", user=user)
            return _codes_page(codes)
    return _status_page(ConfirmItsYouForm(prefix="off", formdata=None), form)
