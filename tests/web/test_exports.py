"""Each list's download holds exactly the rows its page shows, for each reader and filter."""
import csv
import io
import re

import pytest
from openpyxl import load_workbook

from onestop.cases import services as cases
from onestop.extensions import db
from onestop.tasks import services as tasks
from tests.factories import NOW


@pytest.fixture
def filed(world):
    """Three cases of Alpha and two of Beta, routed to different partners; one declined."""
    made = []
    for firm_user, title, partners in [
            (world.firm_a_user, "Alpha permit", [world.permits]),
            (world.firm_a_user, "Alpha hiring", [world.union, world.univ]),
            (world.firm_a_user, "Alpha unrouted", []),
            (world.firm_b_user, "Beta hiring", [world.univ]),
            (world.firm_b_user, "Beta permit", [world.permits])]:
        case = cases.file_case(firm_user, world.hiring_type, title=title, description="d",
                               priority="normal", form_data={}, checked_items=[], files=[],
                               now=NOW)
        cases.accept_case(world.desk, case, now=NOW, version=None)
        if partners:
            cases.route_case(world.desk, case, partners, now=NOW, version=None)
        made.append(case)
    union_task = made[1].tasks[0]
    tasks.decline_task(world.union_lead, union_task, "not ours", now=NOW, version=None)
    db.session.commit()
    return made


def _page_references(html: str) -> list[str]:
    return re.findall(r'<small class="muted">(OS-\d{4}-\d{5})</small>', html)


def _csv_references(body: bytes) -> list[str]:
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    return [row[0] for row in rows[1:]]


READERS = ["desk@test.example", "ceo@alpha.test", "ceo@beta.test", "staff@union.test",
           "staff@univ.test", "staff@permits.test"]
LISTS = ["/cases/?status=", "/cases/?status=&q=hiring", "/cases/?status=in_progress",
         "/tasks/", "/tasks/?status=declined"]


@pytest.mark.parametrize("email", READERS)
@pytest.mark.parametrize("url", LISTS)
def test_the_download_is_the_page(browser, filed, email, url):
    b = browser(email)
    page = b.get(url)
    if page.status_code == 403:  # a firm has no task queue; its download is refused too
        path, _, query = url.partition("?")
        assert b.get(f"{path}export.csv?{query}").status_code == 403
        return
    shown = _page_references(page.get_data(as_text=True))
    path, _, query = url.partition("?")
    download = b.get(f"{path}export.csv?{query}")
    assert download.status_code == 200
    assert sorted(_csv_references(download.data)) == sorted(shown)
    book = b.get(f"{path}export.xlsx?{query}")
    sheet = load_workbook(io.BytesIO(book.data)).active
    assert sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True)) == sorted(shown)


def test_readers_see_what_they_should(browser, filed):
    """The comparison above is not vacuous: each reader's download has its own rows."""
    def refs(email, url):
        return _csv_references(browser(email).get(url).data)

    alpha = {c.reference for c in filed[:3]}
    assert set(refs("ceo@alpha.test", "/cases/export.csv?status=")) == alpha
    assert set(refs("ceo@beta.test", "/cases/export.csv?status=")) == {c.reference for c in filed[3:]}
    assert len(refs("desk@test.example", "/cases/export.csv?status=")) == 5
    assert set(refs("staff@univ.test", "/tasks/export.csv")) == {filed[1].reference,
                                                                  filed[3].reference}
    assert refs("staff@univ.test", "/tasks/export.csv?status=declined") == []
    assert refs("staff@union.test", "/tasks/export.csv?status=declined") == [filed[1].reference]


def test_firm_list_download(browser, filed):
    body = browser("desk@test.example").get("/firms/export.csv").data
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == ["Alpha Carbon", "Beta Composite"]
    assert rows[1][-1] == "3" and rows[1][1] == "123-45-67891"
    assert browser("ceo@alpha.test").get("/firms/export.csv").status_code == 403


def test_a_bad_filter_is_refused_not_exported(browser, filed):
    assert browser("desk@test.example").get("/cases/export.csv?status=nonsense").status_code == 400
    assert browser("desk@test.example").get("/cases/export.pdf").status_code == 404
