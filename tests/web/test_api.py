"""The JSON API: tokens made on the account page and on the command line, bearer sign-in
and scopes, problems (RFC 9457), cursor pages, ETag/If-Match shared with the pages' versions,
and the OpenAPI document with its page. Who may reach what is in the authorization matrix."""
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from onestop.accounts.access_tokens import create_token
from onestop.accounts.models import AccessToken
from onestop.cases import services as cases
from onestop.cases.models import Case
from onestop.db import utcnow
from onestop.extensions import db
from tests.web.api_client import PROBLEM, auth, file_case, token


def test_a_token_made_on_the_account_page_is_shown_once_works_and_is_revoked(browser, api,
                                                                             world):
    b = browser(world.firm_a_user.email)
    made = b.post("/account/tokens", {"name": "ERP sync", "scope": "read", "days": "30"})
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    secret = re.search(r'id="new-token">(os_[^<]+)<', made.get_data(as_text=True)).group(1)
    assert secret.encode() not in b"".join(  # not in the session cookie either
        value.encode() for value in made.headers.getlist("Set-Cookie"))
    assert secret not in b.get("/account/tokens").get_data(as_text=True)  # only once
    stored = db.session.scalar(select(AccessToken).where(AccessToken.name == "ERP sync"))
    assert stored.token_hash != secret and secret not in stored.token_hash
    assert api.get("/api/v1/cases", headers=auth(secret)).status_code == 200
    b.post(f"/account/tokens/{stored.id}/revoke")
    refused = api.get("/api/v1/cases", headers=auth(secret))
    assert refused.status_code == 401 and refused.mimetype == PROBLEM
    assert "Bearer" in refused.headers["WWW-Authenticate"]


def test_a_repeated_submit_makes_one_token(browser, world):
    b = browser(world.desk.email)
    page = b.get("/account/tokens").get_data(as_text=True)
    once = re.search(r'name="once" type="hidden" value="([^"]+)"', page).group(1)
    for _ in range(2):
        b.post("/account/tokens", {"name": "twice", "scope": "read", "days": "30", "once": once})
    assert len(db.session.scalars(select(AccessToken).where(AccessToken.name == "twice")).all()) == 1


def test_bad_token_input_is_refused_with_what_was_typed_kept(browser, world):
    b = browser(world.desk.email)
    response = b.post("/account/tokens", {"name": "   ", "scope": "admin", "days": "7"})
    assert response.status_code == 422
    assert db.session.scalar(select(AccessToken)) is None


def test_the_command_line_issues_a_token_on_its_last_line(app, api, world):
    result = app.test_cli_runner().invoke(args=["tokens", "create", world.desk.email.upper(),
                                                "--scope", "read", "--days", "3"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert api.get("/api/v1/request-types", headers=auth(secret)).status_code == 200
    token = db.session.scalar(select(AccessToken))
    assert token.scope == "read" and token.user_id == world.desk.id
    assert timedelta(days=2) < token.expires_at - utcnow() <= timedelta(days=3)
    nobody = app.test_cli_runner().invoke(args=["tokens", "create", "nobody@x.example"])
    assert nobody.exit_code != 0 and "no active account" in nobody.output


def test_expired_revoked_and_disabled_tokens_do_not_work(api, world):
    expired = create_token(world.desk, "old", "read", 1, now=utcnow() - timedelta(days=2))[1]
    disabled = token(world.union_staff)
    world.union_staff.is_enabled = False
    db.session.commit()
    for secret in (expired, disabled, "os_not-a-token", "garbage"):
        assert api.get("/api/v1/cases", headers=auth(secret)).status_code == 401
    assert api.get("/api/v1/cases").status_code == 401


def test_a_read_token_cannot_write(api, world):
    case = file_case(world, "read only")
    response = api.post(f"/api/v1/cases/{case.id}/moves", json={"action": "accept"},
                        headers={**auth(token(world.desk, "read")), "If-Match": '"1"'})
    assert response.status_code == 403 and response.mimetype == PROBLEM
    assert db.session.get(Case, case.id).status == "submitted"


def test_validation_errors_are_problems_listing_each_field(api, world):
    response = api.get("/api/v1/cases?limit=0&status=bogus&firm=-1",
                       headers=auth(token(world.desk)))
    assert response.status_code == 422 and response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == 422 and body["title"]
    assert {e["field"] for e in body["errors"]} == {"limit", "status", "firm"}


def test_unknown_paths_bad_cursors_and_desk_filters_are_problems(api, world):
    firm = auth(token(world.firm_a_user))
    missing = api.get("/api/v1/nothing-here", headers=firm)
    assert missing.status_code == 404 and missing.mimetype == PROBLEM
    assert api.get("/api/v1/cases?cursor=abc", headers=firm).status_code == 400
    probing = api.get(f"/api/v1/cases?organization={world.union.id}", headers=firm)
    assert probing.status_code == 400
    assert probing.get_json()["errors"][0]["field"] == "organization"


def test_cursor_pages_walk_every_case_once_in_order(api, world):
    made = [file_case(world, f"페이지 {n}") for n in range(7)]
    file_case(world, "another firm's", user=world.firm_b_user)
    headers = auth(token(world.firm_a_user))
    seen, url = [], "/api/v1/cases?limit=3&sort=age"
    while url:
        response = api.get(url, headers=headers)
        assert response.status_code == 200
        body = response.get_json()
        seen += [item["id"] for item in body["items"]]
        link = response.headers.get("Link")
        assert (link is None) == (body["next_cursor"] is None)
        url = re.search(r"<http://[^/]+([^>]+)>", link).group(1) if link else None
    assert seen == [case.id for case in made]


def test_a_case_carries_its_version_as_etag_and_moves_only_with_if_match(api, world):
    case = file_case(world, "etag")
    headers = auth(token(world.desk))
    got = api.get(f"/api/v1/cases/{case.id}", headers=headers)
    assert got.headers["ETag"] == f'"{got.get_json()["version"]}"'
    move = {"action": "accept"}
    assert api.post(f"/api/v1/cases/{case.id}/moves", json=move,
                    headers=headers).status_code == 428
    assert api.post(f"/api/v1/cases/{case.id}/moves", json=move,
                    headers={**headers, "If-Match": "*"}).status_code == 428
    stale = api.post(f"/api/v1/cases/{case.id}/moves", json=move,
                     headers={**headers, "If-Match": '"99"'})
    assert stale.status_code == 412 and stale.mimetype == PROBLEM
    moved = api.post(f"/api/v1/cases/{case.id}/moves", json=move,
                     headers={**headers, "If-Match": got.headers["ETag"]})
    assert moved.status_code == 200 and moved.get_json()["status"] == "triaged"
    assert moved.headers["ETag"] != got.headers["ETag"]


def test_a_page_save_and_an_api_save_of_one_case_conflict_both_ways(api, browser, world):
    from tests.web.helpers import version_of

    case = file_case(world, "both ways")
    desk = browser(world.desk.email)
    headers = auth(token(world.desk))
    page = desk.get(f"/cases/{case.id}").get_data(as_text=True)
    seen = version_of(page, "accept")
    # The API moves first; the page's form, based on the version before, is refused.
    assert api.post(f"/api/v1/cases/{case.id}/moves", json={"action": "accept"},
                    headers={**headers, "If-Match": f'"{seen}"'}).status_code == 200
    assert desk.post(f"/cases/{case.id}/accept", {"version": seen}).status_code == 409
    # The page moves first; the API's write, based on the ETag before, is refused.
    other = file_case(world, "page first")
    etag = api.get(f"/api/v1/cases/{other.id}", headers=headers).headers["ETag"]
    page = desk.get(f"/cases/{other.id}").get_data(as_text=True)
    assert desk.post(f"/cases/{other.id}/reject", {"version": version_of(page, "reject"),
                                                   "reason": "no"}).status_code == 303
    late = api.post(f"/api/v1/cases/{other.id}/moves", json={"action": "accept"},
                    headers={**headers, "If-Match": etag})
    assert late.status_code == 412
    db.session.expire_all()
    assert db.session.get(Case, other.id).status == "rejected"


def test_the_openapi_document_and_its_page_need_nothing_from_elsewhere(api, world):
    document = api.get("/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    assert {"/api/v1/cases", "/api/v1/cases/{case_id}", "/api/v1/cases/{case_id}/moves",
            "/api/v1/request-types", "/api/v1/organizations"} <= set(document["paths"])
    assert "Problem" in document["components"]["schemas"]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    page = api.get("/api/v1/docs").get_data(as_text=True)
    assert not re.search(r'(src|href)="https?://', page)
    for asset in re.findall(r'(?:src|href)="(/[^"]*static/[^"]+)"', page):
        assert api.get(asset).status_code == 200, asset


def test_a_firm_files_a_case_once_however_often_it_retries(api, world):
    headers = {**auth(token(world.firm_a_user)), "Idempotency-Key": "erp-filing-0001"}
    body = {"request_type": world.hiring_type.id, "title": "  채용  지원 요청 ",
            "description": "API로 접수"}
    first = api.post("/api/v1/cases", json=body, headers=headers)
    assert first.status_code == 201, first.get_data(as_text=True)
    filed = first.get_json()
    assert filed["title"] == "채용 지원 요청" and filed["status"] == "submitted"
    assert first.headers["Location"].endswith(f"/api/v1/cases/{filed['id']}")
    again = api.post("/api/v1/cases", json=body, headers=headers)
    assert again.status_code == 303
    assert again.headers["Location"].endswith(f"/api/v1/cases/{filed['id']}")
    assert len(db.session.scalars(select(Case).where(Case.firm_id == world.firm_a.id)).all()) == 1
    other = api.post("/api/v1/cases", json={**body, "title": "다른 요청"}, headers=headers)
    assert other.status_code == 422, "the key was used for another body"
    reordered = api.post("/api/v1/cases", data=json.dumps(dict(reversed(body.items()))),
                         content_type="application/json", headers=headers)
    assert reordered.status_code == 303, "the same content, however it is written"
    bad = api.post("/api/v1/cases", json={**body, "request_type": 999999, "title": ""},
                   headers={**headers, "Idempotency-Key": "erp-filing-0002"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.get_json()["errors"]} == {"title"}
    unknown_type = api.post("/api/v1/cases", json={**body, "request_type": 999999},
                            headers={**headers, "Idempotency-Key": "erp-filing-0003"})
    assert unknown_type.status_code == 422
    assert unknown_type.get_json()["errors"][0]["field"] == "request_type"
    # The refused key was not spent: the corrected call with it files.
    fixed = api.post("/api/v1/cases", json=body,
                     headers={**headers, "Idempotency-Key": "erp-filing-0003"})
    assert fixed.status_code == 201
    unknown_item = api.post("/api/v1/cases", json={**body, "checked_items": [5]},
                            headers=headers | {"Idempotency-Key": "erp-filing-0004"})
    assert unknown_item.get_json()["errors"][0]["field"] == "checked_items"
    desk = api.post("/api/v1/cases", json=body, headers=auth(token(world.desk)))
    assert desk.status_code == 403


def test_each_revoke_button_works_on_its_own(browser, api, world):
    secrets = [token(world.firm_a_user) for _ in range(2)]
    b = browser(world.firm_a_user.email)
    page = b.get("/account/tokens").get_data(as_text=True)
    for action in re.findall(r'action="(/account/tokens/\d+/revoke)"', page):
        assert b.post(action).status_code == 303
    for secret in secrets:
        assert api.get("/api/v1/cases", headers=auth(secret)).status_code == 401


def test_a_new_password_ends_the_tokens_made_under_the_old_one(api, world):
    from onestop.accounts.access_tokens import MAX_ACTIVE
    from onestop.accounts.services import set_new_password
    from onestop.errors import Invalid

    secret = token(world.firm_a_user)
    for _ in range(MAX_ACTIVE - 1):
        token(world.firm_a_user)
    with pytest.raises(Invalid):
        token(world.firm_a_user)
    set_new_password(world.firm_a_user, "a-brand-new-harbor-lantern-31")
    db.session.commit()
    assert api.get("/api/v1/cases", headers=auth(secret)).status_code == 401
    fresh = token(world.firm_a_user)  # the dead ones no longer count against the limit
    assert api.get("/api/v1/cases", headers=auth(fresh)).status_code == 200


def test_staff_who_must_set_up_two_step_sign_in_are_refused(api, world):
    from onestop.accounts.twofactor import set_staff_two_factor

    secret = token(world.desk)
    set_staff_two_factor(world.admin, True, now=utcnow())
    db.session.commit()
    refused = api.get("/api/v1/cases", headers=auth(secret))
    assert refused.status_code == 403 and "two-step" in refused.get_json()["detail"]


@pytest.mark.parametrize("body", [
    b'{"action": "reject", "reason": "x\\u0000y"}',   # a NUL no column can hold
    b"[" * 5000 + b"]" * 5000,                          # nested past any reason
    b"{not json",
])
def test_hostile_bodies_are_refused_with_a_problem(api, world, body):
    case = file_case(world, "hostile")
    response = api.post(f"/api/v1/cases/{case.id}/moves", data=body,
                        headers={**auth(token(world.desk)), "If-Match": '"1"',
                                 "Content-Type": "application/json"})
    assert response.status_code == 400 and response.mimetype == PROBLEM
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == "submitted"


def test_a_body_past_64_kb_is_refused(api, world):
    case = file_case(world, "large")
    response = api.post(f"/api/v1/cases/{case.id}/moves",
                        json={"action": "reject", "reason": "x" * 70_000},
                        headers={**auth(token(world.desk)), "If-Match": '"1"'})
    assert response.status_code == 413 and response.mimetype == PROBLEM


def test_if_match_compares_strong_tags_and_takes_a_list(api, world):
    case = file_case(world, "tags")
    headers = auth(token(world.desk))
    weak = api.post(f"/api/v1/cases/{case.id}/moves", json={"action": "accept"},
                    headers={**headers, "If-Match": 'W/"1"'})
    assert weak.status_code == 412
    listed = api.post(f"/api/v1/cases/{case.id}/moves", json={"action": "accept"},
                      headers={**headers, "If-Match": '"7", "1"'})
    assert listed.status_code == 200


def test_a_firm_lists_every_status_by_default_and_the_desk_the_open_ones(api, world):
    case = file_case(world, "withdrawn soon")
    firm = auth(token(world.firm_a_user))
    etag = api.get(f"/api/v1/cases/{case.id}", headers=firm).headers["ETag"]
    withdrawn = api.post(f"/api/v1/cases/{case.id}/moves",
                         json={"action": "withdraw", "reason": "  "},
                         headers={**firm, "If-Match": etag})
    assert withdrawn.status_code == 422  # the service wants a reason, as the page does
    assert withdrawn.get_json()["errors"][0]["field"] == "reason"
    assert api.post(f"/api/v1/cases/{case.id}/moves",
                    json={"action": "withdraw", "reason": "no longer needed"},
                    headers={**firm, "If-Match": etag}).status_code == 200
    ids = [c["id"] for c in api.get("/api/v1/cases", headers=firm).get_json()["items"]]
    assert case.id in ids
    desk = api.get("/api/v1/cases", headers=auth(token(world.desk))).get_json()["items"]
    assert case.id not in [c["id"] for c in desk]


def test_a_partner_works_its_task_and_its_lead_assigns_it(api, world):
    from onestop.tasks.models import AgencyTask

    case = file_case(world, "routed")
    cases.accept_case(world.desk, case, now=utcnow(), version=None)
    cases.route_case(world.desk, case, [world.union], now=utcnow(), version=None)
    db.session.commit()
    task = db.session.scalar(select(AgencyTask).where(AgencyTask.case_id == case.id))
    lead, staff = auth(token(world.union_lead)), auth(token(world.union_staff))
    listed = api.get("/api/v1/tasks", headers=staff).get_json()["items"]
    assert [t["id"] for t in listed] == [task.id]
    assert api.get("/api/v1/tasks", headers=auth(token(world.univ_staff))).get_json() == {
        "items": [], "next_cursor": None}
    assert api.get(f"/api/v1/tasks/{task.id}",
                   headers=auth(token(world.univ_staff))).status_code == 404
    assert api.get("/api/v1/tasks", headers=auth(token(world.firm_a_user))).status_code == 403
    etag = api.get(f"/api/v1/tasks/{task.id}", headers=lead).headers["ETag"]
    assigned = api.put(f"/api/v1/tasks/{task.id}/assignee",
                       json={"assignee": world.union_staff.id}, headers={**lead, "If-Match": etag})
    assert assigned.status_code == 200
    assert assigned.get_json()["assignee"]["id"] == world.union_staff.id
    not_a_member = api.put(f"/api/v1/tasks/{task.id}/assignee",
                           json={"assignee": world.univ_staff.id},
                           headers={**lead, "If-Match": assigned.headers["ETag"]})
    assert not_a_member.status_code == 422
    assert not_a_member.get_json()["errors"][0]["field"] == "assignee"
    accepted = api.post(f"/api/v1/tasks/{task.id}/moves", json={"action": "accept"},
                        headers={**staff, "If-Match": assigned.headers["ETag"]})
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "accepted"
    empty = api.post(f"/api/v1/tasks/{task.id}/moves", json={"action": "complete", "text": " "},
                     headers={**staff, "If-Match": accepted.headers["ETag"]})
    assert empty.status_code == 422 and empty.get_json()["errors"][0]["field"] == "text"
    done = api.post(f"/api/v1/tasks/{task.id}/moves",
                    json={"action": "complete", "text": "허가 완료"},
                    headers={**staff, "If-Match": accepted.headers["ETag"]})
    assert done.status_code == 200 and done.get_json()["status"] == "done"


def test_notifications_are_the_bells_own_in_the_owners_language(api, world):
    from onestop.accounts.services import set_locale
    from onestop.notifications.models import Notification

    case = file_case(world, "notified")
    cases.accept_case(world.desk, case, now=utcnow(), version=None)
    db.session.commit()
    rows = db.session.scalars(select(Notification).where(
        Notification.user_id == world.firm_a_user.id)).all()
    assert rows, "accepting a case tells its firm"
    firm = auth(token(world.firm_a_user))
    listed = api.get("/api/v1/notifications?unread=true", headers=firm).get_json()["items"]
    assert {item["id"] for item in listed} == {row.id for row in rows}
    assert all(item["case_id"] == case.id and item["text"] for item in listed)
    set_locale(world.firm_a_user, "en")
    db.session.commit()
    english = api.get("/api/v1/notifications", headers=firm).get_json()["items"][0]["text"]
    assert english.isascii() and english != listed[0]["text"]
    other = auth(token(world.firm_b_user))
    assert api.get("/api/v1/notifications", headers=other).get_json()["items"] == []
    assert api.post(f"/api/v1/notifications/{rows[0].id}/read", headers=other).status_code == 404
    read = api.post(f"/api/v1/notifications/{rows[0].id}/read", headers=firm)
    assert read.status_code == 200 and read.get_json()["read_at"]
    unread = api.get("/api/v1/notifications?unread=true", headers=firm).get_json()["items"]
    assert rows[0].id not in {item["id"] for item in unread}


def test_comments_reach_only_their_audience(api, world):
    case = file_case(world, "talked about")
    cases.accept_case(world.desk, case, now=utcnow(), version=None)
    cases.route_case(world.desk, case, [world.union], now=utcnow(), version=None)
    db.session.commit()
    desk, firm = auth(token(world.desk)), auth(token(world.firm_a_user))
    url = f"/api/v1/cases/{case.id}/comments"
    for audience in ("public", "partners", "desk"):
        made = api.post(url, json={"body": f"to {audience}", "audience": audience},
                        headers=desk)
        assert made.status_code == 201 and made.get_json()["audience"] == audience
    seen = {role: [c["body"] for c in api.get(url, headers=headers).get_json()["items"]]
            for role, headers in (("desk", desk), ("firm", firm),
                                  ("union", auth(token(world.union_staff))))}
    assert seen == {"desk": ["to public", "to partners", "to desk"], "firm": ["to public"],
                    "union": ["to public", "to partners"]}
    assert api.post(url, json={"body": "internal?", "audience": "desk"},
                    headers=firm).status_code == 403
    assert api.get(url, headers=auth(token(world.firm_b_user))).status_code == 404


def test_a_lone_surrogate_is_refused_before_any_model_sees_it(api, world):
    response = api.post("/api/v1/cases", data=b'{"request_type": 1, "title": "\\ud800", '
                        b'"description": "d"}',
                        headers={**auth(token(world.firm_a_user)),
                                 "Content-Type": "application/json"})
    assert response.status_code == 400 and response.mimetype == PROBLEM


def test_a_new_hash_of_the_same_password_keeps_the_tokens(api, browser, world):
    from argon2 import PasswordHasher

    from tests.factories import PASSWORD

    user = world.firm_a_user
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    db.session.commit()
    old_hash, secret = user.password_hash, token(user)
    browser(user.email)  # signing in rehashes with today's parameters
    db.session.expire_all()
    assert db.session.get(type(user), user.id).password_hash != old_hash
    assert api.get("/api/v1/cases", headers=auth(secret)).status_code == 200


def test_the_desk_routes_a_case_to_partners_with_a_due_date_of_its_own(api, world):
    case = file_case(world, "routed by API")
    cases.accept_case(world.desk, case, now=utcnow(), version=None)
    db.session.commit()
    desk = auth(token(world.desk))
    url = f"/api/v1/cases/{case.id}/routes"
    read = api.get(f"/api/v1/cases/{case.id}", headers=desk)
    unknown = api.post(url, json={"organizations": [world.union.id, 999999]},
                       headers={**desk, "If-Match": read.headers["ETag"]})
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"][0]["field"] == "organizations"
    for wrong in ({"due_at": "9999-12-31T23:59:59-10:00", "due_reason": "r"},
                  {"due_at": 0, "due_reason": "r"}, {"due_reason": "a reason without a date"}):
        refused = api.post(url, json={"organizations": [world.union.id], **wrong},
                           headers={**desk, "If-Match": read.headers["ETag"]})
        assert refused.status_code == 422, wrong
    routed = api.post(url, json={"organizations": [world.union.id, world.univ.id],
                                 "instructions": "현장 확인", "due_at": "2030-03-02T18:00:00+09:00",
                                 "due_reason": "협의 필요"},
                      headers={**desk, "If-Match": read.headers["ETag"]})
    assert routed.status_code == 200, routed.get_json()
    body = routed.get_json()
    assert body["status"] == "in_progress"
    assert sorted(t["organization"]["id"] for t in body["tasks"]) == \
        sorted([world.union.id, world.univ.id])
    assert {t["due_at"] for t in body["tasks"]} == {"2030-03-02T09:00:00Z"}
    again = api.post(url, json={"organizations": [world.permits.id]},
                     headers={**desk, "If-Match": read.headers["ETag"]})
    assert again.status_code == 412, "routed meanwhile: the old ETag is stale"
    firm = auth(token(world.firm_a_user))
    refused = api.post(url, json={"organizations": [world.permits.id]},
                       headers={**firm, "If-Match": routed.headers["ETag"]})
    assert refused.status_code == 403


def test_a_partner_hands_a_task_on_and_the_desk_moves_its_due_date(api, world):
    from onestop.tasks.models import AgencyTask

    case = file_case(world, "not ours")
    cases.accept_case(world.desk, case, now=utcnow(), version=None)
    cases.route_case(world.desk, case, [world.union], now=utcnow(), version=None)
    db.session.commit()
    task = db.session.scalar(select(AgencyTask).where(AgencyTask.case_id == case.id))
    staff, desk = auth(token(world.union_staff)), auth(token(world.desk))
    etag = api.get(f"/api/v1/tasks/{task.id}", headers=staff).headers["ETag"]
    url = f"/api/v1/tasks/{task.id}/transfer"
    own = api.post(url, json={"organization": world.union.id, "reason": "r"},
                   headers={**staff, "If-Match": etag})
    assert own.status_code == 422 and own.get_json()["errors"][0]["field"] == "organization"
    moved = api.post(url, json={"organization": world.univ.id, "reason": "대학 소관"},
                     headers={**staff, "If-Match": etag})
    assert moved.status_code == 201, moved.get_json()
    successor = moved.get_json()
    assert successor["organization"]["id"] == world.univ.id
    assert successor["due_at"] == api.get(f"/api/v1/tasks/{task.id}", headers=desk) \
        .get_json()["due_at"], "the new task keeps the clock"
    assert api.get(moved.headers["Location"], headers=staff).status_code == 404, \
        "now another partner's"
    due = api.put(f"/api/v1/tasks/{successor['id']}/due",
                  json={"due_at": "2031-01-06T18:00:00+09:00", "reason": "보완 기간"},
                  headers={**desk, "If-Match": moved.headers["ETag"]})
    assert due.status_code == 200, due.get_json()
    assert (due.get_json()["due_at"], due.get_json()["due_override_reason"]) == \
        ("2031-01-06T09:00:00Z", "보완 기간")
    univ = auth(token(world.univ_staff))
    assert api.put(f"/api/v1/tasks/{successor['id']}/due",
                   json={"due_at": "2031-01-07T18:00:00+09:00", "reason": "x"},
                   headers={**univ, "If-Match": due.headers["ETag"]}).status_code == 403


def test_a_key_claimed_before_fingerprints_were_kept_still_answers_its_replay(api, world):
    from onestop.submissions.models import Submission

    case = file_case(world, "filed before the migration")
    db.session.add(Submission(user_id=world.firm_a_user.id, token="api:legacy-1",
                              landing=f"/api/v1/cases/{case.id}", created_at=utcnow()))
    db.session.commit()
    headers = {**auth(token(world.firm_a_user)), "Idempotency-Key": "legacy-1"}
    again = api.post("/api/v1/cases", headers=headers, json={
        "request_type": world.hiring_type.id, "title": "t", "description": "d"})
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/cases/{case.id}")
