"""The case page: what leads for each reader, status words explained, inline previews."""
import re

from sqlalchemy import select

from onestop.cases.models import Attachment
from onestop.extensions import db
from tests.factories import PDF
from tests.web.helpers import latest_case, task_for, upload


def _file(browser, world, title, *, files=()):
    firm = browser("ceo@alpha.test")
    response = firm.post(f"/cases/new/{world.permit_type.id}", {
        "title": title, "description": "Line 2", "priority": "normal",
        "field_floor_area": "900", "checklist": ["0", "1"], "files": list(files)})
    assert response.status_code == 303, response.get_data(as_text=True)[:1000]
    return firm, latest_case()


def _routed(browser, world, title, *, files=()):
    firm, case = _file(browser, world, title, files=files)
    desk = browser("desk@test.example")
    desk.submit(f"/cases/{case.id}", "accept")
    desk.submit(f"/cases/{case.id}", "route", {"organizations": [str(world.permits.id)]})
    return firm, desk, case


def _asked(browser, world, title):
    firm, desk, case = _routed(browser, world, title)
    permits = browser("staff@permits.test")
    task = task_for(case, world.permits)
    permits.submit(f"/tasks/{task.id}", "accept")
    permits.submit(f"/tasks/{task.id}", "request_info", {"question": "Send the DWG files"})
    return firm, desk, permits, case


def _position(html: str, marker: str) -> int:
    index = html.find(marker)
    assert index >= 0, f"{marker} is not on the page"
    return index


def test_the_firm_finds_the_question_and_the_answer_box_at_the_top(browser, world):
    firm, desk, _permits, case = _asked(browser, world, "Second plant")
    html = firm.get(f"/cases/{case.id}").get_data(as_text=True)
    questions = _position(html, 'id="questions"')
    # Who asked (partner and person), when, the question, and the one answer form, all
    # before the tasks, the conversation and the request.
    block = html[questions:_position(html, 'id="tasks"')]
    assert "건축허가과" in block and "staff" in block and "Send the DWG files" in block
    assert "요청일" in block and 'id="answer"' in block and 'type="file"' in block
    assert html.count('id="answer"') == 1
    assert questions < _position(html, 'id="comments"') < _position(html, 'id="request"')

    response = firm.post(f"/cases/{case.id}/comments", {"body": "Here they are",
                                                          "files": [upload("dwg.pdf", PDF)]})
    assert response.status_code == 303
    assert latest_case().status == "in_progress"
    assert task_for(case, world.permits).status == "accepted", "the clock restarted"
    after = firm.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'id="questions"' not in after and 'id="answer"' in after

    desk_page = desk.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'id="questions"' not in desk_page


def test_a_resolved_case_leads_with_the_outcome_and_folds_reopening(browser, world):
    firm, _desk, case = _routed(browser, world, "Permit please")
    permits = browser("staff@permits.test")
    task = task_for(case, world.permits)
    permits.submit(f"/tasks/{task.id}", "accept")
    permits.post(f"/cases/{case.id}/comments", {"body": "The permit", "audience": "public",
                                                 "files": [upload("permit.pdf", PDF)]})
    permits.submit(f"/tasks/{task.id}", "complete", {"note": "Permit issued: No. 2026-77"})
    assert latest_case().status == "resolved"

    html = firm.get(f"/cases/{case.id}").get_data(as_text=True)
    outcome = html[_position(html, 'id="outcome"'):_position(html, 'id="tasks"')]
    assert "Permit issued: No. 2026-77" in outcome and "건축허가과" in outcome
    assert "permit.pdf" in outcome, "the partner's documents come with the outcome"
    reopen = re.search(r'<details class="action"[^>]*>\s*<summary>재개', html)
    assert reopen and " open" not in reopen.group(0), "reopening is folded"
    assert _position(html, 'id="outcome"') < _position(html, 'id="actions"')


def test_desk_sees_its_next_move_first_and_the_history_open(browser, world):
    firm, case = _file(browser, world, "New plant")
    desk = browser("desk@test.example")
    html = desk.get(f"/cases/{case.id}").get_data(as_text=True)
    assert _position(html, 'id="actions"') < _position(html, 'id="tasks"')
    assert '<details class="panel fold" id="history" open>' in html
    assert '<details class="panel fold" id="request" open>' in html
    firm_html = firm.get(f"/cases/{case.id}").get_data(as_text=True)
    assert '<details class="panel fold" id="history">' in firm_html
    # The jump links reach the conversation without scrolling through the forms.
    assert 'href="#comments"' in firm_html and 'href="#comments"' in html


def test_a_new_case_says_since_when_it_waits_for_review(browser, world):
    firm, case = _file(browser, world, "Waiting plant")
    html = firm.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "부터 창구 검토 대기 중" in html
    assert "원스톱 창구에서 서류가 갖춰졌는지 확인한 뒤 접수합니다." in html
    firm.post("/language", {"locale": "en"})
    english = firm.get(f"/cases/{case.id}").get_data(as_text=True)
    assert re.search(r"Waiting for the desk(&#39;|')s review since", english), english[-3000:]


def test_task_words_differ_from_case_words_and_a_decline_is_explained(browser, world):
    firm, desk, case = _routed(browser, world, "Declined plant")
    permits = browser("staff@permits.test")
    task = task_for(case, world.permits)
    permits.submit(f"/tasks/{task.id}", "accept")
    html = firm.get(f"/cases/{case.id}").get_data(as_text=True)
    headline = re.search(r'class="headline-status">(.*?)</div>', html, re.S).group(1)
    assert "처리 중" in headline
    assert '<span class="badge status-accepted">검토 중</span>' in html
    assert "협업기관에서 검토하고 있습니다." in html, "the task status is explained"

    permits.submit(f"/tasks/{task.id}", "decline", {"reason": "Not ours, ask the district"})
    html = firm.get(f"/cases/{case.id}").get_data(as_text=True)
    assert '<span class="badge status-declined">창구로 반송</span>' in html
    assert "창구에서 다른 협업기관에 다시 배정합니다." in html
    assert "Not ours, ask the district" not in html, "the reason stays with the desk"
    assert "Not ours, ask the district" in desk.get(f"/cases/{case.id}").get_data(as_text=True)


def test_images_and_pdfs_preview_inline_sandboxed_other_files_download(browser, world):
    firm, case = _file(browser, world, "Files plant",
                       files=[upload("plan.pdf", PDF), upload("notes.txt", b"plain notes\n")])
    pdf, text = db.session.scalars(select(Attachment).where(Attachment.case_id == case.id)
                                   .order_by(Attachment.id)).all()
    html = firm.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f"/cases/{case.id}/attachments/{pdf.id}?inline=1" in html
    assert f"/cases/{case.id}/attachments/{text.id}?inline=1" not in html

    shown = firm.get(f"/cases/{case.id}/attachments/{pdf.id}?inline=1")
    assert shown.status_code == 200 and shown.data == PDF
    assert shown.headers["Content-Disposition"].startswith("inline;")
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in shown.headers["Content-Security-Policy"]
    saved = firm.get(f"/cases/{case.id}/attachments/{pdf.id}")
    assert saved.headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" not in saved.headers["Content-Security-Policy"], "the site's own policy"

    still_a_download = firm.get(f"/cases/{case.id}/attachments/{text.id}?inline=1")
    assert still_a_download.headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" not in still_a_download.headers["Content-Security-Policy"]

    # The same rule as the download: another firm's user gets nothing.
    other = browser("ceo@beta.test")
    assert other.get(f"/cases/{case.id}/attachments/{pdf.id}?inline=1").status_code == 404


def test_an_image_preview_is_sandboxed_outright(browser, world):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    firm, case = _file(browser, world, "Photo plant", files=[upload("site.png", png)])
    (image,) = db.session.scalars(select(Attachment).where(Attachment.case_id == case.id)).all()
    shown = firm.get(f"/cases/{case.id}/attachments/{image.id}?inline=1")
    assert shown.headers["Content-Disposition"].startswith("inline;")
    assert shown.headers["Content-Type"] == "image/png"
    policy = shown.headers["Content-Security-Policy"]
    assert policy.startswith("sandbox;") and "default-src 'none'" in policy


def test_while_partners_work_routing_to_more_is_folded_after_the_conversation(browser, world):
    _firm, desk, case = _routed(browser, world, "Busy plant")
    html = desk.get(f"/cases/{case.id}").get_data(as_text=True)
    assert re.search(r'<details class="action">\s*<summary>다른 협업기관에 추가 배정', html)
    assert _position(html, 'id="comments"') < _position(html, 'id="actions"')
    permits = browser("staff@permits.test")
    task = task_for(case, world.permits)
    permits.submit(f"/tasks/{task.id}", "decline", {"reason": "Not ours"})
    html = desk.get(f"/cases/{case.id}").get_data(as_text=True)
    assert _position(html, 'id="actions"') < _position(html, 'id="tasks"'), "reroute is next"
    assert "<h3>협업기관 배정</h3>" in html, "and not folded"


def test_a_partner_with_a_move_to_make_finds_its_task_first(browser, world):
    _firm, _desk, case = _routed(browser, world, "Partner plant")
    permits = browser("staff@permits.test")
    html = permits.get(f"/cases/{case.id}").get_data(as_text=True)
    task = task_for(case, world.permits)
    link = _position(html, f'class="button primary" href="/tasks/{task.id}"')
    assert link < _position(html, 'id="tasks"') and "우리 기관 업무 열기: 건축허가과" in html
