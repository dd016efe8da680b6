"""Replies by email: the reply address each notification carries."""
from flask import current_app
from itsdangerous import TimestampSigner

from onestop.cases.models import NoteAudience

_AUDIENCE_CODES = {"": "d", NoteAudience.PUBLIC: "p", NoteAudience.PARTNERS: "n",
                   NoteAudience.DESK: "k"}


def _signer() -> TimestampSigner:
    config = current_app.config
    return TimestampSigner([*config.get("SECRET_KEY_FALLBACKS", []), config["SECRET_KEY"]],
                           salt="reply")


def reply_address(row) -> str:
    """reply+<token>@<domain>: the token names the recipient, the case and the audience a
    reply goes to (that of the note it answers; else the replier's usual one), signed."""
    comment = row.event.comment if row.event_id and row.event.comment_id else None
    audience = comment.audience if comment is not None and comment.is_internal else ""
    token = _signer().sign(f"{row.user_id}.{row.case_id}.{_AUDIENCE_CODES[audience]}").decode()
    return f"reply+{token}@{current_app.config['REPLY_DOMAIN']}"
