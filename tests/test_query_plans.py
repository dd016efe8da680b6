"""Every statement the hot pages run has an index to go by: each page is loaded as its users
load it, on a seeded PostgreSQL, and every SELECT it sent is explained with sequential scans
priced out of reach; a `Seq Scan` on cases, agency_tasks or events that remains means no
index can serve it, and at a million rows that statement would read them all."""
import os
import re
import time

import pytest
from sqlalchemy import event, select, text

from onestop import create_app, lists
from onestop.accounts.models import User
from onestop.cases.models import Case
from onestop.demo.bulk import add_cases
from onestop.demo.seed import seed
from onestop.extensions import db
from onestop.orgs.models import Organization
from tests.databases import throwaway_postgres

BIG_TABLES = re.compile(r"Seq Scan on (cases|agency_tasks|events)\b")
# An index read in order while most of what it reads is thrown away (closed cases, finished
# tasks) grows with the data as surely as a sequential scan.
# A search is tested row by row on at most SCAN_WINDOW rows in order (onestop/lists.py).
THROWN_AWAY = re.compile(r"Rows Removed by Filter: (\d+)")
MOST_THROWN_AWAY = lists.SCAN_WINDOW


def _most_thrown_away_by_an_ordered_index_read(plan: str) -> int:
    most, node = 0, ""
    for line in plan.splitlines():
        if "->" in line or not node:
            node = line
        found = THROWN_AWAY.search(line)
        if found and re.search(r"Index (Only )?Scan (Backward )?using", node):
            most = max(most, int(found.group(1)))
    return most
PAGES = [
    ("desk@city.example", "/cases/"),
    ("desk@city.example", "/cases/?status=&sort=priority"),
    ("desk@city.example", "/cases/?status=&sort=-submitted"),
    ("desk@city.example", "/cases/?organization={union}"),
    ("desk@city.example", "/cases/?status=&q=승인"),
    ("desk@city.example", "/cases/?status=&q=채용 OS-2026-00003"),
    ("desk@city.example", "/cases/?status=&firm={firm}"),
    ("desk@city.example", "/cases/?need=declined"),
    ("desk@city.example", "/cases/?overdue=y"),
    ("desk@city.example", "/"),
    ("desk@city.example", "/cases/{case}"),
    ("desk@city.example", "/tasks/"),
    ("staff@union.example", "/tasks/"),
    ("staff@union.example", "/"),
    ("staff@union.example", "/cases/?status="),
    ("ceo@carbonfiber.example", "/"),
    ("ceo@carbonfiber.example", "/cases/?q=승인"),
]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        pytest.fail("the query plans are PostgreSQL's: set TEST_DATABASE_URL")
    base = tmp_path_factory.mktemp("plans")
    with throwaway_postgres(server, "onestop_plans") as url:
        app = create_app("test", SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=str(base / "uploads"),
                         OUTBOX_DIR=str(base / "outbox"), INSTANCE_DIR=str(base),
                         SERVER_NAME="onestop.test", SMTP_URL="",
                         CELERY_BROKER_URL=f"sqla+sqlite:///{base / 'broker.sqlite'}")
        with app.app_context():
            db.create_all()
            seed()
            add_cases(20_000, seed=7)
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
            yield app
            db.session.remove()
            db.engine.dispose()


def _signed_in(app, email):
    client = app.test_client()
    user = db.session.scalar(select(User).where(User.email == email))
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["signed_in_at"] = session["seen_at"] = session["auth_at"] = time.time()
    return client


def _selects_of(app, client, url) -> list[tuple[str, object]]:
    sent = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and not executemany:
            sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 200, url
    return sent


def _plan(statement: str, parameters=None, analyze: bool = False) -> str:
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("SET enable_seqscan = off")
        cursor.execute(("EXPLAIN ANALYZE " if analyze else "EXPLAIN ") + statement, parameters)
        return "\n".join(row[0] for row in cursor.fetchall())
    finally:
        raw.rollback()
        raw.close()


def test_the_check_sees_a_statement_no_index_serves(seeded):
    with seeded.app_context():
        assert BIG_TABLES.search(_plan("SELECT id FROM cases WHERE title ILIKE '%승인%'"))
        assert not BIG_TABLES.search(_plan(
            "SELECT id FROM cases WHERE to_tsvector('simple', search_grams) "
            "@@ to_tsquery('simple', '승인') AND title ILIKE '%승인%'"))


@pytest.mark.parametrize(("email", "url"), PAGES)
def test_no_hot_statement_reads_a_big_table_whole(seeded, email, url):
    with seeded.app_context():
        url = url.format(
            union=db.session.scalar(select(Organization.id).where(
                Organization.name_en.like("%Labor Union%"))),
            firm=db.session.scalar(select(Case.firm_id).order_by(Case.id.desc()).limit(1)),
            case=db.session.scalar(select(Case.id).order_by(Case.id.desc()).limit(1)))
        statements = _selects_of(seeded, _signed_in(seeded, email), url)
        assert statements, "the page ran its queries"
        for statement, parameters in statements:
            plan = _plan(statement, parameters)
            assert not BIG_TABLES.search(plan), f"{url} as {email}:\n{statement}\n{plan}"
            ran = _plan(statement, parameters, analyze=True)
            assert _most_thrown_away_by_an_ordered_index_read(ran) <= MOST_THROWN_AWAY, \
                f"{url} as {email}:\n{statement}\n{ran}"
