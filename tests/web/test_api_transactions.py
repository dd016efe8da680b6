"""How the API meets the database: a read runs each statement on its own (no BEGIN and
ROLLBACK round trips, and psycopg keeps its prepared statements), a write runs in one
transaction, and a session kept after a read (a test's) is in transactions again."""
from contextlib import contextmanager

from psycopg.pq import TransactionStatus
from sqlalchemy import event, select

from onestop.accounts.models import SiteSetting
from onestop.extensions import db
from tests.web.api_client import auth, file_case, token


def _outside_a_transaction(dbapi_connection) -> bool:
    """After a statement: whether it ran on its own. sqlite3 opens no transaction for a
    SELECT in either mode, so there it is whether autocommit is on."""
    if hasattr(dbapi_connection, "info"):  # psycopg: what the server reports after it
        return dbapi_connection.info.transaction_status == TransactionStatus.IDLE
    return dbapi_connection.isolation_level is None


def _in_a_transaction(dbapi_connection) -> bool:
    if hasattr(dbapi_connection, "info"):
        return dbapi_connection.info.transaction_status != TransactionStatus.IDLE
    return dbapi_connection.in_transaction


@contextmanager
def statements():
    """Each statement run within, as (its first word, whether it ran on its own, whether a
    transaction is open after it)."""
    seen = []

    def after(conn, cursor, statement, parameters, context, executemany):
        dbapi_connection = conn.connection.dbapi_connection
        seen.append((statement.split()[0], _outside_a_transaction(dbapi_connection),
                     _in_a_transaction(dbapi_connection)))

    event.listen(db.engine, "after_cursor_execute", after)
    try:
        yield seen
    finally:
        event.remove(db.engine, "after_cursor_execute", after)


def test_a_read_runs_statement_by_statement_and_a_write_in_one_transaction(api, world):
    file_case(world, "하나")
    desk, firm = auth(token(world.desk)), auth(token(world.firm_a_user))
    for headers in (desk, firm):  # the first call writes the token's last use, and commits
        assert api.get("/api/v1/cases", headers=headers).status_code == 200
    with statements() as read:
        assert api.get("/api/v1/cases", headers=desk).get_json()["items"]
    assert len(read) >= 2 and all(outside for _word, outside, _open in read), read
    with statements() as write:
        assert api.post("/api/v1/cases", headers=firm, json={
            "request_type": world.hiring_type.id, "title": "둘", "description": "d"},
        ).status_code == 201
    writes = [opened for word, _outside, opened in write if word in ("INSERT", "UPDATE")]
    assert writes and all(writes), write


def test_a_session_kept_after_a_read_is_in_transactions_again(app, world):
    """A test's client shares the test's session: after the read, what the test writes and
    rolls back is gone, as before."""
    desk, client = auth(token(world.desk)), app.test_client()
    assert client.get("/api/v1/cases", headers=desk).status_code == 200  # writes the last use
    db.session.commit()  # the session of the test, shared by its client, is out of its transaction
    with statements() as read:
        assert client.get("/api/v1/cases", headers=desk).status_code == 200
    assert read and all(outside for _word, outside, _open in read), read
    db.session.add(SiteSetting(key="left-behind", value={}))
    db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(SiteSetting).where(SiteSetting.key == "left-behind")) is None
