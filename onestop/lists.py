"""Long lists a page at a time without counting them: the next page starts after the last
row's sort key (keyset), so page 1,000 costs what page 1 does, and the count shown stops at
COUNT_CAP ("1,000+")."""
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
    tuple_,
)

from onestop.db import MAX_ID
from onestop.extensions import db

COUNT_CAP = 1000


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
    count: int  # at most COUNT_CAP + 1

    @property
    def count_is_capped(self) -> bool:
        return self.count > COUNT_CAP


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


def _beyond(keys: tuple[Key, ...], values: list) -> ColumnElement[bool]:
    if not keys:
        return false()
    if any(key.descending != keys[0].descending for key in keys):
        raise ValueError("a keyset order runs one way")
    row = tuple_(*(k.column for k in keys))
    bound = tuple_(*(literal(v, k.column.type) for k, v in zip(keys, values, strict=True)))
    return row < bound if keys[0].descending else row > bound


def page(stmt: Select, keys: tuple[Key, ...], cursor: str | None, per_page: int) -> Page:
    """A page of the statement's rows (entities) in the keys' order, after the cursor."""
    ordered = stmt.order_by(*(key.order() for key in keys))
    if cursor:
        ordered = ordered.where(_after(keys, _decode(cursor, keys)))
    rows = db.session.scalars(ordered.limit(per_page + 1)).all()
    items, more = rows[:per_page], len(rows) > per_page
    last = [getattr(items[-1], key.attr) for key in keys] if more else None
    return Page(items=items, next_cursor=_encode(keys, last) if last else None,
                is_first=not cursor, count=capped_count(stmt))


def capped_count(stmt: Select) -> int:
    """How many rows the statement selects, counting no further than COUNT_CAP + 1."""
    return db.session.scalar(select(capped(stmt)))


def capped(stmt: Select):
    """capped_count as a scalar subquery, to ask several counts in one statement."""
    rows = (stmt.with_only_columns(literal_column("1"), maintain_column_froms=True)
            .order_by(None).limit(COUNT_CAP + 1))
    return select(func.count()).select_from(rows.subquery()).scalar_subquery()
