"""The security event log (JSON lines) and the audit table of admin changes."""
import json

from sqlalchemy import func, select

from onestop.audit.models import AuditEntry
from onestop.extensions import db
from tests.conftest import Browser
from tests.factories import PASSWORD


def lines(output: str) -> list[dict]:
    return [json.loads(x) for x in output.splitlines() if x.startswith("{")]


def test_sign_in_events_are_json_lines_with_who_where_and_outcome(app, world, capsys):
    b = Browser(app)
    b.get("/login")
    b.post("/login", {"email": "desk@test.example", "password": "wrong"})
    b.post("/login", {"email": "desk@test.example", "password": PASSWORD})
    failure, success = lines(capsys.readouterr().out)[-2:]
    assert failure["event"] == "signin.failure" and failure["outcome"] == "failure"
    assert failure["email"] == "desk@test.example" and failure["address"] == "127.0.0.1"
    assert success["event"] == "signin.success" and success["user_id"] == world.desk.id
    assert success["at"].endswith("+00:00")


def test_refusals_on_object_routes_are_logged(browser, world, capsys):
    firm_b = browser("ceo@beta.test")
    capsys.readouterr()
    assert firm_b.get(f"/firms/{world.firm_a.id}").status_code == 404
    assert firm_b.get("/admin/users").status_code == 403
    refused = [e for e in lines(capsys.readouterr().out) if e["event"] == "access.refused"]
    assert [(e["object"], e["outcome"]) for e in refused] == [
        (f"/firms/{world.firm_a.id}", "not_found"), ("/admin/users", "not_allowed")]
    assert refused[0]["user_id"] == world.firm_b_user.id


def test_an_admin_change_is_in_the_table_and_the_log_after_commit(browser, world, capsys):
    admin = browser("admin@test.example")
    capsys.readouterr()
    admin.post(f"/admin/users/{world.union_staff.id}", {
        "name": "staff", "role": "partner_lead", "organization": str(world.union.id),
        "firm": "0", "is_enabled": "y"})
    entry = db.session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.object_type, entry.object_id, entry.actor_email) == (
        "user.update", "user", str(world.union_staff.id), "admin@test.example")
    assert (entry.before, entry.after) == ({"role": "partner"}, {"role": "partner_lead"})
    logged = [e for e in lines(capsys.readouterr().out) if e["event"].startswith("admin.")]
    assert [(e["event"], e["object"], e["after"]) for e in logged] == [
        ("admin.user.update", f"user:{world.union_staff.id}", {"role": "partner_lead"})]


def test_a_refused_change_leaves_no_row_and_no_line(browser, world, capsys):
    admin = browser("admin@test.example")
    capsys.readouterr()
    response = admin.post(f"/admin/users/{world.admin.id}", {
        "name": "me", "role": "caseworker", "organization": str(world.desk_org.id), "firm": "0",
        "is_enabled": "y"})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 0
    assert not [e for e in lines(capsys.readouterr().out) if e["event"].startswith("admin.")]


def test_every_kind_of_admin_change_is_recorded(browser, world):
    admin = browser("admin@test.example")
    admin.post(f"/admin/organizations/{world.union.id}", {"name": "새 협의회", "kind": "labor_union",
                                                         "is_active": "y"})
    admin.post("/admin/organizations/new", {"name": "신규 기관", "kind": "institute", "is_active": "y"})
    admin.post(f"/admin/request-types/{world.hiring_type.id}", {
        "code": "recruitment", "name": "채용", "category": "hiring", "period": "7d",
        "supplement_period": "7d", "progress_notice_period": "30d",
        "consultation_period": "20d", "objection_days": "90", "objection_period": "10d",
        "is_active": "y"})
    admin.post("/admin/holidays", {"day": "2026-12-31", "name": "year end"})
    admin.post("/admin/users/new", {"email": "n@city.example", "name": "N", "role": "caseworker",
                                    "organization": str(world.desk_org.id), "firm": "0",
                                    "locale": "ko", "is_enabled": "y"})
    admin.get("/admin/reminder-rules/new")
    admin.post("/admin/reminder-rules/new", {"kind": "task_due", "offset_days": "2",
                                             "audience": "assignee", "is_active": "y"})
    desk = browser("desk@test.example")
    desk.post(f"/firms/{world.firm_a.id}/invite", {"name": "M", "email": "m@alpha.example",
                                                   "locale": "ko"})
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["organization.update", "organization.create", "request_type.update",
                       "holiday.add", "user.invite", "reminder_rule.create", "user.invite"]
    request_type = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "request_type.update")).one()
    assert request_type.after == {"name": "채용", "name_en": "", "period": "7d",
                                  "default_partners": []}
    assert request_type.before["period"] == "5d"


def test_the_audit_page_lists_newest_first_and_filters(browser, world):
    admin = browser("admin@test.example")
    admin.post("/admin/holidays", {"day": "2026-12-30", "name": "first"})
    admin.post("/admin/holidays", {"day": "2026-12-31", "name": "second"})
    admin.post(f"/admin/organizations/{world.union.id}", {"name": "바뀐 이름", "kind": "labor_union",
                                                         "is_active": "y"})
    page = admin.get("/admin/audit-log").get_data(as_text=True)
    rows = page[page.index("<tbody"):]  # (the confirmations above name them too)
    assert rows.index("바뀐 이름") < rows.index("second") < rows.index("first")
    only = admin.get("/admin/audit-log?action=holiday.add").get_data(as_text=True)
    assert "second" in only and "바뀐 이름" not in only
    mine = admin.get(f"/admin/audit-log?actor={world.admin.id}").get_data(as_text=True)
    assert "first" in mine
    nobody = admin.get(f"/admin/audit-log?actor={world.desk.id}").get_data(as_text=True)
    assert "first" not in nobody
    assert admin.get("/admin/audit-log?action=drop-tables").status_code == 400
    assert admin.get("/admin/audit-log?actor=x").status_code == 400
    # The download holds the same rows, newest first, with the same filter.
    download = admin.get("/admin/audit-log/export.csv?action=holiday.add").data.decode("utf-8-sig")
    lines = download.splitlines()
    assert len(lines) == 3 and "second" in lines[1] and "first" in lines[2]
    assert "바뀐 이름" not in download
    assert admin.get("/admin/audit-log/export.csv?action=drop-tables").status_code == 400
