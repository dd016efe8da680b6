"""Firms (the desk's list), a firm's agreement, progress and reports of actuals, a report
sent with its evidence and its review, and the zone's progress on the promises."""
from flask import jsonify, url_for
from flask_openapi3 import FileStorage, Tag
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from onestop import lists, policy
from onestop.api import api, calls
from onestop.api.auth import caller
from onestop.api.calls import REPEATED, IdempotencyKey, multipart_body, multipart_form
from onestop.api.commitment_schemas import (
    AgreementOut,
    Commitments,
    FirmOut,
    FirmPage,
    FirmPath,
    ReportMove,
    ReportOut,
    ReportPath,
    Tally,
    TargetOut,
    ZoneFirm,
    ZoneReport,
)
from onestop.api.docs import item_links, link
from onestop.api.problems import WRITE_RESPONSES
from onestop.api.schemas import IfMatch, PageQuery, Strict, an_id
from onestop.api.versions import if_match, tagged
from onestop.commitments import services
from onestop.commitments.models import ActualReport, Agreement
from onestop.commitments.pages import today
from onestop.db import utcnow
from onestop.extensions import db
from onestop.firms.models import Firm
from onestop.lists import Key
from onestop.reports.zone import firm_progress, zone_figures

FIRMS = Tag(name="firms", description="Firms in the zone and what they promised.")
NOTE_MAX_CHARS = 4000
BY_NAME = (Key("name", Firm.name), Key("id", Firm.id))


def _firm(firm: Firm) -> FirmOut:
    return FirmOut.model_validate(firm, from_attributes=True)


def _tallies(measures) -> dict:
    return {measure: Tally(promised=t.promised, due=t.due, verified=t.verified,
                           pending=t.pending, shortfall=t.shortfall)
            for measure, t in measures.items()}


def _report(report: ActualReport):
    return tagged(ReportOut.model_validate(report, from_attributes=True), report)


@api.get("/firms", tags=[FIRMS], responses={200: FirmPage})
def list_firms(query: PageQuery):
    """The zone's firms by name (the desk's)."""
    user = caller()
    policy.require(user, "firm.onboard")
    page = lists.page(select(Firm).where(policy.visible_firms(user))
                      .options(selectinload(Firm.account_officer)), BY_NAME, query.cursor,
                      query.limit, counted=False)
    return jsonify(FirmPage(items=[_firm(f) for f in page.items],
                            next_cursor=page.next_cursor).model_dump(mode="json"))


@api.get("/firms/<int:firm_id>", tags=[FIRMS], responses={200: FirmOut})
def get_firm(path: FirmPath):
    """One firm: the desk's, or a member's own."""
    return jsonify(_firm(policy.load(caller(), Firm, path.firm_id)).model_dump(mode="json"))


@api.get("/firms/<int:firm_id>/commitments", tags=[FIRMS], responses={200: Commitments})
def get_commitments(path: FirmPath):
    """A firm's agreement, progress and reports of actuals.

    The targets by year, the progress per measure, and the reports newest first: the desk's
    and the firm's own."""
    user = caller()
    firm = policy.load(user, Firm, path.firm_id, "commitments.view")
    agreement = db.session.scalar(select(Agreement).where(Agreement.firm_id == firm.id)
                                  .options(selectinload(Agreement.targets)))
    reports = db.session.scalars(
        select(ActualReport).where(ActualReport.firm_id == firm.id, policy.visible_reports(user))
        .options(selectinload(ActualReport.submitted_by))
        .order_by(ActualReport.submitted_at.desc(), ActualReport.id.desc())).all()
    progress = firm_progress(user, [firm.id], today=today()) if agreement else []
    body = Commitments(
        agreement=AgreementOut(signed_on=agreement.signed_on,
                               clawback_rule=agreement.clawback_rule,
                               targets=[TargetOut.model_validate(t, from_attributes=True)
                                        for t in sorted(agreement.targets,
                                                        key=lambda t: (t.year, t.measure))])
        if agreement else None,
        progress=_tallies(progress[0].measures) if progress else None,
        reports=[ReportOut.model_validate(r, from_attributes=True) for r in reports])
    return jsonify(body.model_dump(mode="json"))


class NewReport(Strict):
    target: int = an_id(description="The id of one of the agreement's targets.")
    amount: int = Field(ge=0, le=services.MAX_AMOUNT,
                        description="What was invested (KRW) or hired (people) that year.")
    note: str = Field("", max_length=NOTE_MAX_CHARS)
    files: list[FileStorage] = Field(min_length=1, description="The evidence: a statement, a "
                                                               "payroll record, a certificate.")


@api.post("/firms/<int:firm_id>/reports", tags=[FIRMS], responses={201: ReportOut, **REPEATED},
          openapi_extensions=multipart_body(NewReport))
def report_actuals(path: FirmPath, header: IdempotencyKey):
    """Report one target's actuals with evidence.

    A member of the firm sends multipart/form-data; its account officer verifies it. Send an
    Idempotency-Key so that a retried call reports once: a year's verified reports add up."""
    user = caller()
    firm = policy.load(user, Firm, path.firm_id, "commitments.report")
    form = multipart_form(NewReport)
    target = services.firm_target(firm, form.target)
    submission = calls.claim(user, header)
    report = services.report_actual(
        user, firm, measure=target.measure, year=target.year, phase=target.phase,
        amount=form.amount, note=form.note, now=utcnow(),
        files=[(upload.filename or "", upload.read()) for upload in form.files])
    location = url_for("api.get_report", report_id=report.id)
    calls.landed(submission, location)
    db.session.commit()
    response = _report(report)
    response.status_code = 201
    response.headers["Location"] = location
    return response


@api.get("/reports/<int:report_id>", tags=[FIRMS], responses={200: ReportOut})
def get_report(path: ReportPath):
    """One report of actuals: the desk's and its firm's. Its ETag is its version."""
    return _report(policy.load(caller(), ActualReport, path.report_id))


@api.post("/reports/<int:report_id>/moves", tags=[FIRMS],
          responses={200: ReportOut, **WRITE_RESPONSES})
def review_report(path: ReportPath, body: ReportMove, header: IfMatch):
    """Verify a report of actuals, or return it.

    The firm's account officer (or an admin) verifies it, so that it counts, or returns it
    with a reason the firm reads. If-Match must carry the ETag you last read."""
    user = caller()
    report = policy.load(user, ActualReport, path.report_id, "actuals.review")
    version = if_match(header.if_match, report.version)
    if body.action == "verify":
        services.verify_report(user, report, now=utcnow(), version=version)
    else:
        services.return_report(user, report, body.reason, now=utcnow(), version=version)
    db.session.commit()
    return _report(report)


@api.get("/zone", tags=[FIRMS], responses={200: ZoneReport})
def zone_report():
    """The zone's promises: investment and jobs.

    Promised, due, verified and pending, in total, by phase, by year and by firm, with the
    incentive at risk (the desk's)."""
    user = caller()
    policy.require(user, "zone.view")
    day = today()
    figures = zone_figures(policy.visible_firms(user), today=day)
    body = ZoneReport(
        today=day, total=_tallies(figures.total),
        by_phase={phase: _tallies(m) for phase, m in figures.by_phase.items()},
        by_year={year: _tallies(m) for year, m in figures.by_year.items()},
        incentive_at_risk=figures.incentive_at_risk,
        firms=[ZoneFirm(id=f.firm_id, name=f.name, phase=f.phase,
                        measures=_tallies(f.measures), incentive_at_risk=f.incentive_at_risk)
               for f in figures.firms])
    return jsonify(body.model_dump(mode="json"))


item_links("/firms", "firm_id", "get_firm", ())
link("/reports/{report_id}", "get", 200, "review_report", operationId="review_report",
     parameters={"report_id": "$response.body#/id", "header.If-Match": "$response.header.ETag"})
