"""Handing a case to another caseworker, and naming a firm's account officer."""
import re

from sqlalchemy import select

from onestop.accounts.models import Role
from onestop.cases.models import Event
from onestop.commitments.models import FirmEvent
from onestop.extensions import db
from onestop.firms.models import Firm
from onestop.notifications.models import Notification
from tests.factories import make_user
from tests.web.helpers import latest_case, version_of


def _filed(browser, world):
    browser("ceo@alpha.test").post(f"/cases/new/{world.hiring_type.id}", {
        "title": "Hiring help", "description": "d", "priority": "normal"})
    return latest_case()


def _other_caseworker():
    user = make_user("park@test.example", Role.CASEWORKER, name="박지원")
    db.session.commit()
    return user


def _once(html: str, action: str) -> str:
    form = re.search(r'<form[^>]+action="[^"]*/' + action + r'"(.*?)</form>', html, re.S).group(1)
    return re.search(r'name="once" type="hidden" value="([^"]+)"', form).group(1)


def test_desk_hands_a_case_over_once_recorded_and_told(browser, world):
    case = _filed(browser, world)
    park = _other_caseworker()
    desk = browser("desk@test.example")
    page = desk.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "다른 담당자에게 넘기기" in page
    data = {"owner": str(park.id), "version": version_of(page, "reassign"),
            "once": _once(page, "reassign")}
    first = desk.post(f"/cases/{case.id}/reassign", data)
    assert first.status_code == 303
    again = desk.post(f"/cases/{case.id}/reassign", data)
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    db.session.expire_all()
    assert latest_case().owner_id == park.id
    events = db.session.scalars(select(Event).where(Event.case_id == case.id,
                                                    Event.action == "case.reassign")).all()
    assert len(events) == 1 and events[0].is_internal and "박지원" in events[0].detail
    told = db.session.scalars(select(Notification).where(
        Notification.kind == "case_reassigned")).all()
    assert [n.user_id for n in told] == [park.id]
    history = desk.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "요청을 다른 담당자에게 넘겼습니다" in history
    # The firm sees who owns its request now, never the desk's internal hand-over entry.
    seen_by_firm = browser("ceo@alpha.test").get(f"/cases/{case.id}").get_data(as_text=True)
    assert "박지원" in seen_by_firm and "다른 담당자에게 넘겼습니다" not in seen_by_firm


def test_a_stale_page_does_not_hand_over(browser, world):
    case = _filed(browser, world)
    park = _other_caseworker()
    desk = browser("desk@test.example")
    page = desk.get(f"/cases/{case.id}").get_data(as_text=True)
    stale = version_of(page, "reassign")
    desk.submit(f"/cases/{case.id}", "accept")
    response = desk.post(f"/cases/{case.id}/reassign", {"owner": str(park.id),
                                                        "version": stale})
    assert response.status_code == 409
    db.session.expire_all()
    assert latest_case().owner_id == world.desk.id


def test_only_the_desk_may_hand_over(browser, world):
    case = _filed(browser, world)
    park = _other_caseworker()
    firm = browser("ceo@alpha.test")
    page = firm.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "/reassign" not in page
    assert firm.post(f"/cases/{case.id}/reassign", {"owner": str(park.id),
                                                    "version": "1"}).status_code == 403
    # A partner with no task on it does not even see the case.
    assert browser("staff@union.test").post(f"/cases/{case.id}/reassign", {
        "owner": str(park.id), "version": "1"}).status_code == 404
    db.session.expire_all()
    assert latest_case().owner_id == world.desk.id


def test_owner_must_be_a_caseworker(browser, world):
    case = _filed(browser, world)
    desk = browser("desk@test.example")
    page = desk.get(f"/cases/{case.id}").get_data(as_text=True)
    response = desk.post(f"/cases/{case.id}/reassign", {
        "owner": str(world.union_staff.id), "version": version_of(page, "reassign")})
    assert response.status_code == 422
    response = desk.post(f"/cases/{case.id}/reassign", {
        "owner": str(world.desk.id), "version": version_of(page, "reassign")})
    assert response.status_code == 422 and "이미" in response.get_data(as_text=True)


def test_firm_account_officer_changes_in_its_history(browser, world):
    park = _other_caseworker()
    admin = browser("admin@test.example")
    page = admin.get(f"/firms/{world.firm_a.id}").get_data(as_text=True)
    assert "다른 전담 책임관 지정" in page
    response = admin.post(f"/firms/{world.firm_a.id}/officer", {
        "officer": str(park.id), "shown": str(world.desk.id)})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Firm, world.firm_a.id).account_officer_id == park.id
    entry = db.session.scalar(select(FirmEvent).where(
        FirmEvent.firm_id == world.firm_a.id, FirmEvent.action == "firm.officer_changed"))
    assert entry is not None and "박지원" in entry.detail
    # A page that still shows the old officer is refused, not obeyed.
    stale = admin.post(f"/firms/{world.firm_a.id}/officer", {
        "officer": str(world.desk.id), "shown": str(world.desk.id)})
    assert stale.status_code == 409
    db.session.expire_all()
    assert db.session.get(Firm, world.firm_a.id).account_officer_id == park.id


def test_firm_members_and_partners_cannot_name_an_officer(browser, world):
    park = _other_caseworker()
    firm = browser("ceo@alpha.test")
    assert "/officer" not in firm.get(f"/firms/{world.firm_a.id}").get_data(as_text=True)
    assert firm.post(f"/firms/{world.firm_a.id}/officer", {
        "officer": str(park.id), "shown": str(world.desk.id)}).status_code == 403
    assert browser("staff@union.test").post(f"/firms/{world.firm_a.id}/officer", {
        "officer": str(park.id), "shown": str(world.desk.id)}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Firm, world.firm_a.id).account_officer_id == world.desk.id
