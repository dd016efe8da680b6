"""One's own API tokens: made (after a recent password check), listed, revoked. Routes of the
accounts blueprint."""
from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from onestop.accounts import access_tokens, sessions
from onestop.accounts.forms import AccessTokenForm, RevokeForm
from onestop.accounts.models import AccessToken
from onestop.accounts.views import bp
from onestop.audit.events import security_event
from onestop.db import utcnow
from onestop.i18n import gettext as _
from onestop.web import load, perform, refusal_status


def _page(form: AccessTokenForm, *, new_secret: str | None = None, status: int = 200):
    now = utcnow()
    tokens = access_tokens.tokens_of(current_user)
    return render_template("accounts/tokens.html", form=form, tokens=tokens,
                           usable={t.id for t in tokens if access_tokens.is_usable(t, now)},
                           new_secret=new_secret, revoke_form=RevokeForm(formdata=None)), status


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
            security_event("token.created", user=current_user._get_current_object(),
                           obj=f"token:{token.id}", outcome=token.scope)
            # The secret is in this answer only (never stored, never in the session cookie);
            # the page is not cached (signed-in pages are no-store).
            return _page(AccessTokenForm(formdata=None), new_secret=secret)
    return _page(form, status=refusal_status())


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    token = load(AccessToken, token_id)
    # Revoking twice is harmless, so no one-time token: each row's button works on its own.
    revoked = perform(access_tokens.revoke_token, current_user, token, now=utcnow())
    if revoked is True:
        security_event("token.revoked", user=current_user._get_current_object(),
                       obj=f"token:{token.id}")
    if revoked:
        flash(_("Token “%(name)s” revoked: it no longer works.", name=token.name), "success")
    return redirect(url_for("accounts.tokens"), 303)
