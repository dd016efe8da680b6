"""ETags and If-Match over the objects' version numbers: the same optimistic concurrency as
the pages' forms (onestop.concurrency), spoken in HTTP."""
import re

from flask import abort

from onestop.api.problems import problem

_TAG = re.compile(r'\s*(?:W/)?"(\d{1,9})"\s*')


def etag(obj) -> str:
    return f'"{obj.version}"'


def if_match(sent: str | None) -> int:
    """The version the client's If-Match names: 428 when it sent none or `*` (which would
    overwrite any version), 412 when it names none of ours."""
    if sent is None or sent.strip() == "*":
        abort(problem(428, "Send If-Match with the ETag you last read, so that you do not "
                           "overwrite a change you have not seen."))
    found = _TAG.fullmatch(sent)
    if found is None:
        abort(problem(412, "If-Match names no current version of this object."))
    return int(found.group(1))
