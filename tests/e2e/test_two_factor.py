"""Two-step sign-in in a real browser: set it up from the account page (QR code and key),
keep the recovery codes, sign out, sign in with the password and then a code — in Korean on
a desktop and in English on a phone. Screenshots of each step go to test-artifacts/."""
import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD
from tests.e2e.test_pages import PHONE, _check_page

WORDS = {
    "ko": {"setup": "2단계 로그인 설정", "code": "코드", "turn_on": "2단계 로그인 켜기",
           "kept": "보관했습니다", "sign_out": "로그아웃", "email": "이메일", "password": "비밀번호",
           "sign_in": "로그인"},
    "en": {"setup": "Set up two-step sign-in", "code": "Code", "turn_on": "Turn on two-step sign-in",
           "kept": "I have kept them", "sign_out": "Sign out", "email": "Email",
           "password": "Password", "sign_in": "Sign in"},
}


@pytest.mark.parametrize(("lang", "email", "viewport"), [
    ("ko", "staff@environment.city.example", None),
    ("en", "ceo@composite.example", PHONE),
])
def test_set_up_two_steps_and_sign_in_with_a_code(people, lang, email, viewport):
    words = WORDS[lang]
    size = "phone" if viewport else "desktop"
    person = people(f"two-factor-{lang}", viewport=viewport)
    page = person.login(email, lang=lang)
    person.go("/account")
    page.get_by_role("link", name=words["setup"]).click()
    expect(page.locator("figure.qr svg")).to_be_visible()
    person.shot(f"two-factor-setup-{lang}-{size}")
    assert not _check_page(page)
    secret = page.locator("code.secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    page.get_by_label(words["code"]).fill("000000")
    page.get_by_role("button", name=words["turn_on"]).click()
    expect(page.locator("#code-error")).to_be_visible()
    page.get_by_label(words["code"]).fill(totp.now())
    page.get_by_role("button", name=words["turn_on"]).click()
    codes = page.locator("ul.codes code")
    expect(codes).to_have_count(10)
    recovery = codes.first.inner_text()
    person.shot(f"two-factor-recovery-codes-{lang}-{size}")
    assert not _check_page(page)
    page.get_by_role("link", name=words["kept"]).click()
    person.shot(f"two-factor-account-{lang}-{size}")
    page.get_by_role("button", name=words["sign_out"]).click()

    person.go("/login")
    page.get_by_label(words["email"]).fill(email)
    page.get_by_label(words["password"]).fill(PASSWORD)
    page.locator("main button.primary").click()
    expect(page).to_have_url(re.compile(r"/login/code$"))
    expect(page.locator("a.bell")).to_have_count(0)
    person.shot(f"two-factor-code-step-{lang}-{size}")
    assert not _check_page(page)
    # The code used to turn it on may still be current: it is refused, so sign in with a
    # recovery code (Korean) or the next code (English).
    page.get_by_label(words["code"]).fill(totp.now())
    page.locator("main button.primary").click()
    if page.locator("#code-error").count():
        answer = recovery if lang == "ko" else totp.at(time.time() + 30)
        page.get_by_label(words["code"]).fill(answer)
        page.locator("main button.primary").click()
    expect(page.locator("a.bell")).to_be_visible()
    person.shot(f"two-factor-signed-in-{lang}-{size}")


@pytest.mark.parametrize(("lang", "viewport"), [("en", PHONE), ("en", None), ("ko", PHONE)])
def test_sign_in_and_admin_security_pages_in_both_languages_and_sizes(people, lang, viewport):
    size = "phone" if viewport else "desktop"
    visitor = people(f"visitor-{lang}-{size}", viewport=viewport)
    page = visitor.go("/login")
    if page.locator("html").get_attribute("lang") != lang:
        page.locator(f"button[name=locale][value={lang}]").click()
    visitor.shot(f"sign-in-{lang}-{size}")
    admin = people(f"admin-{lang}-{size}", viewport=viewport)
    page = admin.login("admin@city.example", lang=lang)
    problems = []
    for path in ("/admin/audit-log", "/admin/security", "/account"):
        admin.go(path)
        admin.shot(f"{path.strip('/').replace('/', '-')}-{lang}-{size}")
        problems += [f"{path}: {p}" for p in _check_page(page)]
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > (viewport or {"width": 1280})["width"]:
            problems.append(f"{path}: {width}px wide")
    assert not problems, "\n".join(problems)
