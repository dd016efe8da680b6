"""Sign-in, sessions, passwords and invitations."""
import secrets
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from onestop import policy
from onestop.accounts.models import PARTNER_ROLES, LoginFailure, Role, User
from onestop.errors import Conflict, Invalid, NotAllowed
from onestop.extensions import db

_hasher = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) defaults
MIN_PASSWORD_LENGTH = 10
# Verified against when the account is unknown, so timing does not tell which emails exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(_l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH), field="password")


def load_session_user(session_id: str) -> User | None:
    """Flask-Login loader: the id carries the session version, so bumped versions log out."""
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version) or not user.is_enabled:
        return None
    return user


def authenticate(email: str, password: str, address: str, *, now: datetime) -> User:
    """Return the user for these credentials, or raise Invalid; too many failures lock out."""
    email = email.strip().lower()
    window_start = now - current_app.config["LOGIN_FAILURE_WINDOW"]
    failures = db.session.execute(
        select(
            func.count().filter(LoginFailure.email == email),
            func.count().filter(LoginFailure.address == address),
        ).where(LoginFailure.at >= window_start)
    ).one()
    if (failures[0] >= current_app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
            or failures[1] >= current_app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]):
        raise NotAllowed(_l("Too many failed sign-ins. Wait 15 minutes and try again."))
    user = db.session.scalar(select(User).where(User.email == email))
    try:
        _hasher.verify(user.password_hash if user and user.password_hash else _DUMMY_HASH,
                       password)
        ok = user is not None and user.password_hash is not None and user.is_enabled
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        db.session.add(LoginFailure(email=email, address=address, at=now))
        raise Invalid(_l("Email or password is wrong."))
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def end_all_sessions(user: User) -> None:
    """Sign the user out everywhere: every session cookie carries the old version."""
    user.session_version += 1


def change_password(user: User, current: str, new: str) -> None:
    try:
        _hasher.verify(user.password_hash or _DUMMY_HASH, current)
    except (VerificationError, InvalidHashError):
        raise Invalid(_l("The current password is wrong."), field="current_password") from None
    check_password_strength(new)
    user.password_hash = hash_password(new)
    end_all_sessions(user)


def set_locale(user: User, locale: str) -> None:
    if locale not in current_app.config["LANGUAGES"]:
        raise Invalid(_l("Unknown language."))
    user.locale = locale


def _invite_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="invite")


def check_membership(role: str, firm, organization) -> None:
    """A firm member belongs to a firm; a partner to a partner organization."""
    if role not in set(Role):
        raise Invalid(_l("Unknown role."), field="role")
    if role == Role.FIRM and firm is None:
        raise Invalid(_l("A firm member needs a firm."), field="firm")
    if role in PARTNER_ROLES and (organization is None
                                                      or not organization.is_partner):
        raise Invalid(_l("A partner member needs a partner organization."),
                      field="organization")


def invite_user(actor: User, *, email: str, name: str, role: str, firm=None,
                organization=None, locale: str = "ko") -> tuple[User, str]:
    """Create a user without a password and return them with a one-time invitation token."""
    if firm is not None:
        policy.require(actor, "firm.invite", firm)
    else:
        policy.require(actor, "admin.manage")
    email = email.strip().lower()
    if db.session.scalar(select(User.id).where(User.email == email)):
        raise Conflict(_l("A user with this email exists already."), field="email")
    check_membership(role, firm, organization)
    user = User(email=email, name=name.strip(), role=role, locale=locale,
                firm=firm if role == Role.FIRM else None,
                organization=organization if role != Role.FIRM else None)
    db.session.add(user)
    db.session.flush()
    return user, reissue_invitation(user)


def reissue_invitation(user: User) -> str:
    """A fresh token; any earlier one for this user stops working."""
    user.invite_nonce = secrets.token_urlsafe(16)
    return _invite_serializer().dumps({"uid": user.id, "nonce": user.invite_nonce})


def user_for_invitation(token: str) -> User:
    """The invited user, or Invalid when the link is tampered with, expired or used."""
    try:
        data = _invite_serializer().loads(
            token, max_age=current_app.config["INVITE_MAX_AGE_SECONDS"]
        )
    except SignatureExpired:
        raise Invalid(_l("This invitation has expired. Ask the one-stop desk for a new one.")) from None
    except BadSignature:
        raise Invalid(_l("This invitation link is not valid.")) from None
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or not user.invite_nonce or user.invite_nonce != data.get("nonce"):
        raise Invalid(_l("This invitation has been used already. Sign in instead."))
    return user


def accept_invitation(token: str, password: str) -> User:
    user = user_for_invitation(token)
    check_password_strength(password)
    user.password_hash = hash_password(password)
    user.invite_nonce = None
    end_all_sessions(user)
    return user
