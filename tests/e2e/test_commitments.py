"""A firm reports its actuals with evidence from a phone, its account officer verifies the
report at a desk, and the firm sees it verified; every page checked by axe and photographed."""
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT
from tests.e2e.test_pages import PHONE, _check_page

PDF = ROOT / "tests" / "e2e" / "files" / "plan.pdf"

WORDS = {
    # Each language reports another year (the server is shared): not reported in the demo.
    "ko": {"what": "보고 항목", "target": "고용 · 2027", "amount": "실적",
           "files": "첨부파일", "send": "보고 보내기", "verify": "확인",
           "waiting": "확인 대기", "verified": "확인 완료", "reports": "확인할 실적 보고"},
    "en": {"what": "What you report", "target": "Investment · 2027", "amount": "Actual amount",
           "files": "Attachments", "send": "Send the report", "verify": "Verify",
           "waiting": "Awaiting verification", "verified": "Verified by the officer",
           "reports": "Reports to verify"},
}


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_firm_reports_from_a_phone_the_officer_verifies_the_firm_sees_it(people, lang):
    words = WORDS[lang]
    firm = people("firm", viewport=PHONE)
    page = firm.login("hr@carbonfiber.example", lang=lang)
    firm.go("/commitments/")
    assert not _check_page(page)
    choice = page.get_by_label(words["what"])
    value = choice.locator("option", has_text=words["target"]).first.get_attribute("value")
    choice.select_option(value)
    page.get_by_role("textbox", name=words["amount"], exact=True).fill("35")
    page.get_by_label(words["files"]).set_input_files(PDF)
    firm.shot(f"commitments-{lang}-phone-form")
    page.get_by_role("button", name=words["send"]).click()
    expect(page.locator(".flash.success")).to_be_visible()
    expect(page.locator("#reports-section tbody tr").first).to_contain_text(words["waiting"])
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    assert not _check_page(page)
    firm.shot(f"commitments-{lang}-phone-reported")

    desk = people("desk")
    desk_page = desk.login("desk@city.example", lang=lang)
    desk_page.get_by_role("link", name=words["reports"]).first.click()
    assert not _check_page(desk_page)
    desk.shot(f"commitments-{lang}-desk-to-verify")
    desk_page.locator("main tbody tr", has_text=words["target"]).get_by_role("link").first.click()
    expect(desk_page.get_by_role("link", name="plan.pdf")).to_be_visible()
    assert not _check_page(desk_page)
    desk.shot(f"commitments-{lang}-desk-review")
    desk_page.get_by_role("button", name=re.compile(f"^{words['verify']}$")).click()
    expect(desk_page.locator(".flash.success")).to_be_visible()
    expect(desk_page.locator("main .badge.status-verified")).to_be_visible()

    firm.go("/commitments/")
    expect(page.locator("#reports-section tbody tr").first).to_contain_text(words["verified"])
    assert not _check_page(page)
    firm.shot(f"commitments-{lang}-phone-verified")
    firm.go("/")
    assert not _check_page(page)
    firm.shot(f"commitments-{lang}-phone-home")
