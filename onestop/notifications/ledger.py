"""The ledger's one way in: rows written under their unique key in the transaction of the
change that calls for them, and their deliveries queued once that transaction has committed
(never before: a rolled-back change sends nothing)."""
from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from onestop.db import after_commit
from onestop.extensions import db
from onestop.jobs import enqueue_deliveries
from onestop.notifications.models import Notification, Status

ROWS_PER_STATEMENT = 500


def insert():
    return pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert


def write(rows: list[dict]) -> list[int]:
    """Insert the rows, leaving alone any whose key was written before; returns the new ids.
    Those due for an email now are queued after the commit."""
    ids, due_now = [], []
    table = Notification.__table__
    # One statement compiled once and run over the rows (SQLAlchemy batches them into
    # multi-row INSERTs): a VALUES list of its own for each batch costs more to compile
    # than to run.
    stmt = (insert()(table).on_conflict_do_nothing(index_elements=["key"])
            .returning(table.c.id, table.c.status, table.c.next_attempt_at))
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        batch = rows[start:start + ROWS_PER_STATEMENT]
        for row_id, status, next_attempt_at in db.session.execute(stmt, batch):
            ids.append(row_id)
            if status == Status.QUEUED and next_attempt_at is None:
                due_now.append(row_id)
    after_commit(db.session, enqueue_deliveries, due_now)
    return ids


def row(*, key: str, user_id: int, kind: str, now: datetime, params: dict | None = None,
        case_id: int | None = None, task_id: int | None = None, event_id: int | None = None,
        rule_id: int | None = None, firm_id: int | None = None, status: str = Status.QUEUED,
        next_attempt_at: datetime | None = None) -> dict:
    """One row's values, as `write` takes them."""
    return {"key": key[:200], "user_id": user_id, "kind": kind, "rule_id": rule_id,
            "case_id": case_id, "task_id": task_id, "event_id": event_id, "firm_id": firm_id,
            "params": params or {}, "status": status, "attempts": 0, "last_error": "",
            "next_attempt_at": next_attempt_at,
            # A row held back (quiet hours) is handed out by the sweep once it is due.
            "enqueued_at": None if next_attempt_at else now, "created_at": now}


def write_account_message(user, kind: str, key: str, params: dict, *, now: datetime) -> list[int]:
    """One message about the account itself (no case) under a unique key: [id] when new,
    [] when the key was written before."""
    return write([row(key=key, user_id=user.id, kind=kind, params=params, now=now)])
