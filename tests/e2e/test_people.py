"""Onboarding, reminder rules, the bell, and two editors at once — in a real browser."""
import re

from playwright.sync_api import expect

from tests.e2e.dates import working_day_ahead


def test_admin_onboards_a_firm_and_the_invitee_sets_a_password(people):
    admin = people("admin")
    admin.login("admin@city.example")
    page = admin.go("/firms/new")
    page.get_by_label("기업명").fill("그래핀랩(주)")
    page.get_by_label("사업자등록번호").fill("123-45-67890")
    page.get_by_label("업종").fill("그래핀 소재")
    page.get_by_label("단지 내 입주 위치").fill("C-7블록")
    page.get_by_role("button", name="등록", exact=True).click()
    error = page.locator("#brn-error")
    expect(error).to_be_visible()          # the check digit is wrong: said next to the field
    admin.shot("admin-onboard-error")
    page.get_by_label("사업자등록번호").fill("120-81-47521")
    page.get_by_role("button", name="등록", exact=True).click()
    expect(page.get_by_role("heading", name="그래핀랩(주)")).to_be_visible()
    invite = page.locator("form[action$='/invite']")
    invite.get_by_label("이름").fill("박서준")
    invite.get_by_label("이메일").fill("seojun@graphene.example")
    invite.get_by_role("button", name="초대").click()
    link = page.locator("#invitation-link").input_value()
    assert "/invitation/" in link
    admin.shot("admin-firm-invited")

    invitee = people("invitee")
    invitee.page.goto(link)
    invitee.page.get_by_label("새 비밀번호").fill("moonlit-harbor-7214")
    invitee.page.get_by_label("비밀번호 확인").fill("moonlit-harbor-7214")
    invitee.page.get_by_role("button", name="비밀번호 설정 후 로그인").click()
    expect(invitee.page.get_by_role("heading", name="그래핀랩(주)")).to_be_visible()
    again = people("again")
    again.page.goto(link)
    expect(again.page.locator("main")).to_contain_text("이미 사용")


def test_admin_changes_a_reminder_rule(people):
    admin = people("admin")
    admin.login("admin@city.example")
    page = admin.go("/admin/reminder-rules")
    rows = page.locator("tbody tr")
    first = rows.first
    first.get_by_role("link").click()
    page.get_by_label("근무일 수").fill("4")
    page.get_by_role("button", name="저장").click()
    expect(page.locator(".flash.success")).to_be_visible()
    expect(page.locator("tbody")).to_contain_text("4")
    page.get_by_role("link", name=re.compile("업무 기한 임박")).first.click()
    page.get_by_label("근무일 수").fill("99")
    page.get_by_role("button", name="저장").click()
    expect(page.locator("#offset_days-error")).to_be_visible()


def test_partner_sees_a_reminder_in_the_bell_and_opens_the_task(people, server):
    result = server["flask"]("reminders", "sweep", "--at", _working_morning_with_reminders(
        server))
    assert "reminders written" in result.stdout
    union = people("union")
    union.login("staff@union.example")
    bell = union.page.locator("a.bell")
    expect(bell.locator(".count")).to_be_visible()
    bell.click()
    union.shot("partner-notifications")
    union.page.locator("ul.notifications li").first.get_by_role("button").click()
    expect(union.page).to_have_url(re.compile(r"/tasks/\d+$"))
    expect(union.page.locator("h1")).to_be_visible()


def _working_morning_with_reminders(server) -> str:
    """The demo's union task is overdue on any working morning after today."""
    return f"{working_day_ahead(1).isoformat()}T10:00"


def test_second_editor_gets_changed_meanwhile(people):
    # Two due dates well ahead of today (the service refuses one in the past).
    first_due, second_due = working_day_ahead(60), working_day_ahead(90)
    first, second = people("first"), people("second")
    first.login("desk@city.example")
    second.login("admin@city.example")
    first.go("/tasks/")
    task_url = first.page.locator("tbody tr a").first.get_attribute("href")
    first.go(task_url)
    second.go(task_url)
    form = first.page.locator("form[action$='/due']")
    form.get_by_label("새 처리기한").fill(f"{first_due.isoformat()}T18:00")
    form.get_by_label("사유").fill("현장 실사 일정")
    form.get_by_role("button", name="처리기한 변경").click()
    expect(first.page.locator(".flash.success")).to_be_visible()
    stale = second.page.locator("form[action$='/due']")
    stale.get_by_label("새 처리기한").fill(f"{second_due.isoformat()}T18:00")
    stale.get_by_label("사유").fill("다른 사유")
    stale.get_by_role("button", name="처리기한 변경").click()
    expect(second.page.locator(".flash.error")).to_contain_text("변경")
    second.shot("desk-changed-meanwhile")
    expect(second.page.locator("dl.facts")).to_contain_text("현장 실사 일정")
