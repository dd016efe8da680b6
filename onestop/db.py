"""Declarative base, naming convention, shared column types, and how a session meets the
database: what waits for its commit, and reads run statement by statement."""
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import DateTime, ForeignKey, MetaData, String, TypeDecorator, event
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    registry,
    scoped_session,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# The largest id the database's integer columns hold (PostgreSQL's integer).
MAX_ID = 2**31 - 1


def parse_id(text) -> int | None:
    """A row id as typed into a URL or a form: ASCII digits the integer columns can hold,
    else None ("²".isdigit() is true, and 10**20 overflows the database)."""
    text = str(text or "")
    if not (text.isascii() and text.isdigit() and len(text) <= 10):
        return None
    number = int(text)
    return number if number <= MAX_ID else None


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; pass an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


class StoredFile:
    """The columns of an uploaded file kept in storage (see onestop/storage.py)."""

    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    # Name of the file under UPLOAD_DIR; random, never derived from the user's filename.
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@contextmanager
def kept_loaded(session: Session) -> Iterator[None]:
    """Commit within without expiring what was loaded: reading it again would cost a query
    each."""
    expiring, session.expire_on_commit = session.expire_on_commit, False
    try:
        yield
    finally:
        session.expire_on_commit = expiring


_STATEMENT_BY_STATEMENT = "onestop.statement_by_statement"


def statement_by_statement(session: Session) -> None:
    """The session's statements run each on its own, without a transaction around them: a read
    saves the BEGIN and ROLLBACK round trips, and psycopg keeps its prepared statements, which
    a ROLLBACK discards. Only for requests that read: under READ COMMITTED each statement sees
    its own snapshot anyway, but writes would no longer be one transaction. A session that is
    in a transaction already (a test's, kept across its requests) is left in it."""
    if not session.in_transaction():
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        session.info[_STATEMENT_BY_STATEMENT] = True


def in_transactions_again(session: Session) -> None:
    """Ends statement_by_statement (at the request's end): the connection goes back to the
    pool, which restores its transactions, and nothing left unwritten is written, so that a
    session kept after the request (a test's) is as it would have been."""
    if session.info.pop(_STATEMENT_BY_STATEMENT, False):
        session.rollback()


_AFTER_COMMIT = "onestop.after_commit"  # [(done, undone, value)], in the order asked
_SAVEPOINTS = "onestop.after_commit.savepoints"  # open savepoint -> how many were waiting then
Handler = Callable[[list], object]
log = logging.getLogger(__name__)


def after_commit(session: Session | scoped_session, done: Handler, values: Iterable,
                 undone: Handler | None = None) -> None:
    """`done(values)` once the session's transaction has committed, never before (emails and
    webhooks queued, stored files kept or removed, log lines written); `undone(values)` if
    what asked for them is rolled back or dropped. A savepoint rolled back (one case of a
    bulk action, a failed flush within it included) takes back only what was asked under it."""
    if isinstance(session, scoped_session):
        session = session()
    if not session.in_transaction():
        session.begin()  # asked for before any statement: it still belongs to a transaction
    session.info.setdefault(_AFTER_COMMIT, []).extend((done, undone, v) for v in values)


def _call_each(handled: Iterable[tuple[Handler | None, object]]) -> None:
    """Each handler once, with its values in the order they were asked for; one that fails
    is logged and the others still run (the transaction is settled already)."""
    grouped: dict[Handler, list] = {}
    for handler, value in handled:
        if handler is not None:
            grouped.setdefault(handler, []).append(value)
    for handler, values in grouped.items():
        try:
            handler(values)
        except Exception:  # noqa: BLE001 - any failure: the rest must not be skipped
            log.exception("after-commit work %r failed", handler)


@event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction) -> None:
    if transaction.nested:
        session.info.setdefault(_SAVEPOINTS, {})[transaction] = len(
            session.info.get(_AFTER_COMMIT, []))


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    released = session.get_nested_transaction()
    if released is not None:  # a savepoint (SQLAlchemy says "commit"): nothing is committed yet
        session.info.get(_SAVEPOINTS, {}).pop(released, None)
        return
    session.info.pop(_SAVEPOINTS, None)
    _call_each((done, v) for done, _undone, v in session.info.pop(_AFTER_COMMIT, []))


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction) -> None:
    """A savepoint that ends still marked was rolled back (a released one lost its mark),
    however it ended (a failed flush rolls it back without a rollback of its own); the
    transaction that ends still holding work did not commit."""
    marks = session.info.get(_SAVEPOINTS, {})
    if transaction in marks:
        waiting = session.info.get(_AFTER_COMMIT, [])
        mark = marks.pop(transaction)
        taken_back = waiting[mark:]
        del waiting[mark:]
    elif transaction.parent is None:
        taken_back = session.info.pop(_AFTER_COMMIT, [])
        session.info.pop(_SAVEPOINTS, None)
    else:
        return
    _call_each((undone, v) for _done, undone, v in taken_back)
