"""Fixtures for delivery tests against real processes.

Each test gets a throwaway PostgreSQL database shared by the test process and by real Celery
worker/beat processes, a Redis broker (a dedicated db of the shared server, or a private
redis-server when the test kills Redis), and recording SMTP servers on loopback. A service
that cannot be reached fails the test.
"""

import os

import psycopg
import pytest
import redis

from onestop.extensions import db
from onestop.notifications import reminders
from tests.databases import throwaway_postgres
from tests.mailsink import MailServer
from tests.workers.harness import (
    Deployment,
    Processes,
    RedisServer,
    only_due_soon_rules,
    ping_redis,
)

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
SHARED_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
# Written into the tests' Redis database: keys beside it are the tests' own to delete.
REDIS_MARK = "onestop-tests"


@pytest.fixture
def database_url():
    """A fresh PostgreSQL database, dropped at the end."""
    try:
        psycopg.connect(f"{PG_SERVER}/test", connect_timeout=5).close()
    except psycopg.OperationalError as error:
        pytest.fail(f"PostgreSQL is not reachable at {PG_SERVER}: {error}")
    with throwaway_postgres("postgresql+psycopg://postgres@127.0.0.1:5432/test",
                            "onestop_w") as url:
        yield url


@pytest.fixture
def deploy(database_url, tmp_path):
    """deploy(broker_url, **settings): the schema and rules in the fresh database, and the
    test's own app context pushed with the same settings as the processes it will start."""
    contexts = []

    def make(broker_url: str, **settings) -> Deployment:
        instance = tmp_path / "instance"
        instance.mkdir(exist_ok=True)
        deployment = Deployment(database_url, broker_url, instance,
                                {k: str(v) for k, v in settings.items()})
        context = deployment.app().app_context()
        context.push()
        contexts.append(context)
        db.create_all()
        reminders.ensure_default_rules()
        only_due_soon_rules()
        db.session.commit()
        return deployment

    yield make
    for context in reversed(contexts):
        db.session.remove()
        db.engine.dispose()
        context.pop()


@pytest.fixture
def procs(database_url):
    # Depends on the database so that its processes are killed before the database is dropped.
    processes = Processes()
    yield processes
    processes.stop_all()


@pytest.fixture
def smtp():
    """smtp(port=None, delay=0, **behaviour) starts a recording SMTP server (tests/mailsink.py);
    all are stopped at the end."""
    servers = []

    def start(port: int | None = None, delay: float = 0.0, **behaviour) -> MailServer:
        server = MailServer(port, delay, **behaviour)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def shared_redis():
    """The machine's Redis, the tests' own database only (TEST_REDIS_URL, db 5 by default),
    emptied before and after. A database holding keys the tests did not write is refused,
    never emptied."""
    if not ping_redis(SHARED_REDIS_URL):
        pytest.fail(f"Redis is not reachable at {SHARED_REDIS_URL}")
    client = redis.Redis.from_url(SHARED_REDIS_URL)
    if client.dbsize() and not client.exists(REDIS_MARK):
        pytest.fail(f"{SHARED_REDIS_URL} holds keys the tests did not write: set "
                    "TEST_REDIS_URL to an empty Redis database")
    client.flushdb()
    client.set(REDIS_MARK, 1)
    yield SHARED_REDIS_URL
    client.flushdb()


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of the test's own, which the test may kill and start again."""
    server = RedisServer(tmp_path / "redis.log")
    try:
        server.start()
    except (OSError, AssertionError) as error:
        pytest.fail(f"cannot start redis-server: {error}")
    yield server
    server.kill()
