"""The firms' promises against what they have shown: per firm, per phase, per year, and for
the zone. Four aggregate statements whatever the number of firms, targets and reports; the
small grouped results are folded here.

A target is due once the report of its year is due (Target.report_due_on); a firm is behind
on a measure when its verified actuals are below what is due so far. The incentive at risk
follows each agreement's clawback rule (models.ClawbackRule).
"""
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, case, func, select

from onestop import policy
from onestop.accounts.models import User
from onestop.commitments.models import (
    ActualReport,
    Agreement,
    ClawbackRule,
    Incentive,
    Measure,
    ReportStatus,
    Target,
)
from onestop.extensions import db
from onestop.firms.models import Firm

MEASURES = (Measure.INVESTMENT, Measure.JOBS)


@dataclass
class Tally:
    """One measure's figures for whatever is being summed (a firm, a phase, a year, the zone)."""

    promised: int = 0
    due: int = 0
    verified: int = 0
    pending: int = 0

    @property
    def shortfall(self) -> int:
        return max(0, self.due - self.verified)

    @property
    def share(self) -> float:
        """Verified as a share of everything promised (0–1, capped at 1 for the bar)."""
        return min(1.0, self.verified / self.promised) if self.promised else 0.0

    def add(self, other: "Tally") -> None:
        self.promised += other.promised
        self.due += other.due
        self.verified += other.verified
        self.pending += other.pending


def _tallies() -> dict[str, Tally]:
    return {measure: Tally() for measure in MEASURES}


@dataclass
class FirmProgress:
    firm_id: int
    name: str
    phase: int
    officer_name: str
    officer_email: str
    is_named_publicly: bool
    measures: dict[str, Tally] = field(default_factory=_tallies)
    incentive_at_risk: int = 0

    @property
    def investment(self) -> Tally:
        return self.measures[Measure.INVESTMENT]

    @property
    def jobs(self) -> Tally:
        return self.measures[Measure.JOBS]

    @property
    def is_behind(self) -> bool:
        return any(tally.shortfall for tally in self.measures.values())


@dataclass
class ZoneFigures:
    firms: list[FirmProgress]           # behind first (largest incentive at risk), then by name
    total: dict[str, Tally]
    by_phase: dict[int, dict[str, Tally]]
    by_year: dict[int, dict[str, Tally]]

    @property
    def incentive_at_risk(self) -> int:
        return sum(firm.incentive_at_risk for firm in self.firms)

    def shortfall(self, measure: str) -> int:
        """What the firms behind owe on one measure (ahead firms do not make up for them)."""
        return sum(firm.measures[measure].shortfall for firm in self.firms)

    @property
    def firms_behind(self) -> list[FirmProgress]:
        return [firm for firm in self.firms if firm.is_behind]


def at_risk(rule: str, recoverable_percent_amount: int, due: int, shortfall: int) -> int:
    """KRW recoverable on one measure's incentives. recoverable_percent_amount is the sum of
    amount × recoverable percent (so integer arithmetic stays exact); rounded down."""
    if not shortfall or not due:
        return 0
    if rule == ClawbackRule.ALL_OR_NOTHING:
        return recoverable_percent_amount // 100
    return recoverable_percent_amount * shortfall // (100 * due)


def _firm_rows(scope: ColumnElement[bool], firm_ids: Sequence[int] | None):
    officer = User.__table__.alias("officer")
    query = (select(Firm.id, Firm.name, Firm.phase, Firm.is_named_publicly,
                    Agreement.clawback_rule, officer.c.name, officer.c.email)
             .join(Agreement, Agreement.firm_id == Firm.id)
             .outerjoin(officer, officer.c.id == Firm.account_officer_id)
             .where(scope))
    if firm_ids is not None:
        query = query.where(Firm.id.in_(firm_ids))
    return db.session.execute(query).all()


def _grouped(firm_ids: Iterable[int], today: date):
    """The three aggregates over the chosen firms: targets, reports, incentives."""
    ids = list(firm_ids)
    is_due = Target.report_due_on <= today
    targets = db.session.execute(
        select(Agreement.firm_id, Target.measure, Target.phase, Target.year,
               func.sum(Target.amount), func.sum(case((is_due, Target.amount), else_=0)))
        .join(Agreement, Agreement.id == Target.agreement_id)
        .where(Agreement.firm_id.in_(ids))
        .group_by(Agreement.firm_id, Target.measure, Target.phase, Target.year)).all()
    reports = db.session.execute(
        select(ActualReport.firm_id, ActualReport.measure, ActualReport.phase, ActualReport.year,
               ActualReport.status, func.sum(ActualReport.amount))
        .where(ActualReport.firm_id.in_(ids),
               ActualReport.status.in_((ReportStatus.VERIFIED, ReportStatus.SUBMITTED)))
        .group_by(ActualReport.firm_id, ActualReport.measure, ActualReport.phase,
                  ActualReport.year, ActualReport.status)).all()
    incentives = db.session.execute(
        select(Agreement.firm_id, Incentive.measure,
               func.sum(Incentive.amount * Incentive.recoverable_percent))
        .join(Agreement, Agreement.id == Incentive.agreement_id)
        .where(Agreement.firm_id.in_(ids))
        .group_by(Agreement.firm_id, Incentive.measure)).all()
    return targets, reports, incentives


def zone_figures(scope: ColumnElement[bool], *, today: date,
                 firm_ids: Sequence[int] | None = None) -> ZoneFigures:
    """Progress of the firms in scope (a policy.visible_firms clause), optionally only some."""
    rows = _firm_rows(scope, firm_ids)
    firms = {row[0]: FirmProgress(firm_id=row[0], name=row[1], phase=row[2],
                                  is_named_publicly=row[3], officer_name=row[5] or "",
                                  officer_email=row[6] or "")
             for row in rows}
    rules = {row[0]: row[4] for row in rows}
    total: dict[str, Tally] = _tallies()
    by_phase: dict[int, dict[str, Tally]] = defaultdict(_tallies)
    by_year: dict[int, dict[str, Tally]] = defaultdict(_tallies)
    targets, reports, incentives = _grouped(firms, today) if firms else ([], [], [])
    for firm_id, measure, phase, year, promised, due in targets:
        # PostgreSQL sums BIGINT as NUMERIC: the figures stay plain integers here.
        part = Tally(promised=int(promised or 0), due=int(due or 0))
        for tally in (firms[firm_id].measures[measure], total[measure],
                      by_phase[phase][measure], by_year[year][measure]):
            tally.add(part)
    for firm_id, measure, phase, year, status, amount in reports:
        amount = int(amount or 0)
        part = Tally(verified=amount if status == ReportStatus.VERIFIED else 0,
                     pending=amount if status == ReportStatus.SUBMITTED else 0)
        for tally in (firms[firm_id].measures[measure], total[measure],
                      by_phase[phase][measure], by_year[year][measure]):
            tally.add(part)
    for firm_id, measure, percent_amount in incentives:
        tally = firms[firm_id].measures[measure]
        firms[firm_id].incentive_at_risk += at_risk(rules[firm_id], int(percent_amount or 0),
                                                    tally.due, tally.shortfall)
    ordered = sorted(firms.values(),
                     key=lambda f: (not f.is_behind, -f.incentive_at_risk, f.name, f.firm_id))
    return ZoneFigures(firms=ordered, total=total, by_phase=dict(sorted(by_phase.items())),
                       by_year=dict(sorted(by_year.items())))


def firm_progress(actor, firm_ids: Sequence[int] | None = None, *, today: date) -> list[FirmProgress]:
    """The progress of the firms this user may see (a firm user: its own)."""
    return zone_figures(policy.visible_firms(actor), today=today, firm_ids=firm_ids).firms
