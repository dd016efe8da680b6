"""Open311 documents: one tree of values, written as JSON (the spec's Spark convention: the
root element dropped, a list as an array) or as XML (ElementTree), and the error body."""
import json
import re
from datetime import datetime
from xml.etree import ElementTree as ET

from flask import Response, request

from onestop.deadlines import SEOUL

CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# The element each list's items are written as in XML.
ITEMS = {"services": "service", "service_requests": "request", "endpoints": "endpoint",
         "formats": "format", "attributes": "attribute", "values": "value", "errors": "error"}
XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'
# What XML 1.0 cannot carry at all, even escaped (the forms refuse most of it already).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class Open311Error(Exception):
    """A refusal, answered with the spec's error body: [{code, description}] with its HTTP
    status (404 for what does not exist, 403 for a missing or refused api_key, 400 for the
    rest, as the spec has it)."""

    def __init__(self, status: int, description: str, *, headers: dict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.headers = headers or {}


def moment(value: datetime | None) -> str | None:
    """A stored moment as the spec writes one: ISO 8601 with its offset (Seoul time)."""
    return value.astimezone(SEOUL).isoformat(timespec="seconds") if value else None


def answer(fmt: str, root: str, value, *, status: int = 200,
           headers: dict | None = None) -> Response:
    """The value as a document of this format; `root` names its XML root element."""
    if fmt == "xml":
        element = _element(root, value)
        ET.indent(element)
        body = XML_DECLARATION + ET.tostring(element, encoding="utf-8")
    else:
        body = json.dumps(value, ensure_ascii=False).encode()
    return Response(body, status=status, content_type=CONTENT_TYPES[fmt], headers=headers)


def _element(tag: str, value) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, dict):
        element.extend(_element(name, item) for name, item in value.items())
    elif isinstance(value, list):
        element.extend(_element(ITEMS[tag], item) for item in value)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:  # None: an empty element, as the spec's examples write null
        element.text = _NOT_XML.sub("", str(value))
    return element


def requested_format() -> str:
    """The format the URL asks for (its .xml or .json), JSON when it names neither."""
    fmt = (request.view_args or {}).get("fmt")
    if fmt in CONTENT_TYPES:
        return fmt
    return "xml" if request.path.endswith(".xml") else "json"


def error_body(status: int, description: str, *, headers: dict | None = None) -> Response:
    """The spec's error document, in the format the URL asked for."""
    return answer(requested_format(), "errors", [{"code": status, "description": description}],
                  status=status, headers={"Cache-Control": "no-store", **(headers or {})})


def http_error(error) -> Response:
    """A werkzeug HTTP error under /open311/ (no such route, a method it does not take, a
    request the guards refused) as the spec's error body, with its headers (a 405's Allow)."""
    from onestop.pages import ERROR_TITLES  # the pages' own words, in the caller's language

    code = error.code or 500
    headers = {key: value for key, value in error.get_headers() if key != "Content-Type"}
    return error_body(code, str(ERROR_TITLES.get(code, error.name)), headers=headers)
