"""What a write call sends beyond its JSON: a form with files (multipart), read as sent, and
an Idempotency-Key, which makes a retried call act once."""
import hashlib
import json
from typing import NamedTuple

from flask import abort, redirect, request
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.exc import IntegrityError

from onestop.api.problems import problem, validation_problem
from onestop.db import utcnow
from onestop.extensions import db
from onestop.submissions.models import Submission
from onestop.submissions.services import claim_token

REPEATED = {303: {"description": "Sent before with this Idempotency-Key: what it made."}}


class IdempotencyKey(BaseModel):
    idempotency_key: str | None = Field(
        None, alias="Idempotency-Key", min_length=1, max_length=60, pattern=r"^[\x21-\x7e]+$",
        description="A key of yours for this call: sent again with the same body, it acts "
                    "once and answers 303 to what the first one made.")


def multipart_body(model: type[BaseModel]) -> dict:
    """The operation's request body, for openapi_extensions: a form with files that the view
    reads with multipart_form (flask-openapi3 would read each value as JSON first, so that
    "007" became 7 and 5,000 digits a server error)."""
    schema = model.model_json_schema()
    files = [name for name, field in schema["properties"].items() if field.get("type") == "array"]
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {
        "schema": schema, "encoding": {name: {"style": "form", "explode": True}
                                       for name in files}}}}}


def multipart_form(model: type[BaseModel]):
    """The form's fields as sent and its files, validated by the model: 422 field by field,
    and for a field sent twice (which one would be meant?)."""
    data: dict = {}
    for name in request.form:
        values = request.form.getlist(name)
        if len(values) > 1:
            abort(problem(422, "A field is sent more than once.",
                          errors=[{"field": name, "message": "sent more than once"}]))
        data[name] = values[0]
    for name in request.files:
        data[name] = request.files.getlist(name)
    try:
        return model.model_validate(data)
    except ValidationError as error:
        abort(validation_problem(error))


def _digest(upload) -> str:
    """The file's SHA-256, leaving it to be read again from its start."""
    digest = hashlib.sha256(upload.read()).hexdigest()
    upload.seek(0)
    return digest


FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


def fingerprint(leave_out: tuple[str, ...] = ()) -> str:
    """The call's content, however a client encodes it again: JSON with its keys sorted, a
    form's fields (but those left out: a credential) and files whatever its boundary."""
    if request.mimetype in FORMS:
        parts = sorted((name, value) for name, value in request.form.items(multi=True)
                       if name not in leave_out)
        files = sorted((name, upload.filename or "", _digest(upload))
                       for name, upload in request.files.items(multi=True))
        content = json.dumps([parts, files])
    else:
        content = json.dumps(request.get_json(silent=True), sort_keys=True)
    return hashlib.sha256(content.encode()).hexdigest()


class Replay(NamedTuple):
    """A key claimed before: where its first call landed ("" while that one is still being
    answered), and whether this call sent other content with it."""

    landing: str
    other_content: bool


def claim_key(user, key: str, content: str) -> Submission | Replay:
    """Claim an idempotency key of the user's in this transaction, for a call with this
    content (its fingerprint); a Replay when it was claimed before."""
    try:
        submission = claim_token(user, key, now=utcnow())
    except IntegrityError:
        db.session.rollback()
        first = db.session.get(Submission, (user.id, key))
        # A claim from before fingerprints were kept ("") is taken for the same call.
        return Replay(first.landing, bool(first.fingerprint) and first.fingerprint != content)
    submission.fingerprint = content
    return submission


def claim(user, header: IdempotencyKey) -> Submission | None:
    """Claim the call's Idempotency-Key in this transaction (None without one). Sent before
    with the same content, the call ends here with a 303 to where the first one landed;
    with other content, with a 422."""
    if not header.idempotency_key:
        return None
    claimed = claim_key(user, "api:" + header.idempotency_key, fingerprint())
    if isinstance(claimed, Submission):
        return claimed
    if claimed.other_content:
        abort(problem(422, "This Idempotency-Key was sent before with another body.",
                      errors=[{"field": "Idempotency-Key", "message": "used before"}]))
    if not claimed.landing:  # the first call failed after claiming, or is being answered
        abort(problem(409, "A call with this Idempotency-Key is being answered; try "
                           "again in a moment."))
    abort(redirect(claimed.landing, 303))


def landed(submission: Submission | None, url: str) -> None:
    """Where a repeat of this call is sent: what it made."""
    if submission is not None:
        submission.landing = url
