"""Security events as JSON lines on stdout (logger `onestop.security`).

Sign-ins, failures, throttling, two-factor changes and refusals are written at once; admin
changes are written when their transaction commits (and dropped if it rolls back), so the
log never tells of a change that did not happen.
"""
import json
import logging
import sys
from datetime import UTC, datetime

from flask import has_request_context, request
from sqlalchemy.orm import Session

from onestop.db import after_commit

logger = logging.getLogger("onestop.security")


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever sys.stdout is at the moment (a test's capture, a worker's pipe)."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, value) -> None:
        pass


def configure() -> None:
    """One JSON line per event on stdout; called by create_app (idempotent)."""
    if not any(isinstance(h, _StdoutHandler) for h in logger.handlers):
        handler = _StdoutHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def _line(name: str, *, user=None, email: str | None = None, address: str | None = None,
          obj: str | None = None, outcome: str = "ok", at: datetime | None = None,
          **details) -> str:
    if address is None and has_request_context():
        address = request.remote_addr
    fields = {
        "event": name,
        "at": (at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="milliseconds"),
        "user_id": getattr(user, "id", None),
        "email": email if email is not None else getattr(user, "email", None),
        "address": address,
        "object": obj,
        "outcome": outcome,
        **details,
    }
    return json.dumps(fields, ensure_ascii=False, default=str, sort_keys=False)


def security_event(name: str, **fields) -> None:
    """Write one event now: name like 'signin.failure', fields user/email/address/obj/outcome."""
    logger.info(_line(name, **fields))


def security_event_on_commit(session: Session, name: str, **fields) -> None:
    """Write one event when the session's transaction commits; never if it rolls back."""
    after_commit(session, _write, [_line(name, **fields)])


def _write(lines: list[str]) -> None:
    for line in lines:
        logger.info(line)
