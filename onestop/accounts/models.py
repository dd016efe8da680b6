"""User accounts and sign-in failures."""
from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onestop.db import utcnow
from onestop.extensions import db


class Role(StrEnum):
    FIRM = "firm"
    CASEWORKER = "caseworker"
    PARTNER = "partner"
    PARTNER_LEAD = "partner_lead"
    ADMIN = "admin"


STAFF_ROLES = (Role.CASEWORKER, Role.ADMIN)        # the city one-stop desk
PARTNER_ROLES = (Role.PARTNER, Role.PARTNER_LEAD)  # a partner organization's people


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(5), default="ko")
    is_enabled: Mapped[bool] = mapped_column(default=True)
    # Bumped on sign-out and password change; the session carries it, so old cookies die.
    session_version: Mapped[int] = mapped_column(default=1)
    # Set when an invitation is sent, cleared when it is used: makes the link one-time.
    invite_nonce: Mapped[str | None] = mapped_column(String(64))
    # Notification kinds this user does not want by email (in-app they still show).
    email_muted_kinds: Mapped[list] = mapped_column(JSON, default=list)
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("firms.id"))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    firm = relationship("Firm", foreign_keys=[firm_id])
    organization = relationship("Organization")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return self.is_enabled

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_partner(self) -> bool:
        return self.role in PARTNER_ROLES

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class LoginFailure(db.Model):
    """One failed sign-in; counted per account and per address to slow guessing."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
