"""The signed-in session at the edge: where sign-in leads, the two lifetimes, the state
between the two steps of a sign-in, re-authentication, and the checks before every request."""
import ipaddress
import time

from flask import Flask, abort, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from onestop.accounts import devices, services, twofactor
from onestop.accounts.models import User
from onestop.audit.events import security_event
from onestop.config import DEV_SECRET_KEY
from onestop.db import utcnow
from onestop.errors import DomainError
from onestop.extensions import db
from onestop.i18n import gettext as _
from onestop.web import sign_in_then_back_to_the_form

SIGNED_IN_AT, SEEN_AT, AUTH_AT, PENDING = "signed_in_at", "seen_at", "auth_at", "second_step"
# The idle clock is written back at most this often, so not every request rewrites the cookie.
SEEN_PRECISION_SECONDS = 30
# Pages a staff member may open before setting up a required second step.
SETUP_ENDPOINTS = {"accounts.two_factor", "accounts.logout", "accounts.set_language", "static"}


def device_cookie() -> str | None:
    return request.cookies.get(current_app.config["DEVICE_COOKIE_NAME"])


def start(user: User, target: str | None, *, how: str = "password"):
    """Sign the user in on this browser: a fresh session, both clocks started, the device
    remembered. Returns the redirect to the page they asked for."""
    device_id = devices.known_device(device_cookie(), user)
    session.clear()
    login_user(user)
    now = time.time()
    session[SIGNED_IN_AT] = session[SEEN_AT] = session[AUTH_AT] = now
    response = redirect(target or url_for("home.index"), 303)
    devices.set_device_cookie(response, devices.device_token(user, device_id))
    security_event("signin.success", user=user, method=how, known_device=bool(device_id))
    return response


def renew(user: User) -> None:
    """The same sign-in under the user's new session version (after a password change)."""
    kept = {k: session[k] for k in (SIGNED_IN_AT, SEEN_AT) if k in session}
    session.clear()
    login_user(user)
    session.update(kept)
    session[AUTH_AT] = time.time()


def begin_second_step(user: User, target: str | None) -> None:
    """Password accepted, code still to come: remembered for a few minutes, signed in not."""
    session.clear()
    session["locale"] = user.locale
    session[PENDING] = {"uid": user.id, "v": user.session_version, "at": time.time(),
                        "next": target}


def second_step() -> tuple[User, str | None] | None:
    """The user waiting for their code and where they were going, or None when expired."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    age = time.time() - float(pending.get("at", 0))
    user = db.session.get(User, pending.get("uid") or 0)
    if (age > current_app.config["TWO_FACTOR_PENDING"].total_seconds() or user is None
            or user.session_version != pending.get("v") or not user.is_enabled):
        session.pop(PENDING, None)
        return None
    return user, pending.get("next")


def reauth_needed() -> bool:
    """Has the signed-in user's last password check grown older than REAUTH_AFTER?"""
    last = session.get(AUTH_AT)
    limit = current_app.config["REAUTH_AFTER"].total_seconds()
    return not isinstance(last, int | float) or time.time() - last > limit


def reauthenticated(form, *, always: bool = False) -> bool:
    """True when no re-authentication is due (unless `always`), or the form's password (and
    code) pass now; otherwise the error goes on the form's field and nothing the user typed
    is lost."""
    if not always and not reauth_needed():
        return True
    user = current_user._get_current_object()
    try:
        services.reauthenticate(user, form.reauth_password.data or "",
                                form.reauth_code.data or "", now=utcnow())
    except DomainError as error:
        db.session.commit()  # the attempt stays counted
        field = form._fields.get(error.field) or form.reauth_password
        field.errors = [*field.errors, str(error.message)]
        security_event("reauth.failure", user=user, outcome="refused")
        return False
    session[AUTH_AT] = time.time()
    security_event("reauth.success", user=user)
    return True


def _loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return False


def register(app: Flask) -> None:
    """The checks before every request (one place): key, lifetimes, required second step."""

    @app.before_request
    def check_session():
        if request.endpoint == "static" or request.blueprint in ("api", "open311"):
            return None  # the APIs sign in by token, per request (onestop/api/auth.py)
        if app.config["SECRET_KEY"] == DEV_SECRET_KEY and not _loopback(request.remote_addr):
            abort(403)  # the development key signs nothing a stranger may hold
        if not current_user.is_authenticated:
            return None
        now = time.time()
        config = app.config
        idle = config["SESSION_IDLE_STAFF" if current_user.is_staff else "SESSION_IDLE_OTHERS"]
        signed_in, seen = session.get(SIGNED_IN_AT), session.get(SEEN_AT)
        if not isinstance(signed_in, int | float) or not isinstance(seen, int | float):
            ended = "no-clock"
        elif now - signed_in > config["SESSION_ABSOLUTE_LIFETIME"].total_seconds():
            ended = "absolute"
        elif now - seen > idle.total_seconds():
            ended = "idle"
        else:
            ended = None
        if ended:
            security_event("session.expired", user=current_user._get_current_object(),
                           outcome=ended)
            logout_user()
            session.clear()
            if request.method == "POST":
                return sign_in_then_back_to_the_form()
            flash(_("Your session ended. Sign in again."), "info")
            return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
        if now - seen >= SEEN_PRECISION_SECONDS:
            session[SEEN_AT] = now
        if request.endpoint not in SETUP_ENDPOINTS and twofactor.must_set_up(current_user):
            flash(_("An admin requires two-step sign-in of staff. Set it up to go on."), "info")
            return redirect(url_for("accounts.two_factor"))
        return None

    app.jinja_env.globals["reauth_needed"] = reauth_needed
