"""OneStop in Open311's words: a request type is a service (its form fields and its
required documents the service definition's attributes), a case is a service request."""
from flask import current_app, url_for
from flask_babel import get_locale
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from onestop import policy
from onestop.audit.models import AuditEntry
from onestop.cases.models import Case
from onestop.catalog.fields import field_label, unit_label
from onestop.catalog.labels import CATEGORY_LABELS
from onestop.catalog.models import RequestType
from onestop.extensions import db
from onestop.i18n import gettext as _
from onestop.open311.documents import moment
from onestop.open311.params import DOCUMENTS, LIMIT, MAX_DESCRIPTION, ListFilters
from onestop.orgs.models import Organization, OrgKind
from onestop.pages import period_label
from onestop.statuses import ACTIVE_TASK, OPEN_CASE, CaseStatus
from onestop.tasks.models import AgencyTask
from onestop.workflow import STATUS_LABELS

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# The discovery's changeset before any request type was edited on the admin pages: the day
# this endpoint took its shape.
FIRST_CHANGESET = "2026-12-06T00:00:00+09:00"


def _locale() -> str:
    return str(get_locale() or "ko")


def discovery() -> dict:
    """The discovery document: this one endpoint, its formats and how to get a key."""
    # Request types are edited on the admin pages, each edit an audit row: the latest one
    # says when the services or their definitions last changed.
    edited = db.session.scalar(select(func.max(AuditEntry.at)).where(
        AuditEntry.object_type == "request_type"))
    changeset = moment(edited) if edited else FIRST_CHANGESET
    base = url_for("open311.discovery", fmt="json", _external=True).rsplit("/", 1)[0]
    contact = current_app.config["OPEN311_CONTACT"] or _(
        "Ask the one-stop desk on OneStop: %(url)s", url=url_for("home.index", _external=True))
    return {
        "changeset": changeset,
        "contact": contact,
        "key_service": _("Make a personal access token on your OneStop account page "
                         "(%(url)s) and send it as api_key. A firm member's token with write "
                         "access files requests; any token reads the requests its owner may "
                         "see.", url=url_for("accounts.tokens", _external=True)),
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": base,
            "changeset": changeset,
            # Only a production instance's requests are acted upon.
            "type": "production" if current_app.config["ENV_NAME"] == "production" else "test",
            "formats": ["text/xml", "application/json"],
        }],
    }


def service(request_type: RequestType) -> dict:
    """A request type as an Open311 service, named in the caller's language."""
    locale = _locale()
    other = request_type.name if locale == "en" else request_type.name_en
    return {
        "service_code": request_type.code,
        "service_name": request_type.display_name(locale),
        "description": _("Processing period: %(period)s",
                         period=period_label(request_type.period)),
        "metadata": bool(request_type.form_fields or request_type.checklist),
        "type": "realtime",  # the case is filed at once: its id is the answer
        "keywords": ", ".join(dict.fromkeys(word for word in (other, request_type.category)
                                            if word)),
        "group": str(CATEGORY_LABELS.get(request_type.category, request_type.category)),
    }


def definition(request_type: RequestType) -> dict:
    """The service definition: the type's own form fields, then its required documents as
    one list to tick (what the filing form's checklist is)."""
    locale = _locale()
    attributes = []
    for order, spec in enumerate(request_type.form_fields, 1):
        unit = unit_label(spec, locale)
        attributes.append({
            "variable": True,
            "code": spec["name"],
            "datatype": "number" if spec.get("kind") in ("number", "integer") else "string",
            "required": bool(spec.get("required")),
            "datatype_description": _("Unit: %(unit)s", unit=unit) if unit else None,
            "order": order,
            "description": field_label(spec, locale),
        })
    if request_type.checklist:
        attributes.append({
            "variable": True,
            "code": DOCUMENTS,
            "datatype": "multivaluelist",
            "required": False,
            "datatype_description": None,
            "order": len(attributes) + 1,
            "description": _("Required documents"),
            "values": [{"key": index, "name": item.get(locale) or item["ko"]}
                       for index, item in enumerate(request_type.checklist)],
        })
    return {"service_code": request_type.code, "attributes": attributes}


def visible_requests(user, filters: ListFilters) -> list[Case]:
    """The cases this user may see that the filters ask for, newest first, at most LIMIT
    (the spec's "first 1000 requests")."""
    query = select(Case).where(policy.visible_cases(user)).options(
        joinedload(Case.request_type), joinedload(Case.firm))
    if filters.ids is not None:  # the spec: ids override every other argument
        query = query.where(Case.id.in_(filters.ids))
    else:
        query = query.where(Case.submitted_at >= filters.start, Case.submitted_at <= filters.end)
        if filters.codes:
            query = query.where(Case.request_type_id.in_(
                select(RequestType.id).where(RequestType.code.in_(filters.codes))))
        if filters.statuses == ["open"]:
            query = query.where(Case.status.in_(OPEN_CASE))
        elif filters.statuses == ["closed"]:
            query = query.where(Case.status.not_in(OPEN_CASE))
    return list(db.session.scalars(
        query.order_by(Case.submitted_at.desc(), Case.id.desc()).limit(LIMIT)))


def service_requests(user, cases: list[Case]) -> list[dict]:
    """The cases as service requests, as this user may see them; two statements for the
    agencies, whatever the number of cases."""
    locale = _locale()
    working = _agencies(user, [case.id for case in cases], locale)
    desk = db.session.scalar(select(Organization).where(
        Organization.kind == OrgKind.CITY_DESK).order_by(Organization.id).limit(1)) \
        if cases else None
    rows = []
    for case in cases:
        is_open = case.status in OPEN_CASE
        agencies = working.get(case.id) or ([desk.display_name(locale)] if is_open and desk
                                            else [])
        rows.append({
            "service_request_id": case.id,
            "status": "open" if is_open else "closed",
            "status_notes": status_notes(case),
            "service_name": case.request_type.display_name(locale),
            "service_code": case.request_type.code,
            "description": description(case),
            "agency_responsible": ", ".join(agencies) or None,
            "service_notice": notice(case),
            "requested_datetime": moment(case.submitted_at),
            "updated_datetime": moment(case.updated_at),
            "expected_datetime": moment(case.due_at),
            # The firm's site in the zone, for whoever may see the firm's record.
            "address": case.firm.site if policy.can(user, "firm.view", case.firm) else None,
            "address_id": None,
            "zipcode": None,
            "lat": None,
            "long": None,
            "media_url": None,
        })
    return rows


def filed(case: Case, user) -> dict:
    """The answer to a filing: the new request's id, what happens next, whose it is."""
    return {"service_request_id": case.id, "service_notice": notice(case),
            "account_id": user.id}


def _agencies(user, case_ids: list[int], locale: str) -> dict[int, list[str]]:
    """The organizations working on each case now, of the tasks this user may see."""
    found: dict[int, list[str]] = {}
    if not case_ids:
        return found
    rows = db.session.execute(
        select(AgencyTask.case_id, Organization).join(AgencyTask.organization)
        .where(AgencyTask.case_id.in_(case_ids), AgencyTask.status.in_(ACTIVE_TASK),
               policy.visible_tasks(user))
        .order_by(AgencyTask.id))
    for case_id, organization in rows:
        names = found.setdefault(case_id, [])
        if organization.display_name(locale) not in names:
            names.append(organization.display_name(locale))
    return found


def status_notes(case: Case) -> str:
    """The case's own status in words, with the desk's reason when it rejected or returned
    the request (the firm reads it on the case page too)."""
    label = str(STATUS_LABELS[case.status])
    if case.status in (CaseStatus.REJECTED, CaseStatus.RETURNED) and case.rejection_reason:
        return f"{label}: {case.rejection_reason}"
    return label


def description(case: Case) -> str:
    """The title and the description (the title alone when the description opens with it,
    as one filed through Open311 does), within the spec's 4,000 characters."""
    title, text = case.title, case.description.strip()
    if not " ".join(text.split()).startswith(title.removesuffix("…")):
        text = f"{title}\n\n{text}".strip()
    return text if len(text) <= MAX_DESCRIPTION else text[:MAX_DESCRIPTION - 1] + "…"


def notice(case: Case) -> str:
    """The case's reference, as its pages and emails name it, and its processing period."""
    period = _("Processing period: %(period)s",
               period=period_label(case.request_type.period))
    return f"{case.reference} — {period}"
