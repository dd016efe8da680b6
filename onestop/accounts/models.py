"""User accounts, sign-in throttles, recovery codes and the site's security settings."""
from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
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
    # Set when a change of email address is asked for, cleared when its link is used (or the
    # password changes): only the newest link works, and only once.
    email_change_nonce: Mapped[str | None] = mapped_column(String(64))
    # kind -> Choice, for the kinds this user set; the others follow the role's defaults.
    notification_choices: Mapped[dict] = mapped_column(JSON, default=dict)
    # Event emails outside working hours wait for the next working morning.
    has_quiet_hours: Mapped[bool] = mapped_column(default=False)
    # Two-step sign-in (TOTP, RFC 6238): on once enabled_at is set; the last time step used
    # is kept so that a code is accepted only once.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None]
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

    @property
    def has_two_factor(self) -> bool:
        return self.totp_enabled_at is not None

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class LoginThrottle(db.Model):
    """Sign-in attempts under one key (account:<email>, address:<ip>, device:<id>, code:<user>);
    claimed atomically before any password or code is checked."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    attempts: Mapped[int] = mapped_column(default=0)
    blocked_until: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None] = mapped_column(index=True)
    # When the current run of attempts began: one alert email per run.
    episode_started_at: Mapped[datetime | None]


class RecoveryCode(db.Model):
    """A one-time code for signing in without the authenticator; only its hash is kept."""

    __tablename__ = "recovery_codes"
    __table_args__ = (UniqueConstraint("user_id", "code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]


class SiteSetting(db.Model):
    """A setting an admin changes at run time (e.g. two-step sign-in required of staff)."""

    __tablename__ = "site_settings"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[dict] = mapped_column(JSON, default=dict)


class AccessToken(db.Model):
    """A personal access token for the JSON API: only its SHA-256 is kept (it is random and
    long, so a slow hash would add nothing), with the first characters shown to tell tokens
    apart."""

    __tablename__ = "access_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    scope: Mapped[str] = mapped_column(String(10))  # "read" or "write" (read and write)
    # The owner's credentials when it was made (passwords.credentials_fingerprint): a new
    # password or address ends the token, as it ends a reset link.
    credentials: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
