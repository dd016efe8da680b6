"""The moves the pages offer beyond the basic ones, through the API: a task's extension and
the firm's answer to a further one, a consultation's pause, handing a case to another
caseworker, an objection to a rejection with its extension and decision, the firm's extra
time on a question and its progress request. Each is the page's own service: the same
rules refuse the same things, and a page save and an API save of one object conflict.
Who may reach which is in the authorization matrix."""
import io
from datetime import datetime, timedelta

from sqlalchemy import select

from onestop.cases import objections
from onestop.cases import services as cases
from onestop.cases.models import Case, Event
from onestop.db import utcnow
from onestop.deadlines import SEOUL
from onestop.extensions import db
from onestop.tasks import extensions
from onestop.tasks import services as tasks
from onestop.tasks.models import AgencyTask
from tests.factories import PDF
from tests.web.api_client import PROBLEM, auth, file_case, token
from tests.web.helpers import version_of


def _routed(world, title, when=None):
    case = file_case(world, title)
    when = when or utcnow()
    cases.accept_case(world.desk, case, now=when, version=None)
    cases.route_case(world.desk, case, [world.union], now=when, version=None)
    db.session.commit()
    return case


def _task(case) -> AgencyTask:
    db.session.expire_all()
    return db.session.scalar(select(AgencyTask).where(AgencyTask.case_id == case.id))


def _case(case) -> Case:
    db.session.expire_all()
    return db.session.get(Case, case.id)


def _etag(api, url, headers) -> str:
    return api.get(url, headers=headers).headers["ETag"]


def _fields(response) -> set[str]:
    assert response.mimetype == PROBLEM, response.get_data(as_text=True)
    return {error["field"] for error in response.get_json().get("errors", [])}


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _local(moment: datetime) -> str:
    """As the page's date-time field sends it."""
    return moment.astimezone(SEOUL).strftime("%Y-%m-%dT%H:%M")


def _multipart(api, url, headers, form):
    return api.post(url, data=form, headers=headers, content_type="multipart/form-data")


def test_a_partner_extends_its_task_and_the_firm_agrees_to_a_further_extension(
        api, browser, world):
    case = _routed(world, "extended")
    task = _task(case)
    staff, firm = auth(token(world.union_staff)), auth(token(world.firm_a_user))
    url = f"/api/v1/tasks/{task.id}/extensions"
    first_due = (task.due_at + (extensions.latest_date(task) - task.due_at) / 2).replace(
        second=0, microsecond=0)
    body = {"due_at": first_due.isoformat(), "reason": "현장 조사"}
    etag = _etag(api, f"/api/v1/tasks/{task.id}", staff)
    assert api.post(url, json=body, headers=staff).status_code == 428
    assert api.post(url, json=body, headers={**staff, "If-Match": '"99"'}).status_code == 412
    bad = api.post(url, json={"due_at": "2030-01-01T10:00:00", "reason": " "},
                   headers={**staff, "If-Match": etag})
    assert bad.status_code == 422 and _fields(bad) == {"due_at", "reason"}
    early = api.post(url, json={**body, "due_at": (task.due_at - timedelta(hours=1)).isoformat()},
                     headers={**staff, "If-Match": etag})
    assert early.status_code == 422 and _fields(early) == {"due_at"}, "the service's rule"
    assert api.post(url, json=body, headers={**firm, "If-Match": etag}).status_code == 403
    assert api.post(url, json=body, headers={**auth(token(world.univ_staff)),
                                             "If-Match": etag}).status_code == 404
    done = api.post(url, json=body, headers={**staff, "If-Match": etag})
    assert done.status_code == 200, done.get_json()
    assert _moment(done.get_json()["due_at"]) == first_due
    assert done.headers["ETag"] != etag
    # A further extension waits for the firm: the due date stays.
    second_due = first_due + timedelta(hours=2)
    asked = api.post(url, json={"due_at": second_due.isoformat(), "reason": "추가 협의"},
                     headers={**staff, "If-Match": done.headers["ETag"]})
    assert asked.status_code == 200 and asked.get_json()["due_at"] == done.get_json()["due_at"]

    read = api.get(f"/api/v1/cases/{case.id}", headers=firm)
    asks = read.get_json()["extension_asks"]
    assert [(a["task_id"], a["reason"], _moment(a["due_at"])) for a in asks] == [
        (task.id, "추가 협의", second_due)]
    desk = auth(token(world.desk))
    assert api.get(f"/api/v1/cases/{case.id}", headers=desk).get_json()["extension_asks"] == []
    answer = f"/api/v1/cases/{case.id}/extensions/{asks[0]['id']}/answer"
    assert api.put(answer, json={"answer": "agree"}, headers=firm).status_code == 428
    assert api.put(answer, json={"answer": "agree"},
                   headers={**firm, "If-Match": '"99"'}).status_code == 412
    bad = api.put(answer, json={"answer": "maybe"}, headers={**firm, "If-Match": read.headers["ETag"]})
    assert bad.status_code == 422 and _fields(bad) == {"answer"}
    other = file_case(world, "another of ours")
    assert api.put(f"/api/v1/cases/{other.id}/extensions/{asks[0]['id']}/answer",
                   json={"answer": "agree"},
                   headers={**firm, "If-Match": f'"{other.version}"'}).status_code == 404
    assert api.put(answer, json={"answer": "agree"},
                   headers={**desk, "If-Match": read.headers["ETag"]}).status_code == 403
    assert api.put(answer, json={"answer": "agree"},
                   headers={**auth(token(world.firm_b_user)),
                            "If-Match": read.headers["ETag"]}).status_code == 404
    agreed = api.put(answer, json={"answer": "agree"},
                     headers={**firm, "If-Match": read.headers["ETag"]})
    assert agreed.status_code == 200 and agreed.get_json()["extension_asks"] == []
    assert agreed.headers["ETag"] != read.headers["ETag"]
    assert _task(case).due_at == second_due
    # The page's answer goes through the same service: the other answer is refused now.
    page = browser(world.firm_a_user.email)
    refused = page.post(f"/cases/{case.id}/extensions/{asks[0]['id']}/refuse",
                        {"version": str(_case(case).version)})
    assert refused.status_code == 409
    assert _task(case).due_at == second_due


def test_a_page_extension_and_an_api_extension_of_one_task_conflict_both_ways(
        api, browser, world):
    staff = auth(token(world.union_staff))
    page = browser(world.union_staff.email)
    # The page extends first; the API's write, based on the ETag before, is refused.
    task = _task(_routed(world, "page first"))
    etag = _etag(api, f"/api/v1/tasks/{task.id}", staff)
    seen = version_of(page.get(f"/tasks/{task.id}").get_data(as_text=True), "extend")
    due = task.due_at + timedelta(days=1)
    assert page.post(f"/tasks/{task.id}/extend", {"version": seen, "due_at": _local(due),
                                                  "reason": "페이지"}).status_code == 303
    late = api.post(f"/api/v1/tasks/{task.id}/extensions",
                    json={"due_at": (due + timedelta(hours=1)).isoformat(), "reason": "API"},
                    headers={**staff, "If-Match": etag})
    assert late.status_code == 412
    # The API extends first; the page's form, based on the version before, is refused.
    task = _task(_routed(world, "api first"))
    etag = _etag(api, f"/api/v1/tasks/{task.id}", staff)
    seen = version_of(page.get(f"/tasks/{task.id}").get_data(as_text=True), "extend")
    due = task.due_at + timedelta(days=1)
    assert api.post(f"/api/v1/tasks/{task.id}/extensions",
                    json={"due_at": due.isoformat(), "reason": "API"},
                    headers={**staff, "If-Match": etag}).status_code == 200
    assert page.post(f"/tasks/{task.id}/extend", {
        "version": seen, "due_at": _local(due + timedelta(hours=1)), "reason": "페이지"},
    ).status_code == 409
    assert len(_task(task.case).extensions) == 1


def test_a_consulted_partner_records_a_hearing_that_has_ended(api, browser, world):
    routed_at = utcnow() - timedelta(days=7)
    case = _routed(world, "consulted", when=routed_at)
    task = _task(case)
    task.is_consultation = True
    db.session.commit()
    staff = auth(token(world.union_staff))
    url = f"/api/v1/tasks/{task.id}/pauses"
    start, end = routed_at + timedelta(days=1), routed_at + timedelta(days=2)
    body = {"kind": "hearing", "start": start.isoformat(), "end": end.isoformat(),
            "note": "청문"}
    etag = _etag(api, f"/api/v1/tasks/{task.id}", staff)
    page = browser(world.union_staff.email)
    seen = version_of(page.get(f"/tasks/{task.id}").get_data(as_text=True), "pause")
    assert api.post(url, json=body, headers=staff).status_code == 428
    assert api.post(url, json=body, headers={**staff, "If-Match": '"99"'}).status_code == 412
    bad = api.post(url, json={**body, "kind": "nap", "start": "yesterday"},
                   headers={**staff, "If-Match": etag})
    assert bad.status_code == 422 and _fields(bad) == {"kind", "start"}
    backwards = api.post(url, json={**body, "start": body["end"], "end": body["start"]},
                         headers={**staff, "If-Match": etag})
    assert backwards.status_code == 422 and _fields(backwards) == {"end"}, "the service's rule"
    assert api.post(url, json=body, headers={**auth(token(world.desk)),
                                             "If-Match": etag}).status_code == 403
    before = task.due_at
    done = api.post(url, json=body, headers={**staff, "If-Match": etag})
    assert done.status_code == 200, done.get_json()
    assert _moment(done.get_json()["due_at"]) >= before
    assert db.session.scalar(select(Event.detail).where(
        Event.task_id == task.id, Event.action == "task.pause_recorded")) == "청문"
    # The page's form, based on the version before, is refused.
    assert page.post(f"/tasks/{task.id}/pause", {
        "version": seen, "kind": "deliberation", "start": _local(start),
        "end": _local(end), "note": ""}).status_code == 409
    # Only a running consultation records one.
    plain = _task(_routed(world, "not consulted"))
    refused = api.post(f"/api/v1/tasks/{plain.id}/pauses", json=body, headers={
        **staff, "If-Match": _etag(api, f"/api/v1/tasks/{plain.id}", staff)})
    assert refused.status_code == 409


def test_the_desk_hands_a_case_to_another_caseworker(api, browser, world):
    case = file_case(world, "owned")
    desk, firm = auth(token(world.desk)), auth(token(world.firm_a_user))
    url = f"/api/v1/cases/{case.id}/owner"
    read = api.get(f"/api/v1/cases/{case.id}", headers=desk)
    assert read.get_json()["owner"] == {"id": world.desk.id, "name": world.desk.name}
    page = browser(world.desk.email)
    seen = version_of(page.get(f"/cases/{case.id}").get_data(as_text=True), "reassign")
    body = {"owner": world.admin.id}
    assert api.put(url, json=body, headers=desk).status_code == 428
    assert api.put(url, json=body, headers={**desk, "If-Match": '"99"'}).status_code == 412
    for wrong in ({"owner": 0}, {"owner": world.firm_a_user.id}, {"owner": 999999}):
        refused = api.put(url, json=wrong, headers={**desk, "If-Match": read.headers["ETag"]})
        assert refused.status_code == 422 and _fields(refused) == {"owner"}, wrong
    assert api.put(url, json=body, headers={**firm, "If-Match": read.headers["ETag"]}) \
        .status_code == 403
    done = api.put(url, json=body, headers={**desk, "If-Match": read.headers["ETag"]})
    assert done.status_code == 200 and done.get_json()["owner"]["id"] == world.admin.id
    again = api.put(url, json=body, headers={**desk, "If-Match": done.headers["ETag"]})
    assert again.status_code == 422 and _fields(again) == {"owner"}, "already theirs"
    # The page's form, based on the version before, is refused.
    assert page.post(f"/cases/{case.id}/reassign", {
        "version": seen, "owner": str(world.desk.id)}).status_code == 409
    assert _case(case).owner_id == world.admin.id


def test_a_firm_objects_to_a_rejection_and_the_desk_extends_and_decides(api, browser, world):
    case = file_case(world, "rejected")
    cases.reject_case(world.desk, case, "구역 밖", now=utcnow(), version=None)
    db.session.commit()
    firm, desk = auth(token(world.firm_a_user)), auth(token(world.desk))
    url = f"/api/v1/cases/{case.id}/objection"
    before = _etag(api, f"/api/v1/cases/{case.id}", desk)
    blank = _multipart(api, url, firm, {"reasons": "  "})
    assert blank.status_code == 422 and _fields(blank) == {"reasons"}
    open_case = file_case(world, "not rejected")
    assert _multipart(api, f"/api/v1/cases/{open_case.id}/objection", firm,
                      {"reasons": "왜"}).status_code == 409
    assert _multipart(api, url, desk, {"reasons": "왜"}).status_code == 403
    assert _multipart(api, url, auth(token(world.firm_b_user)),
                      {"reasons": "왜"}).status_code == 404
    keyed = {**firm, "Idempotency-Key": "objection-0001"}
    made = _multipart(api, url, keyed, {"reasons": "구역 안입니다",
                                        "files": (io.BytesIO(PDF), "지도.pdf")})
    assert made.status_code == 201, made.get_json()
    assert made.headers["Location"].endswith(f"/api/v1/cases/{case.id}")
    objection = made.get_json()["objection"]
    assert (objection["decision"], objection["extended"]) == (None, False)
    comments = api.get(f"/api/v1/cases/{case.id}/comments", headers=firm).get_json()["items"]
    reasons = next(c for c in comments if c["id"] == objection["comment_id"])
    assert reasons["body"] == "구역 안입니다"
    assert [a["filename"] for a in reasons["attachments"]] == ["지도.pdf"]
    again = _multipart(api, url, keyed, {"reasons": "구역 안입니다",
                                         "files": (io.BytesIO(PDF), "지도.pdf")})
    assert again.status_code == 303, "a retry objects once"
    assert _multipart(api, url, firm, {"reasons": "한 번 더"}).status_code == 409

    extend = f"/api/v1/cases/{case.id}/objection/extension"
    assert api.post(extend, json={"reason": "현장 확인"}, headers=desk).status_code == 428
    stale = api.post(extend, json={"reason": "현장 확인"}, headers={**desk, "If-Match": before})
    assert stale.status_code == 412, "the objection moved the case's version"
    bad = api.post(extend, json={"reason": ""}, headers={**desk, "If-Match": made.headers["ETag"]})
    assert bad.status_code == 422 and _fields(bad) == {"reason"}
    assert api.post(extend, json={"reason": "현장 확인"},
                    headers={**firm, "If-Match": made.headers["ETag"]}).status_code == 403
    extended = api.post(extend, json={"reason": "현장 확인"},
                        headers={**desk, "If-Match": made.headers["ETag"]})
    assert extended.status_code == 200, extended.get_json()
    assert extended.get_json()["objection"]["extended"] is True
    assert extended.get_json()["objection"]["decision_due_at"] > objection["decision_due_at"]
    assert api.post(extend, json={"reason": "또"}, headers={
        **desk, "If-Match": extended.headers["ETag"]}).status_code == 409, "once only"

    decide = f"/api/v1/cases/{case.id}/objection/decision"
    upheld = {"decision": "upheld", "reason": "구역 안 확인"}
    bad = api.post(decide, json={"decision": "maybe", "reason": " "},
                   headers={**desk, "If-Match": extended.headers["ETag"]})
    assert bad.status_code == 422 and _fields(bad) == {"decision", "reason"}
    assert api.post(decide, json=upheld, headers=desk).status_code == 428
    assert api.post(decide, json=upheld, headers={**desk, "If-Match": made.headers["ETag"]}) \
        .status_code == 412
    decided = api.post(decide, json=upheld, headers={**desk, "If-Match": extended.headers["ETag"]})
    assert decided.status_code == 200, decided.get_json()
    assert decided.get_json()["status"] == "submitted", "back to the desk's review"
    assert decided.get_json()["objection"]["decision"] == "upheld"
    # The page decides through the same service: decided is decided.
    page = browser(world.desk.email)
    assert page.post(f"/cases/{case.id}/objection/decide",
                     {"decision": "dismissed", "reason": "아니오"}).status_code == 409
    assert objections.current(_case(case)).decision == "upheld"


def test_an_objection_filed_on_the_page_makes_the_apis_etag_stale(api, browser, world):
    case = file_case(world, "objected on the page")
    cases.reject_case(world.desk, case, "구역 밖", now=utcnow(), version=None)
    db.session.commit()
    desk = auth(token(world.desk))
    decide = f"/api/v1/cases/{case.id}/objection/decision"
    read = api.get(f"/api/v1/cases/{case.id}", headers=desk)
    assert read.get_json()["objection"] is None
    assert api.post(decide, json={"decision": "dismissed", "reason": "r"},
                    headers={**desk, "If-Match": read.headers["ETag"]}).status_code == 404
    page = browser(world.firm_a_user.email)
    assert page.post(f"/cases/{case.id}/objection", {"reasons": "다시 봐 주세요"}).status_code \
        == 303
    assert api.post(decide, json={"decision": "dismissed", "reason": "r"},
                    headers={**desk, "If-Match": read.headers["ETag"]}).status_code == 412
    fresh = api.get(f"/api/v1/cases/{case.id}", headers=desk)
    assert api.post(decide, json={"decision": "dismissed", "reason": "r"},
                    headers={**desk, "If-Match": fresh.headers["ETag"]}).status_code == 200
    assert _case(case).status == "rejected"


def test_a_firm_takes_its_extra_time_on_a_question_once(api, browser, world):
    case = _routed(world, "asked")
    task = _task(case)
    tasks.accept_task(world.union_staff, task, now=utcnow(), version=None)
    tasks.request_information(world.union_staff, task, "도면을 보내 주세요", now=utcnow(),
                              version=None)
    db.session.commit()
    firm = auth(token(world.firm_a_user))
    url = f"/api/v1/cases/{case.id}/tasks/{task.id}/more-time"
    read = api.get(f"/api/v1/cases/{case.id}", headers=firm)
    assert api.post(url, headers=firm).status_code == 428
    assert api.post(url, headers={**firm, "If-Match": '"99"'}).status_code == 412
    bad = api.post(f"/api/v1/cases/{case.id}/tasks/0/more-time",
                   headers={**firm, "If-Match": read.headers["ETag"]})
    assert bad.status_code == 422 and _fields(bad) == {"task_id"}
    elsewhere = _task(_routed(world, "another case"))
    assert api.post(f"/api/v1/cases/{case.id}/tasks/{elsewhere.id}/more-time",
                    headers={**firm, "If-Match": read.headers["ETag"]}).status_code == 404
    assert api.post(url, headers={**auth(token(world.desk)),
                                  "If-Match": read.headers["ETag"]}).status_code == 403
    assert api.post(url, headers={**auth(token(world.firm_b_user)),
                                  "If-Match": read.headers["ETag"]}).status_code == 404
    deadline = task.supplement_due_at
    done = api.post(url, headers={**firm, "If-Match": read.headers["ETag"]})
    assert done.status_code == 200, done.get_json()
    assert _task(case).supplement_more_time and _task(case).supplement_due_at > deadline
    again = api.post(url, headers={**firm, "If-Match": done.headers["ETag"]})
    assert again.status_code == 422, "once"
    # The page asks through the same service: refused as well.
    page = browser(world.firm_a_user.email)
    assert page.post(f"/cases/{case.id}/tasks/{task.id}/more_time",
                     {"version": str(_case(case).version)}).status_code == 422


def test_a_firm_asks_where_its_request_stands_once_a_day(api, browser, world):
    case = _routed(world, "where is it")
    firm = auth(token(world.firm_a_user))
    url = f"/api/v1/cases/{case.id}/progress"
    assert api.post(url, headers=auth(token(world.desk))).status_code == 403
    assert api.post(url, headers=auth(token(world.firm_b_user))).status_code == 404
    bad = api.post("/api/v1/cases/0/progress", headers=firm)
    assert bad.status_code == 422 and _fields(bad) == {"case_id"}
    waiting = file_case(world, "not accepted yet")
    assert api.post(f"/api/v1/cases/{waiting.id}/progress", headers=firm).status_code == 409
    asked = api.post(url, headers=firm)
    assert asked.status_code == 200 and asked.get_json()["id"] == case.id
    assert db.session.scalar(select(Event.id).where(
        Event.case_id == case.id, Event.action == "case.progress_asked")) is not None
    assert api.post(url, headers=firm).status_code == 422, "once a day"
    # The page asks through the same service: refused as well.
    page = browser(world.firm_a_user.email)
    assert page.post(f"/cases/{case.id}/progress",
                     {"version": str(_case(case).version)}).status_code == 422
