"""The commitments migrations (agreements, reports, imports, notifications about a firm) run
over a database in use before them: its firms, cases, notifications and reminder rules come
through whole, and the report reminders are added beside the rules the admin had."""
from datetime import UTC, datetime

from flask_migrate import upgrade
from sqlalchemy import MetaData, select

from onestop import create_app
from onestop.extensions import db
from tests.test_migrations import targets

BEFORE = "d4e8a1c0b7f3"  # accounts by email: the last revision before the commitments
NOW = datetime(2026, 11, 10, 1, tzinfo=UTC)


def _rows(conn, tables):
    conn.execute(tables["organizations"].insert(), [
        {"id": 1, "name": "desk", "name_en": "desk", "kind": "city_desk", "is_active": True}])
    conn.execute(tables["users"].insert(), [{
        "id": 1, "email": "d@x.example", "name": "D", "role": "caseworker", "locale": "ko",
        "is_enabled": True, "session_version": 1, "notification_choices": {},
        "organization_id": 1, "created_at": NOW}])
    conn.execute(tables["firms"].insert(), [{
        "id": 1, "name": "A", "brn": "1234567891", "industry": "i", "site": "s", "phase": 1,
        "account_officer_id": 1, "created_at": NOW}])
    conn.execute(tables["request_types"].insert(), [{
        "id": 1, "code": "h", "name": "h", "name_en": "h", "category": "hiring",
        "period": "5d", "checklist": [], "form_fields": [], "is_active": True}])
    conn.execute(tables["cases"].insert(), [{
        "id": 1, "firm_id": 1, "request_type_id": 1, "title": "t", "description": "d",
        "priority": "normal", "status": "submitted", "created_by_id": 1, "submitted_at": NOW,
        "updated_at": NOW, "version": 1, "rejection_reason": "", "checklist": [],
        "form_data": {}}])
    rules = tables["reminder_rules"]
    conn.execute(rules.update().where(rules.c.id == 1).values(is_active=False))
    conn.execute(tables["notifications"].insert(), [{
        "id": 1, "key": "k1", "user_id": 1, "rule_id": 1, "kind": "task_due", "case_id": 1,
        "params": {"days": 2}, "status": "sent", "attempts": 1, "last_error": "",
        "created_at": NOW, "sent_at": NOW}])


def _rules(conn, rules) -> list[tuple]:
    return [tuple(r) for r in conn.execute(select(
        rules.c.kind, rules.c.offset_days, rules.c.audience, rules.c.is_active)
        .order_by(rules.c.id))]


def test_a_database_in_use_comes_through_the_commitments_migrations(tmp_path):
    for url in targets(tmp_path):
        app = create_app("test", SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=str(tmp_path / "u"))
        with app.app_context():
            upgrade(revision=BEFORE)
            old = MetaData()
            old.reflect(db.engine)
            with db.engine.begin() as conn:
                _rows(conn, old.tables)
                before = _rules(conn, old.tables["reminder_rules"])
            upgrade()
            t = db.metadata.tables
            with db.engine.connect() as conn:
                notification = conn.execute(select(
                    t["notifications"].c.key, t["notifications"].c.case_id,
                    t["notifications"].c.status, t["notifications"].c.firm_id)).one()
                rules = _rules(conn, t["reminder_rules"])
                firm = conn.execute(select(t["firms"].c.name, t["firms"].c.account_officer_id,
                                           t["firms"].c.is_named_publicly)).one()
                case = conn.execute(select(t["cases"].c.title, t["cases"].c.status)).one()
                agreements = conn.execute(select(t["agreements"].c.id)).all()
            db.engine.dispose()
        assert tuple(notification) == ("k1", 1, "sent", None)
        assert before[0][3] is False  # the admin's choice, kept
        assert rules == before + [
            ("report_due", 10, "firm", True), ("report_due", 3, "firm", True),
            ("report_overdue", 0, "firm", True), ("report_overdue", 5, "account_officer", True)]
        assert tuple(firm) == ("A", 1, False)
        assert tuple(case) == ("t", "submitted")
        assert agreements == []
