"""The transaction edge of a page's action: one service call, one commit, a repeat landing
where the first submit did, and where a page may send the user next."""
import unicodedata
from urllib.parse import quote, urlsplit

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from onestop import policy
from onestop.concurrency import CHANGED_MEANWHILE
from onestop.db import parse_id, utcnow
from onestop.errors import DomainError, Invalid, NotAllowed, NotFound, TooManyAttempts
from onestop.extensions import db
from onestop.forms import ONCE_MAX
from onestop.i18n import gettext as _
from onestop.submissions.services import claim_token, first_landing, release_token


class Refused:
    """What perform returns when the service refused: falsy, with the answer's status
    (409 when the object changed or its state does not allow this now, 422 for input)."""

    def __init__(self, status: int) -> None:
        self.status = status

    def __bool__(self) -> bool:
        return False


class AlreadyDone(Exception):
    """A form's one-time token was claimed before: the repeat lands where the first did."""

    def __init__(self, landing: str) -> None:
        super().__init__(landing)
        self.landing = landing


def perform(action, *args, form=None, landing=None, **kwargs):
    """Run one service call as one transaction: commit on success, roll back and report on
    a domain error (on the form field it concerns, else as a flash). Returns the service's
    result (True when it returns nothing), or a falsy Refused.

    A form carrying a one-time token claims it in the same transaction, so a repeated
    submit (double click, parallel posts, back and resubmit) raises AlreadyDone instead of
    acting twice; `landing` (a URL, or a function of the result) is where both land.
    """
    token = getattr(getattr(form, "once", None), "data", None)
    if token is not None and len(token) > ONCE_MAX:  # a button's form is not validated
        flash(_("The form expired or was sent from elsewhere, so it was not sent."), "error")
        return _refused(400)
    try:
        submission = _claim(token) if token else None
        result = action(*args, **kwargs)
        if submission is not None:
            submission.landing = (landing(result) if callable(landing) else landing) or ""
        db.session.commit()
    except (NotFound, NotAllowed):
        db.session.rollback()
        raise
    except DomainError as error:
        db.session.rollback()
        if token:
            # A service that counts an attempt at once (a password check commits its
            # throttle) committed the claim with it; the corrected form must still go through.
            release_token(current_user, token)
            db.session.commit()
        field = form._fields.get(error.field) if form is not None and error.field else None
        if field is not None:
            field.errors = [*field.errors, str(error.message)]
        else:
            flash(str(error.message), "error")
        return _refused(422 if isinstance(error, Invalid)
                        else 429 if isinstance(error, TooManyAttempts) else 409)
    except (StaleDataError, IntegrityError):
        # A version that moved on, or a unique value someone saved a moment earlier.
        db.session.rollback()
        flash(str(CHANGED_MEANWHILE), "error")
        return _refused(409)
    if token:
        _remember_saved(token)
    return result if result is not None else True


SAVED_FORMS_KEPT = 10


def _remember_saved(token: str) -> None:
    """Every page lists the forms this session saved lately (path -> token) so that
    static/forms.js forgets the drafts it kept of them, whenever its next page runs."""
    saved = {k: v for k, v in session.get("saved_forms", {}).items() if k != request.path}
    saved[request.path] = token
    session["saved_forms"] = dict(list(saved.items())[-SAVED_FORMS_KEPT:])


def _refused(status: int) -> Refused:
    g.refused = Refused(status)
    return g.refused


def refusal_status() -> int:
    """The status of the page a form comes back on: 200 when it is shown, the refusal's when
    its service refused it (409 changed or not allowed now, 429 wait), else 422 (input)."""
    if request.method != "POST":
        return 200
    return g.refused.status if "refused" in g else 422


def answer_form(form, call, *, again, landing: str, done):
    """The whole answer to a page's form: when the form is invalid or the service refuses,
    the page again (`again(status)` renders it with the form as sent); else flash `done` (a
    message, or a function of the service's result) and go to `landing`."""
    if not form.validate_on_submit():
        return again(422)
    outcome = perform(call, form=form, landing=landing)
    if not outcome:
        return again(outcome.status)
    flash(str(done(outcome) if callable(done) else done), "success")
    return redirect(landing, 303)


def refused_form_again(form, status: int, *, version, seen: str):
    """A refused form shown again with what was typed. After a 409 it is based on the state
    the page now shows, so that sending it again is judged afresh rather than refused as
    stale for ever."""
    if form is not None and status == 409 and hasattr(form, "version"):
        form.version.data, form.seen.data = str(version), seen
    return form


def changes_since(events, form, status: int) -> list:
    """The history entries a page refused with 409 had not shown (its form's `seen`)."""
    seen = parse_id(getattr(getattr(form, "seen", None), "data", None))
    if status != 409 or seen is None:
        return []
    return [e for e in events if e.id > seen]


def _claim(token: str):
    try:
        return claim_token(current_user, token, now=utcnow())
    except IntegrityError:
        db.session.rollback()
        raise AlreadyDone(first_landing(current_user, token) or url_for("home.index")) from None


def load(model, object_id: int, action: str | None = None):
    """The object if the signed-in user may see it (and do action to it); 404 otherwise."""
    return policy.load(current_user, model, object_id, action)


_PATH_SAFE = "/%:@!$&'()*+,;=-._~"


def safe_path(target: str | None) -> str | None:
    """A same-site path the app's URL map answers to with GET (with its query), or None.

    Control and format characters are dropped first (browsers drop tabs and newlines from
    URLs, so "/\\t/evil.example" would become "//evil.example"); backslashes, schemes, hosts
    and protocol-relative paths are refused; what is left must match a route.
    """
    if not target:
        return None
    target = "".join(c for c in target if unicodedata.category(c)[0] not in "CZ" or c == " ")
    target = target.strip()
    if "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or \
            parts.path.startswith("//"):
        return None
    try:
        current_app.url_map.bind("localhost").match(parts.path, method="GET")
    except HTTPException:  # no route, another method, or a redirect to a canonical URL
        return None
    query = quote(parts.query, safe=_PATH_SAFE + "?")
    return quote(parts.path, safe=_PATH_SAFE) + (f"?{query}" if query else "")


def back(default_endpoint: str, **values):
    """Redirect to the same-site page the user came from, else to the default."""
    parts = urlsplit(request.referrer or "")
    came_from = safe_path(parts.path + (f"?{parts.query}" if parts.query else "")) \
        if parts.netloc in ("", request.host) else None
    return redirect(came_from or url_for(default_endpoint, **values), 303)


def way_back(*, signed_out: bool) -> dict:
    """A link back to the form a refused post came from (its text is kept in the browser by
    static/forms.js), through the sign-in when the session ended, and the files to choose
    again (a refused post's files cannot be kept: it was never read)."""
    parts = urlsplit(request.referrer or "")
    form_page = safe_path(parts.path + (f"?{parts.query}" if parts.query else "")) \
        if parts.netloc in ("", request.host) else None
    if form_page is None:
        return {}
    try:
        files = [f.filename for f in request.files.values() if f.filename]
    except HTTPException:  # the body itself was refused (too large)
        files = []
    return {"continue_url": url_for("accounts.login", next=form_page) if signed_out
            else form_page, "files_again": files}


def sign_in_then_back_to_the_form():
    """The answer to a form posted after its session ended (idle, too old, signed out
    elsewhere): the sign-in, then the form it came from, its text kept in the browser by
    static/forms.js; the files are named, to be chosen again."""
    way = way_back(signed_out=True)
    message = _("Your session ended, so the form was not sent. Sign in again; what you typed "
                "is kept on the form.")
    if way.get("files_again"):
        message += " " + _("Choose these files again when you send the form:") + " " + \
            ", ".join(way["files_again"])
    flash(message, "info")
    return redirect(way.get("continue_url") or url_for("accounts.login"), 303)
