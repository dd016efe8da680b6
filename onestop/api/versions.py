"""ETags and If-Match over the objects' version numbers: the same optimistic concurrency as
the pages' forms (onestop.concurrency), spoken in HTTP."""
import re

from flask import Response, abort, jsonify
from pydantic import BaseModel

from onestop.api.problems import problem

_TAG = re.compile(r'"([0-9]{1,9})"')


def tagged(body: BaseModel, obj) -> Response:
    """The body as JSON, with the object's version as its ETag."""
    response = jsonify(body.model_dump(mode="json"))
    response.headers["ETag"] = f'"{obj.version}"'
    return response


def if_match(sent: str | None, current: int) -> int:
    """The version the client's If-Match names (the current one, when it lists several and
    that among them): 428 when it sent none or `*` (which would overwrite any version), 412
    when it names no version of ours. Strong comparison (RFC 9110): a weak tag matches
    nothing."""
    if sent is None or sent.strip() == "*":
        abort(problem(428, "Send If-Match with the ETag you last read, so that you do not "
                           "overwrite a change you have not seen."))
    named = [int(found.group(1)) for part in sent.split(",")
             if (found := _TAG.fullmatch(part.strip()))]
    if not named:
        abort(problem(412, "If-Match names no current version of this object."))
    return current if current in named else named[0]
