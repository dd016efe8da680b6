"""The download format itself: what Excel needs to read Korean, and formulas never run."""
import csv
import io
from datetime import UTC, datetime

import pytest
from flask import Flask
from openpyxl import load_workbook

from onestop.exports import download

HEADER = ["사업자", "금액", "접수"]
ROWS = [["탄소소재㈜", 1200000000, datetime(2026, 3, 2, 0, 30, tzinfo=UTC)],
        ["=HYPERLINK(\"http://x\")", None, "-2+3"]]


def _body(fmt, rows=ROWS):
    app = Flask(__name__)
    with app.test_request_context():
        response = download(fmt, "figures", HEADER, rows)
        return response, b"".join(response.response)


def test_csv_has_a_bom_korean_text_seoul_times_and_no_live_formulas():
    response, body = _body("csv")
    assert response.headers["Content-Disposition"] == 'attachment; filename="figures.csv"'
    assert body.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert table == [HEADER, ["탄소소재㈜", "1200000000", "2026-03-02 09:30"],
                     ["'=HYPERLINK(\"http://x\")", "", "'-2+3"]]


def test_xlsx_opens_with_the_same_cells():
    response, body = _body("xlsx")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(body)).active
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        HEADER, ["탄소소재㈜", 1200000000, datetime(2026, 3, 2, 9, 30)],
        ["'=HYPERLINK(\"http://x\")", None, "'-2+3"]]


def test_rows_are_read_only_while_the_response_is_sent():
    read = []

    def rows():
        read.append(True)
        return ROWS

    app = Flask(__name__)
    with app.test_request_context():
        response = download("csv", "figures", HEADER, rows)
        assert read == []
        b"".join(response.response)
    assert read == [True]


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError):
        _body("pdf")
