"""Changing one's email address: asked for with the password on the account page, confirmed
from the new address (a link valid for a day and once), told to the old address.

Nothing changes until the link sent to the new address is used. Only the newest link works:
asking again, setting a new password or using the link calls off the ones before.
"""
import secrets
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired
from sqlalchemy import select

from onestop.accounts.models import User
from onestop.accounts.resets import normalized_email
from onestop.accounts.services import reauthenticate
from onestop.accounts.tokens import serializer
from onestop.audit.events import security_event_on_commit
from onestop.errors import Conflict, Invalid
from onestop.extensions import db
from onestop.i18n import lazy_gettext as _l
from onestop.notifications.ledger import write_account_message
from onestop.notifications.models import AlertKind, Notification

_SALT = "email-change"
CONFIRM_PATH = "/account/email/{token}"
MAX_EMAIL_LENGTH = 254


class AlreadyChanged(Invalid):
    """The link was used: the account has the address it names."""


def _confirm_key(user: User) -> str:
    return f"email-confirm:u{user.id}:{user.email_change_nonce}"


def _refuse_taken(address: str, message) -> None:
    if db.session.scalar(select(User.id).where(User.email == address)) is not None:
        raise Conflict(message, field="new_email")


def _checked_address(text: str, user: User) -> str:
    address = normalized_email(text)
    if address == user.email:
        raise Invalid(_l("This is your address already."), field="new_email")
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        raise Invalid(_l("Enter an email address such as name@example.com."),
                      field="new_email") from None
    if len(address) > MAX_EMAIL_LENGTH:
        raise Invalid(_l("Enter an email address such as name@example.com."), field="new_email")
    _refuse_taken(address, _l("Another account uses %(email)s.", email=address))
    return address


def request_email_change(user: User, new_email: str, password: str, code: str = "", *,
                         now: datetime) -> str:
    """After the password (and code) once more: a confirmation link to the new address and a
    notice to the old one, through the ledger. Earlier links stop working. Returns the new
    address as stored."""
    reauthenticate(user, password, code, now=now)
    address = _checked_address(new_email, user)
    user.email_change_nonce = secrets.token_urlsafe(16)
    token = serializer(_SALT).dumps({"uid": user.id, "to": address,
                                     "nonce": user.email_change_nonce})
    write_account_message(user, AlertKind.EMAIL_CONFIRM, _confirm_key(user),
                          {"to": address, "path": CONFIRM_PATH.format(token=token)}, now=now)
    write_account_message(user, AlertKind.EMAIL_NOTICE,
                          f"email-notice:u{user.id}:{user.email_change_nonce}",
                          {"to": user.email, "new": address}, now=now)
    security_event_on_commit(db.session(), "email.change_asked", user=user, at=now,
                             new_email=address)
    return address


def pending_address(user: User) -> str | None:
    """The address a change of this user's waits to be confirmed from, if any."""
    if not user.email_change_nonce:
        return None
    params = db.session.scalar(select(Notification.params)
                               .where(Notification.key == _confirm_key(user)))
    return (params or {}).get("to")


def change_for(token: str) -> tuple[User, str]:
    """The account and the new address of a confirmation link; Invalid (AlreadyChanged when
    it was used) with what to do when the link cannot be used."""
    try:
        data = serializer(_SALT).loads(
            token, max_age=current_app.config["EMAIL_CHANGE_MAX_AGE_SECONDS"])
    except SignatureExpired:
        raise Invalid(_l("This link has expired: a confirmation link works for 24 hours. Ask "
                         "for the change again on your account page.")) from None
    except BadSignature:
        data = None
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    address = data.get("to") if isinstance(data, dict) else None
    if user is None or not user.is_enabled or not isinstance(address, str):
        raise Invalid(_l("This link is not valid. Copy the whole link from the email."))
    if user.email == address:
        raise AlreadyChanged(_l("Your account's address is %(email)s already.", email=address))
    if not user.email_change_nonce or user.email_change_nonce != data.get("nonce"):
        raise Invalid(_l("This link was replaced by a newer one, or the change was called off "
                         "(a new password does that). Ask for the change again on your account "
                         "page."))
    _refuse_taken(address, _l("Another account uses %(email)s now, so it cannot become yours. "
                              "Ask for a change to another address on your account page.",
                              email=address))
    return user, address


def confirm_email_change(token: str, *, now: datetime) -> User:
    """The link from the new address was opened and confirmed: the account takes it."""
    user, address = change_for(token)
    before = user.email
    user.email = address
    user.email_change_nonce = None
    security_event_on_commit(db.session(), "email.changed", user=user, at=now, email=address,
                             before=before, after=address)
    return user
