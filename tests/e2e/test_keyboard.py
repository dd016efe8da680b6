"""A firm files a request with the keyboard alone."""
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD


def tab_to(page, element_id: str, limit: int = 40) -> None:
    """Press Tab until the element has focus; every stop must show a focus outline."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("""() => { const el = document.activeElement;
            const style = getComputedStyle(el);
            return {id: el.id, outline: style.outlineStyle, width: style.outlineWidth}; }""")
        assert focused["outline"] != "none" and focused["width"] != "0px", \
            f"no visible focus on #{focused['id']}"
        if focused["id"] == element_id:
            return
    raise AssertionError(f"#{element_id} cannot be reached with Tab")


def test_filing_form_works_with_the_keyboard_only(people):
    session = people("keyboard")
    page = session.go("/login")
    tab_to(page, "email")
    page.keyboard.type("hr@carbonfiber.example")
    tab_to(page, "password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("a.bell")).to_be_visible()
    if page.locator("html").get_attribute("lang") != "ko":  # the account kept English
        page.locator("button[name=locale][value=ko]").focus()
        page.keyboard.press("Enter")
        expect(page.locator("html")).to_have_attribute("lang", "ko")

    session.go("/cases/new")
    link = page.locator("main a.card").filter(has_text="채용 지원")
    link.focus()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("채용 지원")
    tab_to(page, "title")
    page.keyboard.type("키보드로 낸 요청")
    tab_to(page, "description")
    page.keyboard.type("설비 기사 5명 채용을 도와주세요.")
    tab_to(page, "field_headcount")
    page.keyboard.type("5")
    tab_to(page, "priority")
    page.keyboard.press("ArrowDown")
    tab_to(page, "checklist-0")
    page.keyboard.press("Space")
    expect(page.locator("#checklist-0")).to_be_checked()
    submit = page.get_by_role("button", name="신청하기")
    for _ in range(5):
        page.keyboard.press("Tab")
        if submit.evaluate("el => el === document.activeElement"):
            break
    page.keyboard.press("Enter")
    expect(page.locator(".flash.success")).to_be_visible()
    expect(page.locator("h1")).to_have_text("키보드로 낸 요청")
