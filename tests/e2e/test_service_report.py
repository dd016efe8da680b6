"""The service performance page in a browser: axe-clean with its charts, readable on a phone
in Korean and at desktop width, its download following the page's filters; and the firm's
satisfaction answer on its resolved request."""
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_pages import PHONE, _check_page

DESKTOP = {"width": 1280, "height": 900}


@pytest.mark.parametrize("viewport,name", [(PHONE, "phone"), (DESKTOP, "desktop")])
def test_service_report_for_the_desk(people, viewport, name):
    session = people(f"desk-{name}", viewport=viewport)
    session.login("desk@city.example")
    page = session.go("/")
    page.get_by_role("link", name="서비스 성과").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("서비스 성과")
    expect(page.locator("svg[role=img]")).to_have_count(2)
    expect(page.locator("table#work tbody tr")).to_have_count(5)  # the demo's five partners
    session.shot(f"service-report-{name}-ko")
    assert _check_page(page) == []
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"{width}px wide"
    page.get_by_label("행 기준", exact=True).select_option("request_type")
    page.get_by_role("button", name="보기", exact=True).click()
    expect(page).to_have_url(re.compile(r"group=request_type"))
    expect(page.locator("table#time thead")).to_contain_text("지원센터")
    session.shot(f"service-report-{name}-by-type-ko")
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").first.click()
    text = open(download.value.path(), encoding="utf-8-sig").read()
    assert text.splitlines()[0].startswith("요청 유형") or text.splitlines()[0].startswith(
        "Request type")
    assert len(text.strip().splitlines()) == 1 + page.locator("table#work tbody tr").count() + 1


def test_service_report_for_a_partner_shows_its_own_row(people):
    session = people("partner")
    session.login("staff@univ.example")
    page = session.go("/reports/service")
    expect(page.locator("table#work tbody tr")).to_have_count(1)
    expect(page.locator("table#work tbody th")).to_have_text("국립대학교 산학협력단")
    session.shot("service-report-partner-ko")
    assert _check_page(page) == []


def test_the_firm_answers_the_satisfaction_question(people):
    session = people("firm", viewport=PHONE)
    session.login("ceo@carbonfiber.example")
    page = session.go("/cases/")
    page.get_by_role("link", name="도장 공정 배출시설 설치 허가").click()
    section = page.locator("#satisfaction")
    expect(section).to_be_visible()
    session.shot("satisfaction-question-ko")
    assert _check_page(page) == []
    expect(section.get_by_label("4 · 만족")).to_have_attribute("required", "")
    page.locator("#satisfaction").get_by_label("4 · 만족").check()
    page.locator("#satisfaction").get_by_label("덧붙이실 말씀 (선택)").fill("빨랐습니다.")
    page.locator("#satisfaction").get_by_role("button", name="답변 보내기").click()
    expect(page.locator("#satisfaction")).to_contain_text("5점 만점에 4점")
    expect(page.locator("#satisfaction form")).to_have_count(0)
    session.shot("satisfaction-answered-ko")
