"""The zone view, its downloads and the public zone page, against figures worked out by hand.

Due dates lie far in the past or far in the future, so what is due does not depend on the
day the suite runs."""
import csv
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook

from onestop.accounts.models import Role
from onestop.commitments.models import ActualReport, Agreement, Incentive, Target
from onestop.extensions import db
from onestop.firms.models import Firm
from tests.factories import make_user

EOK = 100_000_000
PAST, FUTURE = date(2025, 1, 31), date(2099, 1, 31)
UNNAMED = "CANARY-UNNAMED-FIRM-7b3e"
OFFICER_NAME, OFFICER_EMAIL = "CANARY-OFFICER-2d9c", "canary-officer-5a1f@city.example"
NAMED = "Gamma Named Carbon"
# The page's order: behind first, the larger incentive at risk first; then by name.
ORDER = ["Alpha Carbon", "Beta Composite", UNNAMED, NAMED]


def agreement(firm, rule, targets, incentives=()):
    agreement = Agreement(firm=firm, signed_on=date(2024, 11, 20), clawback_rule=rule)
    for measure, phase, year, amount, due_on in targets:
        agreement.targets.append(Target(measure=measure, phase=phase, year=year, amount=amount,
                                        report_due_on=due_on))
    for measure, amount, percent in incentives:
        agreement.incentives.append(Incentive(name="보조금", measure=measure, amount=amount,
                                              recoverable_percent=percent))
    db.session.add(agreement)


def report(firm, user, measure, year, phase, amount, status):
    db.session.add(ActualReport(firm=firm, measure=measure, year=year, phase=phase,
                                amount=amount, status=status, submitted_by=user))


@pytest.fixture
def zone(world):
    w = world
    # Alpha: 400억 short of 1,000억 due (50% of a 100억 subsidy recoverable → 20억 at risk);
    # ahead on jobs (45 of 40 due); 250억 waiting for verification; a returned report ignored.
    agreement(w.firm_a, "proportional",
              [("investment", 1, 2025, 1000 * EOK, PAST), ("investment", 2, 2027, 2000 * EOK, FUTURE),
               ("jobs", 1, 2025, 40, PAST), ("jobs", 2, 2027, 60, FUTURE)],
              [("investment", 100 * EOK, 50), ("jobs", 10 * EOK, 100)])
    report(w.firm_a, w.firm_a_user, "investment", 2025, 1, 600 * EOK, "verified")
    report(w.firm_a, w.firm_a_user, "investment", 2027, 2, 250 * EOK, "submitted")
    report(w.firm_a, w.firm_a_user, "jobs", 2025, 1, 45, "verified")
    report(w.firm_a, w.firm_a_user, "jobs", 2025, 1, 10, "returned")
    # Beta: one job short under all-or-nothing: the whole 80% of 3억 (2.4억) at risk.
    agreement(w.firm_b, "all_or_nothing",
              [("investment", 1, 2025, 500 * EOK, PAST), ("jobs", 1, 2025, 30, PAST)],
              [("jobs", 3 * EOK, 80)])
    report(w.firm_b, w.firm_b_user, "investment", 2025, 1, 500 * EOK, "verified")
    report(w.firm_b, w.firm_b_user, "jobs", 2025, 1, 29, "verified")
    # Two firms with nothing due yet; one agreed to be named publicly.
    officer = make_user(OFFICER_EMAIL, Role.CASEWORKER, name=OFFICER_NAME)
    unnamed = Firm(name=UNNAMED, brn="3148120452", industry="x", site="y", phase=2,
                   account_officer=officer)
    named = Firm(name=NAMED, brn="4158631029", industry="x", site="y", phase=3,
                 account_officer=officer, is_named_publicly=True)
    agreement(unnamed, "proportional", [("investment", 2, 2027, 200 * EOK, FUTURE),
                                        ("jobs", 2, 2027, 10, FUTURE)])
    agreement(named, "proportional", [("investment", 3, 2028, 300 * EOK, FUTURE),
                                      ("jobs", 3, 2028, 20, FUTURE)])
    db.session.commit()
    return {"unnamed": unnamed, "named": named}


def firm_rows(html: str) -> dict[str, list[str]]:
    """Each firm of the by-firm table: its cells' text, in the page's order."""
    rows = {}
    for body in re.findall(r'<tbody class="firm[^"]*">(.*?)</tbody>', html, re.S):
        name = re.search(r'<a href="/firms/\d+">([^<]+)</a>', body).group(1)
        rows[name] = re.findall(r'<td class="num[^"]*"[^>]*>([^<]*)</td>', body)
    return rows


def test_the_zone_view_shows_the_hand_computed_figures(browser, zone):
    desk = browser("desk@test.example")
    html = desk.get("/").get_data(as_text=True)
    assert 'href="/reports/zone"' in html
    response = desk.get("/reports/zone")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # Zone: 1,100억 verified of 4,000억 promised; 74 of 160 jobs; two of four firms behind,
    # 400억 and one job short; 20억 + 2.4억 at risk; 250억 waiting apart.
    for text in ("1,100억 원", "투자 확인 (협약 목표 4,000억 원의 28%)", "74명",
                 "고용 확인 (협약 목표 160명의 46%)", "4곳 중 2곳", "미달분 투자 400억 원, 고용 1명",
                 "22.4억 원", "투자 250억 원, 고용 0명"):
        assert text in html, text
    rows = firm_rows(html)
    assert list(rows) == ORDER
    # promised, due, verified, pending, shortfall (investment); the incentive at risk;
    # the same five for jobs.
    assert rows["Alpha Carbon"] == [
        "300,000,000,000", "100,000,000,000", "60,000,000,000", "25,000,000,000",
        "40,000,000,000", "2,000,000,000", "100", "40", "45", "0", "0"]
    assert rows["Beta Composite"] == [
        "50,000,000,000", "50,000,000,000", "50,000,000,000", "0", "0", "240,000,000",
        "30", "30", "29", "0", "1"]
    assert html.count('<span class="badge due-overdue">') == 2
    for firm_id in (zone["unnamed"].id, zone["named"].id):
        assert f'href="/firms/{firm_id}"' in html


def test_phase_and_year_tables(browser, zone):
    html = browser("admin@test.example").get("/reports/zone").get_data(as_text=True)
    cells = re.findall(r'<th scope="row">([^<]+)</th>\s*<td class="measure"[^>]*>([^<]+)</td>'
                       r'((?:\s*<td class="num"[^>]*>[^<]*</td>)+)', html)
    table = [(head, measure, re.findall(r">([^<]*)</td>", numbers))
             for head, measure, numbers in cells]
    assert ("2단계", "투자(원)", ["220,000,000,000", "0", "0", "25,000,000,000", "0%"]) in table
    assert ("1단계", "고용", ["70", "70", "74", "0", "100%"]) in table
    assert ("2028", "투자(원)", ["30,000,000,000", "0", "0", "0", "0%"]) in table
    assert ("2025", "투자(원)", ["150,000,000,000", "150,000,000,000", "110,000,000,000", "0",
                                 "73%"]) in table


def _csv(response):
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def _xlsx(response):
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


@pytest.mark.parametrize("email", ["desk@test.example", "admin@test.example"])
def test_downloads_hold_the_rows_of_the_page(browser, zone, email):
    staff = browser(email)
    page = staff.get("/reports/zone").get_data(as_text=True)
    shown = list(firm_rows(page))
    assert sorted(re.findall(r'href="(/reports/zone/\w+\.\w+)"', page)) == [
        f"/reports/zone/{table}.{fmt}" for table in ("firms", "phases", "years")
        for fmt in ("csv", "xlsx")]
    table = _csv(staff.get("/reports/zone/firms.csv", buffered=True))
    assert [row[0] for row in table[1:]] == shown == ORDER
    assert table[1][:9] == ["Alpha Carbon", "1", "desk", "300000000000", "100000000000",
                            "60000000000", "25000000000", "40000000000", "100"]
    assert table[1][-2:] == ["2000000000", "예"]
    sheet = _xlsx(staff.get("/reports/zone/firms.xlsx", buffered=True))
    assert [row[0] for row in sheet[1:]] == ORDER
    assert sheet[2][-2:] == [240_000_000, "예"] and sheet[3][-2:] == [0, "아니요"]
    phases = _csv(staff.get("/reports/zone/phases.csv", buffered=True))
    assert [row[:4] for row in phases[1:]] == [["1", "150000000000", "150000000000",
                                                "110000000000"],
                                               ["2", "220000000000", "0", "0"],
                                               ["3", "30000000000", "0", "0"]]
    years = _xlsx(staff.get("/reports/zone/years.xlsx", buffered=True))
    assert [row[0] for row in years[1:]] == [2025, 2027, 2028]
    assert years[2][4] == 250 * EOK  # pending, 2027


@pytest.mark.parametrize("email", ["ceo@alpha.test", "ceo@beta.test", "staff@union.test",
                                   "lead@union.test"])
def test_firms_and_partners_get_neither_the_view_nor_the_downloads(browser, zone, email):
    other = browser(email)
    assert 'href="/reports/zone"' not in other.get("/").get_data(as_text=True)
    for url in ("/reports/zone", "/reports/zone/firms.csv", "/reports/zone/phases.xlsx"):
        response = other.get(url)
        assert response.status_code == 403
        assert UNNAMED not in response.get_data(as_text=True)


def test_signed_out_visitors_are_sent_to_sign_in(browser, zone):
    response = browser().get("/reports/zone/firms.csv")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_public_page_needs_no_sign_in_and_names_only_firms_that_agreed(browser, zone):
    visitor = browser()
    assert 'href="/zone"' in visitor.get("/login").get_data(as_text=True)
    response = visitor.get("/zone")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for text in ("1,100억 원", "4,000억 원", "74명", "160명", NAMED, "이 밖에", "3곳"):
        assert text in html, text
    for secret in (UNNAMED, "Alpha Carbon", "Beta Composite", OFFICER_NAME, OFFICER_EMAIL,
                   "desk@test.example", "@", "25,000,000,000", "250억", "22.4억"):
        assert secret not in html, secret


def test_public_page_in_english_by_its_address(browser, zone):
    response = browser().get("/zone?lang=en")
    html = response.get_data(as_text=True)
    assert response.headers["Content-Language"] == "en"
    assert '<html lang="en">' in html and "KRW 110.0 bn" in html
    assert 'href="/zone"' in html  # back to Korean
    assert UNNAMED not in html


def test_public_page_is_cacheable_and_answers_conditional_requests(browser, zone):
    visitor = browser()
    response = visitor.get("/zone")
    assert response.cache_control.public and response.cache_control.max_age == 300
    assert "Set-Cookie" not in response.headers
    etag = response.headers["ETag"]
    again = visitor.get("/zone", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    # A signed-in reader's page carries their name: never stored.
    signed_in = browser("desk@test.example").get("/zone")
    assert signed_in.status_code == 200
    assert signed_in.headers["Cache-Control"] == "no-store"
    assert UNNAMED not in signed_in.get_data(as_text=True)


def test_the_zone_view_with_no_agreements(browser, world):
    html = browser("desk@test.example").get("/reports/zone").get_data(as_text=True)
    assert "아직 협약을 맺은 기업이 없습니다." in html
    assert browser().get("/zone").status_code == 200
