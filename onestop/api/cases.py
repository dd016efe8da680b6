"""Cases: the queue's filters and search as cursor pages, a case, and its moves."""
from flask import current_app, url_for
from flask_openapi3 import Tag
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from onestop import policy
from onestop.accounts.models import User
from onestop.api import api, calls
from onestop.api.auth import caller
from onestop.api.calls import REPEATED, IdempotencyKey, multipart_body, multipart_form
from onestop.api.docs import item_links, link
from onestop.api.move_schemas import (
    CaseTaskPath,
    ExtensionAnswer,
    ExtensionPath,
    NewObjection,
    ObjectionDecision,
    ObjectionExtension,
    Ownership,
    Routing,
)
from onestop.api.problems import CONFLICT_RESPONSE, WRITE_RESPONSES, problem
from onestop.api.schemas import (
    CaseDetail,
    CaseListQuery,
    CaseMove,
    CaseOut,
    CasePage,
    CasePath,
    ExtensionAsk,
    IfMatch,
    Named,
    NewCase,
    ObjectionOut,
    TaskRef,
    UserRef,
)
from onestop.api.versions import if_match, tagged
from onestop.cases import objections, services
from onestop.cases.models import Case, reference
from onestop.cases.queries import (
    case_page,
    default_status,
    refused_filters,
    shorten_search,
    task_of,
)
from onestop.catalog.models import RequestType
from onestop.db import utcnow
from onestop.errors import Invalid
from onestop.extensions import db
from onestop.firms.models import Firm
from onestop.notifications import progress
from onestop.tasks import extensions, supplements
from onestop.tasks.models import AgencyTask

CASES = Tag(name="cases", description="Requests filed by firms.")


def _out(case: Case) -> CaseOut:
    return CaseOut.model_validate(case, from_attributes=True)


def _objection(case: Case) -> ObjectionOut | None:
    objection = objections.current(case)
    if objection is None:
        return None
    return ObjectionOut(comment_id=objection.comment_id, filed_at=objection.filed_at,
                        decision_due_at=objection.decision_due_at,
                        extended=objection.extended, decision=objection.decision or None,
                        decision_reason=objection.decision_reason,
                        decided_at=objection.decided_at)


def _ask(ask) -> ExtensionAsk:
    return ExtensionAsk(id=ask.id, task_id=ask.task_id,
                        organization=Named.model_validate(ask.task.organization,
                                                          from_attributes=True),
                        reason=ask.reason, previous_due_at=ask.previous_due_at,
                        due_at=ask.due_at, asked_at=ask.asked_at)


def _detail(user, case: Case):
    answers = policy.can(user, "case.answer_extension", case)
    tasks = db.session.scalars(select(AgencyTask).where(
        AgencyTask.case_id == case.id, policy.visible_tasks(user))
        .options(joinedload(AgencyTask.organization),
                 *([selectinload(AgencyTask.extensions)] if answers else []))
        .order_by(AgencyTask.id)).all()
    body = CaseDetail(**_out(case).model_dump(), description=case.description,
                      checklist=case.checklist, accepted_at=case.accepted_at,
                      owner=UserRef.model_validate(case.owner, from_attributes=True)
                      if case.owner else None,
                      resolved_at=case.resolved_at, closed_at=case.closed_at,
                      tasks=[TaskRef.model_validate(t, from_attributes=True) for t in tasks],
                      objection=_objection(case),
                      extension_asks=[_ask(ask) for ask in extensions.waiting(tasks)]
                      if answers else [])
    return tagged(body, case)


# The list reads its own columns rather than cases: building 25 cases with their firms and
# types took a third of its time.
LISTED = (select(Case.id, Case.submitted_at, Case.title, Case.status, Case.priority,
                 Case.priority_rank, Case.due_at, Case.version, Case.firm_id,
                 Firm.name.label("firm_name"), Case.request_type_id,
                 RequestType.code.label("type_code"), RequestType.name.label("type_name"))
          .join_from(Case, Firm, Case.firm).join_from(Case, RequestType, Case.request_type))


def _listed(row) -> dict:
    return {"id": row.id, "reference": reference(row.id, row.submitted_at), "title": row.title,
            "status": row.status, "priority": row.priority,
            "firm": {"id": row.firm_id, "name": row.firm_name},
            "request_type": {"id": row.request_type_id, "code": row.type_code,
                             "name": row.type_name},
            "submitted_at": row.submitted_at, "due_at": row.due_at, "version": row.version}


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
    page = case_page(user, filters, utcnow(), query.cursor, query.limit, counted=False,
                     shape=LISTED)
    body = CasePage.model_validate({"items": [_listed(row) for row in page.items],
                                    "next_cursor": page.next_cursor})
    response = current_app.response_class(body.model_dump_json(), mimetype="application/json")
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


@api.put("/cases/<int:case_id>/owner", tags=[CASES],
         responses={200: CaseDetail, **WRITE_RESPONSES})
def reassign_case(path: CasePath, body: Ownership, header: IfMatch):
    """Hand the case to another caseworker of the desk, who is told.

    As the case page does (the desk). If-Match must carry the ETag you last read."""
    user = caller()
    case = policy.load(user, Case, path.case_id, "case.reassign")
    version = if_match(header.if_match, case.version)
    services.reassign_case(user, case, db.session.get(User, body.owner), now=utcnow(),
                           version=version)
    db.session.commit()
    return _detail(user, case)


@api.post("/cases/<int:case_id>/objection", tags=[CASES],
          responses={201: CaseDetail, **CONFLICT_RESPONSE, **REPEATED},
          openapi_extensions=multipart_body(NewObjection))
def object_to_rejection(path: CasePath, header: IdempotencyKey):
    """Object to the rejection of your firm's request, with reasons and files.

    multipart/form-data, as the case page sends it, within the request type's objection days;
    the desk decides by `objection.decision_due_at`. Send an Idempotency-Key so that a
    retried call objects once."""
    user = caller()
    case = policy.load(user, Case, path.case_id, "case.object")
    form = multipart_form(NewObjection)
    submission = calls.claim(user, header)
    objections.file_objection(user, case, form.reasons,
                              [(upload.filename or "", upload.read()) for upload in form.files],
                              now=utcnow())
    location = url_for("api.get_case", case_id=case.id)
    calls.landed(submission, location)
    db.session.commit()
    response = _detail(user, case)
    response.status_code = 201
    response.headers["Location"] = location
    return response


@api.post("/cases/<int:case_id>/objection/extension", tags=[CASES],
          responses={200: CaseDetail, **WRITE_RESPONSES})
def extend_objection(path: CasePath, body: ObjectionExtension, header: IfMatch):
    """Extend the decision on the objection, once, by the objection period.

    Before it runs out, with the reason the firm is told (the desk). If-Match must carry the
    case's ETag you last read."""
    user = caller()
    case = policy.load(user, Case, path.case_id, "case.decide_objection")
    objection = objections.existing(case)
    version = if_match(header.if_match, case.version)
    objections.extend_decision(user, objection, body.reason, now=utcnow(), version=version)
    db.session.commit()
    return _detail(user, case)


@api.post("/cases/<int:case_id>/objection/decision", tags=[CASES],
          responses={200: CaseDetail, **WRITE_RESPONSES})
def decide_objection(path: CasePath, body: ObjectionDecision, header: IfMatch):
    """Decide the objection: uphold it or dismiss it, with the reason the firm reads.

    Upheld, the request goes back to the desk's review (the desk). If-Match must carry the
    case's ETag you last read."""
    user = caller()
    case = policy.load(user, Case, path.case_id, "case.decide_objection")
    objection = objections.existing(case)
    version = if_match(header.if_match, case.version)
    objections.decide(user, objection, body.decision == objections.UPHELD, body.reason,
                      now=utcnow(), version=version)
    db.session.commit()
    return _detail(user, case)


@api.put("/cases/<int:case_id>/extensions/<int:extension_id>/answer", tags=[CASES],
         responses={200: CaseDetail, **WRITE_RESPONSES})
def answer_extension(path: ExtensionPath, body: ExtensionAnswer, header: IfMatch):
    """Agree or not to a partner's further extension of its period.

    One of the case's `extension_asks` (your firm's members). The same answer again changes
    nothing. If-Match must carry the case's ETag you last read."""
    user = caller()
    case = policy.load(user, Case, path.case_id, "case.answer_extension")
    extension = extensions.extension_of(case, path.extension_id)
    version = if_match(header.if_match, case.version)
    extensions.answer_extension(user, extension, body.answer == "agree", now=utcnow(),
                                version=version)
    db.session.commit()
    return _detail(user, case)


@api.post("/cases/<int:case_id>/tasks/<int:task_id>/more-time", tags=[CASES],
          responses={200: CaseDetail, **WRITE_RESPONSES})
def ask_more_time(path: CaseTaskPath, header: IfMatch):
    """Take your firm's extra time, once, to answer a partner's question.

    The task's supplement deadline moves out by the request type's supplement period (your
    firm's members). If-Match must carry the case's ETag you last read."""
    user = caller()
    case = policy.load(user, Case, path.case_id, "case.answer")
    task = task_of(case, path.task_id)
    version = if_match(header.if_match, case.version)
    supplements.ask_more_time(user, task, now=utcnow(), version=version)
    db.session.commit()
    return _detail(user, case)


@api.post("/cases/<int:case_id>/progress", tags=[CASES],
          responses={200: CaseDetail, **CONFLICT_RESPONSE})
def ask_progress(path: CasePath):
    """Ask where the request stands: your firm's members are sent its progress.

    While it is being processed, once a day (your firm's members)."""
    user = caller()
    case = policy.load(user, Case, path.case_id, "case.ask_progress")
    progress.ask_progress(user, case, now=utcnow())
    db.session.commit()
    return _detail(user, case)


item_links("/cases", "case_id", "get_case",
           ("move_case", "route_case", "reassign_case", "extend_objection",
            "decide_objection"))
link("/cases", "post", 201, "ReadTheFiledCase", operationId="get_case",
     parameters={"case_id": "$response.body#/id"})
