"""The firms' side of the zone agreement: what each firm promised, what it has reported, the
incentives at stake, and the firm's history of all three."""
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onestop.db import StoredFile, utcnow
from onestop.extensions import db


class Measure(StrEnum):
    INVESTMENT = "investment"  # KRW
    JOBS = "jobs"              # new jobs, headcount


class ClawbackRule(StrEnum):
    # The share of an incentive recoverable times the unmet share of its measure.
    PROPORTIONAL = "proportional"
    # The whole recoverable share as soon as the measure falls short at all.
    ALL_OR_NOTHING = "all_or_nothing"


class ReportStatus(StrEnum):
    SUBMITTED = "submitted"  # waiting for the account officer
    VERIFIED = "verified"    # counts towards the firm's progress
    RETURNED = "returned"    # sent back with a reason; the firm may report again


class Agreement(db.Model):
    """One firm's investment agreement with the city (투자협약)."""

    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), unique=True)
    signed_on: Mapped[date]
    clawback_rule: Mapped[str] = mapped_column(String(20), default=ClawbackRule.PROPORTIONAL)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    firm = relationship("Firm", backref=db.backref("agreement", uselist=False))
    targets = relationship("Target", back_populates="agreement", cascade="all, delete-orphan",
                           order_by="(Target.measure, Target.year)")
    incentives = relationship("Incentive", back_populates="agreement",
                              cascade="all, delete-orphan", order_by="Incentive.id")


class Target(db.Model):
    """What the firm promised for one measure in one year of one phase, and when the report
    of that year's actuals is due."""

    __tablename__ = "commitment_targets"
    __table_args__ = (UniqueConstraint("agreement_id", "measure", "year"),
                      Index("ix_commitment_targets_report_due_on", "report_due_on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    measure: Mapped[str] = mapped_column(String(12))
    phase: Mapped[int]
    year: Mapped[int]
    amount: Mapped[int] = mapped_column(BigInteger)
    report_due_on: Mapped[date]

    agreement = relationship("Agreement", back_populates="targets")


class Incentive(db.Model):
    """A subsidy or tax benefit the firm received, tied to the measure it rewards."""

    __tablename__ = "incentives"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    measure: Mapped[str] = mapped_column(String(12))
    amount: Mapped[int] = mapped_column(BigInteger)  # KRW
    recoverable_percent: Mapped[int] = mapped_column(default=100)

    agreement = relationship("Agreement", back_populates="incentives")


class ActualReport(db.Model):
    """The firm's report of what it actually invested or hired in one year."""

    __tablename__ = "actual_reports"
    __table_args__ = (Index("ix_actual_reports_firm_status", "firm_id", "status"),
                      Index("ix_actual_reports_status_submitted", "status", "submitted_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"))
    measure: Mapped[str] = mapped_column(String(12))
    year: Mapped[int]
    phase: Mapped[int]
    amount: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default=ReportStatus.SUBMITTED)
    return_reason: Mapped[str] = mapped_column(Text, default="")
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    firm = relationship("Firm")
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])
    files = relationship("CommitmentFile", back_populates="report", order_by="CommitmentFile.id")


class CommitmentFile(StoredFile, db.Model):
    """A document of an agreement or a piece of evidence of a report, kept in storage."""

    __tablename__ = "commitment_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("actual_reports.id"), index=True)

    report = relationship("ActualReport", back_populates="files")


class FirmEvent(db.Model):
    """One change to a firm's agreement or reports, in the firm's history."""

    __tablename__ = "firm_events"
    __table_args__ = (Index("ix_firm_events_firm_created", "firm_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("actual_reports.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor = relationship("User")
    report = relationship("ActualReport")


class RunStatus(StrEnum):
    QUEUED = "queued"
    CHECKING = "checking"    # a worker reads and checks every row
    WRITING = "writing"      # every row passed; the worker writes them in one transaction
    DONE = "done"
    INVALID = "invalid"      # some rows are wrong: nothing was imported, errors lists them
    FAILED = "failed"        # the file could not be read or the worker kept stopping


RUNNING = (RunStatus.CHECKING, RunStatus.WRITING)


class ImportRun(db.Model):
    """One upload of the agreement annex, imported by a worker all or nothing."""

    __tablename__ = "import_runs"
    __table_args__ = (Index("ix_import_runs_status_lease", "status", "lease_until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(255))
    storage_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), default=RunStatus.QUEUED)
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_done: Mapped[int] = mapped_column(default=0)
    # {"sheet", "row", "column", "cell", "code", "params"}: shown in the reader's language.
    errors: Mapped[list] = mapped_column(JSON, default=list)
    # How many workers have taken the run; a run whose workers keep dying is given up.
    attempts: Mapped[int] = mapped_column(default=0)
    # Queued: by when a worker should have taken it. Running: renewed while its worker lives.
    # Either way, once past, the sweep queues the run again (or gives it up).
    lease_until: Mapped[datetime | None]
    # What the import did: firms and agreements created, updated, unchanged.
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    created_by = relationship("User")
