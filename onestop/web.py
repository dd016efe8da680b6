"""The transaction edge of a page's action: one service call, one commit, a repeat landing
where the first submit did, and where a page may send the user next."""
import unicodedata
from urllib.parse import quote, urlsplit

from flask import current_app, flash, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from onestop import policy
from onestop.concurrency import CHANGED_MEANWHILE
from onestop.db import utcnow
from onestop.errors import DomainError, Invalid, NotAllowed, NotFound
from onestop.extensions import db
from onestop.submissions.services import claim_token, first_landing


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
        field = form._fields.get(error.field) if form is not None and error.field else None
        if field is not None:
            field.errors = [*field.errors, str(error.message)]
        else:
            flash(str(error.message), "error")
        return Refused(422 if isinstance(error, Invalid) else 409)
    except (StaleDataError, IntegrityError):
        # A version that moved on, or a unique value someone saved a moment earlier.
        db.session.rollback()
        flash(str(CHANGED_MEANWHILE), "error")
        return Refused(409)
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


def changes_since(events, form, status: int) -> list:
    """The history entries a page refused with 409 had not shown (its form's `seen`)."""
    seen = getattr(getattr(form, "seen", None), "data", None) or ""
    if status != 409 or not seen.isdigit():
        return []
    return [e for e in events if e.id > int(seen)]


def _claim(token: str):
    try:
        return claim_token(current_user, token, now=utcnow())
    except IntegrityError:
        db.session.rollback()
        raise AlreadyDone(first_landing(current_user, token) or url_for("home.index")) from None


def load(model, object_id: int, action: str | None = None):
    """The object if this user may see it (and do action to it); 404 otherwise."""
    obj = db.session.get(model, object_id)
    if obj is None:
        raise NotFound("not found")
    policy.require(current_user, action or policy.VISIBILITY[model], obj)
    return obj


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
