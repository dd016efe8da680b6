"""The desk's queue in a browser: saved views in the menu, a bulk action with one refusal,
search by words in any order and with %, in both languages, desktop and phone."""
import re

from playwright.sync_api import expect

from tests.e2e.test_pages import PHONE, _check_page

DESK = "desk@city.example"


def _rows(page):
    return page.locator("main tbody tr")


def test_saved_view_is_saved_found_in_the_menu_and_opened(people):
    session = people("desk")
    page = session.login(DESK)
    session.go("/cases/?status=&sort=priority")
    page.get_by_label("이 보기의 이름").fill("급한 것부터")
    page.get_by_role("button", name="이 조건을 보기로 저장").click()
    expect(page.locator(".flash.success")).to_contain_text("급한 것부터")
    session.go("/cases/")
    page.locator(".nav-views summary").click()
    page.locator(".nav-views").get_by_role("link", name="급한 것부터").click()
    expect(page).to_have_url(re.compile(r"/cases/\?status=&sort=priority$"))
    expect(page.locator("#sort")).to_have_value("priority")
    page.locator(".nav-views summary").click()
    expect(page.locator(".nav-views").get_by_role("link", name="급한 것부터")).to_have_attribute(
        "aria-current", "page")
    expect(page.locator('.topbar a[href="/cases/"]')).not_to_have_attribute("aria-current",
                                                                             "page")
    # "My cases" is there from the start.
    expect(page.locator(".nav-views").get_by_role("link", name="내 담당 요청")).to_be_visible()
    assert not _check_page(page)
    session.go("/cases/views")
    expect(page.get_by_role("link", name="급한 것부터")).to_be_visible()
    session.shot("desk-cases-views")
    assert not _check_page(page)


def test_search_by_two_words_in_any_order_and_percent_taken_literally(people):
    session = people("desk")
    page = session.login(DESK)
    session.go("/cases/?status=&q=공장설립+승인")
    forwards = _rows(page).locator("small.muted").all_inner_texts()
    assert forwards and any("탄소섬유 2라인" in t for t in _rows(page).all_inner_texts())
    page.locator("#q").fill("승인 공장설립")
    page.locator("form.filters button").click()
    expect(page).to_have_url(re.compile(r"q=%EC%8A%B9%EC%9D%B8"))
    expect(_rows(page).first).to_be_visible()
    assert _rows(page).locator("small.muted").all_inner_texts() == forwards
    session.go("/cases/?status=&q=%25")
    expect(page.locator("main p.empty")).to_be_visible()
    session.go("/cases/?status=&q=공장설립%25")
    expect(page.locator("main p.empty")).to_be_visible()


def test_bulk_close_does_the_resolved_one_and_reports_the_other(people):
    session = people("desk")
    page = session.login(DESK)
    session.go("/cases/?status=&q=공장설립+승인&sort=-submitted")
    rows = _rows(page)
    open_ref = rows.nth(0).locator("small.muted").first.inner_text()
    resolved_ref = rows.nth(1).locator("small.muted").first.inner_text()
    expect(rows.nth(1).locator(".status-resolved")).to_be_visible()
    rows.nth(0).locator('input[name="cases"]').check()
    rows.nth(1).locator('input[name="cases"]').check()
    page.locator("#bulk-action").select_option("close")
    page.get_by_role("button", name="선택한 요청에 적용").click()
    expect(page.locator(".flash.success")).to_contain_text("2건 중 1건을 종결")
    expect(page.locator(".flash.error")).to_have_count(1)
    expect(page.locator(".flash.error")).to_contain_text(open_ref)
    row = _rows(page).filter(has_text=resolved_ref)
    expect(row.locator(".status-closed")).to_be_visible()


def test_queue_photographed_in_both_languages_and_sizes(people):
    for lang in ("ko", "en"):
        for size, viewport in (("desktop", None), ("phone", PHONE)):
            session = people(f"{lang}-{size}", viewport=viewport)
            page = session.login(DESK, lang=lang)
            session.go("/cases/?status=")
            details = page.locator("details.filters-fold")
            if size == "phone":
                expect(details).not_to_have_attribute("open", "")
                width = page.evaluate("() => document.documentElement.scrollWidth")
                assert width <= PHONE["width"], f"{lang}: {width}px wide"
                page.locator("details.filters-fold summary").click()
                expect(page.locator("#q")).to_be_visible()
            else:
                expect(page.locator("#q")).to_be_visible()
            session.shot(f"queue-{lang}-{size}")
            problems = _check_page(page)
            assert not problems, "\n".join(problems)
