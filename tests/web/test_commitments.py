"""The commitments pages: reporting from the firm's page, the officer's list, download and
review; bad input answered with a message, repeats done once, tenancy."""
import re

import pytest
from sqlalchemy import func, select

from onestop.commitments.models import ActualReport, CommitmentFile
from onestop.extensions import db
from onestop.notifications.models import Notification
from tests.commitments_world import agreements, report
from tests.factories import PDF
from tests.web.helpers import upload, version_of


@pytest.fixture
def signed(world):
    for user in (world.firm_a_user, world.firm_b_user, world.desk, world.union_lead):
        user.locale = "en"  # the messages below are matched in English
    made = agreements(world)
    db.session.commit()
    return made


def target_of(world, firm, measure="investment", year=2026) -> str:
    db.session.expire_all()
    return str(next(t.id for t in firm.agreement.targets if (t.measure, t.year) == (measure, year)))


def once(html: str) -> str:
    form = re.search(r'action="/commitments/reports"(.*?)</form>', html, re.S).group(1)
    return re.search(r'name="once" type="hidden" value="([^"]+)"', form).group(1)


def reports() -> list[ActualReport]:
    db.session.expire_all()
    return db.session.scalars(select(ActualReport).order_by(ActualReport.id)).all()


def test_the_firm_reports_from_its_page_and_the_officer_verifies(browser, world, signed):
    firm = browser("ceo@alpha.test")
    page = firm.get("/commitments/").get_data(as_text=True)
    assert "Alpha Carbon" in page and "desk@test.example" in page
    response = firm.post("/commitments/reports", {
        "once": once(page), "target": target_of(world, world.firm_a), "amount": "1,200,000,000",
        "note": "second line", "files": upload("statement.pdf", PDF)})
    assert response.status_code == 303
    (r,) = reports()
    assert (r.amount, r.year, r.measure, r.phase) == (1_200_000_000, 2026, "investment", 2)
    desk = browser("desk@test.example")
    assert f"/commitments/reports/{r.id}" in desk.get("/").get_data(as_text=True)
    queue = desk.get("/commitments/to-verify").get_data(as_text=True)
    assert f"/commitments/reports/{r.id}" in queue
    csv = desk.get("/commitments/to-verify?fmt=csv").get_data(as_text=True)
    assert csv.startswith("\ufeff") and "1200000000" in csv and "Alpha Carbon" in csv
    xlsx = desk.get("/commitments/to-verify?fmt=xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    review = desk.get(f"/commitments/reports/{r.id}").get_data(as_text=True)
    assert "statement.pdf" in review
    answer = desk.post(f"/commitments/reports/{r.id}/verify",
                       {"version": version_of(review, "verify")})
    assert answer.status_code == 303
    assert reports()[0].status == "verified"
    mine = firm.get("/commitments/").get_data(as_text=True)
    assert "Verified by the officer" in mine and "verified the report" in mine
    home = firm.get("/").get_data(as_text=True)
    assert "desk@test.example" in home and "1,200,000,000" in home


def test_a_repeated_submit_reports_once(browser, world, signed):
    firm = browser("ceo@alpha.test")
    token = once(firm.get("/commitments/").get_data(as_text=True))
    for _ in range(2):
        response = firm.post("/commitments/reports", {
            "once": token, "target": target_of(world, world.firm_a), "amount": "5",
            "files": upload("e.pdf", PDF)})
        assert response.status_code == 303
    assert len(reports()) == 1


@pytest.mark.parametrize("data,message", [
    ({"amount": "twelve"}, "Write a whole number"),
    ({"amount": "12,34"}, "Write a whole number"),
    ({"amount": ""}, "This field is required"),
    ({"files": None}, "Attach at least one piece of evidence"),
    ({"files": ("evil.exe", b"MZ")}, "not accepted"),
    ({"target": "abc"}, "Invalid Choice"),
])
def test_bad_input_is_answered_on_the_form_not_with_a_500(browser, world, signed, data, message):
    firm = browser("ceo@alpha.test")
    page = firm.get("/commitments/").get_data(as_text=True)
    form = {"once": once(page), "target": target_of(world, world.firm_a), "amount": "5",
            "files": upload("e.pdf", PDF)}
    for key, value in data.items():
        if value is None:
            form.pop(key)
        else:
            form[key] = upload(*value) if key == "files" else value
    response = firm.post("/commitments/reports", form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert reports() == []


def test_a_good_file_of_a_refused_report_is_kept_for_the_next_try(browser, world, signed):
    firm = browser("ceo@alpha.test")
    page = firm.get("/commitments/").get_data(as_text=True)
    response = firm.post("/commitments/reports", {
        "once": once(page), "target": target_of(world, world.firm_a), "amount": "many",
        "files": upload("kept.pdf", PDF)})
    html = response.get_data(as_text=True)
    kept = re.search(r'name="kept" value="(\d+)"', html).group(1)
    firm.post("/commitments/reports", {"once": once(html), "kept": kept, "amount": "9",
                                       "target": target_of(world, world.firm_a)})
    (r,) = reports()
    assert [f.filename for f in r.files] == ["kept.pdf"]


def test_a_stale_verdict_is_refused_with_a_message(browser, world, signed):
    r = report(world.firm_a_user, world.firm_a)
    db.session.commit()
    desk = browser("desk@test.example")
    page = desk.get(f"/commitments/reports/{r.id}").get_data(as_text=True)
    stale = version_of(page, "verify")
    assert desk.post(f"/commitments/reports/{r.id}/return",
                     {"version": version_of(page, "return"), "reason": "Missing"}
                     ).status_code == 303
    answer = desk.post(f"/commitments/reports/{r.id}/verify", {"version": stale})
    assert answer.status_code == 409 and "changed this meanwhile" in answer.get_data(as_text=True)
    empty = desk.post(f"/commitments/reports/{r.id}/return", {"version": stale, "reason": ""})
    assert empty.status_code == 422
    assert reports()[0].status == "returned"


def test_another_firm_never_sees_a_firms_reports_files_or_history(browser, world, signed):
    r = report(world.firm_a_user, world.firm_a, note="ALPHA-SECRET-NOTE")
    db.session.commit()
    beta = browser("ceo@beta.test")
    assert beta.get(f"/commitments/reports/{r.id}").status_code == 404
    assert beta.get(f"/commitments/files/{r.files[0].id}").status_code == 404
    assert beta.get(f"/firms/{world.firm_a.id}").status_code == 404
    for page in ("/commitments/", "/", "/notifications"):
        assert "ALPHA-SECRET-NOTE" not in beta.get(page).get_data(as_text=True)
    partner = browser("lead@union.test")
    assert partner.get(f"/commitments/reports/{r.id}").status_code == 404
    assert partner.get(f"/commitments/files/{r.files[0].id}").status_code == 404
    assert partner.get("/commitments/").status_code == 403
    # Posting for another firm's target: it does not exist for them.
    page = beta.get("/commitments/").get_data(as_text=True)
    answer = beta.post("/commitments/reports", {
        "once": once(page), "target": target_of(world, world.firm_a), "amount": "1",
        "files": upload("e.pdf", PDF)})
    assert answer.status_code == 404 and len(reports()) == 1


def test_the_bell_opens_the_report_a_notification_is_about(browser, world, signed):
    r = report(world.firm_a_user, world.firm_a)
    db.session.commit()
    desk = browser("desk@test.example")
    bell = desk.get("/notifications").get_data(as_text=True)
    assert "Report of actuals to verify" in bell and "Alpha Carbon reported" in bell
    row_id = db.session.scalar(select(func.max(Notification.id)))
    answer = desk.post(f"/notifications/{row_id}/open", {})
    assert answer.headers["Location"].endswith(f"/commitments/reports/{r.id}")


def test_commitment_pages_read_as_many_statements_for_many_reports(browser, world, signed):
    from onestop.commitments import services
    from tests.web.test_query_counts import count_queries

    def add_reports(n):
        for _ in range(n):  # each returned, then reported again: reports, files, history grow
            r = report(world.firm_a_user, world.firm_a, measure="jobs", year=2025, amount=3)
            services.return_report(world.desk, r, "again", now=r.submitted_at)
        db.session.commit()

    pages = [("ceo@alpha.test", "/commitments/"), ("ceo@alpha.test", "/"),
             ("desk@test.example", "/commitments/to-verify"),
             ("desk@test.example", f"/firms/{world.firm_a.id}")]
    add_reports(2)
    report(world.firm_a_user, world.firm_a)  # one waiting, in the officer's list
    db.session.commit()
    few = [count_queries(browser, email, url) for email, url in pages]
    add_reports(15)
    report(world.firm_b_user, world.firm_b)
    db.session.commit()
    many = [count_queries(browser, email, url) for email, url in pages]
    assert few == many, list(zip(pages, few, many, strict=True))


def _documents_once(html: str) -> str:
    form = re.search(r'action="/firms/\d+/agreement-documents"(.*?)</form>', html, re.S).group(1)
    return re.search(r'name="once" type="hidden" value="([^"]+)"', form).group(1)


def test_the_officer_files_the_agreements_documents_and_the_firm_reads_them(browser, world,
                                                                           signed):
    desk = browser("desk@test.example")
    page = desk.get(f"/firms/{world.firm_a.id}").get_data(as_text=True)
    url = f"/firms/{world.firm_a.id}/agreement-documents"
    # Nothing chosen: the page says so, nothing is filed.
    refused = desk.post(url, {"once": _documents_once(page)})
    assert refused.status_code == 422
    landed = desk.post(url, {"once": _documents_once(page),
                             "files": upload("signed-agreement.pdf", PDF)})
    assert landed.status_code == 303
    # The same form sent again files nothing more.
    desk.post(url, {"once": _documents_once(page), "files": upload("signed-agreement.pdf", PDF)})
    db.session.expire_all()
    files = db.session.scalars(select(CommitmentFile).where(
        CommitmentFile.agreement_id.is_not(None))).all()
    assert [(f.filename, f.firm_id) for f in files] == [("signed-agreement.pdf", world.firm_a.id)]
    mine = browser("ceo@alpha.test").get("/commitments/").get_data(as_text=True)
    assert "signed-agreement.pdf" in mine
    assert browser("ceo@alpha.test").get(f"/commitments/files/{files[0].id}").data == PDF
    assert browser("ceo@beta.test").get(f"/commitments/files/{files[0].id}").status_code == 404
    history = desk.get(f"/firms/{world.firm_a.id}").get_data(as_text=True)
    assert "signed-agreement.pdf" in history
