"""The council's monthly report: the page and its PDF, rendered by the server in Korean."""
from datetime import date

from onestop.commitments.models import ActualReport, Agreement, Target
from onestop.extensions import db
from onestop.reports.council import last_full_month, month_bounds


def test_the_month_defaults_to_the_last_full_one():
    assert last_full_month(date(2026, 12, 4)) == date(2026, 11, 1)
    assert last_full_month(date(2027, 1, 1)) == date(2026, 12, 1)
    start, end = month_bounds(date(2026, 2, 1))
    assert (start.isoformat(), end.isoformat()) == ("2026-02-01T00:00:00+09:00",
                                                    "2026-03-01T00:00:00+09:00")


def _agreement(world):
    agreement = Agreement(firm=world.firm_a, signed_on=date(2024, 11, 20))
    agreement.targets.append(Target(measure="investment", phase=1, year=2025, amount=250_000_000_000,
                                    report_due_on=date(2026, 1, 31)))
    db.session.add(agreement)
    db.session.add(ActualReport(firm=world.firm_a, measure="investment", year=2025, phase=1,
                                amount=100_000_000_000, status="verified",
                                submitted_by=world.firm_a_user))
    db.session.commit()


def test_the_page_is_in_korean_whatever_the_reader_chose(browser, world):
    _agreement(world)
    desk = browser("desk@test.example")
    desk.post("/language", {"locale": "en"})
    page = desk.get("/reports/council?month=2026-11")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "2026년 11월" in html and "Alpha Carbon" in html
    assert desk.get("/reports/council?month=2026-13").status_code == 400
    assert desk.get("/reports/council?month=11-2026").status_code == 400
    assert desk.get("/reports/council.pdf?month=0001-01").status_code == 400


def test_the_pdf_is_a_pdf_of_the_month(browser, world):
    _agreement(world)
    response = browser("desk@test.example").get("/reports/council.pdf?month=2026-11")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert response.headers["Content-Disposition"].endswith('council-report-2026-11.pdf"')
    assert browser("ceo@alpha.test").get("/reports/council.pdf?month=2026-11").status_code == 403
