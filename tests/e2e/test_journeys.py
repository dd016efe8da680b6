"""The core journeys in a real browser, once in Korean and once in English."""
import re
import smtplib
import time
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT

PDF = ROOT / "tests" / "e2e" / "files" / "plan.pdf"

WORDS = {
    "ko": {"title": "제목", "need": "어떤 지원이 필요하신가요?", "headcount": "채용 인원",
           "files": "첨부파일", "submit": "신청하기", "accept": "서류 완비로 접수", "route": "배정",
           "accept_task": "업무 접수", "question": "기업이 제출하거나 답변할 사항",
           "ask": "보완요구 보내기",
           "note": "처리 결과(기업에 표시됨)", "complete": "업무 완료", "new": "새 요청",
           "recruitment": "채용 지원", "resolved": "처리 완료", "closed": "종결",
           "hiring_plan": "채용 계획서"},
    "en": {"title": "Title", "need": "What do you need?", "headcount": "Headcount",
           "files": "Attachments", "submit": "Submit request", "accept": "Accept as complete",
           "route": "Route", "accept_task": "Accept task",
           "question": "What must the firm send or answer?", "ask": "Send the question",
           "note": "Resolution note (the firm sees it)", "complete": "Complete task",
           "new": "New request", "recruitment": "Recruitment support", "resolved": "Resolved",
           "closed": "Closed",
           "hiring_plan": "Hiring plan"},
}


def signed_in(people, email, lang, name):
    session = people(name)
    session.login(email, lang=lang)
    return session


def file_request(firm, words, title):
    page = firm.page
    page.get_by_role("link", name=words["new"]).first.click()
    page.get_by_role("link", name=re.compile(words["recruitment"])).click()
    page.get_by_label(words["title"]).fill(title)
    page.get_by_label(words["need"]).fill("We hire 30 operators for line 2 in March.")
    page.get_by_label(words["headcount"]).fill("30")
    page.get_by_label(words["hiring_plan"]).check()
    page.get_by_label(words["files"]).set_input_files(PDF)
    page.get_by_role("button", name=words["submit"]).click()
    expect(page.locator(".flash.success")).to_be_visible()
    return page.url


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def reply_by_email(server, message, answer: str) -> None:
    """Reply as a mail program does: to the Reply-To address, the answer above the quote."""
    reply = EmailMessage()
    reply["From"] = message["To"]
    reply["To"] = message["Reply-To"]
    reply["Subject"] = f"Re: {message['Subject']}"
    reply["In-Reply-To"] = reply["References"] = message["Message-ID"]
    reply["Message-ID"] = make_msgid()
    quoted = "\n".join(f"> {line}" for line in text_of(message).splitlines())
    reply.set_content(f"{answer}\n\nOn Tue, 10 Nov 2026 at 10:00, OneStop wrote:\n{quoted}\n")
    with smtplib.SMTP("127.0.0.1", server["inbound_port"]) as smtp:
        smtp.send_message(reply)


def open_task(session, title):
    session.go("/tasks/")
    session.page.get_by_role("link", name=title).click()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_file_route_ask_answer_complete_resolve(people, server, outbox, lang):
    words = WORDS[lang]
    title = f"E2E hiring {lang}"
    firm = signed_in(people, "ceo@carbonfiber.example", lang, "firm")
    case_url = file_request(firm, words, title)
    expect(firm.page.locator(".headline-status .badge").first).to_be_visible()
    firm.shot(f"{lang}-firm-case-filed")

    desk = signed_in(people, "desk@city.example", lang, "desk")
    desk.page.goto(case_url)
    desk.page.get_by_role("button", name=words["accept"]).click()
    # The request type's default partners (employment center and university) come ticked.
    route = desk.page.locator("form.route")
    expect(route.locator("input[type=checkbox]:checked")).to_have_count(2)
    route.get_by_role("button", name=words["route"]).click()
    expect(desk.page.locator("table").filter(has_text=re.compile("고용센터|Employment")))\
        .to_be_visible()
    desk.shot(f"{lang}-desk-case-routed")

    # The partner opens its task from the link in the email the routing sent it.
    univ = signed_in(people, "staff@univ.example", lang, "univ")
    routed = outbox.wait(to="staff@univ.example", containing=title)
    univ.page.goto(re.search(r"http://\S+/tasks/\d+", text_of(routed)).group(0))
    univ.page.get_by_role("button", name=words["accept_task"]).click()
    univ.page.get_by_label(words["question"]).fill("Which skills, and from when?")
    univ.page.get_by_role("button", name=words["ask"]).click()
    expect(univ.page.locator(".headline-status .status-waiting_on_firm")).to_be_visible()

    # The firm answers the question by replying to the email that asked it.
    asked = outbox.wait(to="ceo@carbonfiber.example",
                        containing=(title, "Which skills, and from when?"))
    reply_by_email(server, asked, "CNC and composite layup, from March.")
    firm.page.goto(case_url)
    running = firm.page.locator(".headline-status .status-in_progress")
    deadline = time.monotonic() + 90
    while not running.count() and time.monotonic() < deadline:  # the worker takes it in
        firm.page.wait_for_timeout(500)
        firm.page.reload()
    expect(running).to_be_visible()
    comments = firm.page.locator("#comments")
    expect(comments.get_by_text("CNC and composite layup, from March.")).to_be_visible()
    expect(comments.get_by_text("Which skills, and from when?")).to_have_count(1)  # no quote

    open_task(univ, title)
    univ.page.get_by_label(words["note"]).fill("Training course opens 2 March.")
    univ.page.get_by_role("button", name=words["complete"]).click()

    jobs = signed_in(people, "staff@jobs.example", lang, "jobs")
    open_task(jobs, title)
    jobs.page.get_by_role("button", name=words["accept_task"]).click()
    jobs.page.get_by_label(words["note"]).fill("30 candidates referred.")
    jobs.page.get_by_role("button", name=words["complete"]).click()

    firm.page.goto(case_url)
    expect(firm.page.locator(".headline-status .status-resolved")).to_have_text(words["resolved"])
    tasks = firm.page.locator("table")
    expect(tasks.get_by_text("Training course opens 2 March.")).to_be_visible()
    expect(tasks.get_by_text("30 candidates referred.")).to_be_visible()
    firm.shot(f"{lang}-firm-case-resolved")

    desk.page.goto(case_url)
    desk.page.locator("form[action$='/close']").get_by_role("button").click()
    firm.page.goto(case_url)
    expect(firm.page.locator(".headline-status .status-closed")).to_have_text(words["closed"])
