"""Personal access tokens for the JSON API: issued to a user, shown once, kept as a hash,
limited in time and in scope (read, or read and write), revoked by their owner."""
import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from onestop import policy
from onestop.accounts import twofactor
from onestop.accounts.models import AccessToken, User
from onestop.accounts.passwords import credentials_fingerprint
from onestop.errors import Invalid
from onestop.extensions import db
from onestop.i18n import lazy_gettext as _l

SCOPES = {"read": _l("Read"), "write": _l("Read and write")}
LIFETIMES = (30, 90, 365)  # days a token may be made for
PREFIX = "os_"  # marks the secret as ours, for secret scanners and for people
MAX_ACTIVE = 20


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(actor: User, name: str, scope: str, days: int, *,
                 now: datetime) -> tuple[AccessToken, str]:
    """A new token of the actor's; returns it and its secret, which is never stored."""
    name = " ".join(name.split())
    if not name:
        raise Invalid(_l("Give the token a name."), field="name")
    if scope not in SCOPES:
        raise Invalid(_l("Choose read, or read and write."), field="scope")
    if not 1 <= days <= max(LIFETIMES):
        raise Invalid(_l("A token lasts from 1 to %(n)d days.", n=max(LIFETIMES)), field="days")
    fingerprint = credentials_fingerprint(actor)
    # Those made under an old password or email no longer work, so they count for nothing.
    active = db.session.scalar(select(db.func.count()).select_from(AccessToken).where(
        policy.visible_access_tokens(actor), AccessToken.revoked_at.is_(None),
        AccessToken.expires_at > now, AccessToken.credentials == fingerprint))
    if active >= MAX_ACTIVE:
        raise Invalid(_l("You have %(n)d tokens in use: revoke one first.", n=MAX_ACTIVE))
    secret = PREFIX + secrets.token_urlsafe(32)
    token = AccessToken(user=actor, name=name[:80], token_hash=_hash(secret),
                        prefix=secret[:len(PREFIX) + 6], scope=scope,
                        credentials=fingerprint, created_at=now,
                        expires_at=now + timedelta(days=days))
    db.session.add(token)
    db.session.flush()
    return token, secret


def tokens_of(actor: User) -> list[AccessToken]:
    """The actor's tokens, newest first (revoked and expired ones too, for the record)."""
    return list(db.session.scalars(select(AccessToken).where(
        policy.visible_access_tokens(actor)).order_by(AccessToken.id.desc())))


def revoke_token(actor: User, token: AccessToken, *, now: datetime) -> bool:
    """Ends the token; False when it had ended already (nothing to do twice)."""
    policy.require(actor, "token.revoke", token)
    if not is_usable(token, now):
        return False
    token.revoked_at = now
    return True


def is_usable(token: AccessToken, now: datetime) -> bool:
    """Not revoked nor expired, its owner's account enabled and their password and address
    still those it was made under."""
    return (token.revoked_at is None and token.expires_at > now and token.user.is_active
            and token.credentials == credentials_fingerprint(token.user))


def carry_over(user: User, before: str) -> None:
    """The user's tokens made under `before` now stand under their current credentials (a
    new hash of the same password: nothing was learned that could end them)."""
    db.session.execute(update(AccessToken).where(
        AccessToken.user_id == user.id, AccessToken.credentials == before)
        .values(credentials=credentials_fingerprint(user)))


def user_for_token(secret: str, *, now: datetime) -> tuple[User, AccessToken, dict | None] | None:
    """The user a bearer token speaks for, the token, and the two-step rule for staff
    (twofactor.STAFF_RULE, read in the same statement); None when the token is unknown or
    not usable. Its last use is written at most once a minute."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    found = db.session.execute(select(AccessToken, twofactor.STAFF_RULE).where(
        AccessToken.token_hash == _hash(secret)).options(joinedload(AccessToken.user))).first()
    if found is None or not is_usable(found[0], now):
        return None
    token, staff_rule = found
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
    return token.user, token, staff_rule
