"""Two-step sign-in: an authenticator app (TOTP, RFC 6238) and ten one-time recovery codes."""
import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno
from markupsafe import Markup
from sqlalchemy import delete, func, or_, select, update

from onestop import policy
from onestop.accounts import throttle
from onestop.accounts.models import RecoveryCode, SiteSetting, User
from onestop.audit.services import record_change
from onestop.errors import Conflict, Invalid
from onestop.extensions import db
from onestop.i18n import lazy_gettext as _l

ISSUER = "OneStop"
RECOVERY_CODE_COUNT = 10
# One 30-second step either side of now, for phones whose clocks drift a little.
DRIFT_STEPS = 1
STAFF_SETTING = "require_staff_two_factor"


def new_secret() -> str:
    """160 random bits in base32, as authenticator apps expect."""
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str, title: str) -> Markup:
    """The otpauth URI as an inline SVG QR code (no outside asset, no script)."""
    svg = segno.make(uri, error="m").svg_inline(scale=4, border=2, dark="#000", light="#fff", omitsize=True,
                                                title=title)
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))


def _plain(code: str) -> str:
    return "".join(c for c in code.lower() if c.isalnum())


def _six_digits(plain: str) -> bool:
    return len(plain) == 6 and plain.isascii() and plain.isdigit()


def _hash(code: str) -> str:
    return hashlib.sha256(_plain(code).encode()).hexdigest()


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(c)) for c in codes)
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def enable_two_factor(user: User, secret: str, code: str, *, now: datetime) -> list[str]:
    """Turn two steps on once the app shows a matching code; returns the recovery codes,
    which are shown this once and kept only as hashes."""
    if user.has_two_factor:
        raise Conflict(_l("Two-step sign-in is on already."))
    plain = _plain(code)
    step = _matching_step(secret, plain, now) if _six_digits(plain) else None
    if step is None:
        raise Invalid(_l("The code does not match. Check that your phone's clock is right and "
                         "type the newest code."), field="code")
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = secret, now, step
    return _new_recovery_codes(user)


def disable_two_factor(user: User) -> None:
    """Back to the password alone (the caller checked the password and a code first)."""
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def turn_off_two_factor(user: User) -> None:
    """The user turns their own two steps off, unless an admin requires them of staff."""
    if user.is_staff and staff_must_use_two_factor():
        raise Invalid(_l("An admin requires two-step sign-in of staff; it cannot be turned off."))
    disable_two_factor(user)


def reset_two_factor(actor: User, user: User, *, now: datetime) -> None:
    """An admin turns another user's two steps off (a lost phone); recorded in the audit log."""
    policy.require(actor, "admin.manage")
    if not user.has_two_factor:
        raise Invalid(_l("This user does not use two-step sign-in."))
    record_change(actor, "user.two_factor_reset", "user", user.id,
                  before={"two_factor": True}, after={"two_factor": False}, now=now)
    disable_two_factor(user)


def regenerate_recovery_codes(user: User) -> list[str]:
    """Ten new recovery codes; the old ones stop working."""
    if not user.has_two_factor:
        raise Invalid(_l("Turn on two-step sign-in first."))
    return _new_recovery_codes(user)


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(select(func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


def check_code(user: User, code: str, *, now: datetime, field: str = "code",
               device_id: str | None = None) -> str:
    """Accept a current authenticator code not used before, or an unused recovery code;
    returns which ('totp' or 'recovery'). Guesses are throttled under code:<user id>, or
    under the user's known device alone (so a stranger's guesses do not hold it up)."""
    key = f"code:{user.id}" + (f":{device_id}" if device_id else "")
    throttle.claim([key], now=now)
    plain = _plain(code)
    used = None
    if _six_digits(plain) and user.totp_secret:
        step = _matching_step(user.totp_secret, plain, now)
        # Conditional, so a code seen by someone else a moment later (or twice) is refused.
        if step is not None and db.session.execute(
                update(User).where(User.id == user.id, or_(User.totp_last_step.is_(None),
                                                           User.totp_last_step < step))
                .values(totp_last_step=step).execution_options(synchronize_session=False)
        ).rowcount:
            used = "totp"
    elif len(plain) == 10 and db.session.execute(
            update(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                       RecoveryCode.code_hash == _hash(plain),
                                       RecoveryCode.used_at.is_(None))
            .values(used_at=now).execution_options(synchronize_session=False)).rowcount:
        used = "recovery"
    if used is None:
        raise Invalid(_l("The code is wrong or was used already."), field=field)
    throttle.reset(key)
    return used


# The rule as a column: a sign-in by token reads it with the token, in one statement.
STAFF_RULE = select(SiteSetting.value).where(SiteSetting.key == STAFF_SETTING).scalar_subquery()


def staff_must_use_two_factor() -> bool:
    setting = db.session.get(SiteSetting, STAFF_SETTING)
    return _on(setting.value if setting else None)


def _on(staff_rule: dict | None) -> bool:
    return bool(staff_rule and staff_rule.get("on"))


def set_staff_two_factor(actor: User, required: bool, *, now: datetime) -> None:
    """An admin requires (or stops requiring) two steps of every caseworker and admin."""
    policy.require(actor, "admin.manage")
    setting = db.session.get(SiteSetting, STAFF_SETTING)
    before = bool(setting and setting.value.get("on"))
    if setting is None:
        setting = SiteSetting(key=STAFF_SETTING)
        db.session.add(setting)
    setting.value = {"on": bool(required)}
    record_change(actor, "security.settings", "setting", STAFF_SETTING,
                  before={"staff_two_factor": before}, after={"staff_two_factor": required},
                  now=now)


_UNREAD = object()


def must_set_up(user: User, staff_rule=_UNREAD) -> bool:
    """A caseworker or admin without two steps while an admin requires them of staff.
    `staff_rule` is STAFF_RULE's value when it was read with the user."""
    if not user.is_staff or user.has_two_factor:
        return False
    return staff_must_use_two_factor() if staff_rule is _UNREAD else _on(staff_rule)
