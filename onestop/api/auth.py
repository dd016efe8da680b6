"""Who calls the API: the user of a bearer token, within its scope."""
from flask import g, request

from onestop.accounts.access_tokens import user_for_token
from onestop.api import rate
from onestop.api.problems import problem
from onestop.audit.events import security_event
from onestop.db import utcnow
from onestop.extensions import db

READING = {"GET", "HEAD", "OPTIONS"}


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
        db.session.commit()  # the token's last use, written at most once a minute
        wait = rate.wait_seconds(g.api_token.id)
        if wait is not None:
            return problem(429, f"This token made too many requests; try again in {wait} s.",
                           headers={"Retry-After": str(wait)})
        if request.method not in READING and g.api_token.scope != "write":
            return problem(403, "This token may only read.", headers={
                "WWW-Authenticate": 'Bearer realm="onestop", error="insufficient_scope"'})
        return None
