"""Cases: the queue's filters and search as cursor pages, a case, and its moves."""
from flask import jsonify, url_for
from flask_openapi3 import Tag
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from onestop import policy
from onestop.api import api, calls
from onestop.api.auth import caller
from onestop.api.calls import REPEATED, IdempotencyKey
from onestop.api.docs import item_links, link
from onestop.api.problems import WRITE_RESPONSES, problem
from onestop.api.schemas import (
    CaseDetail,
    CaseListQuery,
    CaseMove,
    CaseOut,
    CasePage,
    CasePath,
    IfMatch,
    NewCase,
    Routing,
    TaskRef,
)
from onestop.api.versions import if_match, tagged
from onestop.cases import services
from onestop.cases.models import Case
from onestop.cases.queries import case_page, default_status, refused_filters, shorten_search
from onestop.catalog.models import RequestType
from onestop.db import utcnow
from onestop.errors import Invalid
from onestop.extensions import db
from onestop.tasks.models import AgencyTask

CASES = Tag(name="cases", description="Requests filed by firms.")


def _out(case: Case) -> CaseOut:
    return CaseOut.model_validate(case, from_attributes=True)


def _detail(user, case: Case):
    tasks = db.session.scalars(select(AgencyTask).where(
        AgencyTask.case_id == case.id, policy.visible_tasks(user))
        .options(joinedload(AgencyTask.organization)).order_by(AgencyTask.id))
    body = CaseDetail(**_out(case).model_dump(), description=case.description,
                      checklist=case.checklist, accepted_at=case.accepted_at,
                      resolved_at=case.resolved_at, closed_at=case.closed_at,
                      tasks=[TaskRef.model_validate(t, from_attributes=True) for t in tasks])
    return tagged(body, case)


@api.get("/cases", tags=[CASES], responses={200: CasePage})
def list_cases(query: CaseListQuery):
    """The cases you may see, as the queue lists them.

    Open ones by due date unless you ask for others. The next page is `next_cursor` (also
    the Link header's rel="next")."""
    user = caller()
    filters = query.model_dump(exclude={"cursor", "limit"})
    refused = refused_filters(user, filters)
    if refused:
        return problem(400, "Only the desk filters by partner or by caseworker.", errors=[
            {"field": key, "message": "not a filter of yours"} for key in refused])
    if filters["status"] is None:
        filters["status"] = default_status(user)
    if filters["owner"] == "me":
        filters["owner"] = user.id
    filters["q"] = shorten_search(filters["q"])[0]
    page = case_page(user, filters, utcnow(), query.cursor, query.limit, counted=False)
    body = CasePage(items=[_out(case) for case in page.items], next_cursor=page.next_cursor)
    response = jsonify(body.model_dump(mode="json"))
    if page.next_cursor:
        after = url_for("api.list_cases", **{**query.model_dump(exclude_defaults=True),
                                             "cursor": page.next_cursor}, _external=True)
        response.headers["Link"] = f'<{after}>; rel="next"'
    return response


def _body_field(form_field: str | None) -> str | None:
    if form_field and form_field.startswith("field_"):
        return "form_data." + form_field.removeprefix("field_")
    return {"checklist": "checked_items"}.get(form_field, form_field)


@api.post("/cases", tags=[CASES], responses={201: CaseDetail, **REPEATED})
def file_case(body: NewCase, header: IdempotencyKey):
    """File a request for your firm, as the filing page does.

    Send an Idempotency-Key so that a retried call files it once."""
    user = caller()
    request_type = db.session.get(RequestType, body.request_type)
    if request_type is None:
        raise Invalid("No such request type.", field="request_type")
    submission = calls.claim(user, header)
    try:
        case = services.file_case(user, request_type, title=body.title,
                                  description=body.description, priority=body.priority,
                                  form_data=body.form_data, checked_items=body.checked_items,
                                  files=[], now=utcnow())
    except Invalid as error:  # named as the filing form names it: say the body's name
        error.field = _body_field(error.field)
        raise
    calls.landed(submission, url_for("api.get_case", case_id=case.id))
    db.session.commit()
    response = _detail(user, case)
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_case", case_id=case.id)
    return response


@api.get("/cases/<int:case_id>", tags=[CASES], responses={200: CaseDetail})
def get_case(path: CasePath):
    """One case, with the partners' tasks on it that you may see.

    Its ETag is its version: send it back in If-Match to move the case."""
    user = caller()
    return _detail(user, policy.load(user, Case, path.case_id))


@api.post("/cases/<int:case_id>/moves", tags=[CASES],
          responses={200: CaseDetail, **WRITE_RESPONSES})
def move_case(path: CasePath, body: CaseMove, header: IfMatch):
    """Move the case, as the case page's buttons do.

    The desk accepts, rejects, resolves, closes and returns; a firm reopens or withdraws its
    own. If-Match must carry the ETag you last read."""
    user = caller()
    case = policy.load(user, Case, path.case_id, f"case.{body.action}")
    version = if_match(header.if_match, case.version)
    service, takes_reason = services.CASE_ACTIONS[body.action]
    args = (body.reason,) if takes_reason else ()
    service(user, case, *args, now=utcnow(), version=version)
    db.session.commit()
    return _detail(user, case)


@api.post("/cases/<int:case_id>/routes", tags=[CASES],
          responses={200: CaseDetail, **WRITE_RESPONSES})
def route_case(path: CasePath, body: Routing, header: IfMatch):
    """Route the accepted case to partner organizations.

    One task each, all running at once, as the case page does (the desk). If-Match must
    carry the ETag you last read."""
    user = caller()
    case = policy.load(user, Case, path.case_id, "case.route")
    version = if_match(header.if_match, case.version)
    organizations = services.organizations_by_id(body.organizations)
    overrides = {org.id: (body.due_at, body.due_reason) for org in organizations} \
        if body.due_at else None
    services.route_case(user, case, organizations, now=utcnow(), version=version,
                        instructions=body.instructions, due_overrides=overrides)
    db.session.commit()
    return _detail(user, case)


item_links("/cases", "case_id", "get_case", ("move_case", "route_case"))
link("/cases", "post", 201, "ReadTheFiledCase", operationId="get_case",
     parameters={"case_id": "$response.body#/id"})
