"""The service-figures migration gives the tasks finished and the cases accepted before it
the same kept times the workflow now keeps, with the admin's extra days."""
from datetime import date

from flask_migrate import upgrade
from sqlalchemy import select

from onestop import create_app
from onestop.extensions import db
from tests.service_data import H, seoul
from tests.test_migrations import tables_as_of, targets

BEFORE = "c69a1c5c6c50"


def _rows(conn):
    t = tables_as_of(conn)
    conn.execute(t["organizations"].insert(), [
        {"id": 1, "name": "desk", "name_en": "desk", "kind": "city_desk", "is_active": True},
        {"id": 2, "name": "union", "name_en": "union", "kind": "labor_union", "is_active": True}])
    conn.execute(t["users"].insert(), [{
        "id": 1, "email": "d@x.example", "name": "D", "role": "caseworker", "locale": "ko",
        "is_enabled": True, "session_version": 1, "email_muted_kinds": [],
        "organization_id": 1}])
    conn.execute(t["firms"].insert(), [{"id": 1, "name": "A", "brn": "1234567891",
                                        "industry": "i", "site": "s", "phase": 1}])
    conn.execute(t["request_types"].insert(), [{
        "id": 1, "code": "h", "name": "h", "name_en": "h", "category": "hiring",
        "period": "5d", "checklist": [], "form_fields": [], "is_active": True}])
    conn.execute(t["cases"].insert(), [{
        "id": 1, "firm_id": 1, "request_type_id": 1, "title": "t", "status": "resolved",
        "created_by_id": 1, "submitted_at": seoul(2026, 9, 22, 9),
        "accepted_at": seoul(2026, 9, 22, 9, 30), "checklist": [], "form_data": {}}])
    task = {"case_id": 1, "organization_id": 2, "period": "5d", "due_at": seoul(2026, 10, 5, 18),
            "routed_at": seoul(2026, 9, 22, 10), "finished_at": None, "paused_at": None}
    conn.execute(t["agency_tasks"].insert(), [
        # Waited 13 working hours across Chuseok (see tests/services/test_time_split.py).
        {**task, "id": 1, "status": "done", "finished_at": seoul(2026, 9, 30, 12),
         "waited_seconds": 13 * H},
        # Cancelled while waiting since Wednesday 14:00: that wait ends with it.
        {**task, "id": 2, "status": "cancelled", "finished_at": seoul(2026, 9, 23, 16),
         "paused_at": seoul(2026, 9, 23, 14), "waited_seconds": 0},
        {**task, "id": 3, "status": "open", "waited_seconds": 0}])
    conn.execute(t["extra_holidays"].insert(), [{"day": date(2026, 9, 30), "name": "zone day"}])


def test_finished_tasks_and_accepted_cases_get_their_kept_times(tmp_path):
    for url in targets(tmp_path):
        app = create_app("test", SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=str(tmp_path / "u"))
        with app.app_context():
            upgrade(revision=BEFORE)
            with db.engine.begin() as conn:
                _rows(conn)
            upgrade()
            tasks = db.metadata.tables["agency_tasks"]
            with db.engine.connect() as conn:
                split = conn.execute(select(
                    tasks.c.id, tasks.c.agency_seconds, tasks.c.waited_seconds,
                    tasks.c.paused_seconds, tasks.c.paused_at).order_by(tasks.c.id)).all()
                desk = conn.execute(select(db.metadata.tables["cases"].c.desk_seconds)).scalar()
            db.engine.dispose()
        # Task 1: the admin's day off on Wednesday 9/30 leaves 31 working hours, not 34:
        # agency 31 - 13 = 18; paused 194 - 31 = 163.
        # Task 2: Tue 10-12, 13-18, Wed 9-12, 13-16 = 13 working hours, 2 of them waited
        # (Wed 14-16); 30 wall-clock hours.
        assert split == [(1, 18 * H, 13 * H, 163 * H, None), (2, 11 * H, 2 * H, 17 * H, None),
                         (3, None, 0, None, None)], url.split(":")[0]
        assert desk == 30 * 60
