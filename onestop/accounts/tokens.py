"""Signed tokens (invitation links, known-device cookies) under the current key and its
fallbacks, so that rotating SECRET_KEY does not break what was signed before."""
from flask import current_app
from itsdangerous import URLSafeTimedSerializer


def serializer(salt: str) -> URLSafeTimedSerializer:
    """Signs with SECRET_KEY; also accepts SECRET_KEY_FALLBACKS (itsdangerous: newest last)."""
    config = current_app.config
    return URLSafeTimedSerializer([*config.get("SECRET_KEY_FALLBACKS", []), config["SECRET_KEY"]],
                                  salt=salt)
