"""A confirmation says what happened — to whom, how many, due when — in the user's language."""
import html as htmllib
import re

from flask_babel import format_datetime

from onestop.extensions import db
from tests.web.helpers import latest_case, task_for


def _flash(browser_, response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:1500]
    page = browser_.get(response.headers["Location"]).get_data(as_text=True)
    found = re.findall(r'<p class="flash success">([^<]*)</p>', page)
    assert len(found) == 1, found
    return htmllib.unescape(found[0])


def _seoul(moment) -> str:
    return format_datetime(moment, "yyyy-MM-dd HH:mm")


def test_desk_and_partner_confirmations_name_what_happened(app, browser, world):
    firm = browser("ceo@alpha.test")
    firm.post(f"/cases/new/{world.hiring_type.id}", {"title": "Hiring help", "description": "d",
                                                      "priority": "normal"})
    case = latest_case()
    desk = browser("desk@test.example")
    said = _flash(desk, desk.submit(f"/cases/{case.id}", "accept"))
    case = latest_case()
    with app.test_request_context():
        due = _seoul(case.due_at)
    assert case.reference in said and due in said and "접수했습니다" in said

    said = _flash(desk, desk.submit(f"/cases/{case.id}", "route", {
        "organizations": [str(world.union.id), str(world.univ.id)]}))
    case = latest_case()
    with app.test_request_context():
        last = _seoul(max(t.due_at for t in case.tasks))
    assert "협력기관 2곳(" in said and "노사민정협의회" in said and "산학협력단" in said
    assert last in said

    union = browser("staff@union.test")
    task = task_for(case, world.union)
    said = _flash(union, union.submit(f"/tasks/{task.id}", "accept"))
    with app.test_request_context():
        assert _seoul(task.due_at) in said and "기한은" in said

    said = _flash(desk, desk.post(f"/cases/{case.id}/comments",
                                  {"body": "서류를   확인했습니다", "audience": "public"}))
    assert said == "Alpha Carbon에 보냈습니다: “서류를 확인했습니다”"
    said = _flash(desk, desk.post(f"/cases/{case.id}/comments",
                                  {"body": "x" * 100, "audience": "desk"}))
    assert "지원센터만" in said and "x" * 59 + "…" in said and "x" * 60 not in said


def test_english_users_read_english(browser, world):
    world.desk.locale = "en"
    db.session.commit()
    firm = browser("ceo@alpha.test")
    firm.post(f"/cases/new/{world.hiring_type.id}", {"title": "Hiring help", "description": "d",
                                                      "priority": "normal"})
    case = latest_case()
    desk = browser("desk@test.example")
    said = _flash(desk, desk.submit(f"/cases/{case.id}", "reject", {"reason": "Wrong office"}))
    assert said == f"{case.reference} is rejected. Alpha Carbon sees your reason."


def test_withdraw_counts_the_cancelled_tasks(browser, world):
    firm = browser("ceo@alpha.test")
    firm.post(f"/cases/new/{world.hiring_type.id}", {"title": "Hiring help", "description": "d",
                                                      "priority": "normal"})
    case = latest_case()
    desk = browser("desk@test.example")
    desk.submit(f"/cases/{case.id}", "accept")
    desk.submit(f"/cases/{case.id}", "route", {
        "organizations": [str(world.union.id), str(world.univ.id)]})
    said = _flash(firm, firm.submit(f"/cases/{case.id}", "withdraw", {"reason": "Solved"}))
    assert "협력기관 업무 2건이 취소되었습니다" in said


def test_admin_holiday_confirmation_names_the_day(browser, world):
    admin = browser("admin@test.example")
    admin.get("/admin/holidays")
    said = _flash(admin, admin.post("/admin/holidays", {"day": "2026-12-24",
                                                        "name": "시 개청 기념일"}))
    assert said.startswith("2026-12-24(시 개청 기념일)을(를) 저장했습니다")
