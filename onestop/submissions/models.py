"""Claimed submission tokens and uploads kept while a refused form is corrected."""
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from onestop.db import utcnow
from onestop.extensions import db


class Submission(db.Model):
    """A form's one-time token, claimed in the transaction that acted on the form."""

    __tablename__ = "submissions"

    # A token is one user's: another's cannot land anyone on someone else's result.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Where the first submit landed; a repeat is sent there too.
    landing: Mapped[str] = mapped_column(String(500), default="")
    # An API call's body (SHA-256): its Idempotency-Key sent again with another is refused.
    fingerprint: Mapped[str] = mapped_column(String(64), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class PendingUpload(db.Model):
    """A checked file of a refused submit, kept for its user to send again with the form."""

    __tablename__ = "pending_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int]
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
