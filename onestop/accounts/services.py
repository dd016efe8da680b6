"""Sign-in, sessions, passwords and invitations."""
import secrets
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired
from sqlalchemy import select

from onestop import policy
from onestop.accounts import access_tokens, devices, throttle, twofactor
from onestop.accounts.models import PARTNER_ROLES, Role, User
from onestop.accounts.passwords import check_password_strength, credentials_fingerprint
from onestop.accounts.tokens import serializer
from onestop.audit.services import record_change, summary
from onestop.db import parse_id, utcnow
from onestop.errors import Conflict, Invalid
from onestop.extensions import db
from onestop.i18n import lazy_gettext as _l
from onestop.notifications.ledger import write_account_message
from onestop.notifications.models import AlertKind

_hasher = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) defaults
# Verified against when the account is unknown, so timing does not tell which emails exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
USER_FIELDS = ("email", "name", "role", "is_enabled", "organization_id", "firm_id", "locale")


class SignInFailed(Invalid):
    """Wrong email or password; alert_ids are account alerts to queue after the commit."""

    def __init__(self, alert_ids: list[int]) -> None:
        super().__init__(_l("Email or password is wrong."))
        self.alert_ids = alert_ids


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _password_matches(user: User | None, password: str) -> bool:
    try:
        _hasher.verify(user.password_hash if user and user.password_hash else _DUMMY_HASH,
                       password)
    except (VerificationError, InvalidHashError):
        return False
    return user is not None and user.password_hash is not None


def load_session_user(session_id: str) -> User | None:
    """Flask-Login loader: the id carries the session version, so bumped versions log out."""
    user_id, _, version = (parse_id(part) for part in session_id.partition(":"))
    if user_id is None or version is None:
        return None
    user = db.session.get(User, user_id)
    if user is None or user.session_version != version or not user.is_enabled:
        return None
    return user


def sign_in_keys(email: str, address: str, device_id: str | None) -> list[str]:
    """A known device counts against itself alone; anyone else against account and address."""
    if device_id:
        return [f"device:{device_id}"]
    return [f"account:{email}", f"address:{address}"]


def authenticate(email: str, password: str, address: str, *, device_token: str | None = None,
                 now: datetime) -> User:
    """The user for these credentials. Raises Throttled before checking anything when the
    keys are blocked, SignInFailed when the credentials are wrong (with an alert to the
    owner the first time a run of failures throttles the account)."""
    email = email.strip().lower()
    user = db.session.scalar(select(User).where(User.email == email))
    device_id = devices.known_device(device_token, user)
    keys = sign_in_keys(email, address, device_id)
    throttle.claim(keys, now=now)
    if not (_password_matches(user, password) and user.is_enabled):
        alerts = [] if device_id or user is None else _alert_when_throttled(user, keys[0], now)
        raise SignInFailed(alerts)
    throttle.reset(keys[0])
    for shared in keys[1:]:
        throttle.refund(shared)
    if _hasher.check_needs_rehash(user.password_hash):
        before = credentials_fingerprint(user)
        user.password_hash = hash_password(password)
        access_tokens.carry_over(user, before)  # the same password: its tokens live on
    return user


def _alert_when_throttled(user: User, key: str, now: datetime) -> list[int]:
    """Tell the owner once per run of failures, when the run first slows the account down."""
    row = throttle.state(key)
    if row is None or row.blocked_until is None or row.blocked_until <= now:
        return []
    episode = row.episode_started_at.isoformat(timespec="seconds")
    return write_account_message(user, AlertKind.SIGNIN_THROTTLED, f"signin:u{user.id}:{episode}",
                       {"failures": row.attempts}, now=now)


def reauthenticate(user: User, password: str, code: str, *, now: datetime) -> None:
    """Check the password (and the authenticator code when two steps are on) of a signed-in
    user again before a sensitive change. Throttled under the user's own key, not the
    account's sign-in key, so that a stranger guessing at the sign-in cannot block it."""
    key = reauth_key(user)
    throttle.claim([key], now=now)
    if not _password_matches(user, password or ""):
        raise Invalid(_l("The password is wrong."), field="reauth_password")
    if user.has_two_factor:
        twofactor.check_code(user, code or "", now=now, field="reauth_code")
    throttle.reset(key)


def end_all_sessions(user: User) -> None:
    """Sign the user out everywhere: every session cookie carries the old version."""
    user.session_version += 1


def reauth_key(user: User) -> str:
    return f"reauth:{user.id}"


def change_password(user: User, current: str, new: str, *, now: datetime) -> None:
    """A new password, once the current one is typed again (throttled, so that a borrowed
    session cannot guess it)."""
    throttle.claim([reauth_key(user)], now=now)
    if not _password_matches(user, current):
        raise Invalid(_l("The current password is wrong."), field="current_password")
    throttle.reset(reauth_key(user))
    set_new_password(user, new)


def set_new_password(user: User, password: str) -> None:
    """The password (once it passes the rules) and what goes with a new one: every session
    ends, and any pending change of email address is called off (whoever asked for it may
    have known the old password)."""
    check_password_strength(password, name=user.name, email=user.email)
    user.password_hash = hash_password(password)
    user.email_change_nonce = None
    end_all_sessions(user)


def set_locale(user: User, locale: str) -> None:
    if locale not in current_app.config["LANGUAGES"]:
        raise Invalid(_l("Unknown language."))
    user.locale = locale


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
                organization=None, locale: str = "ko",
                now: datetime | None = None) -> tuple[User, str]:
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
    now = now or utcnow()
    record_change(actor, "user.invite", "user", user.id, after=summary(user, USER_FIELDS),
                  now=now)
    return user, _send_invitation(actor, user, now=now)


def reissue_invitation(user: User) -> str:
    """A fresh token; any earlier one for this user stops working."""
    user.invite_nonce = secrets.token_urlsafe(16)
    return serializer("invite").dumps({"uid": user.id, "nonce": user.invite_nonce})


def _send_invitation(actor: User, user: User, *, now: datetime) -> str:
    """A fresh token, emailed to the invitee in their language through the ledger (a row of
    its own for each link, so a resend is a new message); returns the token for the page."""
    token = reissue_invitation(user)
    write_account_message(user, AlertKind.INVITATION, f"invitation:u{user.id}:{user.invite_nonce}",
                          {"path": f"/invitation/{token}", "by": actor.name}, now=now)
    return token


def reinvite_user(actor: User, user: User, *, now: datetime) -> str:
    """A new invitation link, emailed again (the old one dies), recorded in the audit log:
    by an admin, or by the desk for a member of a firm."""
    if user.firm is not None:
        policy.require(actor, "firm.invite", user.firm)
    else:
        policy.require(actor, "admin.manage")
    if user.password_hash:
        # A link would let its holder replace the password: that is "forgot password".
        raise Invalid(_l("%(name)s has accepted the invitation already. A forgotten password "
                         "is reset from the sign-in page.", name=user.name))
    record_change(actor, "user.reinvite", "user", user.id, after={"email": user.email}, now=now)
    return _send_invitation(actor, user, now=now)


def user_for_invitation(token: str) -> User:
    """The invited user, or Invalid when the link is tampered with, expired or used."""
    try:
        data = serializer("invite").loads(
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
    set_new_password(user, password)
    user.invite_nonce = None
    return user
