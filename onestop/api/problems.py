"""Errors as application/problem+json (RFC 9457): one shape for every refusal of the API,
with the fields at fault for a validation error."""
from flask import Response
from pydantic import BaseModel, Field
from werkzeug.http import HTTP_STATUS_CODES

PROBLEM_TYPE = "application/problem+json"


class FieldError(BaseModel):
    field: str = Field(description="The field at fault, dotted for nested ones.")
    message: str


class Problem(BaseModel):
    type: str = Field("about:blank", description="A URI naming the kind of problem.")
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] | None = Field(None, description="Validation errors, field by field.")


_CONTENT = {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
PROBLEM_RESPONSES = {code: {"description": HTTP_STATUS_CODES[code], "content": _CONTENT}
                     # 405: an id past the database's range matches no route of its method
                     for code in (400, 401, 403, 404, 405, 422, 429)}
WRITE_RESPONSES = {code: {"description": HTTP_STATUS_CODES[code], "content": _CONTENT}
                   for code in (409, 412, 428)}
CONFLICT_RESPONSE = {409: WRITE_RESPONSES[409]}


def component_schemas() -> dict:
    """The problem's JSON Schema and the schemas it refers to, for the OpenAPI components."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    return {"Problem": schema, **schema.pop("$defs", {})}


def problem(status: int, detail: str | None = None, *, errors: list[dict] | None = None,
            headers: dict | None = None) -> Response:
    body = Problem(title=HTTP_STATUS_CODES.get(status, "Error"), status=status, detail=detail,
                   errors=errors)
    return Response(body.model_dump_json(exclude_none=True), status=status,
                    mimetype=PROBLEM_TYPE, headers=headers)


def http_problem(error) -> Response:
    """A werkzeug HTTP error as a problem, with its headers (a 405's Allow)."""
    if error.response is not None:  # abort(problem(...))
        return error.response
    headers = {key: value for key, value in error.get_headers() if key != "Content-Type"}
    return problem(error.code or 500, error.description, headers=headers)


def validation_problem(error) -> Response:
    """flask-openapi3's callback for a request its models refuse: 422, field by field."""
    return problem(422, "The request does not match the schema.", errors=[
        {"field": ".".join(str(part) for part in item["loc"]) or "body", "message": item["msg"]}
        for item in error.errors()])


def register_handlers(blueprint) -> None:
    """Every refusal inside the API as a problem; the pages keep their own error pages."""
    from flask import current_app
    from sqlalchemy.exc import IntegrityError
    from sqlalchemy.orm.exc import StaleDataError
    from werkzeug.exceptions import HTTPException

    from onestop.errors import (
        Conflict,
        Invalid,
        InvalidTransition,
        NotAllowed,
        NotFound,
        StaleVersion,
        TooManyAttempts,
    )
    from onestop.extensions import db
    from onestop.lists import BadCursor

    statuses = [(NotFound, 404), (NotAllowed, 403), (StaleVersion, 412), (Invalid, 422),
                (InvalidTransition, 409), (Conflict, 409), (TooManyAttempts, 429)]

    blueprint.register_error_handler(HTTPException, http_problem)

    def domain_error(error):
        db.session.rollback()
        status = next(code for kind, code in statuses if isinstance(error, kind))
        if status == 404:
            return problem(404, "No such object, or not yours to see.")
        field = getattr(error, "field", None)
        errors = [{"field": field, "message": str(error.message)}] if status == 422 and field \
            else None
        return problem(status, str(error.message), errors=errors)

    for kind, _status in statuses:
        blueprint.register_error_handler(kind, domain_error)

    @blueprint.errorhandler(StaleDataError)
    def raced(error):
        db.session.rollback()
        return problem(412, "Someone changed this meanwhile; fetch it again.")

    @blueprint.errorhandler(IntegrityError)
    def taken(error):
        db.session.rollback()
        return problem(409, "Someone saved the same thing a moment earlier; fetch it again.")

    @blueprint.errorhandler(BadCursor)
    def bad_cursor(error):
        return problem(400, "This cursor is not one this list gave.",
                       errors=[{"field": "cursor", "message": "unknown cursor"}])

    @blueprint.errorhandler(Exception)
    def server_error(error):
        db.session.rollback()
        current_app.logger.exception("unhandled error in the API")
        return problem(500)
