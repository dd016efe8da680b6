"""The law's clock in a real browser, the firm on its phone in Korean: it agrees to a second
extension, takes more time to answer a supplement request and answers before the deadline,
and objects to a rejection (which the desk upholds); a partner transfers its task."""
import re

from playwright.sync_api import expect

from tests.e2e.test_case_page import BROKEN_WORDS, _fits_the_phone
from tests.e2e.test_journeys import WORDS, file_request, open_task, signed_in
from tests.e2e.test_pages import PHONE, _check_page
from tests.e2e.test_trust import PDF


def routed_request(people, title):
    words = WORDS["ko"]
    firm = signed_in(people, "hr@carbonfiber.example", "ko", "firm-desktop")
    case_url = file_request(firm, words, title)
    desk = signed_in(people, "desk@city.example", "ko", "desk")
    desk.page.goto(case_url)
    desk.page.get_by_role("button", name=words["accept"]).click()
    desk.page.locator("form.route").get_by_role("button", name=words["route"]).click()
    expect(desk.page.locator("#tasks tbody tr")).to_have_count(2)
    return case_url


def test_the_firm_agrees_on_its_phone_to_a_second_extension(people):
    title = "E2E 처리기간 연장 동의"
    case_url = routed_request(people, title)
    univ = signed_in(people, "staff@univ.example", "ko", "univ")
    open_task(univ, title)
    page = univ.page
    extend = page.locator("form#extend")
    extend.get_by_label("연장 사유").fill("현장 실사 일정이 잡히지 않았습니다.")
    extend.get_by_role("button", name="처리기간 연장").click()
    expect(page.locator(".flash.success")).to_contain_text("처리기간을 연장했습니다")
    first_due = page.locator(".headline-status time").get_attribute("datetime")
    extend.get_by_label("연장 사유").fill("실사 결과 보완 검토가 더 필요합니다.")
    extend.get_by_role("button", name="기업에 동의 요청").click()
    expect(page.locator(".flash.success")).to_contain_text("동의를 요청했습니다")
    expect(extend).to_contain_text("동의를 기다리고 있습니다")
    assert page.locator(".headline-status time").get_attribute("datetime") == first_due
    univ.shot("ko-partner-task-extension-asked")

    phone = people("firm-phone", viewport=PHONE)
    phone.login("hr@carbonfiber.example", lang="ko")
    page = phone.page
    page.goto(case_url)
    ask = page.locator("#extension")
    expect(ask).to_contain_text("산학협력단")
    expect(ask).to_contain_text("실사 결과 보완 검토가 더 필요합니다.")
    assert ask.bounding_box()["y"] < PHONE["height"], "the question is on the first screen"
    _fits_the_phone(page)
    assert not page.evaluate(BROKEN_WORDS)
    assert not _check_page(page)
    phone.shot("phone-ko-firm-extension-consent")
    ask.get_by_role("button", name="연장에 동의").click()
    expect(page.locator(".flash.success")).to_contain_text("동의했습니다")
    expect(page.locator("#extension")).to_have_count(0)
    expect(page.locator("#history")).to_contain_text("기업이 동의하여")
    _fits_the_phone(page)

    univ.page.reload()
    assert univ.page.locator(".headline-status time").get_attribute("datetime") > first_due
    expect(univ.page.locator("dl.facts")).to_contain_text("적용됨, 기업이 동의함")


def test_a_partner_that_is_not_competent_transfers_its_task(people):
    title = "E2E 소관 기관 이송"
    case_url = routed_request(people, title)
    univ = signed_in(people, "staff@univ.example", "ko", "univ")
    open_task(univ, title)
    page = univ.page
    due = page.locator(".headline-status time").get_attribute("datetime")
    transfer = page.locator("form", has=page.get_by_role("button", name="업무 이송"))
    transfer.get_by_label("소관 기관").select_option(label="지역 노사민정협의회")
    transfer.get_by_label("그 기관이 소관인 이유").fill("노사 협의 사항은 협의회 소관입니다.")
    assert not _check_page(page)
    univ.shot("ko-partner-task-transfer")
    transfer.get_by_role("button", name="업무 이송").click()
    expect(page.locator(".flash.success")).to_contain_text("지역 노사민정협의회")
    expect(page.locator(".headline-status .status-transferred")).to_be_visible()

    firm = signed_in(people, "hr@carbonfiber.example", "ko", "firm")
    firm.page.goto(case_url)
    row = firm.page.locator("#tasks tbody tr", has_text="노사민정협의회")
    expect(row).to_be_visible()
    assert row.locator("time").get_attribute("datetime") == due, "the clock kept running"
    expect(firm.page.locator("#history")).to_contain_text(re.compile("이송됨"))


def test_the_firm_takes_more_time_then_answers_before_the_deadline_on_its_phone(people):
    title = "E2E 보완 기한 안에 답변"
    words = WORDS["ko"]
    case_url = routed_request(people, title)
    univ = signed_in(people, "staff@univ.example", "ko", "univ")
    open_task(univ, title)
    univ.page.get_by_role("button", name=words["accept_task"]).click()
    univ.page.get_by_label(words["question"]).fill("훈련 대상자 명단을 보내 주세요.")
    deadline = univ.page.get_by_label("보완 기한").input_value()
    univ.page.get_by_role("button", name=words["ask"]).click()
    expect(univ.page.locator(".flash.success")).to_contain_text("보완 기한은")

    phone = people("firm-phone", viewport=PHONE)
    phone.login("hr@carbonfiber.example", lang="ko")
    page = phone.page
    page.goto(case_url)
    questions = page.locator("#questions")
    expect(questions).to_contain_text("보완 기한: " + deadline.replace("T", " "))
    questions.get_by_role("button", name="보완 기한 연장 요청 (한 번)").click()
    expect(page.locator(".flash.success")).to_contain_text("답변하시면 됩니다")
    expect(questions.get_by_role("button", name=re.compile("연장 요청"))).to_have_count(0)
    _fits_the_phone(page)
    assert not page.evaluate(BROKEN_WORDS)
    assert not _check_page(page)
    phone.shot("phone-ko-firm-supplement-deadline")
    questions.get_by_role("textbox").fill("명단을 첨부합니다.")
    questions.get_by_role("button", name="보완 답변 제출").click()
    expect(page.locator(".headline-status .status-in_progress")).to_be_visible()
    expect(page.locator("#questions")).to_have_count(0)


def test_the_firm_objects_to_a_rejection_on_its_phone(people):
    title = "E2E 거부 이의신청"
    words = WORDS["ko"]
    firm_desktop = signed_in(people, "hr@carbonfiber.example", "ko", "firm-desktop")
    case_url = file_request(firm_desktop, words, title)
    desk = signed_in(people, "desk@city.example", "ko", "desk")
    desk.page.goto(case_url)
    reject = desk.page.locator("details.action", has_text="거부")
    reject.locator("summary").click()
    reject.get_by_role("textbox").fill("산업단지 밖의 부지입니다.")
    reject.get_by_role("button").click()
    expect(desk.page.locator(".headline-status .status-rejected")).to_be_visible()

    phone = people("firm-phone", viewport=PHONE)
    phone.login("hr@carbonfiber.example", lang="ko")
    page = phone.page
    page.goto(case_url)
    objection = page.locator("#objection")
    expect(objection).to_contain_text("이의신청")
    _fits_the_phone(page)
    assert not page.evaluate(BROKEN_WORDS)
    assert not _check_page(page)
    phone.shot("phone-ko-firm-objection-form")
    objection.get_by_label("거부를 다시 검토해야 하는 이유").fill("부지는 2공구 안에 있습니다.")
    objection.get_by_label("첨부파일").set_input_files(PDF)
    objection.get_by_role("button", name="이의신청", exact=True).click()
    expect(page.locator(".flash.success")).to_contain_text("이의신청을 접수했습니다")
    expect(page.locator("#objection")).to_contain_text("부지는 2공구 안에 있습니다.")
    assert not _check_page(page)
    phone.shot("phone-ko-firm-objection-filed")

    desk.page.reload()
    decide = desk.page.locator("#objection form", has_text="결정")
    decide.get_by_label("받아들임").check()
    decide.get_by_label("사유 (기업에 표시됩니다)").fill("2공구 안의 부지임을 확인했습니다.")
    decide.get_by_role("button", name="결정하고 기업에 알리기").click()
    expect(desk.page.locator(".headline-status .status-submitted")).to_be_visible()
    page.reload()
    expect(page.locator("#objection")).to_contain_text("2공구 안의 부지임을 확인했습니다.")
