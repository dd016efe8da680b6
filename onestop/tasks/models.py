"""AgencyTask: one partner organization's piece of a case."""
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onestop.db import utcnow
from onestop.extensions import db
from onestop.statuses import ACTIVE_TASK

# The task queues list the active tasks only (their partial indexes skip the finished ones).
_LAPSED = text("supplement_lapsed_at IS NOT NULL")
_ACTIVE = text(f"status IN ({', '.join(repr(str(status)) for status in ACTIVE_TASK)})")


class AgencyTask(db.Model):
    __tablename__ = "agency_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20), index=True)
    period: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime] = mapped_column(index=True)
    due_override_reason: Mapped[str] = mapped_column(Text, default="")
    instructions: Mapped[str] = mapped_column(Text, default="")
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    routed_at: Mapped[datetime] = mapped_column(default=utcnow)
    paused_at: Mapped[datetime | None]
    # Working time spent waiting on the firm, kept apart from the agency's own time.
    waited_seconds: Mapped[int] = mapped_column(default=0)
    # Set by the workflow exactly when the task leaves the active states (done, declined,
    # cancelled): the policy reads "was this organization on the case then" from it.
    finished_at: Mapped[datetime | None]
    # Set with finished_at, so the service figures add columns instead of walking calendars:
    # the agency's own working time (clock running) and the non-working time in between.
    agency_seconds: Mapped[int | None]
    paused_seconds: Mapped[int | None]
    # Working time the period's extensions added (reports count it apart from the period).
    extended_seconds: Mapped[int] = mapped_column(default=0)
    # A task handed on by an organization that was not competent (민원처리법 §16) keeps the
    # clock of the one it came from: same receipt, same due date.
    transferred_from_id: Mapped[int | None] = mapped_column(ForeignKey("agency_tasks.id"))
    # While it waits on the firm (tasks/supplements.py): the supplement deadline, whether the
    # firm has had its one extra time, whether it was reminded with a second deadline, and
    # when that one passed too (the desk may then return the request).
    supplement_due_at: Mapped[datetime | None] = mapped_column(index=True)
    supplement_more_time: Mapped[bool] = mapped_column(default=False)
    supplement_reminded: Mapped[bool] = mapped_column(default=False)
    supplement_lapsed_at: Mapped[datetime | None]
    # A consultation on a main permit (tasks/consultations.py): consent is deemed when its
    # period ends unanswered; the deliberations and hearings it records do not count.
    is_consultation: Mapped[bool] = mapped_column(default=False)
    deliberation_seconds: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    # The service report reads the tasks done in a period, and those done on answered cases.
    __table_args__ = (Index("ix_agency_tasks_status_finished_at", "status", "finished_at"),
                      # the deemed-consent sweep: running consultations by due date
                      Index("ix_agency_tasks_consultation_due", "is_consultation", "status",
                            "due_at"),
                      Index("ix_agency_tasks_case_status_org", "case_id", "status",
                            "organization_id"),
                      # the task queues (an organization's, everyone's) and the reminder
                      # sweep's windows, by due date or since when the firm is waited on
                      *(Index(name, *columns, "due_at", "id", postgresql_where=_ACTIVE,
                              sqlite_where=_ACTIVE) for name, columns in (
                          ("ix_agency_tasks_active_org_due", ("organization_id",)),
                          ("ix_agency_tasks_active_due", ()))),
                      # (the organization with it: the desk counts the overdue by partner
                      # from the index alone)
                      Index("ix_agency_tasks_status_due_at", "status", "due_at", "id",
                            postgresql_include=["organization_id"]),
                      Index("ix_agency_tasks_status_paused_at", "status", "paused_at"),
                      # "cases routed to this organization" (the queue's filter, a partner's
                      # requests)
                      Index("ix_agency_tasks_org_case", "organization_id", "case_id"),
                      # the desk's "supplement not received" section: the few lapsed ones
                      Index("ix_agency_tasks_lapsed", "case_id", postgresql_where=_LAPSED,
                            sqlite_where=_LAPSED))

    case = relationship("Case", back_populates="tasks")
    organization = relationship("Organization")
    assignee = relationship("User")
    extensions = relationship("TaskExtension", back_populates="task",
                              order_by="TaskExtension.number")

    @property
    def waited(self) -> timedelta:
        return timedelta(seconds=self.waited_seconds)

    @property
    def extended(self) -> timedelta:
        return timedelta(seconds=self.extended_seconds or 0)  # None until first flushed

    @property
    def deliberated(self) -> timedelta:
        return timedelta(seconds=self.deliberation_seconds or 0)


class TaskExtension(db.Model):
    """One extension of a task's period: the first takes effect when made, a later one only
    when the firm consents (tasks/extensions.py)."""

    __tablename__ = "task_extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("agency_tasks.id"), index=True)
    number: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    previous_due_at: Mapped[datetime]
    due_at: Mapped[datetime]
    asked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    asked_at: Mapped[datetime]
    consent: Mapped[str] = mapped_column(String(20))
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    # A repeated submit cannot record the same extension twice.
    __table_args__ = (UniqueConstraint("task_id", "number"),)

    task = relationship("AgencyTask", back_populates="extensions")
    asked_by = relationship("User", foreign_keys=[asked_by_id])
