"""Every main page of every role, in Korean and English, on a desktop and a phone: no serious
or critical axe violations, a title, landmarks, a label on every control, no horizontal
scrolling on a phone, and a screenshot for people."""
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.dates import THURSDAY, working_day_ahead

AXE = Axe()
PHONE = {"width": 390, "height": 844}
# A working Thursday ahead: five days from it cross a weekend, so the page lists skipped days.
CALCULATION = f"/deadlines?start={working_day_ahead(1, weekday=THURSDAY).isoformat()}T14:00&period=5d"

# role -> (account, pages); "first:<list path>" opens the first item linked from that list.
ROLES = {
    "anonymous": (None, ["/login", "/password/forgot", "/zone"]),
    "firm": ("ceo@carbonfiber.example", [
        "/", "/cases/", "/cases/new", "first-type:/cases/new", "first:/cases/", "/notifications",
        "/notifications/preferences", "/account", "/commitments/"]),
    "desk": ("desk@city.example", [
        "/", "/cases/", "first:/cases/", "/tasks/", "first:/tasks/", "/firms/", "/firms/new",
        "first:/firms/", CALCULATION, "/notifications", "/reports/zone", "/reports/service",
        "/reports/council", "/commitments/to-verify", "first:/commitments/to-verify",
        "/cases/views", "/replies/"]),
    "partner-lead": ("lead@union.example", ["/", "/tasks/", "first:/tasks/", "/deadlines",
                                            "/replies/", "/webhooks/"]),
    "partner": ("staff@univ.example", ["/", "/tasks/", "first:/tasks/", "/cases/",
                                       "/notifications/preferences"]),
    "admin": ("admin@city.example", [
        "/admin/users", "/admin/users/new", "/admin/organizations", "/admin/request-types",
        "first:/admin/request-types", "/admin/holidays", "/admin/reminder-rules",
        "/admin/notifications", "/admin/outbox", "/admin/security", "/admin/audit-log",
        "/admin/notification-defaults/partner", "/admin/imports", "/webhooks/"]),
}


def _open(session, target: str):
    kind, _, path = target.partition(":")
    if kind == "first":
        session.go(path)
        href = session.page.locator("main tbody a").first.get_attribute("href")
        return session.go(href)
    if kind == "first-type":
        session.go(path)
        return session.go(session.page.locator("main a.card").first.get_attribute("href"))
    return session.go(target)


def _name(target: str) -> str:
    return re.sub(r"[^\w]+", "-", target.split("?")[0]).strip("-") or "home"


def _check_page(page) -> list[str]:
    problems = []
    results = AXE.run(page).response["violations"]
    for violation in results:
        if violation["impact"] in ("serious", "critical"):
            targets = [", ".join(n["target"]) for n in violation["nodes"]][:5]
            problems.append(f"axe {violation['id']} ({violation['impact']}): {targets}")
    if not page.title().strip():
        problems.append("no title")
    for landmark in ("main", "header", "footer"):
        if page.locator(landmark).count() != 1:
            problems.append(f"not exactly one <{landmark}>")
    unlabelled = page.evaluate("""() => [...document.querySelectorAll(
        'input:not([type=hidden]), select, textarea')].filter(el =>
        !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
        && !el.getAttribute('aria-labelledby')).map(el => el.outerHTML.slice(0, 80))""")
    problems += [f"control without a label: {html}" for html in unlabelled]
    return problems


SIZES = {"desktop": None, "phone": PHONE}


def _speak(session, email, lang) -> None:
    """Sign in speaking lang, or, signed out, switch the page's language."""
    if email:
        session.login(email, lang=lang)
        return
    page = session.go("/login")
    if page.locator("html").get_attribute("lang") != lang:
        page.locator(f"button[name=locale][value={lang}]").click()
    expect(page.locator("html")).to_have_attribute("lang", lang)


def _cut_off(page) -> list[str]:
    """The page's width beyond a phone's, and controls of the main content outside it."""
    problems = []
    width = page.evaluate("() => document.documentElement.scrollWidth")
    if width > PHONE["width"]:
        problems.append(f"{width}px wide")
    # Every button and link of the main content can be reached inside the screen width.
    outside = page.evaluate("""(w) => [...document.querySelectorAll(
        'main button, main a, main input, main select, main textarea')].filter(el => {
          const r = el.getBoundingClientRect();
          return r.width > 0 && (r.left < 0 || r.right > w + 1) && !el.closest('.table-wrap');
        }).map(el => el.outerHTML.slice(0, 60))""", PHONE["width"])
    return problems + [f"cut off: {html}" for html in outside]


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("role", list(ROLES))
def test_main_pages_are_accessible_fit_and_photographed(people, role, lang, size):
    """Each role's main pages in both languages, on a desktop and on a 390 px phone."""
    email, targets = ROLES[role]
    session = people(role, viewport=SIZES[size])
    _speak(session, email, lang)
    prefix = ("phone-" if size == "phone" else "") + ("en-" if lang == "en" else "")
    problems = []
    for target in targets:
        page = _open(session, target)
        expect(page.locator("main")).to_be_visible()
        session.shot(f"{prefix}{role}-{_name(target)}")
        problems += [f"{target}: {p}" for p in _check_page(page)]
        if size == "phone":
            problems += [f"{target}: {p}" for p in _cut_off(page)]
    assert not problems, "\n".join(problems)
