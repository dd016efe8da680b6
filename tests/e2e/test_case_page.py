"""The case page in a real browser: the firm answers a question from the top on a phone, a
finished case leads with its outcome, the page prints as a record, and every reader's page
is accessible, fits a phone and is photographed in both languages and both sizes."""
import pytest
from playwright.sync_api import expect

from tests.e2e.test_journeys import WORDS, file_request, open_task, signed_in
from tests.e2e.test_pages import PHONE, _check_page

RESOLVED = "도장 공정 배출시설 설치 허가"  # the demo's resolved case of 한국카본
BUSY = "탄소섬유 2라인 공장설립 승인"  # in progress, two partners
WAITING = "생산직 30명 채용 지원"  # the university asked 복합소재 for information
ANSWER = {"ko": "보완 답변 제출", "en": "Send answer"}


def _open_case(session, title):
    session.go("/cases/?q=" + title)
    session.page.locator("main tbody a", has_text=title).first.click()
    expect(session.page.locator("h1")).to_have_text(title)
    return session.page


def _fits_the_phone(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{width}px wide"


# Every Hangul word of the main content whose letters land on two lines (a range over the word
# gives one box a line it covers); text hidden but for screen readers is 1 px wide, left out.
BROKEN_WORDS = """() => {
  const broken = [];
  const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent.checkVisibility() || parent.closest('.visually-hidden')) continue;
    for (const match of node.data.matchAll(/[\\uAC00-\\uD7A3]{2,}/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
      if (tops.size > 1) broken.push(match[0]);
    }
  }
  return broken;
}"""


def test_the_firm_answers_the_question_from_the_top_on_a_phone(people):
    lang, words = "ko", WORDS["ko"]
    title = "E2E 보완 질문 휴대폰"
    firm_desk = signed_in(people, "hr@carbonfiber.example", lang, "firm-desktop")
    case_url = file_request(firm_desk, words, title)
    desk = signed_in(people, "desk@city.example", lang, "desk")
    desk.page.goto(case_url)
    desk.page.get_by_role("button", name=words["accept"]).click()
    desk.page.locator("form.route").get_by_role("button", name=words["route"]).click()
    expect(desk.page.locator("#tasks tbody tr")).to_have_count(2)
    univ = signed_in(people, "staff@univ.example", lang, "univ")
    open_task(univ, title)
    univ.page.get_by_role("button", name=words["accept_task"]).click()
    univ.page.get_by_label(words["question"]).fill("직무별 필요 역량을 알려 주세요.")
    univ.page.get_by_role("button", name=words["ask"]).click()
    expect(univ.page.locator(".headline-status .status-waiting_on_firm")).to_be_visible()

    phone = people("firm-phone", viewport=PHONE)
    phone.login("hr@carbonfiber.example", lang=lang)
    page = phone.page
    page.goto(case_url)
    questions = page.locator("#questions")
    expect(questions).to_contain_text("직무별 필요 역량을 알려 주세요.")
    expect(questions).to_contain_text("산학협력단")  # who asked: the partner
    expect(questions).to_contain_text("요청일")  # and when
    # The question is on the first screen, and its answer box comes before every other panel.
    assert questions.bounding_box()["y"] < PHONE["height"]
    answer_box = questions.get_by_role("textbox")
    assert answer_box.bounding_box()["y"] < page.locator("#tasks").bounding_box()["y"]
    assert questions.locator("input[type=file]").count() == 1
    _fits_the_phone(page)
    assert not _check_page(page)
    phone.shot("phone-ko-firm-case-question")

    answer_box.fill("CNC 가공과 복합재 적층, 3월부터입니다.")
    questions.get_by_role("button", name=ANSWER[lang]).click()
    expect(page.locator(".flash.success")).to_be_visible()
    expect(page.locator(".headline-status .status-in_progress")).to_be_visible()
    expect(page.locator("#questions")).to_have_count(0)
    expect(page.locator("#comments")).to_contain_text("CNC 가공과 복합재 적층")


def test_a_resolved_case_leads_with_its_outcome(people):
    phone = people("firm", viewport=PHONE)
    phone.login("hr@carbonfiber.example", lang="ko")
    page = _open_case(phone, RESOLVED)
    outcome = page.locator("#outcome")
    expect(outcome).to_contain_text("허가증을 발급했습니다.")
    assert outcome.bounding_box()["y"] < page.locator("#tasks").bounding_box()["y"]
    reopen = page.locator("details.action", has_text="재개")
    if reopen.count():  # within the reopening window: offered, folded
        expect(reopen).not_to_have_attribute("open", "")
        expect(reopen.locator("textarea")).to_be_hidden()
    _fits_the_phone(page)
    assert not _check_page(page)


def test_a_case_prints_as_a_clean_record(people):
    desk = people("desk")
    desk.login("desk@city.example", lang="ko")
    page = _open_case(desk, BUSY)
    page.emulate_media(media="print")
    for hidden in ("header.topbar", "nav.jump", "main form", "main button", "footer"):
        for element in page.locator(hidden).all():
            expect(element).to_be_hidden()
    for part in ("h1", "#request dl.facts", "#request .checklist", "#tasks table",
                 "#comments", "#history ol li"):
        expect(page.locator(part).first).to_be_visible()
    desk.shot("print-ko-desk-case")
    # A firm's print unfolds what its screen folds (the request, the history).
    firm = people("firm")
    firm.login("hr@carbonfiber.example", lang="en")
    page = _open_case(firm, RESOLVED)
    expect(page.locator("#history ol li").first).to_be_hidden()
    page.emulate_media(media="print")
    expect(page.locator("#history ol li").first).to_be_visible()
    expect(page.locator("#request dl.facts")).to_be_visible()
    expect(page.locator("#outcome")).to_be_visible()
    for element in page.locator("main form, main button").all():
        expect(element).to_be_hidden()
    firm.shot("print-en-firm-case")


# role -> (account, the case it opens)
READERS = {
    "firm": ("hr@carbonfiber.example", RESOLVED),
    "desk": ("desk@city.example", BUSY),
    "partner": ("staff@univ.example", WAITING),
}


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("role", list(READERS))
def test_case_page_for_each_reader(people, role, size, lang):
    email, title = READERS[role]
    session = people(role, viewport=PHONE if size == "phone" else None)
    session.login(email, lang=lang)
    page = _open_case(session, title)
    expect(page.locator(".status-help")).not_to_be_empty()
    if size == "phone":
        _fits_the_phone(page)
        if lang == "ko":
            assert not page.evaluate(BROKEN_WORDS), "Korean words broken across lines"
    problems = _check_page(page)
    session.shot(f"case-{role}-{lang}-{size}")
    assert not problems, "\n".join(problems)
