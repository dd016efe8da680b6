"""The desk's case queue: its columns and sorts, the intake deadline, search, saved views,
bulk actions and the navigation's current item."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from onestop.cases import services as cases
from onestop.cases.models import Case, SavedView
from onestop.db import utcnow
from onestop.extensions import db
from onestop.tasks import services as tasks
from tests.factories import NOW


def _file(world, user, title, *, description="d", priority="normal", at=NOW):
    return cases.file_case(user, world.hiring_type, title=title, description=description,
                           priority=priority, form_data={}, checked_items=[], files=[], now=at)


def _refs(html: str) -> list[str]:
    return re.findall(r'<small class="muted">(OS-\d{4}-\d{5})</small>', html)


@pytest.fixture
def queue(world):
    # The pages judge "overdue" by the real clock: a week-old request is past its review.
    now = utcnow()
    old = _file(world, world.firm_a_user, "오래된 채용 요청", at=now - timedelta(days=7))
    urgent = _file(world, world.firm_b_user, "Urgent hiring", priority="urgent", at=now)
    routed = _file(world, world.firm_a_user, "Routed hiring", priority="high",
                   at=now - timedelta(days=2))
    cases.accept_case(world.desk, routed, now=now, version=None)
    cases.route_case(world.desk, routed, [world.union, world.univ], now=now, version=None)
    db.session.commit()
    return {"old": old, "urgent": urgent, "routed": routed}


def test_new_requests_carry_the_desks_review_deadline(world):
    # Filed Tuesday 10:00 with one working day to review: Wednesday 10:00.
    assert _file(world, world.firm_a_user, "t").review_due_at == NOW + timedelta(days=1)


def test_queue_shows_priority_age_owner_partners_and_sorts(browser, world, queue):
    desk = browser("desk@test.example")
    html = desk.get("/cases/?status=").get_data(as_text=True)
    for text in ["priority-urgent", "Waiting since" if "Waiting since" in html else "대기 시작",
                 world.desk.name, "노사민정협의회", "산학협력단"]:
        assert text in html
    assert "due-overdue" in html, "the week-old request is past its review deadline"
    by_priority = _refs(desk.get("/cases/?status=&sort=priority").get_data(as_text=True))
    assert by_priority == [queue[k].reference for k in ("urgent", "routed", "old")]
    by_age = _refs(desk.get("/cases/?status=&sort=age").get_data(as_text=True))
    assert by_age == [queue[k].reference for k in ("old", "routed", "urgent")]
    overdue = _refs(desk.get("/cases/?status=&overdue=y").get_data(as_text=True))
    assert overdue == [queue["old"].reference]


def test_partner_sees_only_its_own_organization_in_the_partners_column(browser, world, queue):
    html = browser("staff@union.test").get("/cases/?status=").get_data(as_text=True)
    assert "노사민정협의회" in html and "산학협력단" not in html


@pytest.mark.parametrize("email", ["ceo@alpha.test", "staff@union.test"])
@pytest.mark.parametrize("query", ["need=declined", "organization=1", "owner=none"])
def test_the_desks_filters_are_refused_to_firms_and_partners(browser, world, email, query):
    """Whose task was declined, who owns a case, which partners work on it: the desk's."""
    assert browser(email).get(f"/cases/?{query}").status_code == 400


def test_owner_me_filter(browser, world, queue):
    cases.reassign_case(world.admin, queue["old"], world.admin, now=utcnow(), version=None)
    db.session.commit()
    admin = browser("admin@test.example")
    assert _refs(admin.get("/cases/?status=&owner=me").get_data(as_text=True)) == [
        queue["old"].reference]


# -- search --

@pytest.fixture
def searchable(world):
    a = _file(world, world.firm_a_user, "Boiler permit 100% done",
              description="탄소섬유 공장 증설")
    b = _file(world, world.firm_b_user, "Boiler permit for Beta", description="under_score")
    cases.add_comment(world.desk, a, "secret internal zebra", audience="desk", now=NOW)
    cases.add_comment(world.firm_a_user, a, "public giraffe", now=NOW)
    db.session.commit()
    return a, b


def test_search_all_words_any_order_and_literal_wildcards(browser, world, searchable):
    a, b = searchable
    desk = browser("desk@test.example")

    def found(q):
        return _refs(desk.get("/cases/", query_string={"status": "", "q": q}).get_data(
            as_text=True))

    assert sorted(found("permit boiler")) == sorted([a.reference, b.reference])
    assert found("beta boiler") == [b.reference], "a word may match the firm's name"
    assert found("100%") == [a.reference]
    assert found("%") == [a.reference], "% is a character, not a wildcard"
    assert found("_") == [b.reference]
    assert found("공장 탄소섬유") == [a.reference], "Korean words, in any order"
    assert found("zebra") == [a.reference], "the desk searches internal notes"
    assert found("boiler nothing-like-this") == []


def test_a_firms_search_never_reaches_another_firm_or_an_internal_note(browser, world,
                                                                      searchable):
    a, b = searchable
    firm_b = browser("ceo@beta.test")
    assert _refs(firm_b.get("/cases/?q=boiler").get_data(as_text=True)) == [b.reference]
    assert _refs(firm_b.get("/cases/?q=giraffe").get_data(as_text=True)) == []
    firm_a = browser("ceo@alpha.test")
    assert _refs(firm_a.get("/cases/?q=zebra").get_data(as_text=True)) == []
    assert _refs(firm_a.get("/cases/?q=giraffe").get_data(as_text=True)) == [a.reference]


def test_a_partners_search_reaches_only_its_cases_and_the_notes_it_may_read(browser, world,
                                                                           searchable):
    a, b = searchable
    cases.accept_case(world.desk, a, now=utcnow(), version=None)
    cases.route_case(world.desk, a, [world.union], now=utcnow(), version=None)
    db.session.commit()
    union = browser("staff@union.test")
    assert _refs(union.get("/cases/?status=&q=boiler").get_data(as_text=True)) == [a.reference]
    assert _refs(union.get("/cases/?status=&q=giraffe").get_data(as_text=True)) == [a.reference]
    assert _refs(union.get("/cases/?status=&q=zebra").get_data(as_text=True)) == [], \
        "a desk-only note is not searched for a partner"


def test_a_long_search_is_shortened_with_a_message(browser, world, searchable):
    desk = browser("desk@test.example")
    response = desk.get("/cases/", query_string={"status": "", "q": "boiler " + "가" * 300})
    assert response.status_code == 200
    assert 'class="flash info"' in response.get_data(as_text=True)


# -- saved views --

def test_saved_views_save_find_in_nav_rename_delete_and_tenancy(browser, world, queue):
    desk = browser("desk@test.example")
    html = desk.get("/cases/?status=&sort=priority&page=2").get_data(as_text=True)
    once = re.search(r'action="/cases/views".*?name="once" type="hidden" value="([^"]+)"', html,
                     re.S).group(1)
    response = desk.post("/cases/views", {"name": "급한 것", "once": once,
                                          "query": "status=&sort=priority&page=2"})
    assert response.status_code == 303
    assert desk.post("/cases/views", {"name": "급한 것", "once": once,
                                      "query": "status=&sort=priority"}).status_code == 303
    views = db.session.scalars(select(SavedView)).all()
    assert [(v.name, v.query) for v in views] == [("급한 것", "status=&sort=priority")]
    page = desk.get("/cases/?status=&sort=priority").get_data(as_text=True)
    assert re.search(r'href="/cases/\?status=&amp;sort=priority" aria-current="page">급한 것',
                     page)
    assert 'href="/cases/?owner=me"' in page, "my cases is a default view"
    view = views[0]
    assert browser("admin@test.example").post(f"/cases/views/{view.id}/delete").status_code \
        == 404, "a user never reaches another's view"
    assert "급한 것" not in browser("admin@test.example").get("/cases/").get_data(as_text=True)
    assert desk.post(f"/cases/views/{view.id}/rename", {"name": "Urgent"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(SavedView, view.id).name == "Urgent"
    assert desk.post(f"/cases/views/{view.id}/delete").status_code == 303
    assert db.session.scalars(select(SavedView)).all() == []


def test_a_bad_query_is_not_saved_and_firms_cannot_save(browser, world):
    desk = browser("desk@test.example")
    desk.post("/cases/views", {"name": "bad", "query": "status=nonsense"})
    assert db.session.scalars(select(SavedView)).all() == []
    assert browser("ceo@alpha.test").post("/cases/views", {"name": "x", "query": ""}
                                          ).status_code in (403, 404)


# -- bulk actions --

def test_bulk_close_reports_each_refusal_and_does_the_rest(browser, world, queue):
    done = queue["routed"]
    for task in done.tasks:
        tasks.accept_task(world.union_lead if task.organization == world.union
                          else world.univ_staff, task, now=utcnow(), version=None)
        tasks.complete_task(world.union_lead if task.organization == world.union
                            else world.univ_staff, task, "ok", now=utcnow(), version=None)
    db.session.commit()
    assert done.status == "resolved"
    desk = browser("desk@test.example")
    html = desk.get("/cases/?status=").get_data(as_text=True)
    once = re.search(r'id="bulk".*?name="once" type="hidden" value="([^"]+)"', html,
                     re.S).group(1)
    picks = re.findall(r'name="cases" value="([^"]+)"', html)
    form = {"action": "close", "once": once, "cases": picks, "query": "status="}
    response = desk.post("/cases/bulk", form)
    assert response.status_code == 303
    page = desk.get(response.headers["Location"]).get_data(as_text=True)
    assert page.count('class="flash error"') == 2
    assert queue["old"].reference in page and queue["urgent"].reference in page
    db.session.expire_all()
    assert db.session.get(Case, done.id).status == "closed"
    events = len(db.session.get(Case, done.id).events)
    assert desk.post("/cases/bulk", form).status_code == 303, "a repeat lands, does nothing"
    db.session.expire_all()
    assert len(db.session.get(Case, done.id).events) == events


def test_bulk_assign_and_route_use_the_single_case_services(browser, world, queue):
    desk = browser("desk@test.example")
    html = desk.get("/cases/?status=").get_data(as_text=True)
    picks = re.findall(r'name="cases" value="([^"]+)"', html)
    once = re.search(r'id="bulk".*?name="once" type="hidden" value="([^"]+)"', html,
                     re.S).group(1)
    desk.post("/cases/bulk", {"action": "assign", "owner": str(world.admin.id), "once": once,
                              "cases": picks})
    db.session.expire_all()
    assert {c.owner_id for c in db.session.scalars(select(Case))} == {world.admin.id}
    html = desk.get("/cases/?status=").get_data(as_text=True)
    picks = re.findall(r'name="cases" value="([^"]+)"', html)
    once = re.search(r'id="bulk".*?name="once" type="hidden" value="([^"]+)"', html,
                     re.S).group(1)
    response = desk.post("/cases/bulk", {"action": "route", "organization": str(world.permits.id),
                                         "once": once, "cases": picks})
    page = desk.get(response.headers["Location"]).get_data(as_text=True)
    assert page.count('class="flash error"') == 2, "two requests are not accepted yet"
    db.session.expire_all()
    routed = db.session.get(Case, queue["routed"].id)
    assert world.permits.id in {t.organization_id for t in routed.tasks}


# -- navigation --

def test_the_navigation_marks_the_current_page(browser, world):
    admin = browser("admin@test.example")
    html = admin.get("/admin/organizations").get_data(as_text=True)
    assert re.search(r'href="/admin/organizations" aria-current="page"', html)
    assert re.search(r'href="/admin/users" aria-current="page"', html), "top bar: Admin"
    assert html.count('aria-current="page"') == 2
    html = admin.get("/cases/").get_data(as_text=True)
    assert re.search(r'href="/cases/" aria-current="page"', html)


def test_saved_views_page_lists_the_users_views(browser, world):
    desk = browser("desk@test.example")
    db.session.add(SavedView(user_id=world.desk.id, name="Mine", query="owner=me",
                             created_at=utcnow()))
    db.session.add(SavedView(user_id=world.admin.id, name="Not mine", query="", created_at=utcnow()))
    db.session.commit()
    html = desk.get("/cases/views").get_data(as_text=True)
    assert "Mine" in html and "Not mine" not in html
