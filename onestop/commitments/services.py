"""A firm's reports of actuals: the firm reports, its account officer verifies or returns;
every change is an entry of the firm's history (FirmEvent), written in the same transaction
(notifications/firm_events.py announces it there too)."""
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from onestop import policy
from onestop.commitments.labels import measure_label
from onestop.commitments.models import (
    ActualReport,
    Agreement,
    CommitmentFile,
    FirmEvent,
    Measure,
    ReportStatus,
    Target,
)
from onestop.concurrency import check_version
from onestop.errors import Invalid, InvalidTransition, NotFound
from onestop.extensions import db
from onestop.firms.models import Firm
from onestop.i18n import lazy_gettext as _l
from onestop.storage import store_upload

# A thousand trillion won: far beyond any agreement, well inside a BIGINT.
MAX_AMOUNT = 10**15


def record_history(actor, firm_id: int, action: str, *, now: datetime,
                   report: ActualReport | None = None, detail: str = "",
                   params: dict | None = None) -> FirmEvent:
    """One entry of the firm's history."""
    event = FirmEvent(firm_id=firm_id, report=report, actor=actor, action=action,
                      detail=detail, params=params or {}, created_at=now)
    db.session.add(event)
    return event


def target_for(firm: Firm, measure: str, year: int) -> Target | None:
    return db.session.scalar(select(Target).join(Agreement).where(
        Agreement.firm_id == firm.id, Target.measure == measure, Target.year == year))


def firm_target(firm: Firm, target_id: int) -> Target:
    """One target of the firm's agreement; NotFound for another firm's, or none at all."""
    target = db.session.scalar(select(Target).join(Agreement).where(
        Target.id == target_id, Agreement.firm_id == firm.id))
    if target is None:
        raise NotFound("not found")
    return target


def report_actual(actor, firm: Firm, *, measure: str, year: int, phase: int, amount: int,
                  note: str, files: list[tuple[str, bytes]], now: datetime) -> ActualReport:
    """A member of the firm reports what it invested or hired in one year of its agreement
    (the whole year, or a part: a year's verified reports add up), with evidence. A returned
    report is reported again as a new one."""
    policy.require(actor, "commitments.report", firm)
    if measure not in set(Measure):
        raise Invalid(_l("Choose what you report."), field="target")
    target = target_for(firm, measure, year)
    if target is None or target.phase != phase:
        raise Invalid(_l("Your agreement has no target of %(measure)s for %(year)d.",
                         measure=measure_label(measure), year=year), field="target")
    if not 0 <= amount <= MAX_AMOUNT:
        raise Invalid(_l("Write the amount as a whole number, 0 or more."), field="amount")
    if not files:
        raise Invalid(_l("Attach at least one piece of evidence (a statement, a payroll "
                         "record, a certificate)."), field="files")
    limit = current_app.config["MAX_FILES_PER_SUBMIT"]
    if len(files) > limit:
        raise Invalid(_l("Attach at most %(n)d files at a time.", n=limit), field="files")
    report = ActualReport(firm=firm, measure=measure, year=year, phase=phase, amount=amount,
                          note=note.strip(), status=ReportStatus.SUBMITTED,
                          submitted_by=actor, submitted_at=now)
    db.session.add(report)
    db.session.add_all(CommitmentFile(firm_id=firm.id, report=report, uploaded_by_id=actor.id,
                                      created_at=now, **store_upload(db.session, name, data))
                       for name, data in files)
    record_history(actor, firm.id, "report.submit", report=report, now=now,
                   detail=report.note, params=_facts(report) | {"files": len(files)})
    db.session.flush()
    return report


def add_agreement_documents(actor, firm: Firm, files: list[tuple[str, bytes]], *,
                            now: datetime) -> list[CommitmentFile]:
    """The account officer (or an admin) files documents of the firm's agreement: the signed
    agreement, its annexes, amendments."""
    policy.require(actor, "commitments.file_documents", firm)
    if firm.agreement is None:
        raise Invalid(_l("This firm has no agreement yet: import it first."), field="files")
    if not files:
        raise Invalid(_l("Choose the documents to file."), field="files")
    limit = current_app.config["MAX_FILES_PER_SUBMIT"]
    if len(files) > limit:
        raise Invalid(_l("Attach at most %(n)d files at a time.", n=limit), field="files")
    documents = [CommitmentFile(firm_id=firm.id, agreement_id=firm.agreement.id,
                                uploaded_by_id=actor.id, created_at=now,
                                **store_upload(db.session, name, data)) for name, data in files]
    db.session.add_all(documents)
    record_history(actor, firm.id, "agreement.documents", now=now,
                   detail=", ".join(d.filename for d in documents),
                   params={"files": len(documents)})
    db.session.flush()
    return documents


def _facts(report: ActualReport) -> dict:
    return {"measure": report.measure, "year": report.year, "phase": report.phase,
            "amount": report.amount}


def _review(actor, report: ActualReport, version) -> None:
    policy.require(actor, "actuals.review", report)
    check_version(report, version)
    if report.status != ReportStatus.SUBMITTED:
        raise InvalidTransition(_l("This report was verified or returned already."))


def verify_report(actor, report: ActualReport, *, now: datetime, version=None) -> None:
    """The account officer (or an admin) accepts the report: it counts towards progress."""
    _review(actor, report, version)
    report.status = ReportStatus.VERIFIED
    report.reviewed_by, report.reviewed_at = actor, now
    record_history(actor, report.firm_id, "report.verify", report=report, now=now,
                   params=_facts(report))
    db.session.flush()


def return_report(actor, report: ActualReport, reason: str, *, now: datetime,
                  version=None) -> None:
    """The account officer (or an admin) sends the report back with a reason the firm reads;
    the firm may then report that year again."""
    _review(actor, report, version)
    reason = reason.strip()
    if not reason:
        raise Invalid(_l("Tell the firm why, so it can report again."), field="reason")
    report.status = ReportStatus.RETURNED
    report.return_reason = reason
    report.reviewed_by, report.reviewed_at = actor, now
    record_history(actor, report.firm_id, "report.return", report=report, now=now,
                   detail=reason, params=_facts(report))
    db.session.flush()
