"""Recording admin changes in the audit table (and the security log), and reading them."""
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from onestop.audit.events import security_event_on_commit
from onestop.audit.models import AuditEntry
from onestop.extensions import db


def summary(obj: Any, fields: tuple[str, ...]) -> dict:
    """A JSON-safe picture of the named fields of obj (empty for None)."""
    if obj is None:
        return {}
    out = {}
    for name in fields:
        value = getattr(obj, name, None)
        if isinstance(value, list):
            value = [getattr(v, "id", v) for v in value]
        elif value is not None and not isinstance(value, bool | int | float | str):
            value = str(value)
        out[name] = value
    return out


def record_change(actor, action: str, object_type: str, object_id: Any, *,
                  before: dict | None = None, after: dict | None = None,
                  now: datetime) -> AuditEntry | None:
    """One audit row (only the fields that changed) and its security-log line at commit."""
    before, after = before or {}, after or {}
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    if before and after and not changed:
        return None
    entry = AuditEntry(
        at=now, actor_id=getattr(actor, "id", None), actor_email=getattr(actor, "email", ""),
        action=action, object_type=object_type, object_id=str(object_id or ""),
        before={k: v for k, v in before.items() if k in changed},
        after={k: v for k, v in after.items() if k in changed})
    db.session.add(entry)
    security_event_on_commit(db.session(), f"admin.{action}", user=actor,
                             obj=f"{object_type}:{object_id}", at=now,
                             before=entry.before, after=entry.after)
    return entry


def audit_entries(*, actor_id: int | None = None, action: str | None = None) -> Select:
    """The audit rows, newest first, optionally of one actor or one action."""
    stmt = select(AuditEntry)
    if actor_id:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
