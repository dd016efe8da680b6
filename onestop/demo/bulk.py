"""City-scale demo data: `flask demo seed --cases N` adds N requests on top of the demo, with
their partner tasks, comments and history, for measuring pages at 100k or 1M cases.

The rows are generated in Python (demo/stories.py) and written without the ORM: COPY on
PostgreSQL, executemany on SQLite, all in one transaction so a failed run adds nothing. Ids
are taken from the tables' sequences up front, under a lock that keeps other writers out
meanwhile, so a second run adds more cases with references of their own."""
import json
import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial
from itertools import accumulate

from flask import current_app
from sqlalchemy import Table, select, text

from onestop.accounts.models import Role, User
from onestop.accounts.services import hash_password
from onestop.catalog.fields import clean_value
from onestop.catalog.models import RequestType
from onestop.db import utcnow
from onestop.demo import phrases
from onestop.demo.clock import WorkClock
from onestop.demo.seed import DEMO_PASSWORD
from onestop.demo.stories import (
    CASE_COLUMNS,
    COMMENT_COLUMNS,
    EVENT_COLUMNS,
    TASK_COLUMNS,
    Catalog,
    Rows,
    Storyteller,
)
from onestop.extensions import db
from onestop.firms.models import Firm
from onestop.orgs.models import Organization, OrgKind
from onestop.workdays.services import work_calendar

BULK_FIRMS = 200
BRN_PREFIX = "97"  # the bulk firms' registration numbers; the demo's never start so
CASEWORKERS = [("desk2@city.example", "원스톱 김도현"), ("desk3@city.example", "원스톱 박소율"),
               ("desk4@city.example", "원스톱 이준서"), ("desk5@city.example", "원스톱 최다인")]
TABLES = ("cases", "agency_tasks", "comments", "events")
CHUNK = 5000


def add_cases(count: int, *, now: datetime | None = None, seed: int | None = None,
              progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Add `count` cases (with tasks, comments, events) to a seeded demo; returns the rows
    written per table. The demo must be loaded (demo.seed.seed)."""
    now = now or utcnow()
    started = time.monotonic()
    catalog = _catalog()
    db.session.commit()  # the firms and people, before the tables are locked
    postgres = db.engine.dialect.name == "postgresql"
    ids = _reserve_ids(postgres)
    # Loading more than the tables hold, building their indexes and checking their foreign
    # keys once afterwards (as pg_restore does) is several times faster than row by row.
    rebuild = _set_aside_indexes() if postgres and count >= _case_count() else []
    first = dict(ids)
    teller = Storyteller(catalog, WorkClock(work_calendar(), now), ids,
                         first["cases"] if seed is None else seed)
    layouts = [(name, *_layout(name, columns, catalog.search_grams and name in (
        "cases", "comments"))) for name, columns in zip(
        TABLES, (CASE_COLUMNS, TASK_COLUMNS, COMMENT_COLUMNS, EVENT_COLUMNS), strict=True)]
    write = partial(_copy if postgres else _insert,
                    db.session.connection().connection.driver_connection, layouts)
    # PostgreSQL stores one chunk while Python makes the next.
    with ThreadPoolExecutor(max_workers=1) as writer:
        written = None
        for start in range(0, count, CHUNK):
            rows = Rows()
            for _ in range(min(CHUNK, count - start)):
                teller.tell(rows)
            if written:
                written.result()
            written = writer.submit(write, rows) if postgres else write(rows)
            if progress:
                progress(f"{start + len(rows.cases):,} cases ({time.monotonic() - started:.0f}s)")
        if written:
            written.result()
    for statement in rebuild:
        db.session.execute(text(statement))
    if rebuild and progress:
        progress(f"indexes and foreign keys back ({time.monotonic() - started:.0f}s)")
    if postgres:
        for name in TABLES:
            if ids[name] > first[name]:
                db.session.execute(text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :v)"),
                                   {"t": name, "v": ids[name] - 1})
    db.session.commit()
    if postgres:  # the planner must know the tables grew a thousandfold
        db.session.execute(text(f"ANALYZE {', '.join(TABLES)}, firms, users"))
        db.session.commit()
        if progress:
            progress(f"analyzed ({time.monotonic() - started:.0f}s)")
    return {name: ids[name] - first[name] for name in TABLES}


def _reserve_ids(postgres: bool) -> dict[str, int]:
    """The first free id of each table, with every other writer kept out until commit."""
    if postgres:
        db.session.execute(text(f"LOCK TABLE {', '.join(TABLES)} IN EXCLUSIVE MODE"))
        query = ("SELECT greatest(nextval(pg_get_serial_sequence('{0}', 'id')), "
                 "(SELECT coalesce(max(id), 0) + 1 FROM {0}))")
    else:
        query = "SELECT coalesce(max(id), 0) + 1 FROM {0}"
    return {name: db.session.execute(text(query.format(name))).scalar_one() for name in TABLES}


def _case_count() -> int:
    return db.session.execute(text("SELECT count(*) FROM cases")).scalar_one()


def _set_aside_indexes() -> list[str]:
    """Drop the secondary indexes and foreign keys of the loaded tables, in the load's
    transaction (under an exclusive lock: readers wait too); returns the statements that
    put them back."""
    tables = "ARRAY[" + ", ".join(f"'{t}'::regclass" for t in TABLES) + "]"
    db.session.execute(text(f"LOCK TABLE {', '.join(TABLES)} IN ACCESS EXCLUSIVE MODE"))
    db.session.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    keys = db.session.execute(text(
        "SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname), "
        "format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname, "
        "pg_get_constraintdef(oid)) FROM pg_constraint "
        f"WHERE contype = 'f' AND conrelid = ANY({tables})")).all()
    indexes = db.session.execute(text(
        "SELECT format('DROP INDEX %s', indexrelid::regclass), pg_get_indexdef(indexrelid) "
        f"FROM pg_index WHERE indrelid = ANY({tables}) AND NOT indisunique")).all()
    for drop, _ in keys + indexes:
        db.session.execute(text(drop))
    return [create for _, create in indexes + keys]


def _layout(name: str, columns: tuple, grams: bool) -> tuple[tuple, tuple]:
    """The columns written and the constant tail of each row: the Python default of every
    required column the stories leave out (so a column added later needs no change here)."""
    table: Table = db.metadata.tables[name]
    columns = columns + (("search_grams",) if grams else ())
    extra, values = [], []
    for column in table.columns:
        if column.name in columns or column.computed is not None or column.nullable \
                or column.server_default is not None:
            continue
        if column.default is None or not column.default.is_scalar:
            raise RuntimeError(f"{name}.{column.name} needs a value in demo/stories.py")
        extra.append(column.name)
        values.append(column.default.arg)
    return columns + tuple(extra), tuple(values)


def _copy(connection, layouts, rows: Rows) -> None:
    with connection.cursor() as cursor:
        for (name, columns, tail), data in zip(layouts, rows.tables(), strict=True):
            with cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in data:
                    copy.write_row(row + tail)


def _sqlite_value(value):
    # As SQLAlchemy's DateTime stores it on SQLite: UTC, no zone.
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(value, datetime) else value


def _insert(connection, layouts, rows: Rows) -> None:
    for (name, columns, tail), data in zip(layouts, rows.tables(), strict=True):
        connection.executemany(
            f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            [tuple(map(_sqlite_value, row + tail)) for row in data])


def _catalog() -> Catalog:
    """What the cases are drawn from, adding the bulk firms and caseworkers when missing."""
    password = hash_password(DEMO_PASSWORD)
    caseworkers = _caseworkers(password)
    partners = db.session.scalars(select(Organization).where(
        Organization.kind != OrgKind.CITY_DESK, Organization.is_active)
        .order_by(Organization.id)).all()
    staff = {org.id: [] for org in partners}
    for user_id, org_id in db.session.execute(select(User.id, User.organization_id).where(
            User.organization_id.in_(staff), User.role.in_((Role.PARTNER, Role.PARTNER_LEAD)),
            User.is_enabled).order_by(User.id)):
        staff[org_id].append(user_id)
    firms = _firms(password, caseworkers)
    rng = random.Random(len(firms))
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(firms))]  # a few busy firms
    rng.shuffle(weights)
    return Catalog(
        types=[_request_type(t) for t in db.session.scalars(
            select(RequestType).where(RequestType.is_active).order_by(RequestType.id))],
        firms=firms, firm_weights=list(accumulate(weights)),
        partners=[org.id for org in partners],
        staff={org: people or [None] for org, people in staff.items()},
        caseworkers=[u.id for u in caseworkers],
        intake=f"{current_app.config['INTAKE_WORKING_DAYS']}d",
        search_grams="search_grams" in db.metadata.tables["cases"].columns)


def _request_type(rt: RequestType) -> tuple:
    checklist = [{"ko": item["ko"], "en": item["en"]} for item in rt.checklist]
    return (rt.id, rt.code, rt.period, rt.consultation_period if rt.deems_permits else rt.period,
            rt.deems_permits, rt.progress_notice_period or "", rt.supplement_period,
            json.dumps([{**item, "done": True} for item in checklist]),
            json.dumps([{**item, "done": i == 0} for i, item in enumerate(checklist)]),
            json.dumps({f["name"]: clean_value(f, "1200") for f in rt.form_fields}),
            [org.id for org in rt.default_partners if org.is_active])


def _caseworkers(password: str) -> list[User]:
    have = {u.email: u for u in db.session.scalars(
        select(User).where(User.role == Role.CASEWORKER).order_by(User.id))}
    desk = db.session.scalar(select(User.organization_id).where(
        User.email == "desk@city.example"))
    for email, name in CASEWORKERS:
        if email not in have:
            have[email] = User(email=email, name=name, role=Role.CASEWORKER,
                               password_hash=password, organization_id=desk)
            db.session.add(have[email])
    db.session.flush()
    return list(have.values())


def _firms(password: str, caseworkers: list[User]) -> list[tuple[int, int, int | None]]:
    """(firm, its first member, its account officer) of every firm with a member, after
    adding the BULK_FIRMS firms of the bulk data that are not there yet."""
    have = set(db.session.scalars(select(Firm.brn).where(Firm.brn.startswith(BRN_PREFIX))))
    for i in range(BULK_FIRMS):
        brn = f"{BRN_PREFIX}{i:08d}"
        if brn in have:
            continue
        prefix, (word, industry) = (phrases.FIRM_PREFIXES[i % 20],
                                    phrases.FIRM_WORDS[i // 20 % len(phrases.FIRM_WORDS)])
        firm = Firm(name=f"{prefix}{word}(주)", brn=brn, industry=industry,
                    site=phrases.SITES[i % 3].format(f"{'ABCDEFGH'[i % 8]}-{i % 17 + 1}"),
                    phase=1 + i % 3,
                    account_officer=caseworkers[i % len(caseworkers)] if i % 10 < 7 else None)
        db.session.add(firm)
        db.session.add(User(email=f"ceo@bulk{i:03d}.example", role=Role.FIRM, firm=firm,
                            name=f"{prefix}{word} 대표 {phrases.PEOPLE[i % len(phrases.PEOPLE)]}",
                            password_hash=password))
    db.session.flush()
    members = {}
    for firm_id, user_id in db.session.execute(select(User.firm_id, User.id).where(
            User.role == Role.FIRM, User.firm_id.is_not(None), User.is_enabled)
            .order_by(User.id)):
        members.setdefault(firm_id, user_id)
    return [(firm_id, members[firm_id], officer) for firm_id, officer in db.session.execute(
        select(Firm.id, Firm.account_officer_id).order_by(Firm.id)) if firm_id in members]
