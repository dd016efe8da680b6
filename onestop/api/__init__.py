"""The JSON API at /api/v1: the same services and the same policy as the pages, spoken in
JSON, with bearer tokens, cursor pages, ETags and RFC 9457 problems."""
from flask_openapi3 import APIBlueprint, Schema

from onestop.api import problems
from onestop.extensions import csrf

api = APIBlueprint("api", __name__, url_prefix="/api/v1", abp_security=[{"bearer": []}],
                   abp_responses=problems.PROBLEM_RESPONSES,
                   # The view's name: what links and clients call an operation.
                   operation_id_callback=lambda name, path, method: name)
csrf.exempt(api)  # a bearer token is not sent by a browser on its own, as a cookie is
problems.register_handlers(api)

from onestop.api import (  # noqa: E402, F401 - their routes join `api`
    attachments,
    auth,
    cases,
    catalog,
    comments,
    docs,
    firms,
    notifications,
    tasks,
)

auth.guard(api)


def register(app) -> None:
    app.register_api(api)
    app.components_schemas.update({name: Schema(**schema) for name, schema in
                                   problems.component_schemas().items()})
    app.register_blueprint(docs.bp)
