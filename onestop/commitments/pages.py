"""What the pages about one firm's commitments show (the firm's own page, the firm's page for
the desk, the firm's home): every list read through the policy's scopes, a fixed number of
statements whatever the number of targets and reports."""
from collections import defaultdict
from datetime import date

from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from onestop import policy
from onestop.commitments.labels import measure_label
from onestop.commitments.models import (
    ActualReport,
    Agreement,
    CommitmentFile,
    FirmEvent,
    ReportStatus,
)
from onestop.db import utcnow
from onestop.deadlines import SEOUL
from onestop.extensions import db
from onestop.i18n import gettext as _
from onestop.reports.zone import MEASURES, firm_progress

LIVE = (ReportStatus.SUBMITTED, ReportStatus.VERIFIED)


def today() -> date:
    return utcnow().astimezone(SEOUL).date()


def reports_to_verify(user):
    """The reports waiting for this user's verdict, oldest first (the list, its download and
    the desk's home page)."""
    return (select(ActualReport)
            .where(ActualReport.status == ReportStatus.SUBMITTED, policy.reviewable_reports(user))
            .options(selectinload(ActualReport.firm), selectinload(ActualReport.submitted_by),
                     selectinload(ActualReport.files))
            .order_by(ActualReport.submitted_at, ActualReport.id))


def progress_of(firm):
    """The firm's FirmProgress (None without an agreement), computed by reports/zone.py."""
    found = firm_progress(current_user, [firm.id], today=today())
    return found[0] if found else None


def _agreement(firm) -> Agreement | None:
    return db.session.scalar(select(Agreement).where(Agreement.firm_id == firm.id).options(
        selectinload(Agreement.targets), selectinload(Agreement.incentives)))


def commitments_of(firm) -> dict:
    """The agreement and its documents, the schedule of targets with each year's report, the
    incentives, the progress, the reports and the history, as this user may see them."""
    user = current_user
    agreement = _agreement(firm)
    documents = db.session.scalars(select(CommitmentFile).where(
        CommitmentFile.agreement_id == agreement.id,
        policy.visible_commitment_files(user)).order_by(CommitmentFile.id)).all() \
        if agreement else []
    reports = db.session.scalars(
        select(ActualReport).where(ActualReport.firm_id == firm.id, policy.visible_reports(user))
        .options(selectinload(ActualReport.files), selectinload(ActualReport.submitted_by),
                 selectinload(ActualReport.reviewed_by))
        .order_by(ActualReport.submitted_at.desc(), ActualReport.id.desc())).all()
    history = db.session.scalars(
        select(FirmEvent).where(FirmEvent.firm_id == firm.id, policy.visible_firm_events(user))
        .options(selectinload(FirmEvent.actor))
        .order_by(FirmEvent.created_at.desc(), FirmEvent.id.desc())).all()
    return {"agreement": agreement, "documents": documents, "reports": reports,
            "history": history, "schedule": _schedule(agreement, reports),
            "progress": progress_of(firm) if agreement else None, "today": today(),
            "measures": MEASURES}


def _schedule(agreement: Agreement | None, reports: list[ActualReport]) -> list[dict]:
    """One row per phase and year: each measure's target and the report that answers it
    (the one in play, else the latest returned one)."""
    if agreement is None:
        return []
    latest: dict[tuple[str, int], ActualReport] = {}
    for report in reversed(reports):  # oldest first: a later report replaces an earlier
        key = (report.measure, report.year)
        if key not in latest or latest[key].status not in LIVE:
            latest[key] = report
    rows: dict[tuple[int, int], dict] = defaultdict(dict)
    for target in agreement.targets:
        row = rows[target.phase, target.year]
        row[target.measure] = (target, latest.get((target.measure, target.year)))
    return [{"phase": phase, "year": year, "cells": cells}
            for (phase, year), cells in sorted(rows.items())]


def report_choices(firm) -> tuple[list[tuple[int, str]], int | None]:
    """The targets a member may report on, labelled, soonest due first; and the first whose
    report is not in yet (the form's default)."""
    agreement = _agreement(firm)
    if agreement is None:
        return [], None
    live = set(db.session.execute(select(ActualReport.measure, ActualReport.year).where(
        ActualReport.firm_id == firm.id, ActualReport.status.in_(LIVE))).all())
    targets = sorted(agreement.targets, key=lambda t: (t.report_due_on, t.measure))
    choices = [(t.id, _("%(measure)s · %(year)d (phase %(phase)d) · report due %(due)s",
                        measure=measure_label(t.measure), year=t.year, phase=t.phase,
                        due=t.report_due_on.isoformat())
                + (" · " + _("already reported") if (t.measure, t.year) in live else ""))
               for t in targets]
    first_open = next((t.id for t in targets if (t.measure, t.year) not in live), None)
    return choices, first_open
