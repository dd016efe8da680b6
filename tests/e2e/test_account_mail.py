"""Accounts by email in a real browser, with a real worker delivering to the outbox: a
forgotten password from the sign-in page to the next sign-in; and the new pages and emails
(forgot password, reset, change of address, invitations) photographed in Korean and English,
on a desktop and on a phone, and checked like every main page."""
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD
from tests.e2e.test_pages import PHONE, _check_page

NEW_PASSWORD = "quiet-orchard-lantern-62"


def link_in(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"http://127\.0\.0\.1:\d+/\S+", text).group(0)


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def test_forgotten_password_from_the_sign_in_page_to_the_next_sign_in(people, outbox):
    email = "staff@permits.city.example"
    visitor = people("forgot")
    page = visitor.go("/login")
    page.locator("main a[href$='/password/forgot']").click()
    expect(page).to_have_url(re.compile(r"/password/forgot$"))
    page.get_by_label(re.compile("이메일")).fill(email)
    before = outbox.names()
    page.locator("main button.primary").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator(".flash.info")).to_contain_text(email)
    visitor.shot("forgot-password-asked")

    message = outbox.wait(to=email, containing="/password/reset/", besides=before)
    page.goto(link_in(message))
    expect(page.locator("main")).to_contain_text(email)
    page.locator("#password").fill("short")
    page.locator("#confirm").fill("short")
    page.locator("main button.primary").click()
    expect(page.locator("#password-error")).to_be_visible()
    page.locator("#password").fill(NEW_PASSWORD)
    page.locator("#confirm").fill(NEW_PASSWORD)
    page.locator("main button.primary").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator(".flash.success")).to_be_visible()
    visitor.shot("forgot-password-done")

    page.goto(link_in(message))
    expect(page.locator("main a.button.primary[href$='/password/forgot']")).to_be_visible()
    visitor.login(email, NEW_PASSWORD)
    expect(visitor.page.locator("a.bell")).to_be_visible()


# (language, viewport, the user asking for a link and changing address, a new member's email)
LOOKS = [
    ("ko", None, "staff@union.example", "look-ko-desktop@newfirm.example"),
    ("ko", PHONE, "staff@univ.example", "look-ko-phone@newfirm.example"),
    ("en", None, "lead@union.example", "look-en-desktop@newfirm.example"),
    ("en", PHONE, "staff@jobs.example", "look-en-phone@newfirm.example"),
]


@pytest.mark.parametrize(("lang", "viewport", "email", "newcomer"), LOOKS,
                         ids=[f"{lang}-{'phone' if v else 'desktop'}" for lang, v, *_ in LOOKS])
def test_the_new_pages_and_emails_look_right(people, outbox, lang, viewport, email,
                                             newcomer):
    size = "phone" if viewport else "desktop"
    width = (viewport or {"width": 1280})["width"]
    problems: list[str] = []

    def look(session, name: str, *, page_check: bool = True) -> None:
        session.shot(f"accounts-{name}-{lang}-{size}")
        if page_check:
            problems.extend(f"{name}: {p}" for p in _check_page(session.page))
        scroll = session.page.evaluate("() => document.documentElement.scrollWidth")
        if scroll > width:
            problems.append(f"{name}: {scroll}px wide")

    def email_look(session, message, name: str) -> None:
        # Outside the app's pages, whose CSP would refuse the email's inline styles.
        session.page.goto("about:blank")
        session.page.set_content(html_of(message))
        look(session, f"email-{name}", page_check=False)

    # Signed in, the user speaks lang from now on (emails included): change of address.
    person = people(f"look-{lang}-{size}", viewport=viewport)
    page = person.login(email, lang=lang)
    person.go("/account")
    look(person, "account")
    new_address = email.replace("@", "-new@")
    form = page.locator("form[action$='/account/email']")
    form.locator("#new_email").fill(new_address)
    form.locator("#reauth_password").fill("a wrong guess")
    form.locator("button").click()
    expect(page.locator("#reauth_password-error")).to_be_visible()
    look(person, "account-email-refused")
    before = outbox.names()
    form = page.locator("form[action$='/account/email']")
    form.locator("#new_email").fill(new_address)
    form.locator("#reauth_password").fill(PASSWORD)
    form.locator("button").click()
    expect(page.locator(".flash.success")).to_contain_text(new_address)
    look(person, "account-email-pending")
    confirm = outbox.wait(to=new_address, containing="/account/email/", besides=before)
    notice = outbox.wait(to=email, containing=new_address, besides=before)
    person.page.goto(link_in(confirm))
    expect(page.locator("main form button.primary")).to_be_visible()
    look(person, "confirm-email")
    email_look(person, confirm, "confirm")
    email_look(person, notice, "notice")
    person.go("/account")
    page.locator("form[data-sign-out] button").click()

    # Signed out: forgot password, its email, the reset page and a dead link.
    before = outbox.names()
    person.go("/password/forgot")
    look(person, "forgot")
    page.locator("#email").fill(email)
    page.locator("main button.primary").click()
    expect(page.locator(".flash.info")).to_be_visible()
    look(person, "forgot-sent")
    reset = outbox.wait(to=email, containing="/password/reset/", besides=before)
    page.goto(link_in(reset))
    look(person, "reset")
    page.locator("#password").fill(email)
    page.locator("#confirm").fill(email)
    page.locator("main button.primary").click()
    expect(page.locator("#password-error")).to_be_visible()
    look(person, "reset-refused")
    person.go("/password/reset/not-a-real-link")
    look(person, "reset-dead-link")
    email_look(person, reset, "reset")

    # The desk invites a firm's member in lang: the page with the link, the member's email.
    admin = people(f"look-admin-{lang}-{size}", viewport=viewport)
    page = admin.login("admin@city.example", lang=lang)
    admin.go("/firms/")
    admin.go(page.locator("main tbody a").first.get_attribute("href"))
    invite = page.locator("form[action$='/invite']")
    invite.locator("#name").fill("김하린" if lang == "ko" else "Harin Kim")
    invite.locator("#email").fill(newcomer)
    invite.locator("#locale").select_option(lang)
    before = outbox.names()
    invite.locator("button").click()
    expect(page.locator("#invitation-link")).to_be_visible()
    look(admin, "firm-invited")
    invitation = outbox.wait(to=newcomer, containing="/invitation/", besides=before)
    assert link_in(invitation) == page.locator("#invitation-link").input_value()
    email_look(admin, invitation, "invitation")
    assert not problems, "\n".join(problems)
