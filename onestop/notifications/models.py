"""Reminder rules and the notification ledger."""
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onestop.db import utcnow
from onestop.extensions import db


class RuleKind(StrEnum):
    TASK_DUE = "task_due"            # offset_days business days before the due date (0: the day)
    TASK_OVERDUE = "task_overdue"    # every working day once offset_days business days overdue
    INFO_REQUEST = "info_request"    # to the firm, offset_days business days after being asked


class AlertKind(StrEnum):
    """Messages about the account itself rather than a case (never muted, no case)."""

    SIGNIN_THROTTLED = "signin_throttled"  # repeated failed sign-ins; sign-in slowed down


class Audience(StrEnum):
    ASSIGNEE = "assignee"            # the task's assignee, or every member when nobody is
    PARTNER_LEAD = "partner_lead"
    ACCOUNT_OFFICER = "account_officer"
    FIRM = "firm"


class Status(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"              # the recipient turned this kind of email off
    # The server got the whole message and never answered, and a second try fared no better
    # (or failed outright): it may have arrived, so it is neither resent nor called failed.
    UNKNOWN = "unknown"


class ReminderRule(db.Model):
    __tablename__ = "reminder_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    offset_days: Mapped[int]
    audience: Mapped[str] = mapped_column(String(20))
    is_active: Mapped[bool] = mapped_column(default=True)


class Notification(db.Model):
    """One message to one user for one reason; the unique key makes a reminder happen once."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("reminder_rules.id"))
    kind: Mapped[str] = mapped_column(String(20))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("agency_tasks.id"))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default=Status.QUEUED, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    # Attempts that handed the whole message over and got no answer: each may have delivered.
    unanswered_attempts: Mapped[int] = mapped_column(default=0)
    # Set only after a failed attempt: the earliest moment of the next one.
    next_attempt_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    enqueued_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    user = relationship("User")
    rule = relationship("ReminderRule")
    case = relationship("Case")
    task = relationship("AgencyTask")

    @property
    def message_id(self) -> str:
        return f"<notification-{self.id}@onestop>"


class WorkerCanary(db.Model):
    """Written by a worker that consumed the canary task: proof that someone is consuming."""

    __tablename__ = "worker_canaries"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    hostname: Mapped[str] = mapped_column(String(200), default="")
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
