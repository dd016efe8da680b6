"""The service performance page, its downloads per role, and the firm's satisfaction answer."""
import csv
import html
import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import event

from onestop.cases import services as cases
from onestop.db import utcnow
from onestop.extensions import db
from onestop.tasks import services as tasks
from tests import service_data
from tests.web.helpers import latest_case

PERIOD = "first=2026-09-01&last=2026-11-30"


def table(page: str, table_id: str) -> list[list[str]]:
    """The rows (row header first) of a table of the page, as shown."""
    body = re.search(rf'<table class="figures" id="{table_id}">(.*?)</table>', page, re.S)[1]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body.split("</thead>")[1], re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        rows.append([html.unescape(c).strip() for c in cells])
    return rows


def downloaded(response, fmt: str) -> list[list[str]]:
    if fmt == "csv":
        text = response.get_data().decode("utf-8")
        assert text.startswith("\ufeff"), "a byte-order mark, for Excel"
        return list(csv.reader(io.StringIO(text[1:])))
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


def number(cell) -> float | None:
    """A figure as a number, whether the page wrote it (1,747.0 / 72.7% / —) or a download."""
    if cell in ("", "—", None):
        return None
    return float(str(cell).replace(",", "").removesuffix("%"))


@pytest.fixture
def figures(world):
    service_data.build(world)


@pytest.fixture
def signed_in(browser):
    """A browser signed in as this user, speaking English."""
    def sign_in(email):
        b = browser(email)
        b.post("/language", {"locale": "en"})
        return b
    return sign_in


def test_the_desk_sees_every_partner_with_the_hand_computed_figures(signed_in, figures):
    page = signed_in("desk@test.example").get(f"/reports/service?{PERIOD}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    work = table(text, "work")
    assert [row[0] for row in work] == ["Building permits", "Labor union council",
                                      "University foundation", "All partners"]
    permits, union, univ, total = work
    # Done, on time, share, median and 90th percentile (working days), satisfaction, answers.
    assert permits[4:] == ["11", "8", "72.7%", "0.8", "1.3", "3.0", "1"]
    assert union[4:] == ["4", "3", "75.0%", "2.0", "5.0", "3.7", "3"]
    assert univ[4:] == ["2", "1", "50.0%", "0.5", "1.5", "2.0", "1"]
    assert total[4:] == ["17", "12", "70.6%", "1.0", "3.0", "3.5", "4"]
    time = table(text, "time")
    assert time[-1][1:] == ["170.0", "10.0", "7.0", "0.4", "286.0", "16.8"]
    assert text.count('role="img"') == 2, "the on-time bars and the monthly trend"
    assert "72.7% (8/11)" in text and "2026-09" in text


def test_by_request_type_the_desks_own_time_shows(signed_in, figures):
    text = signed_in("admin@test.example").get(
        f"/reports/service?{PERIOD}&group=request_type").get_data(as_text=True)
    time = table(text, "time")
    assert [row[0] for row in time] == ["Recruitment support", "Building permit",
                                      "All request types"]
    assert [row[-1] for row in time] == ["2.0", "8.0", "3.0"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("email,group", [("desk@test.example", "organization"),
                                         ("desk@test.example", "request_type"),
                                         ("staff@univ.test", "organization"),
                                         ("staff@univ.test", "request_type")])
def test_a_download_holds_exactly_the_rows_the_page_shows(signed_in, figures, email, group,
                                                          fmt):
    b = signed_in(email)
    query = f"{PERIOD}&group={group}"
    text = b.get(f"/reports/service?{query}").get_data(as_text=True)
    shown = [[w[0]] + [number(cell) for cell in w[1:] + t[1:] + law[1:]]
             for w, t, law in zip(table(text, "work"), table(text, "time"), table(text, "law"),
                                  strict=True)]
    # The page's own link: the same period and grouping.
    link = html.unescape(re.search(rf'href="(/reports/service/download\.{fmt}\?[^"]+)"',
                                   text)[1])
    assert f"group={group}" in link and "table=" not in link
    response = b.get(link)
    assert response.status_code == 200
    header, *rows = downloaded(response, fmt)
    assert len(header) == len(shown[0])
    assert [[row[0]] + [number(v) for v in row[1:]] for row in rows] == shown


def test_a_partner_sees_and_downloads_its_own_organization_only(signed_in, figures):
    b = signed_in("staff@univ.test")
    text = b.get(f"/reports/service?{PERIOD}").get_data(as_text=True)
    assert [row[0] for row in table(text, "work")] == ["University foundation", "All partners"]
    body = b.get(f"/reports/service/download.csv?{PERIOD}").get_data().decode()
    assert "University foundation" in body
    assert "Labor union council" not in body and "Building permits" not in body
    months = b.get(f"/reports/service/download.csv?{PERIOD}&table=months").get_data().decode()
    assert months.splitlines()[1:] == ["2026-09,1,0,0.0", "2026-10,1,1,100.0", "2026-11,0,0,"]


def test_the_months_download_is_the_trend(signed_in, figures):
    body = signed_in("desk@test.example").get(
        f"/reports/service/download.xlsx?{PERIOD}&table=months")
    assert [[m] + [number(v) for v in rest] for m, *rest in downloaded(body, "xlsx")[1:]] == [
        ["2026-09", 2, 1, 50.0], ["2026-10", 3, 2, 66.7], ["2026-11", 12, 9, 75.0]]


@pytest.mark.parametrize("url", ["/reports/service", "/reports/service/download.csv",
                                 "/reports/service/download.xlsx"])
def test_firms_are_refused(signed_in, figures, url):
    assert signed_in("ceo@alpha.test").get(url).status_code == 403


def test_the_page_opens_on_the_last_six_months(signed_in, figures):
    text = signed_in("desk@test.example").get("/reports/service").get_data(as_text=True)
    today = utcnow() + timedelta(hours=9)
    assert f'value="{today:%Y-%m-%d}"' in text
    assert len(re.findall(r'<circle cx=|<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="[\d.]+" '
                          r'class="chart-bar"', text)) >= 1
    assert text.count("<th scope=\"row\">") >= 6 + 3 + 1, "six months, three partners, total"


@pytest.mark.parametrize("query,message", [
    ("first=2026-13-01&last=2026-11-30", "Write the day as year-month-day"),
    ("first=2026-11-30&last=2026-09-01", "must be on or after the first day"),
    ("first=2000-01-01&last=2026-01-01", "at most ten years"),
    ("first=&last=2026-01-01", "Write the day as year-month-day"),
])
def test_a_bad_period_is_explained(signed_in, figures, query, message):
    b = signed_in("desk@test.example")
    page = b.get(f"/reports/service?{query}")
    assert page.status_code == 422 and message in page.get_data(as_text=True)
    assert b.get(f"/reports/service/download.csv?{query}").status_code == 400


def resolved_case(world):
    case = cases.file_case(world.firm_a_user, world.hiring_type, title="Hire", description="d",
                           priority="normal", form_data={}, checked_items=[], files=[],
                           now=utcnow())
    cases.accept_case(world.desk, case, now=utcnow(), version=None)
    (task,) = cases.route_case(world.desk, case, [world.union], now=utcnow(), version=None)
    tasks.accept_task(world.union_staff, task, now=utcnow(), version=None)
    tasks.complete_task(world.union_staff, task, "Done", now=utcnow(), version=None)
    db.session.commit()
    return latest_case()


def once_token(page: str) -> str:
    form = re.search(r'action="[^"]*/satisfaction"(.*?)</form>', page, re.S)[1]
    return re.search(r'name="once" type="hidden" value="([^"]+)"', form)[1]


def test_the_firm_answers_once_on_its_case_page(signed_in, world):
    case = resolved_case(world)
    b = signed_in("ceo@alpha.test")
    url = f"/cases/{case.id}"
    page = b.get(url).get_data(as_text=True)
    assert 'id="satisfaction"' in page
    refused = b.post(f"{url}/satisfaction", {"once": once_token(page), "comment": "hm"})
    assert refused.status_code == 422
    assert "Choose a score from 1" in refused.get_data(as_text=True)
    bad = b.post(f"{url}/satisfaction", {"once": once_token(page), "score": "9"})
    assert bad.status_code == 422 and "Choose a score from 1" in bad.get_data(as_text=True)
    token = once_token(page)
    sent = b.post(f"{url}/satisfaction", {"once": token, "score": "4", "comment": "Fast"})
    assert sent.status_code == 303 and sent.headers["Location"].endswith("#satisfaction")
    again = b.post(f"{url}/satisfaction", {"once": token, "score": "1"})
    assert again.status_code == 303, "the same form sent twice lands where the first did"
    shown = b.get(url).get_data(as_text=True)
    assert "4 out of 5" in shown and "Fast" in shown and 'action="/cases/' \
        f'{case.id}/satisfaction"' not in shown
    other = signed_in("hr@alpha.test")
    later = other.post(f"{url}/satisfaction", {"once": "another-form", "score": "1"})
    assert later.status_code == 409 and "already answered" in later.get_data(as_text=True)
    desk_view = signed_in("desk@test.example").get(url).get_data(as_text=True)
    assert "4 out of 5" in desk_view and "Fast" in desk_view
    partner_view = signed_in("staff@union.test").get(url).get_data(as_text=True)
    assert "4 out of 5" not in partner_view, "the firm's answer is for the desk"


@pytest.mark.parametrize("email", ["desk@test.example", "staff@univ.test"])
@pytest.mark.parametrize("url", [f"/reports/service?{PERIOD}",
                                 f"/reports/service?{PERIOD}&group=request_type",
                                 f"/reports/service/download.csv?{PERIOD}"])
def test_the_statements_do_not_grow_with_finished_work(signed_in, world, email, url):
    b = signed_in(email)
    service_data.build(world)
    few = count_statements(b, url)
    for _ in range(3):
        service_data.build(world)
    assert count_statements(b, url) == few


def count_statements(b, url) -> int:
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert b.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return len(statements)
