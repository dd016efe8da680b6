"""Open311 GeoReport v2 at /open311/v2: every endpoint in JSON and in XML against the spec's
examples (field names, their order, the root and item elements, null as an empty element),
dates with their offsets, the filters and their defaults, filing through the pages' own
service, the spec's error bodies, and tenancy: a firm's key sees its firm's requests only,
and no key sees nothing private. Who reaches which route is in the authorization matrix."""
import contextvars
import re
from datetime import datetime, timedelta
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import func, select

from onestop import create_app
from onestop.accounts.access_tokens import create_token
from onestop.audit.services import record_change
from onestop.cases import services as cases
from onestop.cases.models import Case
from onestop.db import utcnow
from onestop.deadlines import SEOUL
from onestop.extensions import db
from onestop.statuses import CaseStatus
from tests.web.api_client import file_case, token

BASE = "/open311/v2"
JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"
# The spec's field order, as its examples write them.
REQUEST_FIELDS = ["service_request_id", "status", "status_notes", "service_name",
                  "service_code", "description", "agency_responsible", "service_notice",
                  "requested_datetime", "updated_datetime", "expected_datetime", "address",
                  "address_id", "zipcode", "lat", "long", "media_url"]
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type",
                  "keywords", "group"]
ATTRIBUTE_FIELDS = ["variable", "code", "datatype", "required", "datatype_description",
                    "order", "description"]
DISCOVERY_FIELDS = ["changeset", "contact", "key_service", "endpoints"]
ENDPOINT_FIELDS = ["specification", "url", "changeset", "type", "formats"]
FILED_FIELDS = ["service_request_id", "service_notice", "account_id"]
W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")


def get(api, path, **args):
    return api.get(BASE + path, query_string=args)


def post(api, fmt="json", headers=None, **form):
    return api.post(f"{BASE}/requests.{fmt}", data=form, headers=headers or {})


def xml(response) -> ET.Element:
    body = response.get_data()
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>'), body[:60]
    assert response.headers["Content-Type"] == XML_TYPE
    return ET.fromstring(body)


def json_of(response):
    assert response.headers["Content-Type"] == JSON_TYPE
    return response.get_json()


def children(element) -> list[str]:
    return [child.tag for child in element]


def assert_error(response, status, fmt="json") -> str:
    """The spec's error body: [{code, description}] / <errors><error><code/><description/>."""
    assert response.status_code == status, response.get_data(as_text=True)
    if fmt == "xml":
        root = xml(response)
        assert root.tag == "errors" and children(root) == ["error"]
        assert children(root[0]) == ["code", "description"]
        assert root[0].findtext("code") == str(status)
        return root[0].findtext("description")
    body = json_of(response)
    assert isinstance(body, list) and len(body) == 1 and list(body[0]) == ["code", "description"]
    assert body[0]["code"] == status and body[0]["description"]
    return body[0]["description"]


def test_discovery_lists_this_endpoint_in_both_formats(api, world):
    body = json_of(get(api, "/discovery.json"))
    assert list(body) == DISCOVERY_FIELDS
    endpoint, = body["endpoints"]
    assert list(endpoint) == ENDPOINT_FIELDS
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://onestop.test/open311/v2"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert endpoint["type"] == "test"  # only a production instance's requests are acted upon
    assert "/account/tokens" in body["key_service"] and body["contact"]
    root = xml(get(api, "/discovery.xml"))
    assert root.tag == "discovery" and children(root) == DISCOVERY_FIELDS
    assert children(root.find("endpoints")) == ["endpoint"]
    assert children(root.find("endpoints/endpoint")) == ENDPOINT_FIELDS
    assert [f.text for f in root.iterfind("endpoints/endpoint/formats/format")] == \
        ["text/xml", "application/json"]
    # The changeset moves when an admin edits a request type (a sortable moment).
    before = body["changeset"]
    record_change(world.admin, "request_type.update", "request_type", world.hiring_type.id,
                  before={"period": "5d"}, after={"period": "7d"}, now=utcnow())
    db.session.commit()
    after = json_of(get(api, "/discovery.json"))["changeset"]
    assert W3C.match(after) and after > before


def test_services_are_the_offered_request_types_in_the_callers_language(api, world):
    world.hiring_type.is_active = True
    db.session.commit()
    body = json_of(get(api, "/services.json"))
    assert [s["service_code"] for s in body] == ["recruitment", "building-permit"]  # catalog order
    hiring, permit = body
    assert [list(s) for s in body] == [SERVICE_FIELDS, SERVICE_FIELDS]
    assert permit == {"service_code": "building-permit", "service_name": "건축 허가",
                      "description": "처리기간: 10일", "metadata": True, "type": "realtime",
                      "keywords": "Building permit, permit", "group": "인허가"}
    assert hiring["metadata"] is False  # no form fields, no checklist
    english = json_of(get(api, "/services.json", locale="en"))
    assert english[1]["service_name"] == "Building permit" and english[1]["group"] == "Permits"
    by_header = api.get(f"{BASE}/services.json", headers={"Accept-Language": "en-US,en;q=0.8"})
    assert by_header.get_json()[1]["service_name"] == "Building permit"
    root = xml(get(api, "/services.xml"))
    assert root.tag == "services" and children(root) == ["service", "service"]
    assert children(root[1]) == SERVICE_FIELDS
    assert root[1].findtext("metadata") == "true" and root[0].findtext("metadata") == "false"
    world.hiring_type.is_active = False
    db.session.commit()
    assert [s["service_code"] for s in json_of(get(api, "/services.json"))] == ["building-permit"]


def test_a_service_definition_holds_its_fields_then_its_required_documents(api, world):
    body = json_of(get(api, "/services/building-permit.json", locale="en"))
    assert list(body) == ["service_code", "attributes"]
    area, documents = body["attributes"]
    assert area == {"variable": True, "code": "floor_area", "datatype": "string",
                    "required": True, "datatype_description": None, "order": 1,
                    "description": "Floor area"}
    assert list(documents) == [*ATTRIBUTE_FIELDS, "values"]
    assert documents["code"] == "DOCUMENTS" and documents["datatype"] == "multivaluelist"
    assert documents["values"] == [{"key": 0, "name": "Drawings"}, {"key": 1, "name": "Form"}]
    root = xml(get(api, "/services/building-permit.xml"))
    assert root.tag == "service_definition" and children(root) == ["service_code", "attributes"]
    first, second = root.find("attributes")
    assert children(first) == ATTRIBUTE_FIELDS and first.findtext("description") == "연면적"
    assert first.find("datatype_description").text is None  # null: an empty element
    assert children(second.find("values")) == ["value", "value"]
    assert children(second.find("values/value")) == ["key", "name"]
    assert second.findtext("values/value/name") == "설계도서"
    plain = json_of(get(api, "/services/recruitment.json"))
    assert plain == {"service_code": "recruitment", "attributes": []}
    assert xml(get(api, "/services/recruitment.xml")).find("attributes") is not None
    assert "nope" in assert_error(get(api, "/services/nope.json"), 404)
    assert_error(get(api, "/services/nope.xml"), 404, "xml")


def test_a_request_reads_as_the_spec_writes_it_in_both_formats(api, world):
    case = file_case(world, "Hiring 40 <welders> & more")
    secret = token(world.firm_a_user, "read")
    row, = json_of(get(api, "/requests.json", api_key=secret))
    assert list(row) == REQUEST_FIELDS
    assert row["service_request_id"] == case.id and row["status"] == "open"
    assert row["service_code"] == "recruitment" and row["service_name"] == "채용 지원"
    assert row["description"] == "Hiring 40 <welders> & more\n\nd"
    assert row["status_notes"] == "신청"  # the case's own status
    assert row["agency_responsible"] == "원스톱 지원센터"  # the desk, until partners work on it
    assert row["service_notice"].startswith(case.reference)
    for name in ("requested_datetime", "updated_datetime"):
        assert W3C.match(row[name]) and row[name].endswith("+09:00")
    assert datetime.fromisoformat(row["requested_datetime"]) == \
        case.submitted_at.replace(microsecond=0)
    assert row["expected_datetime"] is None  # no due date until the desk accepts it
    assert row["address"] == "A-1"  # the firm's site
    assert [row[k] for k in ("address_id", "zipcode", "lat", "long", "media_url")] == [None] * 5
    cases.accept_case(world.desk, case, now=utcnow(), version=None)
    cases.route_case(world.desk, case, [world.union, world.univ], now=utcnow(), version=None)
    db.session.commit()
    one, = json_of(get(api, f"/requests/{case.id}.json", api_key=secret, locale="en"))
    assert one["agency_responsible"] == "Labor union council, University foundation"
    assert W3C.match(one["expected_datetime"]) and one["status_notes"] == "In progress"
    root = xml(get(api, f"/requests/{case.id}.xml", api_key=secret))
    assert root.tag == "service_requests" and children(root) == ["request"]
    assert children(root[0]) == REQUEST_FIELDS
    assert root[0].findtext("description") == "Hiring 40 <welders> & more\n\nd"  # escaped
    assert root[0].find("lat").text is None
    assert b"&lt;welders&gt; &amp; more" in get(api, "/requests.xml", api_key=secret).get_data()


@pytest.mark.parametrize("status, wanted", [
    (CaseStatus.SUBMITTED, "open"), (CaseStatus.TRIAGED, "open"),
    (CaseStatus.IN_PROGRESS, "open"), (CaseStatus.WAITING_ON_FIRM, "open"),
    (CaseStatus.RESOLVED, "closed"), (CaseStatus.CLOSED, "closed"),
    (CaseStatus.WITHDRAWN, "closed"), (CaseStatus.REJECTED, "closed"),
    (CaseStatus.RETURNED, "closed")])
def test_each_case_status_is_open_or_closed(api, world, status, wanted):
    case = file_case(world, "status")
    case.status, case.rejection_reason = status, "서류 미비"
    db.session.commit()
    secret = token(world.firm_a_user, "read")
    row, = json_of(get(api, "/requests.json", api_key=secret))
    assert row["status"] == wanted
    if status in (CaseStatus.REJECTED, CaseStatus.RETURNED):
        assert row["status_notes"].endswith(": 서류 미비")  # the desk's reason, as the firm reads it
    other = "closed" if wanted == "open" else "open"
    assert json_of(get(api, "/requests.json", api_key=secret, status=other)) == []
    assert len(json_of(get(api, "/requests.json", api_key=secret, status="open,closed"))) == 1


def test_a_firms_key_sees_its_firms_requests_only_and_no_key_sees_nothing(api, world):
    a = file_case(world, "Alpha's own")
    b = file_case(world, "Beta's own", user=world.firm_b_user)
    cases.accept_case(world.desk, b, now=utcnow(), version=None)
    cases.route_case(world.desk, b, [world.univ], now=utcnow(), version=None)
    db.session.commit()
    key_a, key_b = token(world.firm_a_user, "read"), token(world.firm_b_user, "read")

    def seen(key, **args):
        return [row["service_request_id"] for row in json_of(
            get(api, "/requests.json", **({"api_key": key} if key else {}), **args))]

    assert seen(key_a) == [a.id] and seen(key_b) == [b.id]
    assert seen(key_a, service_request_id=f"{a.id},{b.id}") == [a.id]
    assert seen(token(world.desk, "read")) == [b.id, a.id]  # newest first
    assert seen(token(world.univ_staff, "read")) == [b.id]  # routed to it
    assert seen(token(world.permits_staff, "read")) == []
    assert seen(None) == [] and seen(None, service_request_id=str(a.id)) == []
    by_header = api.get(f"{BASE}/requests.json", headers={"Authorization": f"Bearer {key_b}"})
    assert [row["service_request_id"] for row in by_header.get_json()] == [b.id]
    partner_row, = json_of(get(api, "/requests.json", api_key=token(world.univ_staff, "read")))
    assert partner_row["address"] is None  # the firm's record is the desk's and the firm's
    assert xml(get(api, "/requests.xml")).tag == "service_requests"  # empty, not an error
    for path in (f"/requests/{b.id}", f"/tokens/{b.id}"):
        for fmt in ("json", "xml"):
            assert_error(get(api, f"{path}.{fmt}", api_key=key_a), 404, fmt)
            assert_error(get(api, f"{path}.{fmt}"), 404, fmt)
    missing = assert_error(get(api, "/requests/99999.json", api_key=key_a), 404)
    assert missing == assert_error(get(api, f"/requests/{b.id}.json", api_key=key_a), 404)
    assert b"Beta" not in get(api, "/requests.xml", api_key=key_a).get_data()


def a_measured_floor_area(world) -> None:
    world.permit_type.form_fields = [{**world.permit_type.form_fields[0], "kind": "number",
                                      "unit": {"ko": "㎡", "en": "m²"}}]
    db.session.commit()


def test_a_firm_member_files_a_request_that_the_pages_show(api, world, browser):
    a_measured_floor_area(world)
    area = json_of(get(api, "/services/building-permit.json", locale="en"))["attributes"][0]
    assert area["datatype"] == "number" and area["datatype_description"] == "Unit: m²"
    secret = token(world.firm_a_user)
    response = post(api, api_key=secret, service_code="building-permit",
                    description="  Second plant, hall B\nFloor plans attached by mail.  ",
                    **{"attribute[floor_area]": "12,500", "attribute[DOCUMENTS][]": ["0", "1"],
                       "lat": "35.1", "long": "126.9", "email": "ignored@x.example"})
    assert response.status_code == 201, response.get_data(as_text=True)
    filed, = json_of(response)
    assert list(filed) == FILED_FIELDS and filed["account_id"] == world.firm_a_user.id
    case = db.session.get(Case, filed["service_request_id"])
    assert response.headers["Location"].endswith(f"{BASE}/requests/{case.id}.json")
    assert filed["service_notice"].startswith(case.reference)
    assert case.firm_id == world.firm_a.id and case.created_by_id == world.firm_a_user.id
    assert case.title == "Second plant, hall B" and case.status == "submitted"
    assert case.description == "Second plant, hall B\nFloor plans attached by mail."
    assert case.form_data == {"floor_area": "12500"}  # the form field's own cleaning
    assert [item["done"] for item in case.checklist] == [True, True]
    assert case.owner_id == world.desk.id  # the firm's account officer, as on the pages
    for who in (world.firm_a_user, world.desk):
        page = browser(who.email).get(f"/cases/{case.id}")
        assert page.status_code == 200 and "Second plant, hall B" in page.get_data(as_text=True)
    assert browser(world.firm_b_user.email).get(f"/cases/{case.id}").status_code == 404
    row, = json_of(get(api, f"/requests/{case.id}.json", api_key=secret))
    assert row["description"] == case.description  # the title is its first line
    root = xml(post(api, "xml", api_key=secret, service_code="recruitment", description="XML"))
    assert root.tag == "service_requests" and children(root[0]) == FILED_FIELDS


def test_a_retry_with_an_idempotency_key_files_once(api, world):
    first_key, second_key = token(world.firm_a_user), token(world.firm_a_user)
    headers = {"Idempotency-Key": "erp-7"}
    first = post(api, headers=headers, api_key=first_key, service_code="recruitment",
                 description="Once")
    again = post(api, "xml", headers=headers, api_key=second_key, service_code="recruitment",
                 description="Once")  # the same person, another of their keys: the same call
    assert first.status_code == 201 and again.status_code == 200
    assert xml(again)[0].findtext("service_request_id") == \
        str(first.get_json()[0]["service_request_id"])
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1
    other = post(api, headers=headers, api_key=first_key, service_code="recruitment",
                 description="Another")
    assert "Idempotency-Key" in assert_error(other, 400)
    bad = post(api, headers={"Idempotency-Key": "two words"}, api_key=first_key,
               service_code="recruitment", description="x")
    assert_error(bad, 400)
    refused = post(api, headers={"Idempotency-Key": "erp-8"}, api_key=first_key,
                   service_code="building-permit", description="no floor area")
    assert_error(refused, 400)
    fixed = post(api, headers={"Idempotency-Key": "erp-8"}, api_key=first_key,
                 service_code="building-permit", description="with it",
                 **{"attribute[floor_area]": "10"})
    assert fixed.status_code == 201  # a refused call does not spend its key
    assert db.session.scalar(select(func.count()).select_from(Case)) == 2


def test_bad_filings_get_the_specs_error_body_and_file_nothing(api, world):
    a_measured_floor_area(world)
    write, read = token(world.firm_a_user), token(world.firm_a_user, "read")
    base = {"service_code": "recruitment", "description": "d"}
    refusals = [
        (403, {**base}),                                                   # no api_key
        (403, {**base, "api_key": "os_not-a-token"}),
        (403, {**base, "api_key": read}),                                  # may only read
        (403, {**base, "api_key": token(world.desk)}),                    # not a firm member
        (403, {**base, "api_key": token(world.univ_staff)}),
        (400, {"api_key": write, "description": "d"}),                    # no service_code
        (404, {"api_key": write, "service_code": "nope", "description": "d"}),
        (400, {"api_key": write, "service_code": "recruitment"}),          # no description
        (400, {"api_key": write, "service_code": "recruitment", "description": "   "}),
        (400, {**base, "api_key": write, "description": "x" * 4001}),
        (400, {**base, "api_key": write, "description": "bell\x07"}),
        (400, {**base, "api_key": write, "attribute[colour]": "red"}),     # no such attribute
        (400, {"api_key": write, "service_code": "building-permit", "description": "d"}),
        (400, {"api_key": write, "service_code": "building-permit", "description": "d",
               "attribute[floor_area]": "lots"}),
        (400, {"api_key": write, "service_code": "building-permit", "description": "d",
               "attribute[floor_area]": "1", "attribute[DOCUMENTS][]": "5"}),
        (400, {"api_key": write, "service_code": "building-permit", "description": "d",
               "attribute[floor_area]": "1", "attribute[DOCUMENTS][]": "first"}),
    ]
    for status, form in refusals:
        for fmt in ("json", "xml"):
            assert_error(post(api, fmt, **form), status, fmt)
    missing = assert_error(post(api, service_code="building-permit", description="d",
                                api_key=write, locale="en"), 400)
    assert missing == "attribute[floor_area]: Fill in every required field."
    assert assert_error(post(api, service_code="building-permit", description="d",
                             api_key=write), 400).startswith("attribute[floor_area]: ")
    assert "api_key" in assert_error(post(api, locale="en", **base), 403)
    world.firm_a_user.is_enabled = False
    db.session.commit()
    assert_error(post(api, api_key=write, **base), 403)
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_staff_who_must_set_up_two_step_sign_in_are_refused(api, world):
    from onestop.accounts.twofactor import set_staff_two_factor

    secret = token(world.desk, "read")
    set_staff_two_factor(world.admin, True, now=utcnow())
    db.session.commit()
    assert "2단계" in assert_error(get(api, "/requests.json", api_key=secret), 403)


def test_the_list_filters_and_their_default_window(api, world):
    secret = token(world.firm_a_user, "read")
    old = cases.file_case(world.firm_a_user, world.hiring_type, title="old", description="d",
                          priority="normal", form_data={}, checked_items=[], files=[],
                          now=utcnow() - timedelta(days=100))
    new = file_case(world, "new")
    permit = cases.file_case(world.firm_a_user, world.permit_type, title="permit",
                             description="d", priority="normal",
                             form_data={"floor_area": "1"}, checked_items=[], files=[],
                             now=utcnow() - timedelta(days=1))
    db.session.commit()

    def seen(**args):
        response = get(api, "/requests.json", api_key=secret, **args)
        assert response.status_code == 200, response.get_data(as_text=True)
        return [row["service_request_id"] for row in response.get_json()]

    assert seen() == [new.id, permit.id]  # the most recent 90 days
    assert seen(service_code="building-permit") == [permit.id]
    assert seen(service_code="building-permit,recruitment") == [new.id, permit.id]
    start = (utcnow() - timedelta(days=120)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert seen(start_date=start) == [old.id]  # the 90 days from it
    assert seen(start_date=start, end_date=(utcnow() - timedelta(days=50)).isoformat()) == \
        [old.id]
    two_days_ago = (utcnow() - timedelta(days=2)).astimezone(SEOUL).isoformat()
    assert seen(start_date=two_days_ago, end_date=(utcnow() - timedelta(hours=1)).isoformat()) \
        == [permit.id]  # both ends given, each with its own offset
    # A "+" of an offset that the query string turned into a space is read as meant.
    spaced = (utcnow() + timedelta(hours=9, minutes=1)).strftime("%Y-%m-%dT%H:%M:%S 09:00")
    assert new.id in seen(end_date=spaced)
    assert seen(service_request_id=f"{old.id}, {new.id}", status="closed") == [new.id, old.id]
    for args in ({"start_date": "yesterday"}, {"start_date": "2026-01-01"},
                 {"end_date": "2026-01-01T00:00:00"},  # no offset
                 {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-05-01T00:00:00Z"},
                 {"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"},
                 {"start_date": "0001-01-01T00:00:00Z"},
                 {"status": "pending"}, {"service_request_id": "1,two"}):
        assert_error(get(api, "/requests.json", api_key=secret, **args), 400)
        assert_error(get(api, "/requests.xml", api_key=secret, **args), 400, "xml")
    assert_error(get(api, "/requests.json", api_key=secret, service_code="nope"), 404)
    assert seen(status="", service_code="", start_date="") == seen()  # sent empty: not sent


def test_a_token_resolves_to_its_request_for_a_key_that_may_see_it(api, world):
    case = file_case(world, "token")
    secret = token(world.firm_a_user, "read")
    assert json_of(get(api, f"/tokens/{case.id}.json", api_key=secret)) == \
        [{"service_request_id": case.id, "token": case.id}]
    root = xml(get(api, f"/tokens/{case.id}.xml", api_key=secret))
    assert root.tag == "service_requests" and children(root[0]) == ["service_request_id", "token"]
    assert_error(get(api, "/tokens/abc.json", api_key=secret), 404)


def test_unknown_routes_formats_and_methods_get_the_error_body(api, world):
    assert_error(get(api, "/services.csv"), 404)
    assert_error(get(api, "/nothing.xml"), 404, "xml")
    put = api.put(f"{BASE}/requests.xml")
    assert_error(put, 405, "xml") and "POST" in put.headers["Allow"]
    assert_error(get(api, "/requests/99999999999.json"), 404)
    assert_error(get(api, "/requests.json", api_key="garbage"), 403)
    assert "invalid" in assert_error(get(api, "/requests.json", api_key="garbage",
                                         locale="en"), 403).lower()


def test_a_key_past_its_rate_is_refused_with_retry_after(app, world, tmp_path):
    secret = create_token(world.firm_a_user, "busy", "read", 1, now=utcnow())[1]
    db.session.commit()
    web = create_app("test", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                     UPLOAD_DIR=str(tmp_path / "uploads"), API_RATE_LIMIT="2/minute",
                     API_RATE_LIMIT_STORAGE="memory://")

    def call():
        return contextvars.Context().run(web.test_client().get, f"{BASE}/requests.json",
                                         query_string={"api_key": secret})

    assert [call().status_code for _ in range(2)] == [200, 200]
    refused = call()
    assert_error(refused, 429) and 1 <= int(refused.headers["Retry-After"]) <= 60


def test_no_open311_route_answers_hostile_input_with_a_server_error(app, api, world):
    """The bad-input walk (test_bad_input.py) signs in by session, which Open311 ignores:
    here every parameter the endpoints read is hostile, with a firm's write key and the
    desk's, alone and all at once, in the path too."""
    from tests.web.test_bad_input import EVIL, HUGE

    case = file_case(world, "hostile")
    keys = [token(world.firm_a_user), token(world.desk)]
    query_names = ["service_request_id", "service_code", "start_date", "end_date", "status",
                   "locale", "jurisdiction_id"]
    form_names = ["service_code", "description", "attribute[floor_area]",
                  "attribute[DOCUMENTS][]", "attribute[x]", "lat", "long", "locale",
                  "address_string", "media_url"]
    valid = {"service_code": "building-permit", "description": "d",
             "attribute[floor_area]": "1"}
    paths = ["/discovery.json", "/services.xml", "/services/building-permit.json",
             f"/services/{HUGE}.xml", "/services/a%00b.json", "/requests.json",
             f"/requests/{case.id}.xml", f"/requests/{HUGE}.json", f"/tokens/{case.id}.json",
             f"/tokens/{HUGE}.xml", "/tokens/a%00b.json"]
    failures = []
    for key in [*keys, "os_not-a-token", HUGE, ""]:
        for path in paths:
            sent = [{name: evil for name in query_names} for evil in EVIL]
            sent += [{name: evil} for name in query_names for evil in EVIL]
            for query in sent:
                response = get(api, path, api_key=key, **query)
                if response.status_code >= 500:
                    failures.append(f"GET {path} {query!r}: {response.status_code}")
        forms = [{name: evil for name in form_names} for evil in EVIL]
        forms += [{**valid, name: evil} for name in form_names for evil in EVIL]
        for number, form in enumerate(forms):
            for fmt in ("json", "xml"):  # the XML ones with a key of their own
                headers = {"Idempotency-Key": f"walk-{number}"} if fmt == "xml" else {}
                response = post(api, fmt, headers=headers, api_key=key, **form)
                if response.status_code >= 500:
                    failures.append(f"POST {fmt} {form!r}: {response.status_code}")
    assert not failures, "\n".join(failures[:20])
