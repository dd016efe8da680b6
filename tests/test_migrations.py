"""The migrations build the schema from empty, on SQLite and PostgreSQL, and match the models."""
import os
import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from onestop import create_app
from onestop.app import ROOT
from onestop.extensions import db
from onestop.notifications.services import DEFAULT_RULES
from tests.databases import throwaway_postgres


def targets(tmp_path):
    yield f"sqlite:///{tmp_path / 'migrated.sqlite'}"
    server = os.environ.get("TEST_DATABASE_URL")
    if server:
        with throwaway_postgres(server, "onestop_migrations") as url:
            yield url


def test_one_head():
    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_upgrade_from_empty_matches_the_models(tmp_path):
    for url in targets(tmp_path):
        app = create_app("test", SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=str(tmp_path / "u"))
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
                rules = set(conn.execute(text(
                    "SELECT kind, offset_days, audience FROM reminder_rules")).all())
            db.engine.dispose()
        assert diff == [], f"{url.split(':')[0]}: models and migrations differ: {diff}"
        assert rules == {(str(k), d, str(a)) for k, d, a in DEFAULT_RULES}, \
            "the migration's reminder rules are the defaults of the code"


def test_flask_db_upgrade_command_runs(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}",
           "ONESTOP_INSTANCE": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "onestop", "db", "upgrade"],
                            env=env, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    engine = create_engine(env["DATABASE_URL"])
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    engine.dispose()


@pytest.mark.parametrize("args,first_line", [
    (["2026-09-23T14:00", "5d"], "2026-10-02T14:00:00+09:00"),
    # Day 1 is Sep 23; Chuseok, two weekends, Oct 5 (substitute) and Oct 9 are skipped.
    (["2026-09-23T14:00", "10d"], "2026-10-12T18:00:00+09:00"),
    (["2026-02-13T17:00", "immediate"], "2026-02-19T11:00:00+09:00"),
])
def test_deadline_command(tmp_path, args, first_line):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}",
           "ONESTOP_INSTANCE": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "flask", "--app", "onestop", "db", "upgrade"],
                   env=env, check=True, capture_output=True, cwd=ROOT)
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "onestop", "deadline", *args],
                            env=env, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == first_line


def test_deadline_command_rejects_bad_input(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}",
           "ONESTOP_INSTANCE": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "onestop", "deadline",
                             "2026-09-23T14:00", "5x"], env=env, capture_output=True, text=True,
                            cwd=ROOT)
    assert result.returncode == 2 and "5x" in result.stderr
