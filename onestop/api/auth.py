"""Who calls the API (the user of a bearer token, within its scope and rate), and what a
request body may hold before any schema reads it."""
import json
import re
from typing import NamedTuple

from flask import g, request

from onestop.accounts import twofactor
from onestop.accounts.access_tokens import user_for_token
from onestop.accounts.models import AccessToken, User
from onestop.api import rate
from onestop.api.problems import problem
from onestop.audit.events import security_event
from onestop.db import in_transactions_again, kept_loaded, statement_by_statement, utcnow
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


class Refusal(NamedTuple):
    """Why a call with a token is refused: its HTTP status, a reason each edge words its own
    way, and the seconds to wait (a rate limit)."""

    status: int
    reason: str  # no_valid_token | two_factor | rate_limited | read_only
    retry_after: int | None = None


def bearer_secret() -> str | None:
    """The secret of the request's `Authorization: Bearer …` header, if it has one."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else None


def admit(secret: str | None, *, writing: bool) -> tuple[tuple[User, AccessToken] | None,
                                                          Refusal | None]:
    """The one gate of a call made with a personal access token (the JSON API's bearer
    token, Open311's api_key): the token's owner and the token when valid, and why the call
    is refused, if it is (no valid token, two-step sign-in to set up first, past the rate,
    a read token writing)."""
    signed_in = user_for_token(secret, now=utcnow()) if secret else None
    if signed_in is None:
        security_event("api.refused", obj=request.path, outcome="no_valid_token")
        return None, Refusal(401, "no_valid_token")
    user, token, staff_rule = signed_in
    found = user, token
    if token in db.session.dirty:  # its last use, written at most once a minute
        with kept_loaded(db.session()):  # the token and its owner are read again below
            db.session.commit()
    if twofactor.must_set_up(user, staff_rule):
        return found, Refusal(403, "two_factor")
    wait = rate.wait_seconds(token.id)
    if wait is not None:
        return found, Refusal(429, "rate_limited", wait)
    if writing and token.scope != "write":
        return found, Refusal(403, "read_only")
    return found, None


def guard(blueprint) -> None:
    @blueprint.before_request
    def authenticate():
        if request.method in READING and bearer_secret():
            statement_by_statement(db.session())
        found, refusal = admit(bearer_secret(), writing=request.method not in READING)
        if found is not None:
            g.api_user, g.api_token = found
        if refusal is None:
            return None if request.method in READING else _refuse_body()
        status, reason, wait = refusal
        if reason == "no_valid_token":
            return problem(status, "Send a valid API token: Authorization: Bearer <token>.",
                           headers={"WWW-Authenticate": 'Bearer realm="onestop"'})
        if reason == "two_factor":
            return problem(status, "Set up two-step sign-in (an admin requires it of staff) "
                                   "before using the API.")
        if reason == "rate_limited":
            return problem(status, f"This token made too many requests; try again in {wait} s.",
                           headers={"Retry-After": str(wait)})
        return problem(status, "This token may only read.", headers={
            "WWW-Authenticate": 'Bearer realm="onestop", error="insufficient_scope"'})

    @blueprint.teardown_request
    def end_reading(_error):
        in_transactions_again(db.session())

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


def is_clean(value) -> bool:
    """No control character (but line breaks and tabs) nor lone surrogate in any text of
    the value, and nested within reason."""
    return _clean(value, MAX_DEPTH)


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
