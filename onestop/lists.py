"""Long lists a page at a time without counting them: the next page starts after the last
row's sort key (keyset), so page 1,000 costs what page 1 does, and the count shown stops at
COUNT_CAP ("1,000+"). A search narrowing a list is first tested row by row on the next rows
in order (a common word fills the page at once) before its indexes gather the set (fast
only when it is small)."""
import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    tuple_,
)

from onestop.db import MAX_ID
from onestop.extensions import db

COUNT_CAP = 1000
# How many rows in order a narrowing (a search) is tested on, row by row, before its indexes
# gather the set instead.
SCAN_WINDOW = 5000


class BadCursor(ValueError):
    """A cursor this list did not write (edited by hand, or from another sort)."""


@dataclass(frozen=True)
class Key:
    """One column of a list's order. A nullable key sorts its empty rows last."""

    attr: str
    column: ColumnElement
    descending: bool = False
    nullable: bool = False

    def order(self):
        ordered = self.column.desc() if self.descending else self.column.asc()
        return ordered.nulls_last() if self.nullable else ordered


@dataclass
class Page:
    items: list
    next_cursor: str | None
    is_first: bool
    count: int | None  # None: not counted (a narrowing's page found by scanning)
    more: bool = False  # there are more than `count`


@dataclass(frozen=True)
class Narrowing:
    """A condition narrowing a list (a search), in two forms giving the same rows: one its
    indexes serve (a set, fast when it is small) and one tested row by row (fast when the
    rows come in order and many match: the page fills at once)."""

    indexed: ColumnElement[bool]
    row_by_row: ColumnElement[bool]
    # The indexed set is known to be small (a word few rows hold): go to it at once, since
    # scanning rows in order would read the whole window for a page it cannot fill.
    rare: bool = False


def _order_name(keys: tuple[Key, ...]) -> str:
    """Which order a cursor was written in: a cursor of another order is refused."""
    return ",".join(("-" if key.descending else "") + key.attr for key in keys)


def _encode(keys: tuple[Key, ...], values: list) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    raw = json.dumps([_order_name(keys), *plain]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, keys: tuple[Key, ...]) -> list:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if (not isinstance(values, list) or len(values) != len(keys) + 1
                or values[0] != _order_name(keys)):
            raise BadCursor(cursor)
        return [_value(v, key) for v, key in zip(values[1:], keys, strict=True)]
    except (ValueError, TypeError, OverflowError) as error:
        raise BadCursor(cursor) from error


def _value(value, key: Key):
    """A cursor's value as the column holds it; anything the database could not compare
    (out of its range) is refused here rather than failing there."""
    if value is None and key.nullable:
        return None
    column_type = key.column.type
    python_type = getattr(column_type, "impl", column_type).python_type
    if python_type is datetime and isinstance(value, str):
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None or not 2 <= moment.astimezone(UTC).year <= 9998:
            raise BadCursor(value)
        return moment
    if python_type is int and type(value) is int and 0 <= value <= MAX_ID:
        return value
    raise BadCursor(value)


def _after(keys: tuple[Key, ...], values: list) -> ColumnElement[bool]:
    """Rows after the given key values in the keys' order. Only the first key may be
    nullable (what the queue's due-date sorts need); the rest compare as one row value, which
    an index on the keys serves."""
    first, rest = keys[0], keys[1:]
    head, tail = values[0], values[1:]
    if first.nullable and head is None:
        return and_(first.column.is_(None), _beyond(rest, tail))
    whole = _beyond(keys, values)
    return or_(whole, first.column.is_(None)) if first.nullable else whole


def _upto(keys: tuple[Key, ...], values: list) -> ColumnElement[bool]:
    """Rows up to the given key values, them included: the opposite of _after, written as a
    row comparison an index scan stops at (a NOT of _after is only a filter)."""
    first, rest = keys[0], keys[1:]
    head, tail = values[0], values[1:]
    if first.nullable and head is None:
        return or_(first.column.is_not(None), and_(first.column.is_(None),
                                                    _beyond(rest, tail, upto=True)))
    return _beyond(keys, values, upto=True)


def _beyond(keys: tuple[Key, ...], values: list, *, upto: bool = False) -> ColumnElement[bool]:
    if not keys:
        return true() if upto else false()
    if any(key.descending != keys[0].descending for key in keys):
        raise ValueError("a keyset order runs one way")
    row = tuple_(*(k.column for k in keys))
    bound = tuple_(*(literal(v, k.column.type) for k, v in zip(keys, values, strict=True)))
    if upto:
        return row >= bound if keys[0].descending else row <= bound
    return row < bound if keys[0].descending else row > bound


def ordered(stmt: Select, keys: tuple[Key, ...]) -> Select:
    """The statement in the keys' order (a whole list, as downloads read it)."""
    return stmt.order_by(*(key.order() for key in keys))


def page(stmt: Select, keys: tuple[Key, ...], cursor: str | None, per_page: int,
         narrowing: Narrowing | None = None, *, counted: bool = True) -> Page:
    """A page of the statement's rows (entities, or rows of columns named as the keys' attrs)
    in the keys' order, after the cursor. A
    narrowing (then `stmt` is its unnarrowed list) is first tested row by row on the next
    SCAN_WINDOW rows (unless it is rare); only when they do not fill the page do its indexes
    gather the set. Uncounted (the API's pages), it asks no count."""
    orders = [key.order() for key in keys]
    after = _after(keys, _decode(cursor, keys)) if cursor else None
    if narrowing is not None and not narrowing.rare:
        base = stmt if after is None else stmt.where(after)
        bound = db.session.execute(base.with_only_columns(
            *(key.column for key in keys), maintain_column_froms=True)
            .order_by(*orders).offset(SCAN_WINDOW - 1).limit(1)).first()
        scanned = base.where(narrowing.row_by_row)
        if bound is not None:
            scanned = scanned.where(_upto(keys, list(bound)))
        rows = _fetch(scanned.order_by(*orders).limit(per_page + 1))
        if len(rows) > per_page or bound is None:
            return _page(rows, keys, cursor, per_page, count=None)
    if narrowing is not None:
        stmt = stmt.where(narrowing.indexed)
    ordered = stmt.order_by(*orders)
    if after is not None:
        ordered = ordered.where(after)
    rows = _fetch(ordered.limit(per_page + 1))
    if not counted:
        return _page(rows, keys, cursor, per_page, count=None)
    count = capped_count(stmt)
    return _page(rows, keys, cursor, per_page, count=min(count, COUNT_CAP),
                 more=count > COUNT_CAP)


def _fetch(stmt: Select) -> list:
    """The entities of a select of one entity, else its rows (a list of its own columns)."""
    result = db.session.execute(stmt)
    return (result.scalars() if len(stmt.column_descriptions) == 1 else result).all()


def _page(rows: list, keys: tuple[Key, ...], cursor: str | None, per_page: int, *,
          count: int | None, more: bool = False) -> Page:
    items, further = rows[:per_page], len(rows) > per_page
    if count is None and not cursor:  # scanned: a full page and more, or all there is
        count, more = len(items), further
    last = [getattr(items[-1], key.attr) for key in keys] if further else None
    return Page(items=items, next_cursor=_encode(keys, last) if last else None,
                is_first=not cursor, count=count, more=more)


def capped_count(stmt: Select, cap: int | None = None) -> int:
    """How many rows the statement selects, counting no further than cap (COUNT_CAP) + 1."""
    return db.session.scalar(select(capped(stmt, cap)))


def capped(stmt: Select, cap: int | None = None):
    """capped_count as a scalar subquery, to ask several counts in one statement."""
    rows = (stmt.with_only_columns(literal_column("1"), maintain_column_froms=True)
            .order_by(None).limit((COUNT_CAP if cap is None else cap) + 1))
    return select(func.count()).select_from(rows.subquery()).scalar_subquery()
