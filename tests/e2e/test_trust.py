"""Nothing typed is lost and nothing is sent twice, in a real browser."""
import re
from urllib.parse import quote

from playwright.sync_api import expect

from tests.e2e.conftest import ROOT

PDF = ROOT / "tests" / "e2e" / "files" / "plan.pdf"
LONG = "공장 2라인 증설에 따라 3월까지 생산직 30명을 채용하려 합니다. " * 20


def recruitment_form(firm):
    firm.go("/cases/new")
    firm.page.get_by_role("link", name=re.compile("채용 지원")).click()
    return firm.page


def fill(page, title):
    page.get_by_label("제목").fill(title)
    page.get_by_label("어떤 지원이 필요하신가요?").fill(LONG)
    page.get_by_label("채용 인원").fill("30")


def my_titles(firm, title: str) -> list[str]:
    """The firm's requests found by this title (the demo's history fills the first pages)."""
    firm.go(f"/cases/?status=&q={quote(title)}")
    return firm.page.locator("tbody tr a").all_inner_texts()


def test_signed_out_in_another_tab_then_signing_in_brings_the_text_back(people):
    firm = people("firm")
    firm.login("ceo@composite.example")
    page = recruitment_form(firm)
    fill(page, "다른 탭에서 로그아웃")
    page.get_by_label("첨부파일").set_input_files(PDF)
    other_tab = firm.context.new_page()
    other_tab.goto(firm.base + "/")
    other_tab.get_by_role("button", name="로그아웃").click()
    # Closing a tab while its navigation commits can hang Chromium for good
    # (crbug.com/536385539); the sign-in page must have loaded first.
    expect(other_tab).to_have_url(re.compile("/login"))
    other_tab.wait_for_load_state("load")
    other_tab.close()

    page.get_by_role("button", name="신청하기").click()
    expect(page.locator("main")).to_contain_text("로그아웃")
    expect(page.locator("main")).to_contain_text("plan.pdf")
    firm.shot("trust-signed-out-elsewhere")
    page.get_by_role("link", name=re.compile("양식으로 돌아가기")).click()
    page.get_by_label("이메일").fill("ceo@composite.example")
    page.get_by_label("비밀번호").fill("demo-pass-2026")
    page.locator("main button.primary").click()
    expect(page.get_by_label("어떤 지원이 필요하신가요?")).to_have_value(LONG)
    expect(page.get_by_label("제목")).to_have_value("다른 탭에서 로그아웃")
    expect(page.locator("form .flash.info")).to_be_visible()
    firm.shot("trust-draft-restored")
    page.get_by_label("첨부파일").set_input_files(PDF)
    page.get_by_role("button", name="신청하기").click()
    expect(page.locator(".flash.success")).to_be_visible()
    assert my_titles(firm, "다른 탭에서 로그아웃").count("다른 탭에서 로그아웃") == 1
    page = recruitment_form(firm)
    expect(page.get_by_label("어떤 지원이 필요하신가요?")).to_have_value("")


def test_a_file_too_large_is_caught_before_the_upload(people, tmp_path):
    firm = people("firm")
    firm.login("ceo@composite.example")
    page = recruitment_form(firm)
    fill(page, "큰 파일")
    big = tmp_path / "스캔본.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024) + b"\n%%EOF\n")
    page.get_by_label("첨부파일").set_input_files(big)
    error = page.locator("#files-error")
    expect(error).to_contain_text("스캔본.pdf")
    url = page.url
    page.get_by_role("button", name="신청하기").click()
    expect(error).to_be_visible()
    assert page.url == url, "nothing was sent"
    firm.shot("trust-file-too-large")
    page.get_by_label("첨부파일").set_input_files(PDF)
    expect(error).to_be_hidden()


def test_a_double_click_and_back_and_resubmit_file_one_request(people):
    firm = people("firm")
    firm.login("ceo@composite.example")
    page = recruitment_form(firm)
    fill(page, "두 번 누른 신청")
    page.get_by_role("button", name="신청하기").dblclick()
    expect(page.locator(".flash.success")).to_be_visible()
    first_case = page.url
    page.go_back()
    # The page comes back with a fresh token; the browser put back what was typed.
    expect(page.get_by_label("제목")).to_have_value("두 번 누른 신청")
    page.get_by_role("button", name="신청하기").click()
    expect(page.locator(".flash.info")).to_be_visible()
    assert page.url == first_case, "the resubmit lands on the first request"
    firm.shot("trust-resubmitted")
    assert my_titles(firm, "두 번 누른 신청").count("두 번 누른 신청") == 1


def test_the_same_comment_sent_twice_on_purpose_is_added_twice(people):
    """Only going back to a sent form reuses its token: sending the same words again from a
    fresh page is a new comment."""
    firm = people("firm")
    firm.login("ceo@composite.example")
    page = recruitment_form(firm)
    fill(page, "같은 의견 두 번")
    page.get_by_role("button", name="신청하기").click()
    expect(page.locator(".flash.success")).to_be_visible()
    for _ in range(2):
        page.get_by_role("textbox", name="의견").fill("확인 부탁드립니다.")
        page.get_by_role("button", name="의견 등록").click()
        expect(page.locator(".flash.success")).to_be_visible()
    expect(page.locator("article.comment")).to_have_count(2)
