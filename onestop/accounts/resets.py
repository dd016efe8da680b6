"""Forgotten passwords: a request that reads the same whether or not the address has an
account, a signed link valid for an hour and once, and the new password it sets.

The page only counts the request (per email typed and per client address) and hands it to a
worker, so its work and its answer are the same for every address; the worker looks the
address up and, for an account that may sign in, writes the email into the ledger. The link
is bound to the account's password hash and address: setting a password (this way or any
other) or changing the address kills every link sent before.
"""
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired
from sqlalchemy import select

from onestop.accounts import throttle
from onestop.accounts.models import User
from onestop.accounts.passwords import credentials_fingerprint
from onestop.accounts.services import set_new_password
from onestop.accounts.tokens import serializer
from onestop.audit.events import security_event
from onestop.errors import Invalid
from onestop.extensions import db
from onestop.i18n import lazy_gettext as _l
from onestop.notifications.ledger import write_account_message
from onestop.notifications.models import AlertKind

_SALT = "password-reset"
RESET_PATH = "/password/reset/{token}"


class LinkRefused(Invalid):
    """A reset link that cannot be used; `reason` (expired, invalid, used) goes to the log."""

    def __init__(self, message, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def normalized_email(text: str) -> str:
    """An address as accounts store it (and as the unique index compares it)."""
    return text.strip().lower()


def _email_key(email: str) -> str:
    return f"reset:{email}"


def ask_for_reset(email: str, address: str, *, now: datetime) -> str:
    """Count one request under the email as typed (an account or not, so a wait tells
    nothing about who has one) and under the client's address; raises Throttled when either
    is spent (commits). Returns the normalized email, for the worker to look up."""
    email = normalized_email(email)
    throttle.claim([_email_key(email), f"reset_from:{address}"], now=now)
    return email


def reset_token(user: User) -> str:
    return serializer(_SALT).dumps({"uid": user.id, "fp": credentials_fingerprint(user)})


def mail_reset_link(email: str, request_key: str, *, now: datetime) -> list[int]:
    """The worker's half: for an account that may sign in, one email with a fresh link under
    the request's own key (a form sent twice makes one email). Returns the new row ids."""
    user = db.session.scalar(select(User).where(User.email == normalized_email(email)))
    if user is None or not user.is_enabled:
        security_event("password.reset_link", email=email,
                       outcome="no-account" if user is None else "disabled")
        return []
    ids = write_account_message(
        user, AlertKind.PASSWORD_RESET, f"password-reset:u{user.id}:{request_key}",
        {"path": RESET_PATH.format(token=reset_token(user))}, now=now)
    security_event("password.reset_link", user=user, outcome="written" if ids else "repeat")
    return ids


def user_for_reset(token: str) -> User:
    """The account a link is for, or LinkRefused when it is expired, tampered with, used, or
    outdated by a new password or address."""
    try:
        data = serializer(_SALT).loads(
            token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE_SECONDS"])
    except SignatureExpired:
        raise LinkRefused(_l("This link has expired: a link to set a password works for one "
                             "hour. Ask for a new one."), "expired") from None
    except BadSignature:
        raise LinkRefused(_l("This link is not valid. Copy the whole link from the email, or "
                             "ask for a new one."), "invalid") from None
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or not user.is_enabled:
        raise LinkRefused(_l("This link is not valid. Copy the whole link from the email, or "
                             "ask for a new one."), "invalid")
    if data.get("fp") != credentials_fingerprint(user):
        raise LinkRefused(_l("This link has been used already, or the password or address of "
                             "the account changed since. Sign in, or ask for a new link."),
                          "used")
    return user


def reset_password(token: str, password: str) -> User:
    """Set the new password from a link: the link dies with the old hash, every session of the
    account ends, an unused invitation is used up. Two-step sign-in stays as it was."""
    user = user_for_reset(token)
    set_new_password(user, password)
    user.invite_nonce = None
    throttle.reset(_email_key(user.email))
    return user
