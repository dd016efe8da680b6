"""What an Open311 call sends, read and checked before any service sees it: the list's
filters, a new request's fields, its service_code and its Idempotency-Key."""
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from onestop.api.auth import is_clean
from onestop.catalog.models import RequestType
from onestop.db import parse_id
from onestop.extensions import db
from onestop.i18n import gettext as _
from onestop.open311.documents import Open311Error

# The spec's default window and its cap on one answer ("90 days or first 1000 requests").
WINDOW = timedelta(days=90)
LIMIT = 1000
# The required documents' attribute: upper case, so no form field (lower case) can take it.
DOCUMENTS = "DOCUMENTS"
# The spec's limit on a description; the filing form's on a field's value.
MAX_DESCRIPTION = 4000
MAX_VALUE = 500
# A case's title, made from the description's first line (Open311 has no title).
TITLE_LENGTH = 120
STATUSES = ("open", "closed")
_ATTRIBUTE = re.compile(r"attribute\[([^\[\]]+)\](\[\])?")
# A query string's "+" arrives as a space: "…T09:00:00 09:00" meant "…T09:00:00+09:00".
_SPACED_OFFSET = re.compile(r"(T[0-9:.]+) ([0-9]{2}:?[0-9]{2})$")
_KEY = re.compile(r"[\x21-\x7e]{1,60}")


@dataclass
class ListFilters:
    ids: list[int] | None  # asked by id: every other filter is ignored
    codes: list[str]
    start: datetime | None
    end: datetime | None
    statuses: list[str]


@dataclass
class Filing:
    title: str
    description: str
    form_data: dict[str, str]
    checked_items: list[int]


def _optional(values: MultiDict, name: str) -> str | None:
    """The spec's optional argument: sent empty is not sent."""
    return (values.get(name) or "").strip() or None


def _listed(values: MultiDict, name: str) -> list[str]:
    """An argument that "can be declared multiple times, comma delimited"."""
    return [item.strip() for value in values.getlist(name) for item in value.split(",")
            if item.strip()]


def list_filters(args: MultiDict, *, now: datetime) -> ListFilters:
    """The filters of GET requests, with the spec's defaults: the most recent 90 days, a
    start_date or end_date alone the 90 days from or to it, never a wider span."""
    raw_ids = _listed(args, "service_request_id")
    if raw_ids:
        ids = [parse_id(raw) for raw in raw_ids]
        if None in ids or len(ids) > LIMIT:
            raise Open311Error(400, _("service_request_id: up to %(n)d request ids, separated "
                                      "by commas.", n=LIMIT))
        return ListFilters(ids=list(dict.fromkeys(ids)), codes=[], start=None, end=None,
                           statuses=[])
    statuses = sorted(set(_listed(args, "status")))
    if any(status not in STATUSES for status in statuses):
        raise Open311Error(400, _("status: open or closed, or both separated by a comma."))
    codes = list(dict.fromkeys(_listed(args, "service_code")))
    known = set(db.session.scalars(select(RequestType.code).where(
        RequestType.code.in_(codes)))) if codes else set()
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise Open311Error(404, _("No service has the service_code %(code)s.", code=unknown[0]))
    start, end = _moment(args, "start_date"), _moment(args, "end_date")
    if start and end:
        if end < start:
            raise Open311Error(400, _("end_date comes before start_date."))
        if end - start > WINDOW:
            raise Open311Error(400, _("start_date and end_date may be at most 90 days apart."))
    elif start:
        end = start + WINDOW
    elif end:
        start = end - WINDOW
    else:
        start, end = now - WINDOW, now
    return ListFilters(ids=None, codes=codes, start=start, end=end,
                       statuses=statuses if len(statuses) == 1 else [])


def _moment(args: MultiDict, name: str) -> datetime | None:
    """A date and time with its offset (W3C: 2010-01-01T00:00:00Z, or -08:00)."""
    text = _optional(args, name)
    if text is None:
        return None
    text = _SPACED_OFFSET.sub(r"\1+\2", text)
    try:
        value = datetime.fromisoformat(text) if "T" in text else None
    except ValueError:
        value = None
    if value is None or value.tzinfo is None or not 1900 <= value.year <= 9000:
        raise Open311Error(400, _("%(name)s: a date and time with its offset, like "
                                  "2026-01-31T09:00:00+09:00 or 2026-01-31T00:00:00Z.",
                                  name=name))
    return value


def active_type(code: str | None) -> RequestType:
    """The offered request type of this service_code: 400 without one, 404 for an unknown
    one (or one no longer offered)."""
    code = (code or "").strip()
    if not code:
        raise Open311Error(400, _("service_code: choose a service from services.xml or "
                                  "services.json."))
    request_type = db.session.scalar(select(RequestType).where(
        RequestType.code == code, RequestType.is_active))
    if request_type is None:
        raise Open311Error(404, _("No service has the service_code %(code)s.", code=code))
    return request_type


def filing(request_type: RequestType, form: MultiDict) -> Filing:
    """A new request's fields: the description (a title made of its first line) and the
    service definition's attributes. The spec's location and contact fields are not kept:
    a firm's request concerns its site, and its filer is the api_key's owner."""
    if not is_clean(form.to_dict(flat=False)):
        raise Open311Error(400, _("A field holds a control character."))
    description = (form.get("description") or "").strip()
    if not description:
        raise Open311Error(400, _("description: say what the firm needs."))
    if len(description) > MAX_DESCRIPTION:
        raise Open311Error(400, _("description: at most %(n)d characters.", n=MAX_DESCRIPTION))
    fields = {spec["name"] for spec in request_type.form_fields}
    form_data: dict[str, str] = {}
    checked: list[int] = []
    for key in form:
        found = _ATTRIBUTE.fullmatch(key)
        if found is None:
            continue
        code, values = found.group(1), form.getlist(key)
        if code == DOCUMENTS and request_type.checklist:
            items = [parse_id(value) for value in values]
            if None in items:
                raise Open311Error(400, _("%(name)s: the keys of the documents, from the "
                                          "service definition.", name=key))
            checked += items
        elif code in fields and found.group(2) is None and len(values) == 1:
            if len(values[0]) > MAX_VALUE:
                raise Open311Error(400, _("%(name)s: at most %(n)d characters.", name=key,
                                          n=MAX_VALUE))
            form_data[code] = values[0]
        else:
            raise Open311Error(400, _("%(name)s: this service has no such attribute, or it "
                                      "takes one value.", name=key))
    return Filing(title=title_of(description), description=description, form_data=form_data,
                  checked_items=list(dict.fromkeys(checked)))


def title_of(description: str) -> str:
    """The description's first line, shortened to a title."""
    line = " ".join(description.splitlines()[0].split())
    return line if len(line) <= TITLE_LENGTH else line[:TITLE_LENGTH - 1].rstrip() + "…"


def idempotency_key(headers) -> str | None:
    """The call's Idempotency-Key header (as the JSON API takes it), if it sent one."""
    key = headers.get("Idempotency-Key")
    if key is None:
        return None
    if not _KEY.fullmatch(key):
        raise Open311Error(400, _("Idempotency-Key: 1 to 60 visible ASCII characters."))
    return key


def parameter(field: str | None) -> str | None:
    """The Open311 parameter a service's field error concerns (the filing form's names)."""
    if field and field.startswith("field_"):
        return f"attribute[{field.removeprefix('field_')}]"
    return {"checklist": f"attribute[{DOCUMENTS}]", "request_type": "service_code",
            "title": "description"}.get(field or "", field)
