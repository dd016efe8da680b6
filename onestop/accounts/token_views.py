"""One's own API tokens: made (after a recent password check), listed, revoked. Routes of the
accounts blueprint."""
from flask import flash, redirect, render_template, session, url_for
from flask_login import current_user, login_required

from onestop.accounts import access_tokens, sessions
from onestop.accounts.forms import AccessTokenForm, RevokeForm
from onestop.accounts.models import AccessToken
from onestop.accounts.views import bp
from onestop.audit.events import security_event
from onestop.db import utcnow
from onestop.i18n import gettext as _
from onestop.web import load, perform, refusal_status

# The new secret rides to the page after the redirect once, then is gone for good.
_NEW_SECRET = "new_api_token"


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    form = AccessTokenForm()
    if form.validate_on_submit() and sessions.reauthenticated(form):
        made = perform(access_tokens.create_token, current_user, form.name.data, form.scope.data,
                       int(form.days.data), now=utcnow(), form=form,
                       landing=url_for("accounts.tokens"))
        if made:
            token, secret = made
            session[_NEW_SECRET] = secret
            security_event("token.created", user=current_user._get_current_object(),
                           obj=f"token:{token.id}", outcome=token.scope)
            return redirect(url_for("accounts.tokens"), 303)
    return render_template("accounts/tokens.html", form=form,
                           tokens=access_tokens.tokens_of(current_user), now=utcnow(),
                           new_secret=session.pop(_NEW_SECRET, None),
                           revoke_form=RevokeForm(formdata=None)), refusal_status()


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    token = load(AccessToken, token_id)
    if perform(access_tokens.revoke_token, current_user, token, now=utcnow(), form=RevokeForm(),
               landing=url_for("accounts.tokens")):
        security_event("token.revoked", user=current_user._get_current_object(),
                       obj=f"token:{token.id}")
        flash(_("Token “%(name)s” revoked: it no longer works.", name=token.name), "success")
    return redirect(url_for("accounts.tokens"), 303)
