"""The three journeys of the core, through real pages with CSRF on."""
import html
import re

from sqlalchemy import func, select

from onestop.extensions import db
from onestop.firms.models import Firm
from tests.factories import PDF
from tests.web.helpers import latest_case, task_for, upload


def test_firm_files_desk_routes_partners_close_firm_sees_resolution(browser, world):
    firm = browser("ceo@alpha.test")
    page = firm.get(f"/cases/new/{world.permit_type.id}")
    assert page.status_code == 200 and "설계도서" in page.get_data(as_text=True)
    response = firm.post(f"/cases/new/{world.permit_type.id}", {
        "title": "Second plant", "description": "Line 2 building", "priority": "normal",
        "field_floor_area": "900", "checklist": ["0", "1"],
        "files": [upload("plan.pdf", PDF)]})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    case = latest_case()
    assert case.status == "submitted" and case.firm == world.firm_a
    listing = firm.get("/cases/").get_data(as_text=True)
    assert "Second plant" in listing

    desk = browser("desk@test.example")
    assert desk.submit(f"/cases/{case.id}", "accept").status_code == 303
    assert latest_case().status == "triaged"
    response = desk.submit(f"/cases/{case.id}", "route", {
        "organizations": [str(world.permits.id), str(world.union.id)]})
    assert response.status_code == 303
    case = latest_case()
    assert case.status == "in_progress" and len(case.tasks) == 2

    permits = browser("staff@permits.test")
    permit_task = task_for(case, world.permits)
    assert "Second plant" in permits.get("/tasks/").get_data(as_text=True)
    permits.submit(f"/tasks/{permit_task.id}", "accept")
    permits.submit(f"/tasks/{permit_task.id}", "request_info", {"question": "Send the DWG files"})
    assert task_for(case, world.permits).status == "waiting_on_firm"
    assert latest_case().status == "waiting_on_firm"

    home = firm.get("/").get_data(as_text=True)
    assert "Second plant" in home, "the firm's home lists what waits on it"
    case_page = firm.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Send the DWG files" in case_page
    firm.post(f"/cases/{case.id}/comments", {"body": "Here they are",
                                              "files": [upload("plan.pdf", PDF)]},
              )
    assert task_for(case, world.permits).status == "accepted"
    assert latest_case().status == "in_progress"

    permits.submit(f"/tasks/{permit_task.id}", "complete", {"note": "Permit issued: No. 2026-77"})
    union = browser("lead@union.test")
    union_task = task_for(case, world.union)
    union.submit(f"/tasks/{union_task.id}", "accept")
    union.submit(f"/tasks/{union_task.id}", "complete", {"note": "No labor issue"})
    assert latest_case().status == "resolved"
    final = firm.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Permit issued: No. 2026-77" in final and "No labor issue" in final

    desk.submit(f"/cases/{case.id}", "close")
    assert latest_case().status == "closed"


def test_desk_rejects_with_reason_the_firm_reads(browser, world):
    firm = browser("ceo@beta.test")
    firm.post(f"/cases/new/{world.hiring_type.id}", {
        "title": "Parking", "description": "Where to park", "priority": "normal"})
    case = latest_case()
    desk = browser("desk@test.example")
    desk.submit(f"/cases/{case.id}", "reject", {"reason": "Ask the district office"})
    assert latest_case().status == "rejected"
    assert "Ask the district office" in firm.get(f"/cases/{case.id}").get_data(as_text=True)


def routed_to_union(browser, world, title):
    """Firm B files a hiring request; the desk accepts it and routes it to the union."""
    browser("ceo@beta.test").post(f"/cases/new/{world.hiring_type.id}", {
        "title": title, "description": "Operators", "priority": "normal"})
    case = latest_case()
    desk = browser("desk@test.example")
    desk.submit(f"/cases/{case.id}", "accept")
    desk.submit(f"/cases/{case.id}", "route", {"organizations": [str(world.union.id)]})
    return case, desk


def test_partner_declines_and_desk_reroutes(browser, world):
    case, desk = routed_to_union(browser, world, "Hire 30")
    union = browser("staff@union.test")
    task = task_for(case, world.union)
    union.submit(f"/tasks/{task.id}", "decline", {"reason": "This is for the employment center"})
    assert task_for(case, world.union).status == "declined"
    assert "Hire 30" in desk.get("/").get_data(as_text=True), "declined tasks show on the desk"
    rerouted = desk.submit(f"/cases/{case.id}", "route", {"organizations": [str(world.univ.id)]})
    assert rerouted.status_code == 303
    assert task_for(case, world.univ).status == "open"


def test_lead_assigns_a_task_to_a_member(browser, world):
    case, _desk = routed_to_union(browser, world, "Hire 5")
    lead = browser("lead@union.test")
    task = task_for(case, world.union)
    lead.submit(f"/tasks/{task.id}", "assign", {"assignee": str(world.union_staff.id)})
    assert task_for(case, world.union).assignee_id == world.union_staff.id
    staff_home = browser("staff@union.test").get("/tasks/?mine=y").get_data(as_text=True)
    assert "Hire 5" in staff_home


def test_admin_onboards_a_firm_and_the_invitee_sets_a_password(browser, world, app):
    admin = browser("admin@test.example")
    response = admin.post("/firms/new", {"name": "Gamma Fiber", "brn": "120-81-47521",
                                         "industry": "fiber", "site": "C-2", "phase": "2",
                                         "account_officer": str(world.desk.id)})
    assert response.status_code == 303
    firm_url = response.headers["Location"]
    page = admin.post(firm_url + "/invite", {"name": "Kim", "email": "kim@gamma.example",
                                             "locale": "en"}).get_data(as_text=True)
    link = re.search(r'value="(https?://[^"]*/invitation/[^"]+)"', page).group(1)
    path = link.split("onestop.test", 1)[1]
    invitee = browser()
    assert invitee.get(path).status_code == 200
    response = invitee.post(path, {"password": "a-long-password", "confirm": "a-long-password"})
    assert response.status_code == 303
    assert "Gamma Fiber" in invitee.get("/").get_data(as_text=True)
    assert browser().get(path).status_code == 404, "the link works once"
    browser().login("kim@gamma.example", "a-long-password")


def test_bad_registration_number_gets_a_message_and_saves_nothing(browser, world):
    admin = browser("desk@test.example")
    response = admin.post("/firms/new", {"name": "Bad", "brn": "123-45-67890",
                                         "industry": "x", "site": "y", "phase": "1",
                                         "account_officer": "0"})
    assert response.status_code == 422
    assert 'id="brn-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Firm.id))) == 2


def test_deadline_calculator_page_shows_due_and_skipped_days(browser, world):
    desk = browser("desk@test.example")
    html = desk.get("/deadlines?start=2026-09-23T14:00&period=5d").get_data(as_text=True)
    assert 'datetime="2026-10-02T14:00:00+09:00"' in html
    assert "2026-09-25" in html
    bad = desk.get("/deadlines?start=yesterday&period=5d")
    assert bad.status_code == 422


def test_deadline_calculator_shows_the_longest_extension(browser, world):
    desk = browser("desk@test.example")
    plain = desk.get("/deadlines?start=2026-09-21T10:00&period=10d").get_data(as_text=True)
    assert 'id="extension"' not in plain, "the same inputs give the same page as before"
    html = desk.get("/deadlines?start=2026-09-21T10:00&period=10d&extended=1") \
        .get_data(as_text=True)
    assert 'datetime="2026-10-07T18:00:00+09:00"' in html
    extension = html[html.index('id="extension"'):]
    assert 'datetime="2026-10-22T18:00:00+09:00"' in extension
    assert "10근무일(80근무시간)" in extension
    assert "2026-10-09" in extension and "2026-09-25" not in extension


def test_deadline_calculator_shows_when_consent_is_deemed(browser, world):
    desk = browser("desk@test.example")
    html = desk.get("/deadlines?start=2026-09-21T10:00&period=20d&consultation=1") \
        .get_data(as_text=True)
    assert "협의 간주 시점" in html
    assert 'datetime="2026-10-22T18:00:00+09:00"' in html
    assert "20근무일(159근무시간)" in html and "2026-10-05" in html  # from 10:00


def test_korean_by_default_and_english_on_request(browser, world):
    firm = browser("ceo@alpha.test")
    assert '<html lang="ko">' in firm.get("/").get_data(as_text=True)
    firm.post("/language", {"locale": "en"})
    html = firm.get("/").get_data(as_text=True)
    assert '<html lang="en">' in html and "Waiting on you" in html
    firm.post("/language", {"locale": "ko"})
    assert "Waiting on you" not in firm.get("/").get_data(as_text=True)


def test_an_admin_saving_a_request_type_unchanged_changes_nothing(browser, world):
    admin = browser("admin@test.example")
    page = admin.get(f"/admin/request-types/{world.permit_type.id}").get_data(as_text=True)
    fields = dict(re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', page))
    textareas = dict(re.findall(r'<textarea[^>]*name="(\w+)"[^>]*>\s*([^<]*)</textarea>', page))
    data = {k: fields[k] for k in ("code", "name", "name_en", "period", "supplement_period",
                                   "progress_notice_period", "consultation_period",
                                   "objection_days", "objection_period")}
    data.update(category="permit", is_active="y", partners=[str(world.permits.id)],
                checklist=html.unescape(textareas["checklist"]),
                form_fields=html.unescape(textareas["form_fields"]))
    assert data["checklist"].splitlines()[0] == "설계도서 | Drawings"
    before = (world.permit_type.checklist, world.permit_type.form_fields)
    assert admin.post(f"/admin/request-types/{world.permit_type.id}", data).status_code == 303
    db.session.expire_all()
    assert (world.permit_type.checklist, world.permit_type.form_fields) == before


def test_an_admin_sets_a_request_types_clock_of_the_law(browser, world):
    admin = browser("admin@test.example")
    url = f"/admin/request-types/{world.hiring_type.id}"
    data = {"code": "recruitment", "name": "채용 지원", "category": "hiring", "period": "5d",
            "is_active": "y", "supplement_period": "5x", "progress_notice_period": "",
            "consultation_period": "20d", "deems_permits": "y", "objection_days": "60",
            "objection_period": "10d"}
    refused = admin.post(url, data)
    assert refused.status_code == 422
    assert "3h, 5d, 10d" in refused.get_data(as_text=True)
    assert admin.post(url, {**data, "supplement_period": " 10d "}).status_code == 303
    db.session.expire_all()
    assert (world.hiring_type.supplement_period, world.hiring_type.progress_notice_period,
            world.hiring_type.deems_permits, world.hiring_type.objection_days) == (
        "10d", "", True, 60), \
        "an empty progress notice period: never"
