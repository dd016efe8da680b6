"""Firms, their agreements and reports of actuals, and the zone's promises through the API:
a firm reports with evidence, its officer verifies with If-Match, and the zone's figures
move; nobody reads another firm's."""
import io

from onestop.extensions import db
from tests.commitments_world import BILLION, agreements
from tests.factories import PDF
from tests.web.api_client import PROBLEM, auth, token


def _target(world, firm, measure, year) -> int:
    db.session.expire_all()
    return next(t.id for t in firm.agreement.targets if (t.measure, t.year) == (measure, year))


def _report(api, world, headers, target, amount="30", note='"007"'):
    return api.post(f"/api/v1/firms/{world.firm_a.id}/reports", headers=headers,
                    content_type="multipart/form-data",
                    data={"target": str(target), "amount": amount, "note": note,
                          "files": (io.BytesIO(PDF), "급여대장.pdf")})


def test_a_firm_reports_its_actuals_and_its_officer_verifies_them(api, world):
    agreements(world)
    world.firm_a.account_officer = world.desk
    db.session.commit()
    firm, desk = auth(token(world.firm_a_user)), auth(token(world.desk))
    jobs_2025 = _target(world, world.firm_a, "jobs", 2025)

    made = _report(api, world, firm, jobs_2025)
    assert made.status_code == 201, made.get_json()
    report = made.get_json()
    assert (report["measure"], report["year"], report["amount"], report["status"]) == \
        ("jobs", 2025, 30, "submitted")
    assert report["note"] == '"007"', "the note is kept as typed, not read as JSON"
    assert api.get(made.headers["Location"], headers=firm).status_code == 200

    url = f"/api/v1/reports/{report['id']}/moves"
    assert api.post(url, json={"action": "verify"}, headers=desk).status_code == 428
    assert api.post(url, json={"action": "verify"}, headers=firm).status_code == 403
    stale = api.post(url, json={"action": "verify"}, headers={**desk, "If-Match": '"0"'})
    assert stale.status_code == 412 and stale.mimetype == PROBLEM
    verified = api.post(url, json={"action": "verify"},
                        headers={**desk, "If-Match": made.headers["ETag"]})
    assert verified.status_code == 200 and verified.get_json()["status"] == "verified"
    again = api.post(url, json={"action": "return", "reason": "x"},
                     headers={**desk, "If-Match": verified.headers["ETag"]})
    assert again.status_code == 409

    commitments = api.get(f"/api/v1/firms/{world.firm_a.id}/commitments",
                          headers=firm).get_json()
    assert [t["year"] for t in commitments["agreement"]["targets"]] == [2025, 2025, 2026, 2026]
    assert commitments["progress"]["jobs"]["verified"] == 30
    assert commitments["progress"]["investment"]["promised"] == 200 * BILLION
    assert [r["id"] for r in commitments["reports"]] == [report["id"]]

    zone = api.get("/api/v1/zone", headers=desk).get_json()
    assert zone["total"]["jobs"]["verified"] == 30
    assert zone["total"]["jobs"]["promised"] == 150, "firm A's 100 and firm B's 50"
    assert {f["name"] for f in zone["firms"]} >= {world.firm_a.name, world.firm_b.name}


def test_reports_are_refused_as_the_page_refuses_them_and_stay_with_their_firm(api, world):
    agreements(world)
    db.session.commit()
    firm_a, firm_b = auth(token(world.firm_a_user)), auth(token(world.firm_b_user))
    jobs_2025 = _target(world, world.firm_a, "jobs", 2025)
    b_target = _target(world, world.firm_b, "jobs", 2025)
    assert _report(api, world, firm_a, b_target).status_code == 404, "another firm's target"
    assert _report(api, world, firm_b, jobs_2025).status_code == 404, "another firm"
    negative = _report(api, world, firm_a, jobs_2025, amount="-1")
    assert negative.status_code == 422 and negative.get_json()["errors"][0]["field"] == "amount"
    digits = _report(api, world, firm_a, jobs_2025, amount="9" * 5000)
    assert digits.status_code == 422 and digits.get_json()["errors"][0]["field"] == "amount"
    long_note = _report(api, world, firm_a, jobs_2025, note="x" * 4001)
    assert long_note.status_code == 422 and long_note.get_json()["errors"][0]["field"] == "note"
    assert api.get(f"/api/v1/firms/{world.firm_a.id}/commitments",
                   headers=firm_b).status_code == 404
    assert api.get(f"/api/v1/firms/{world.firm_a.id}/commitments",
                   headers=firm_a).get_json()["reports"] == []
    partner = auth(token(world.union_staff))
    assert api.get("/api/v1/firms", headers=partner).status_code == 403
    assert api.get("/api/v1/zone", headers=firm_a).status_code == 403
    names = [f["name"] for f in api.get("/api/v1/firms", headers=auth(token(world.desk)))
             .get_json()["items"]]
    assert names == sorted(names) and world.firm_b.name in names


def test_a_retried_report_counts_once(api, world):
    agreements(world)
    db.session.commit()
    firm = {**auth(token(world.firm_a_user)), "Idempotency-Key": "erp-actuals-2025-jobs"}
    jobs_2025 = _target(world, world.firm_a, "jobs", 2025)
    first = _report(api, world, firm, jobs_2025)
    again = _report(api, world, firm, jobs_2025)
    assert (first.status_code, again.status_code) == (201, 303)
    assert again.headers["Location"] == first.headers["Location"]
    reports = api.get(f"/api/v1/firms/{world.firm_a.id}/commitments",
                      headers=firm).get_json()["reports"]
    assert len(reports) == 1
