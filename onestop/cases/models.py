"""Cases and what hangs off them: comments, attachments, history, an objection."""
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    DDL,
    JSON,
    Computed,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onestop.db import StoredFile, utcnow
from onestop.extensions import db
from onestop.search import SEARCH_VECTOR, grams, sqlite_drop, sqlite_index
from onestop.statuses import OPEN_CASE

PRIORITIES = ("normal", "high", "urgent")
PRIORITY_RANK_SQL = "CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 ELSE 2 END"


class NoteAudience(StrEnum):
    """Who reads a comment; who may be in each audience is policy.visible_comments()."""

    PUBLIC = "public"      # the firm and everyone on the case
    PARTNERS = "partners"  # internal: the desk and the partners holding an active task
    DESK = "desk"          # internal: the desk only


_OPEN = text(f"status IN ({', '.join(repr(str(status)) for status in OPEN_CASE)})")


class Case(db.Model):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    request_type_id: Mapped[int] = mapped_column(ForeignKey("request_types.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    # Urgent first: what the queue's priority sort orders by (kept by the database).
    priority_rank: Mapped[int] = mapped_column(Computed(PRIORITY_RANK_SQL, persisted=True))
    status: Mapped[str] = mapped_column(String(20), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The required documents as the request type listed them when the case was filed,
    # each ticked or not: [{"ko": ..., "en": ..., "done": bool}]. Later catalog edits
    # never rewrite it.
    checklist: Mapped[list] = mapped_column(JSON, default=list)
    form_data: Mapped[dict] = mapped_column(JSON, default=dict)
    # The desk's reason for rejecting the request, or for returning it (반려).
    rejection_reason: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The desk's own intake deadline (INTAKE_WORKING_DAYS from filing), fixed when filed so
    # the queue sorts and filters on a column instead of counting calendars per row.
    review_due_at: Mapped[datetime | None] = mapped_column(index=True)
    accepted_at: Mapped[datetime | None] = mapped_column(index=True)
    # When the sweep sends the firm its progress notice; cleared once sent.
    progress_notice_at: Mapped[datetime | None] = mapped_column(index=True)
    due_at: Mapped[datetime | None]
    # Set while the case waits on the firm: the clock is stopped from this moment.
    paused_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    # The desk's own working time from filing to acceptance, set when the case is accepted.
    desk_seconds: Mapped[int | None]
    closed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    # The title's and description's bigrams (onestop/search.py), kept by _keep_grams.
    search_grams: Mapped[str] = mapped_column(Text, default="", server_default="")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_cases_priority_rank", "priority_rank", "id"),
        # The queue's open requests in each of its orders, without touching the closed ones.
        *(Index(f"ix_cases_open_{name}", *columns, "id", sqlite_where=_OPEN,
                postgresql_where=_OPEN) for name, columns in (
            ("due", ("due_at",)), ("submitted", ("submitted_at",)),
            ("priority", ("priority_rank",)))),
        Index("ix_cases_status_submitted_at", "status", "submitted_at"),
        # Every request in the list's orders, the id breaking ties (many fall due at 18:00).
        Index("ix_cases_due_id", "due_at", "id"),
        Index("ix_cases_submitted_id", "submitted_at", "id"),
        Index("ix_cases_status_due_at", "status", "due_at"),
        Index("ix_cases_status_review_due_at", "status", "review_due_at"),
        Index("ix_cases_firm_due_id", "firm_id", "due_at", "id"),
        Index("ix_cases_search_grams", text(SEARCH_VECTOR),
              postgresql_using="gin").ddl_if(dialect="postgresql"),
    )

    firm = relationship("Firm")
    request_type = relationship("RequestType")
    owner = relationship("User", foreign_keys=[owner_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    tasks = relationship("AgencyTask", back_populates="case", order_by="AgencyTask.id")
    comments = relationship("Comment", back_populates="case", order_by="Comment.created_at")
    attachments = relationship("Attachment", back_populates="case", order_by="Attachment.id")
    events = relationship("Event", back_populates="case", order_by="Event.id")

    @property
    def reference(self) -> str:
        return reference(self.id, self.submitted_at)


def reference(case_id: int, submitted_at: datetime) -> str:
    """How people name a case: OS-2026-00042."""
    return f"OS-{submitted_at:%Y}-{case_id:05d}"


@event.listens_for(Case, "before_insert")
@event.listens_for(Case, "before_update")
def _keep_case_grams(_mapper, _connection, case: Case) -> None:
    case.search_grams = grams(case.title, case.description)


class SavedView(db.Model):
    """A caseworker's named filter set of the case queue (its query string, validated)."""

    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    query: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Comment(db.Model):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    audience: Mapped[str] = mapped_column(String(10), default=NoteAudience.PUBLIC)
    # A partner's request for information (보완요구) to the firm.
    is_info_request: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    search_grams: Mapped[str] = mapped_column(Text, default="", server_default="")

    __table_args__ = (Index("ix_comments_search_grams", text(SEARCH_VECTOR),
                            postgresql_using="gin").ddl_if(dialect="postgresql"),)

    case = relationship("Case", back_populates="comments")
    author = relationship("User")
    attachments = relationship("Attachment", back_populates="comment")

    @property
    def is_internal(self) -> bool:
        return self.audience != NoteAudience.PUBLIC


@event.listens_for(Comment, "before_insert")
@event.listens_for(Comment, "before_update")
def _keep_comment_grams(_mapper, _connection, comment: Comment) -> None:
    comment.search_grams = grams(comment.body)


def _searched_on_sqlite(table) -> None:
    """The table's FTS5 index is made and dropped with it (onestop/search.py)."""
    for statement in sqlite_index(table.name):
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="sqlite"))
    for statement in sqlite_drop(table.name):
        event.listen(table, "before_drop", DDL(statement).execute_if(dialect="sqlite"))


_searched_on_sqlite(Case.__table__)
_searched_on_sqlite(Comment.__table__)


class Attachment(StoredFile, db.Model):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"))

    case = relationship("Case", back_populates="attachments")
    comment = relationship("Comment", back_populates="attachments")
    uploaded_by = relationship("User")


class Event(db.Model):
    """Append-only history of a case and its tasks."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("agency_tasks.id"))
    # The comment an event records: who may read the event follows who may read the comment.
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text, default="")
    # Facts the notifications need besides the detail text (an assignment's previous
    # assignee, a new due date, the tasks a firm's comment answered).
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    # Internal events (notes, due-date overrides with reasons) are never shown to the firm.
    is_internal: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case = relationship("Case", back_populates="events")
    task = relationship("AgencyTask")
    comment = relationship("Comment")
    actor = relationship("User")

    # The desk's "reopened" section and queue filter (cases/urgency.py) look for one action.
    __table_args__ = (Index("ix_events_action_case_id", "action", "case_id"),)


class SatisfactionAnswer(db.Model):
    """The firm's one answer (1–5, optional comment) after its case resolved:
    the service figures read it per organization and request type."""

    __tablename__ = "satisfaction_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    score: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    case = relationship("Case")


class Objection(db.Model):
    """A firm's objection to a rejection of its request (민원처리법 §35): its reasons and
    files are a public comment on the case; the desk decides by decision_due_at. One per
    rejection: upheld, the request goes back to review and may be rejected again."""

    __tablename__ = "objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id"))
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filed_at: Mapped[datetime]
    decision_due_at: Mapped[datetime] = mapped_column(index=True)
    extended: Mapped[bool] = mapped_column(default=False)
    decision: Mapped[str] = mapped_column(String(20), default="", index=True)  # '' pending
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    case = relationship("Case")
    comment = relationship("Comment")
