"""The law's-clock migrations run over a database in use before them: tasks keep their due
dates with no extension time and no supplement deadline, request types get the default
supplement and progress notice periods, and an open, accepted request gets the progress
notice it would have been accepted with (a finished one none)."""
from datetime import UTC, datetime

from flask_migrate import upgrade
from sqlalchemy import MetaData, select

from onestop import create_app
from onestop.extensions import db
from onestop.search import grams
from tests.test_migration_case_queue import _rows
from tests.test_migrations import targets

BEFORE = "f3c8a61d2b90"  # canned replies: the last revision before the law's clock
ACCEPTED = datetime(2026, 9, 21, 1, tzinfo=UTC)  # Monday 10:00 in Seoul, before Chuseok


def test_a_database_in_use_comes_through_the_law_clock_migrations(tmp_path):
    for url in targets(tmp_path):
        app = create_app("test", SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=str(tmp_path / "u"))
        with app.app_context():
            upgrade(revision=BEFORE)
            old = MetaData()
            old.reflect(db.engine)
            with db.engine.begin() as conn:
                _rows(conn, old.tables)
                cases = old.tables["cases"]
                conn.execute(cases.update().where(cases.c.id.in_((2, 3))).values(
                    accepted_at=ACCEPTED))
                conn.execute(cases.update().where(cases.c.id == 3).values(status="resolved"))
                conn.execute(cases.update().values(title="공장설립 승인 요청",
                                                   description="Hiring 채용"))
                conn.execute(cases.update().where(cases.c.id == 1).values(status="rejected"))
                conn.execute(old.tables["events"].insert(), [{
                    "id": 1, "case_id": 1, "actor_id": 1, "action": "case.reject",
                    "from_status": "submitted", "to_status": "rejected", "detail": "No",
                    "is_internal": False, "params": {}, "created_at": ACCEPTED}])
                conn.execute(old.tables["agency_tasks"].insert(), [{
                    "id": 1, "case_id": 2, "organization_id": 1, "status": "open",
                    "period": "10d", "due_at": ACCEPTED, "due_override_reason": "",
                    "instructions": "", "resolution_note": "", "decline_reason": "",
                    "routed_at": ACCEPTED, "waited_seconds": 0, "version": 1}])
            upgrade()
            t = db.metadata.tables
            with db.engine.connect() as conn:
                notices = conn.execute(select(t["cases"].c.id, t["cases"].c.progress_notice_at)
                                       .order_by(t["cases"].c.id)).all()
                rejected_at = conn.execute(select(t["cases"].c.closed_at).where(
                    t["cases"].c.id == 1)).scalar_one()
                objection_rules = conn.execute(select(t["request_types"].c.objection_days,
                                                      t["request_types"].c.objection_period)).one()
                tasks = t["agency_tasks"].c
                task = conn.execute(select(tasks.extended_seconds, tasks.transferred_from_id,
                                           tasks.supplement_due_at, tasks.supplement_more_time,
                                           tasks.supplement_reminded, tasks.is_consultation,
                                           tasks.deliberation_seconds)).one()
                texts = conn.execute(select(t["cases"].c.title, t["cases"].c.description,
                                            t["cases"].c.search_grams)).all()
                types = t["request_types"].c
                period = conn.execute(select(types.progress_notice_period,
                                             types.supplement_period, types.deems_permits,
                                             types.consultation_period)).one()
            db.engine.dispose()
        # 30 working days from Monday 9.21, Chuseok, 10.5, 10.9 and the weekends skipped.
        assert [tuple(n) for n in notices] == [
            (1, None), (2, datetime(2026, 11, 5, 9, tzinfo=UTC)), (3, None)], url
        assert tuple(task) == (0, None, None, False, False, False, 0), \
            "an old question has no deadline, an old task is no consultation"
        assert tuple(period) == ("30d", "7d", False, "20d")
        assert rejected_at == ACCEPTED, "the objection period counts from the rejection"
        assert tuple(objection_rules) == (90, "10d")
        assert texts and all(found == grams(title, body) and found for title, body, found
                             in texts), "the city-scale migration gave old requests their bigrams"
