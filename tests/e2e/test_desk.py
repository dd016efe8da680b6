"""The desk's home in urgency order and canned replies inserted into a comment, in a browser:
axe-clean, no horizontal scrolling on a phone, photographed in both languages and sizes."""
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_pages import PHONE, _check_page

NEEDS = ["declined", "overdue", "new", "due_soon", "reopened"]


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_desk_home_leads_with_the_most_urgent(people, lang, size):
    session = people(viewport=PHONE if size == "phone" else None)
    page = session.login("desk@city.example", lang=lang)
    session.go("/")
    tops = [page.locator(f"#need-{name}").bounding_box()["y"] for name in NEEDS]
    assert tops == sorted(tops)
    assert tops[-1] < page.locator("#needs-action").bounding_box()["y"]
    # Each count leads to the queue filtered the same way.
    overdue = page.locator("#need-overdue h2 .badge").inner_text()
    page.locator("main .stats a[href$='need=overdue']").click()
    expect(page).to_have_url(re.compile(r"/cases/\?need=overdue$"))
    if overdue.isdigit() and int(overdue) <= 20:
        expect(page.locator("main tbody tr")).to_have_count(int(overdue))
    session.go("/")
    problems = _check_page(page)
    if size == "phone":
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            problems.append(f"{width}px wide on a phone")
    session.shot(f"{'phone-' if size == 'phone' else ''}desk-home-urgency-{lang}")
    assert not problems, "\n".join(problems)


def test_canned_reply_inserted_at_the_cursor_and_sent(people):
    session = people()
    page = session.login("desk@city.example")
    session.go("/replies/")
    page.get_by_label("제목").fill("서류 보완 안내")
    page.get_by_label("내용").fill("사업자등록증 사본을 첨부해 주세요.")
    page.locator("main button.primary").click()
    expect(page.locator(".flash.success")).to_contain_text("서류 보완 안내")
    assert not _check_page(page)
    session.shot("desk-replies")

    session.go("/cases/")
    session.go(page.locator("main tbody a").first.get_attribute("href"))
    box = page.locator("#answer textarea[name=body]")
    box.fill("안녕하세요. ")
    box.press("End")
    page.locator("#canned-replies summary").click()
    reply = page.locator("#canned-replies li", has_text="서류 보완 안내")
    reply.get_by_role("button", name="넣기").click()
    expect(box).to_have_value("안녕하세요. 사업자등록증 사본을 첨부해 주세요.")
    assert not _check_page(page)
    session.shot("desk-case-canned-replies")
    page.locator("#answer input[name=audience][value=desk]").check()
    page.locator("#answer button.primary").click()
    expect(page.locator(".flash.success")).to_contain_text("사업자등록증 사본을 첨부해 주세요.")
    expect(page.locator("#comments article").last).to_contain_text(
        "안녕하세요. 사업자등록증 사본을 첨부해 주세요.")


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_replies_page_fits_a_phone(people, lang):
    session = people(viewport=PHONE)
    page = session.login("lead@union.example", lang=lang)
    session.go("/replies/")
    problems = _check_page(page)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{width}px wide"
    session.shot(f"phone-partner-lead-replies-{lang}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_hand_over_forms_on_the_case_and_firm_pages(people, lang, size):
    session = people(viewport=PHONE if size == "phone" else None)
    page = session.login("desk@city.example", lang=lang)
    prefix = "phone-" if size == "phone" else ""
    problems = []
    for kind, list_path, opener in [("case", "/cases/", "details.reassign summary"),
                                    ("firm", "/firms/", "details.officer summary")]:
        session.go(list_path)
        session.go(page.locator("main tbody a").first.get_attribute("href"))
        page.locator(opener).click()
        expect(page.locator(opener.replace(" summary", " select"))).to_be_visible()
        if kind == "case":
            page.locator("#canned-replies summary").click()
        problems += [f"{kind}: {p}" for p in _check_page(page)]
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if size == "phone" and width > PHONE["width"]:
            problems.append(f"{kind}: {width}px wide on a phone")
        session.shot(f"{prefix}desk-{kind}-hand-over-{lang}")
    assert not problems, "\n".join(problems)
