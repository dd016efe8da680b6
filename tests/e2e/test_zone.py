"""The zone view and the public zone page in a real browser, on the demo zone: axe, a phone's
width, the downloads, and screenshots in Korean at 390×844 and on a desktop."""
import csv
import io
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_pages import PHONE, _check_page

DESKTOP = {"width": 1280, "height": 900}
# In the demo, the first firm agreed to be named publicly, the second did not.
NAMED, UNNAMED = "한국카본화이버(주)", "그린수소탱크(주)"


def _fits(page) -> list[str]:
    problems = []
    width = page.evaluate("() => document.documentElement.scrollWidth")
    if width > PHONE["width"]:
        problems.append(f"{width}px wide")
    problems += page.evaluate("""(w) => [...document.querySelectorAll('main a, main button')]
        .filter(el => { const r = el.getBoundingClientRect();
                        return r.width > 0 && (r.left < 0 || r.right > w + 1); })
        .map(el => 'cut off: ' + el.outerHTML.slice(0, 60))""", PHONE["width"])
    return problems


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_desk_sees_the_firms_behind_first(people, size):
    session = people(f"desk-{size}", viewport=PHONE if size == "phone" else DESKTOP)
    page = session.login("desk@city.example")
    page.get_by_role("navigation").get_by_role("link", name="산단 이행 현황").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("산단 이행 현황")
    firms = page.locator("tbody.firm")
    expect(firms.first).to_have_class(re.compile(r"\bbehind\b"))
    behind = page.locator("tbody.firm.behind").count()
    assert 0 < behind < firms.count()
    # Every firm behind comes before every firm that is not.
    classes = [c for c in firms.evaluate_all("els => els.map(e => e.className)")]
    assert classes == sorted(classes, key=lambda c: "behind" not in c)
    figure = page.get_by_role("figure", name="기업별 협약 목표 대비 이행")
    expect(figure.locator("svg.bar").first).to_be_visible()
    expect(page.get_by_text("8,072억 원").first).to_be_visible()
    problems = _check_page(page) + (_fits(page) if size == "phone" else [])
    session.shot(f"zone-view-{size}")
    assert not problems, "\n".join(problems)
    firms.first.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/firms/\d+$"))


def test_the_download_holds_the_firms_of_the_page(people):
    session = people("desk")
    page = session.login("desk@city.example")
    session.go("/reports/zone")
    shown = page.locator("tbody.firm th a").all_inner_texts()
    with page.expect_download() as info:
        page.locator("#firms-heading").locator("..").get_by_role("link", name="CSV").click()
    download = info.value
    assert re.fullmatch(r"zone-firms-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    rows = list(csv.reader(io.StringIO(open(download.path(), encoding="utf-8-sig").read())))
    assert [row[0] for row in rows[1:]] == shown


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_anyone_reads_the_public_page_without_names_or_people(people, size):
    session = people(f"public-{size}", viewport=PHONE if size == "phone" else DESKTOP)
    page = session.go("/login")
    page.get_by_role("link", name=re.compile("약속")).click()
    expect(page).to_have_url(re.compile(r"/zone$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    main = page.locator("main").inner_text()
    assert "8,072억 원" in main and "2,233명" in main
    assert NAMED in main and UNNAMED not in main
    assert "@" not in page.content() and "이서연" not in main
    problems = _check_page(page) + (_fits(page) if size == "phone" else [])
    session.shot(f"zone-public-{size}")
    assert not problems, "\n".join(problems)
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_text("KRW 807.2 bn").first).to_be_visible()
    if size == "desktop":
        session.shot("zone-public-english")
