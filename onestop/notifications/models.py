"""Reminder rules, the kinds of notification and the ledger."""
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onestop.db import utcnow
from onestop.extensions import db


class RuleKind(StrEnum):
    TASK_DUE = "task_due"            # offset_days business days before the due date (0: the day)
    TASK_OVERDUE = "task_overdue"    # every working day once offset_days business days overdue
    INFO_REQUEST = "info_request"    # to the firm, offset_days business days after being asked
    # A firm's yearly report of actuals (commitments.Target.report_due_on), while none is in:
    REPORT_DUE = "report_due"        # within offset_days business days before it is due
    REPORT_OVERDUE = "report_overdue"  # once, offset_days business days after it was due


class EventKind(StrEnum):
    """What happened on a case, as its notification says it (events.py decides who hears)."""

    CASE_FILED = "case_filed"
    CASE_ACCEPTED = "case_accepted"
    CASE_REJECTED = "case_rejected"
    TASK_ROUTED = "task_routed"
    TASK_ASSIGNED = "task_assigned"
    INFO_REQUESTED = "info_requested"
    FIRM_ANSWERED = "firm_answered"
    TASK_COMPLETED = "task_completed"
    TASK_DECLINED = "task_declined"
    CASE_RESOLVED = "case_resolved"
    CASE_REOPENED = "case_reopened"
    CASE_CLOSED = "case_closed"
    CASE_WITHDRAWN = "case_withdrawn"
    CASE_REASSIGNED = "case_reassigned"  # to the caseworker who now owns the case
    DUE_CHANGED = "due_changed"
    PERIOD_EXTENDED = "period_extended"      # in effect: the first one, or the firm agreed
    EXTENSION_ASKED = "extension_asked"      # a further one waits for the firm's consent
    EXTENSION_REFUSED = "extension_refused"  # the firm did not agree: the due date stays
    TASK_TRANSFERRED = "task_transferred"    # another organization now handles the task
    PROGRESS_NOTICE = "progress_notice"      # to the firm: where its request stands
    SUPPLEMENT_MORE_TIME = "supplement_more_time"  # the firm took its extra time to answer
    SUPPLEMENT_REMINDED = "supplement_reminded"    # the deadline passed: a second one runs
    SUPPLEMENT_LAPSED = "supplement_lapsed"        # the second passed: the desk may return
    CASE_RETURNED = "case_returned"                # 반려
    DEEMED_CONSENT = "deemed_consent"              # a consultation unanswered in its period
    OBJECTION_FILED = "objection_filed"            # the firm objects to a rejection
    OBJECTION_EXTENDED = "objection_extended"      # the desk takes longer to decide
    OBJECTION_DECIDED = "objection_decided"
    COMMENT = "comment"
    NOTE = "note"


class CommitmentKind(StrEnum):
    """What happened to a firm's report of actuals (commitments/notices.py decides who hears)."""

    REPORT_SUBMITTED = "report_submitted"
    REPORT_VERIFIED = "report_verified"
    REPORT_RETURNED = "report_returned"


# Messages about a firm's commitments rather than a case: they carry firm_id, no case.
COMMITMENT_KINDS = frozenset({*CommitmentKind, RuleKind.REPORT_DUE, RuleKind.REPORT_OVERDUE})


class AlertKind(StrEnum):
    """Messages about the account itself rather than a case: always emailed at once, also
    to a user who has not signed in yet (an invitation), never muted, no case."""

    SIGNIN_THROTTLED = "signin_throttled"  # repeated failed sign-ins; sign-in slowed down
    REPLY_REFUSED = "reply_refused"        # an emailed reply that did not become a comment
    INVITATION = "invitation"              # the link to set a first password
    PASSWORD_RESET = "password_reset"      # "forgot password": the link to set a new one
    EMAIL_CONFIRM = "email_confirm"        # to the new address: the link that makes it the account's
    EMAIL_NOTICE = "email_notice"          # to the old address: a change was asked for
    WEBHOOK_DISABLED = "webhook_disabled"  # to its keepers: a day of failed deliveries


# Account messages addressed to params["to"] rather than to the user's address: the address
# as it was when the row was written (the new one to confirm, the old one to warn).
ADDRESSED_KINDS = frozenset({AlertKind.EMAIL_CONFIRM, AlertKind.EMAIL_NOTICE})
# Messages whose point is a one-time link for the mailbox alone: never listed under the bell.
MAILBOX_ONLY_KINDS = frozenset({AlertKind.INVITATION, AlertKind.PASSWORD_RESET,
                                AlertKind.EMAIL_CONFIRM})


class DigestKind(StrEnum):
    DIGEST = "digest"  # one email listing a user's notifications since the last one


class Choice(StrEnum):
    """How a user hears about one kind of notification."""

    NOW = "now"        # an email at once (or on the next working morning in quiet hours)
    DIGEST = "digest"  # listed in the next working morning's digest email
    APP = "app"        # only in the app's bell


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
    IN_APP = "in_app"                # the recipient hears of this kind in the app only
    DIGEST = "digest"                # waits for the recipient's next digest
    DIGESTED = "digested"            # listed in the digest row digest_id


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
    # The firm whose commitments a message of COMMITMENT_KINDS is about.
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("firms.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("agency_tasks.id"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    # The digest email that listed this row.
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id"), index=True)
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
    firm = relationship("Firm")
    task = relationship("AgencyTask")
    event = relationship("Event")

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


class InboundStatus(StrEnum):
    RECEIVED = "received"      # stored by the listener, waiting for a worker
    # Set by the worker's claim and replaced by the outcome in the same transaction: never
    # seen committed.
    PROCESSING = "processing"
    POSTED = "posted"          # became a comment
    REFUSED = "refused"        # not posted; the sender was told why
    IGNORED = "ignored"        # an auto-reply or a loop: not posted, nobody told
    FAILED = "failed"          # processing broke NOTIFY_MAX_ATTEMPTS times; see error


class InboundMessage(db.Model):
    """One email handed to the inbound listener for one reply address, kept whole (the
    database is shared by every worker, a folder is not) until a worker has processed it."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Derived from the Message-ID (or the bytes, without one) and the reply address: the
    # same mail handed over twice is stored once.
    key: Mapped[str] = mapped_column(String(64), unique=True)
    message_id: Mapped[str] = mapped_column(String(255), default="")
    recipient: Mapped[str] = mapped_column(String(320))
    envelope_from: Mapped[str] = mapped_column(String(320), default="")
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(12), default=InboundStatus.RECEIVED, index=True)
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(default=0)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    enqueued_at: Mapped[datetime | None]
    processed_at: Mapped[datetime | None]

    comment = relationship("Comment")
