"""Known devices (OWASP "device cookies"): a browser that signed in successfully keeps a
signed cookie naming the user and a random device id. Sign-in attempts from it count
against that device alone, so a stranger who throttles the account or the address does
not keep its owner out."""
import secrets

from flask import current_app
from itsdangerous import BadData

from onestop.accounts.models import User
from onestop.accounts.tokens import serializer

_SALT = "known-device"


def known_device(token: str | None, user: User | None) -> str | None:
    """The device id when the cookie is valid, unexpired and issued to this user."""
    if not token or user is None:
        return None
    try:
        data = serializer(_SALT).loads(
            token, max_age=int(current_app.config["DEVICE_COOKIE_MAX_AGE"].total_seconds()))
    except BadData:
        return None
    if not isinstance(data, dict) or data.get("uid") != user.id:
        return None
    device_id = data.get("did")
    return device_id if isinstance(device_id, str) and device_id else None


def device_token(user: User, device_id: str | None = None) -> str:
    """A fresh cookie value for this user, keeping the device id it had."""
    return serializer(_SALT).dumps({"uid": user.id, "did": device_id or secrets.token_urlsafe(12)})


def set_device_cookie(response, token: str) -> None:
    config = current_app.config
    response.set_cookie(config["DEVICE_COOKIE_NAME"], token,
                        max_age=int(config["DEVICE_COOKIE_MAX_AGE"].total_seconds()),
                        secure=config["SESSION_COOKIE_SECURE"], httponly=True,
                        samesite="Lax", path="/")
