"""The migrations build the schema from empty, on SQLite and PostgreSQL, and match the models."""
import json
import os
import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, Table, create_engine, inspect, select, text

from onestop import create_app
from onestop.app import ROOT
from onestop.extensions import db
from onestop.notifications.reminders import DEFAULT_RULES
from onestop.search import not_sqlite_index
from tests.databases import throwaway_postgres


def targets(tmp_path):
    yield f"sqlite:///{tmp_path / 'migrated.sqlite'}"
    server = os.environ.get("TEST_DATABASE_URL")
    if server:
        with throwaway_postgres(server, "onestop_migrations") as url:
            yield url


def tables_as_of(conn) -> dict[str, Table]:
    """The models' tables cut down to the columns the database has at its revision: rows
    written through them get the models' types and defaults, and no column added later."""
    inspector = inspect(conn)
    old = MetaData()
    return {name: Table(name, old, *[c._copy() for c in table.columns
                                     if c.name in {o["name"] for o in inspector.get_columns(name)}])
            for name, table in db.metadata.tables.items() if inspector.has_table(name)}


def _compared(conn) -> MigrationContext:
    """As `flask db migrate` compares: without SQLite's FTS5 tables, which no model holds."""
    return MigrationContext.configure(conn, opts={"include_name": not_sqlite_index})


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
                diff = compare_metadata(_compared(conn), db.metadata)
                rules = set(conn.execute(text(
                    "SELECT kind, offset_days, audience FROM reminder_rules")).all())
            db.engine.dispose()
        assert diff == [], f"{url.split(':')[0]}: models and migrations differ: {diff}"
        assert rules == {(str(k), d, str(a)) for k, d, a in DEFAULT_RULES}, \
            "the migration's reminder rules are the defaults of the code"


def test_the_city_scale_migration_goes_down_and_up_again(tmp_path):
    """SQLite cannot rebuild `cases` in a batch (its generated priority_rank): the downgrade
    drops the bigram columns in place."""
    for url in targets(tmp_path):
        app = create_app("test", SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=str(tmp_path / "u"))
        with app.app_context():
            upgrade()
            downgrade(revision="c28a9a823aa4")
            with db.engine.connect() as conn:
                assert "search_grams" not in {c["name"] for c in inspect(conn).get_columns("cases")}
            upgrade()
            with db.engine.connect() as conn:
                diff = compare_metadata(_compared(conn), db.metadata)
            db.engine.dispose()
        assert diff == [], f"{url.split(':')[0]}: {diff}"


def test_the_sqlite_search_index_takes_in_the_rows_already_there(tmp_path, monkeypatch):
    """The FTS5 tables come with the rows written before them, keep up with the rows written
    after, come back after a batch rebuild dropped their triggers, and go on the way down."""
    from onestop.cases import services as cases
    from onestop.cases.models import Case
    from onestop.notifications import events as case_events
    from onestop.search import may_contain
    from tests.factories import NOW, World

    def found(word: str) -> list[int]:
        return db.session.scalars(select(Case.id).where(
            may_contain(Case.search_grams, word, "sqlite")).order_by(Case.id)).all()

    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'fts.sqlite'}",
                     UPLOAD_DIR=str(tmp_path / "u"))
    with app.app_context():
        upgrade(revision="ffec5bb0c7a1")
        # Today's code on that schema: only the notifications hear of the filing (the
        # webhooks' tables come later).
        monkeypatch.setattr(case_events, "LISTENERS", [case_events.announce])
        world = World.build()
        before = cases.file_case(world.firm_a_user, world.hiring_type, title="공장 승인 요청",
                                 description="d", priority="normal", form_data={},
                                 checked_items=[], files=[], now=NOW)
        db.session.commit()
        upgrade()
        monkeypatch.undo()
        after = cases.file_case(world.firm_a_user, world.hiring_type, title="승인 재검토",
                                description="d", priority="normal", form_data={},
                                checked_items=[], files=[], now=NOW)
        db.session.commit()
        assert found("승인") == [before.id, after.id] and found("요청") == [before.id]
        # A later migration that rebuilds a table in batch mode drops its triggers: the run
        # of the migrations ends by putting them back and indexing what was written meanwhile.
        before_id, after_id = before.id, after.id
        db.session.execute(text("DROP TRIGGER cases_grams_update"))
        before.title = "공장 허가 요청"
        db.session.commit()
        db.session.remove()
        upgrade()
        assert found("허가") == [before_id] and found("승인") == [after_id]
        for table in ("cases_grams", "comments_grams"):
            db.session.execute(text(
                f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)"))
        db.session.remove()
        downgrade(revision="ffec5bb0c7a1")
        with db.engine.connect() as conn:
            assert not [name for name in inspect(conn).get_table_names() if "grams" in name]
        db.engine.dispose()


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


def test_deadline_command_shows_extensions_and_deemed_consent_with_the_days_counted(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}",
           "ONESTOP_INSTANCE": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "flask", "--app", "onestop", "db", "upgrade"],
                   env=env, check=True, capture_output=True, cwd=ROOT)
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "onestop", "deadline",
                             "2026-09-21T10:00", "10d", "--extended"], env=env,
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "2026-10-07T18:00:00+09:00"
    extension = lines.index("extended at most to 2026-10-22T18:00:00+09:00 "
                            "(10 working days counted)")
    assert lines[extension + 1] == "  skipped 2026-10-09 Hangul Day"
    consulted = subprocess.run([sys.executable, "-m", "flask", "--app", "onestop", "deadline",
                                "2026-09-21T10:00", "20d", "--consultation"], env=env,
                               capture_output=True, text=True, cwd=ROOT)
    assert consulted.stdout.splitlines()[-1] == (
        "consent deemed at 2026-10-22T18:00:00+09:00 (20 working days counted)")
    assert "  skipped 2026-09-25 Chuseok" in consulted.stdout.splitlines()


def test_deadline_command_rejects_bad_input(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}",
           "ONESTOP_INSTANCE": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "onestop", "deadline",
                             "2026-09-23T14:00", "5x"], env=env, capture_output=True, text=True,
                            cwd=ROOT)
    assert result.returncode == 2 and "5x" in result.stderr


def test_trust_migration_carries_old_rows_over(tmp_path):
    """Ticks become a checklist snapshot, internal notes an audience, note events point at
    their note, and registration numbers their ten ASCII digits."""
    for url in targets(tmp_path):
        app = create_app("test", SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=str(tmp_path / "u"))
        with app.app_context():
            upgrade(revision="2df5f13a9071")
            with db.engine.begin() as conn:
                for statement in OLD_ROWS:
                    conn.execute(text(statement))
            upgrade()
            with db.engine.connect() as conn:
                checklist = conn.execute(text("SELECT checklist FROM cases")).scalar()
                audiences = conn.execute(text(
                    "SELECT body, audience FROM comments ORDER BY id")).all()
                pointers = conn.execute(text(
                    "SELECT comment_id FROM events WHERE action = 'case.comment'")).all()
                brns = conn.execute(text("SELECT brn FROM firms ORDER BY id")).scalars().all()
            db.engine.dispose()
        checklist = json.loads(checklist) if isinstance(checklist, str) else checklist
        assert checklist == [{"ko": "설계도서", "en": "Drawings", "done": False},
                             {"ko": "신청서", "en": "Form", "done": True}]
        assert audiences == [("psst", "partners"), ("hello", "public")]
        assert sorted(p[0] for p in pointers) == [1, 2]
        assert brns == ["1234567891", "2208162517"]


NOW_SQL = "'2026-11-10 01:00:00+00:00'"
OLD_ROWS = [
    "INSERT INTO organizations (id, name, name_en, kind, is_active) "
    "VALUES (1, 'desk', 'desk', 'city_desk', true)",
    "INSERT INTO users (id, email, name, role, locale, is_enabled, session_version, "
    f"email_muted_kinds, created_at) VALUES (1, 'd@x', 'D', 'caseworker', 'ko', true, 1, '[]', "
    f"{NOW_SQL})",
    "INSERT INTO firms (id, name, brn, industry, site, phase, created_at) VALUES "
    f"(1, 'A', '１２３４５６７８９１', 'i', 's', 1, {NOW_SQL}), "
    f"(2, 'B', '2208162517', 'i', 's', 1, {NOW_SQL})",
    "INSERT INTO request_types (id, code, name, name_en, category, period, checklist, "
    "form_fields, is_active) VALUES (1, 'bp', '건축', 'BP', 'permit', '10d', "
    "'[{\"ko\": \"설계도서\", \"en\": \"Drawings\"}, {\"ko\": \"신청서\", \"en\": \"Form\"}]', "
    "'[]', true)",
    "INSERT INTO cases (id, firm_id, request_type_id, title, description, priority, status, "
    "created_by_id, checked_items, form_data, rejection_reason, submitted_at, updated_at, "
    f"version) VALUES (1, 1, 1, 't', 'd', 'normal', 'submitted', 1, '[1]', '{{}}', '', "
    f"{NOW_SQL}, {NOW_SQL}, 1)",
    "INSERT INTO comments (id, case_id, author_id, body, is_internal, is_info_request, "
    f"created_at) VALUES (1, 1, 1, 'psst', true, false, {NOW_SQL}), "
    "(2, 1, 1, 'hello', false, false, '2026-11-10 02:00:00+00:00')",
    "INSERT INTO events (id, case_id, actor_id, action, detail, is_internal, created_at) "
    f"VALUES (1, 1, 1, 'case.comment', '', true, {NOW_SQL}), "
    "(2, 1, 1, 'case.comment', '', false, '2026-11-10 02:00:00+00:00')",
]


def test_every_event_migration_keeps_what_users_had_muted(tmp_path):
    """A kind muted by email before the per-kind choices is heard of in the app only after; the
    users and firms written before it reach the head (firms not named publicly)."""
    for url in targets(tmp_path):
        app = create_app("test", SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=str(tmp_path / "u"))
        with app.app_context():
            upgrade(revision="7a3c1e9d5b20")
            with db.engine.begin() as conn:
                for statement in OLD_ROWS[:3]:
                    conn.execute(text(statement))
                conn.execute(text(
                    "INSERT INTO users (id, email, name, role, locale, is_enabled, session_version, "
                    "email_muted_kinds, created_at) VALUES "
                    "(2, 'm@x', 'M', 'partner', 'en', true, 1, '[\"task_due\", \"task_overdue\"]', "
                    f"{NOW_SQL})"))
            upgrade()
            with db.engine.connect() as conn:
                choices = dict(conn.execute(text(
                    "SELECT id, notification_choices FROM users ORDER BY id")).all())
                named = conn.execute(text("SELECT is_named_publicly FROM firms")).scalars().all()
            db.engine.dispose()
        choices = {k: json.loads(v) if isinstance(v, str) else v for k, v in choices.items()}
        assert choices == {1: {}, 2: {"task_due": "app", "task_overdue": "app"}}
        assert named == [False, False]

def test_housekeeping_command_removes_orphan_files(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}",
           "ONESTOP_INSTANCE": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "flask", "--app", "onestop", "db", "upgrade"],
                   env=env, check=True, capture_output=True, cwd=ROOT)
    orphan = tmp_path / "uploads" / ("a" * 32 + ".part")
    orphan.write_bytes(b"left by a killed upload")
    os.utime(orphan, (0, 0))
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "onestop", "housekeeping"],
                            env=env, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "orphan files removed: 1" in result.stdout and not orphan.exists()
