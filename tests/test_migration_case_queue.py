"""The case-queue migration runs over a database in use before it: a request still waiting
for review gets the intake deadline it would have been filed with (the admin's extra
holidays counted), the others none, and every case its priority's rank."""
from datetime import UTC, date, datetime

from flask_migrate import upgrade
from sqlalchemy import MetaData, select

from onestop import create_app
from onestop.extensions import db
from tests.test_migrations import targets

BEFORE = "e7b3d91c4a28"  # commitment reports notified: the last revision before the queue
FRIDAY_3PM = datetime(2026, 11, 13, 6, tzinfo=UTC)  # 15:00 in Seoul


def _rows(conn, tables):
    conn.execute(tables["organizations"].insert(), [
        {"id": 1, "name": "desk", "name_en": "desk", "kind": "city_desk", "is_active": True}])
    conn.execute(tables["users"].insert(), [{
        "id": 1, "email": "d@x.example", "name": "D", "role": "caseworker", "locale": "ko",
        "is_enabled": True, "session_version": 1, "notification_choices": {},
        "organization_id": 1, "created_at": FRIDAY_3PM}])
    conn.execute(tables["firms"].insert(), [{
        "id": 1, "name": "A", "brn": "1234567891", "industry": "i", "site": "s", "phase": 1,
        "account_officer_id": 1, "created_at": FRIDAY_3PM, "is_named_publicly": False}])
    conn.execute(tables["request_types"].insert(), [{
        "id": 1, "code": "h", "name": "h", "name_en": "h", "category": "hiring",
        "period": "5d", "checklist": [], "form_fields": [], "is_active": True}])
    case = {"firm_id": 1, "request_type_id": 1, "title": "t", "description": "d",
            "created_by_id": 1, "submitted_at": FRIDAY_3PM, "updated_at": FRIDAY_3PM,
            "version": 1, "rejection_reason": "", "checklist": [], "form_data": {}}
    conn.execute(tables["cases"].insert(), [
        {**case, "id": 1, "status": "submitted", "priority": "normal"},
        {**case, "id": 2, "status": "in_progress", "priority": "urgent"},
        {**case, "id": 3, "status": "submitted", "priority": "high"}])
    conn.execute(tables["extra_holidays"].insert(), [
        {"id": 1, "day": date(2026, 11, 16), "name": "임시공휴일"}])


def test_a_database_in_use_comes_through_the_case_queue_migration(tmp_path):
    for url in targets(tmp_path):
        app = create_app("test", SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=str(tmp_path / "u"))
        with app.app_context():
            upgrade(revision=BEFORE)
            old = MetaData()
            old.reflect(db.engine)
            with db.engine.begin() as conn:
                _rows(conn, old.tables)
            upgrade()
            cases = db.metadata.tables["cases"]
            with db.engine.connect() as conn:
                rows = conn.execute(select(cases.c.id, cases.c.status, cases.c.review_due_at,
                                           cases.c.priority_rank).order_by(cases.c.id)).all()
                views = conn.execute(select(db.metadata.tables["saved_views"].c.id)).all()
            db.engine.dispose()
        # One working day after Friday 15:00, the extra holiday on Monday skipped.
        tuesday_3pm = datetime(2026, 11, 17, 6, tzinfo=UTC)
        assert [tuple(r) for r in rows] == [
            (1, "submitted", tuesday_3pm, 2), (2, "in_progress", None, 0),
            (3, "submitted", tuesday_3pm, 1)], url
        assert views == []
