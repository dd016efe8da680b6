"""Canned replies: each organization keeps its own; firms have none."""
import re

from sqlalchemy import select

from onestop.extensions import db
from onestop.replies.models import CannedReply
from tests.web.helpers import latest_case


def _add(browser_, title, body):
    page = browser_.get("/replies/").get_data(as_text=True)
    once = re.search(r'name="once" type="hidden" value="([^"]+)"',
                     page[page.index('id="reply-form"'):]).group(1)
    return browser_.post("/replies/", {"title": title, "body": body, "once": once})


def _routed_case(browser, world):
    browser("ceo@alpha.test").post(f"/cases/new/{world.hiring_type.id}", {
        "title": "Hiring help", "description": "d", "priority": "normal"})
    case = latest_case()
    desk = browser("desk@test.example")
    desk.submit(f"/cases/{case.id}", "accept")
    desk.submit(f"/cases/{case.id}", "route", {"organizations": [str(world.union.id)]})
    return case


def test_desk_keeps_replies_once_and_sees_them_beside_the_comment_box(browser, world):
    desk = browser("desk@test.example")
    page = desk.get("/replies/").get_data(as_text=True)
    once = re.search(r'name="once" type="hidden" value="([^"]+)"',
                     page[page.index('id="reply-form"'):]).group(1)
    data = {"title": "  서류   안내 ", "body": "사업자등록증 사본을 올려 주세요.", "once": once}
    assert desk.post("/replies/", data).status_code == 303
    assert desk.post("/replies/", data).status_code == 303  # a repeat adds nothing
    rows = db.session.scalars(select(CannedReply)).all()
    assert [(r.title, r.organization_id) for r in rows] == [("서류 안내", world.desk_org.id)]
    case = _routed_case(browser, world)
    page = desk.get(f"/cases/{case.id}").get_data(as_text=True)
    replies = page[page.index('id="canned-replies"'):page.index('id="answer"')]
    assert "서류 안내" in replies and "사업자등록증 사본을 올려 주세요." in replies
    assert "data-insert-reply" in replies


def test_each_organization_sees_only_its_own(browser, world):
    assert _add(browser("desk@test.example"), "Desk text", "For the desk").status_code == 303
    assert _add(browser("lead@union.test"), "Union text", "For the union").status_code == 303
    case = _routed_case(browser, world)
    union = browser("staff@union.test")
    own = union.get("/replies/").get_data(as_text=True)
    assert "Union text" in own and "Desk text" not in own
    on_case = union.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Union text" in on_case and "Desk text" not in on_case
    desk_reply = db.session.scalar(select(CannedReply).where(CannedReply.title == "Desk text"))
    # Another organization's reply does not exist for them: neither to open, edit nor delete.
    assert union.get(f"/replies/{desk_reply.id}").status_code == 404
    assert union.post(f"/replies/{desk_reply.id}", {"title": "x", "body": "y"}).status_code == 404
    assert union.post(f"/replies/{desk_reply.id}/delete").status_code == 404
    db.session.expire_all()
    assert db.session.get(CannedReply, desk_reply.id).title == "Desk text"
    assert "Union text" not in browser("staff@univ.test").get("/replies/").get_data(as_text=True)


def test_firms_have_no_canned_replies(browser, world):
    _add(browser("desk@test.example"), "Desk text", "For the desk")
    case = _routed_case(browser, world)
    firm = browser("ceo@alpha.test")
    assert firm.get("/replies/").status_code == 403
    assert firm.post("/replies/", {"title": "t", "body": "b"}).status_code == 403
    page = firm.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "canned-replies" not in page and "Desk text" not in page


def test_edit_and_delete(browser, world):
    desk = browser("desk@test.example")
    _add(desk, "Old", "Old text")
    reply = db.session.scalar(select(CannedReply))
    page = desk.get(f"/replies/{reply.id}").get_data(as_text=True)
    once = re.search(r'name="once" type="hidden" value="([^"]+)"',
                     page[page.index('id="reply-form"'):]).group(1)
    assert desk.post(f"/replies/{reply.id}", {"title": "New", "body": "New text",
                                              "once": once}).status_code == 303
    db.session.expire_all()
    assert db.session.get(CannedReply, reply.id).body == "New text"
    assert desk.post(f"/replies/{reply.id}", {"title": " ", "body": "x"}).status_code == 422
    reply_id = reply.id
    assert desk.post(f"/replies/{reply_id}/delete").status_code == 303
    db.session.expire_all()
    assert db.session.get(CannedReply, reply_id) is None
