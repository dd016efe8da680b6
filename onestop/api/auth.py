"""Who calls the API (the user of a bearer token, within its scope and rate), and what a
request body may hold before any schema reads it."""
import json
import re

from flask import g, request

from onestop.accounts import twofactor
from onestop.accounts.access_tokens import user_for_token
from onestop.api import rate
from onestop.api.problems import problem
from onestop.audit.events import security_event
from onestop.db import kept_loaded, utcnow
from onestop.extensions import db
from onestop.forms import CONTROL_IN_TEXT

READING = {"GET", "HEAD", "OPTIONS"}
MAX_BODY_BYTES = 64 * 1024
MAX_DEPTH = 20
# Half of a UTF-16 pair, which JSON's \u escapes can carry alone and no database can store.
SURROGATE = re.compile("[\ud800-\udfff]")


def caller():
    """The user the current API request speaks for."""
    return g.api_user


def guard(blueprint) -> None:
    @blueprint.before_request
    def authenticate():
        scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
        found = user_for_token(secret.strip(), now=utcnow()) if scheme.lower() == "bearer" \
            else None
        if found is None:
            security_event("api.refused", obj=request.path, outcome="no_valid_token")
            return problem(401, "Send a valid API token: Authorization: Bearer <token>.",
                           headers={"WWW-Authenticate": 'Bearer realm="onestop"'})
        g.api_user, g.api_token = found
        if g.api_token in db.session.dirty:  # its last use, written at most once a minute
            with kept_loaded(db.session()):  # the token and its owner are read again below
                db.session.commit()
        if twofactor.must_set_up(g.api_user):
            return problem(403, "Set up two-step sign-in (an admin requires it of staff) "
                                "before using the API.")
        wait = rate.wait_seconds(g.api_token.id)
        if wait is not None:
            return problem(429, f"This token made too many requests; try again in {wait} s.",
                           headers={"Retry-After": str(wait)})
        if request.method in READING:
            return None
        if g.api_token.scope != "write":
            return problem(403, "This token may only read.", headers={
                "WWW-Authenticate": 'Bearer realm="onestop", error="insufficient_scope"'})
        return _refuse_body()

    @blueprint.after_request
    def not_cached(response):
        response.headers.setdefault("Cache-Control", "no-store")
        return response


def _refuse_body():
    """A problem for a body no model should see: too large, not JSON (or a form with files),
    nested past reason, or holding a control character or a lone surrogate, which no column
    could store faithfully."""
    if request.mimetype == "multipart/form-data":  # files: storage checks them
        return None if _clean(request.form.to_dict(flat=False), MAX_DEPTH) else \
            problem(400, "A form field holds a control character.")
    # The page guards have read the body already (within MAX_CONTENT_LENGTH): measure it.
    raw = request.get_data()
    if not raw:
        return None
    if len(raw) > MAX_BODY_BYTES:
        return problem(413, f"A body holds at most {MAX_BODY_BYTES // 1024} KB.")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        return problem(400, "The body is not JSON.")
    if not _clean(body, MAX_DEPTH):
        return problem(400, "The body nests too deep or holds a control character.")
    return None


def _clean(value, depth: int) -> bool:
    if depth < 0:
        return False
    if isinstance(value, str):
        return not CONTROL_IN_TEXT.search(value) and not SURROGATE.search(value)
    if isinstance(value, dict):
        return all(_clean(k, depth - 1) and _clean(v, depth - 1) for k, v in value.items())
    if isinstance(value, list):
        return all(_clean(item, depth - 1) for item in value)
    return True
