"""Password rules: long enough, not common, not built from the user's name or email.

Checked offline with zxcvbn (its bundled lists of common passwords, words, names and
keyboard patterns, plus the user's own name and email as extra words).
"""
import hashlib

from zxcvbn import zxcvbn

from onestop.errors import Invalid
from onestop.i18n import lazy_gettext as _l

MIN_PASSWORD_LENGTH = 12
# zxcvbn's score 3: "safely unguessable", about 10^8 guesses or more.
MIN_SCORE = 3
# What must remain once the name and email are taken out of the password.
MIN_OWN_PART = 8
# zxcvbn slows down on very long input; its verdict is settled well before this.
_CHECKED_PREFIX = 100


def _plain(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def _identity_words(name: str, email: str) -> list[str]:
    local, _, domain = email.lower().partition("@")
    words = [name, local, *name.split(), *local.replace("_", ".").replace("-", ".").split("."),
             *domain.split(".")]
    plain = {_plain(w) for w in words}
    return sorted((w for w in plain if len(w) >= 3), key=len, reverse=True)


def check_password_strength(password: str, *, name: str = "", email: str = "") -> None:
    """Raise Invalid (on the password field) unless the password may be used."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(_l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
                      field="password")
    identity = _identity_words(name, email)
    rest = _plain(password)
    for word in identity:
        rest = rest.replace(word, "")
    if len(rest) < MIN_OWN_PART:
        raise Invalid(_l("Do not build the password from your name or email address."),
                      field="password")
    if zxcvbn(password[:_CHECKED_PREFIX], user_inputs=identity)["score"] < MIN_SCORE:
        raise Invalid(_l("This password is too common or too easy to guess. A few unrelated "
                         "words with a number or sign in between work well."), field="password")


def credentials_fingerprint(user) -> str:
    """Changes whenever the password is set (argon2 salts every hash) or the address changes:
    what a reset link and an API token were issued under dies with it."""
    material = f"{user.password_hash or ''}\0{user.email}".encode()
    return hashlib.sha256(material).hexdigest()[:32]
