"""The admin's agreement import pages: upload (once per submit), refusals that say why, the
run page and its status, the error report download and the template."""
import csv
import io
import re

from openpyxl import load_workbook
from sqlalchemy import event, func, select

from onestop.commitments import imports, sheets
from onestop.commitments.models import ImportRun
from onestop.extensions import db
from tests.annex import agreement, workbook, zone
from tests.factories import NOW, make_user

ADMIN = "admin@test.example"


def once_token(html: str) -> str:
    return re.search(r'name="once" type="hidden" value="([^"]+)"', html).group(1)


def runs() -> list[ImportRun]:
    db.session.expire_all()
    return db.session.scalars(select(ImportRun).order_by(ImportRun.id)).all()


def upload(admin, data: bytes, filename="annex.xlsx", token=None):
    token = token or once_token(admin.get("/admin/imports").get_data(as_text=True))
    return admin.post("/admin/imports", {"file": (io.BytesIO(data), filename), "once": token},
                      content_type="multipart/form-data")


def test_an_upload_is_queued_once_however_often_it_is_sent(browser, world):
    admin = browser(ADMIN)
    token = once_token(admin.get("/admin/imports").get_data(as_text=True))
    first = upload(admin, zone(2, "desk@test.example"), token=token)
    assert first.status_code == 303
    [run] = runs()
    assert first.headers["Location"].endswith(f"/admin/imports/{run.id}")
    assert (run.status, run.filename, run.created_by_id) == ("queued", "annex.xlsx",
                                                            world.admin.id)
    again = upload(admin, zone(2, "desk@test.example"), token=token)
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    assert len(runs()) == 1
    page = admin.get(f"/admin/imports/{run.id}").get_data(as_text=True)
    assert "<progress" in page and "imports.js" in page
    assert f'href="/admin/imports/{run.id}"' in page, "a refresh link without JavaScript"
    assert admin.get(f"/admin/imports/{run.id}/status").get_json() == {
        "status": "queued", "label": "작업자를 기다리는 중", "rows_total": 0, "rows_done": 0,
        "finished": False}


def test_what_is_not_a_workbook_is_refused_with_a_reason(browser, world):
    admin = browser(ADMIN)
    for data, filename, reason in (
            (b"a,b\n1,2\n", "annex.csv", ".xlsx"),
            (b"PK\x03\x04 broken", "annex.xlsx", "annex.xlsx"),
            (b"", "annex.xlsx", "annex.xlsx")):
        response = upload(admin, data, filename)
        assert response.status_code == 422, filename
        assert reason in response.get_data(as_text=True)
    response = admin.post("/admin/imports", {"once": "x"}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert runs() == []


def test_the_error_report_names_sheet_row_and_column_in_the_readers_language(browser, world):
    data = workbook([agreement(1, "desk@test.example", phase=7)], [], [])
    run = imports.start_import(world.admin, "annex.xlsx", data, now=NOW)
    db.session.commit()
    imports.run_import(run.id, NOW)
    admin = browser(ADMIN)
    page = admin.get(f"/admin/imports/{run.id}").get_data(as_text=True)
    assert "<progress" not in page
    assert re.search(r"협약</td>\s*<td[^>]*>2</td>\s*<td[^>]*>단계 <small[^>]*>\(E2\)", page)
    report = admin.get(f"/admin/imports/{run.id}/errors.csv")
    rows = list(csv.reader(io.StringIO(report.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows == [["시트", "행", "셀", "열", "문제"],
                    ["협약", "2", "E2", "단계", rows[1][4]]]
    assert "1, 2" in rows[1][4]
    book = load_workbook(io.BytesIO(admin.get(f"/admin/imports/{run.id}/errors.xlsx").data))
    assert [c.value for c in next(book.active.iter_rows(min_row=2))][:4] == ["협약", 2, "E2",
                                                                            "단계"]
    assert admin.get(f"/admin/imports/{run.id}/errors.pdf").status_code == 404
    assert admin.get(f"/admin/imports/{run.id + 1}").status_code == 404


def test_the_template_has_every_sheet_with_its_header_and_an_example(browser, world):
    response = browser(ADMIN).get("/admin/imports/template.xlsx")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["안내 Instructions", "협약 Agreements", "목표 Targets",
                               "인센티브 Incentives"]
    for sheet in sheets.SHEETS:
        rows = list(book[sheet.title].iter_rows(values_only=True))
        assert rows[0] == tuple(c.header for c in sheet.columns) and len(rows) == 2
    assert rows[1][0] == "000-00-00000"


def test_the_list_of_runs_costs_the_same_queries_for_5_as_for_50(browser, world):
    def add(start, stop):
        for i in range(start, stop):
            admin = make_user(f"admin{i}@city.example", "admin")
            db.session.add(ImportRun(created_by=admin, filename=f"annex-{i}.xlsx",
                                     storage_key=f"{i:032d}", status="done",
                                     summary={"rows": i}))
        db.session.commit()

    def queries():
        statements = []
        listen = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            assert browser(ADMIN).get("/admin/imports").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
        return len(statements)

    add(0, 5)
    few = queries()
    add(5, 50)
    assert queries() == few
    assert db.session.scalar(select(func.count(ImportRun.id))) == 50
