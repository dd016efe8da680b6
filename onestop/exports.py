"""Lists and reports as downloads: CSV (UTF-8 with a byte-order mark, so Excel reads Korean)
and XLSX. Rows are read as they are written, so a large export never sits whole in memory.

A view builds the same query its page shows (same filters, same policy scope) and hands the
rows here with the column headers; nothing here decides what a user may see.
"""
import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any

from flask import Response, stream_with_context
from openpyxl import Workbook

from onestop.deadlines import SEOUL

FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A cell a spreadsheet would run as a formula (CSV injection): written with a leading quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_ROWS = 500


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(SEOUL).replace(tzinfo=None)
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_text(value: Any) -> str:
    value = _cell(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _csv_chunks(header: Sequence[str], rows: Iterable[Sequence]) -> Iterable[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(header)
    for count, row in enumerate(rows, 1):
        writer.writerow([_csv_text(value) for value in row])
        if count % CHUNK_ROWS == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def _xlsx_chunks(title: str, header: Sequence[str], rows: Iterable[Sequence]) -> Iterable[bytes]:
    # openpyxl's write-only mode keeps one row at a time; the zip it writes needs a seekable
    # file, so the workbook goes to a temporary file and is streamed from there.
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31] or "Sheet1")
    sheet.append(list(header))
    for row in rows:
        sheet.append([_cell(value) for value in row])
    with tempfile.TemporaryFile() as file:
        book.save(file)
        file.seek(0)
        while chunk := file.read(64 * 1024):
            yield chunk


def download(fmt: str, filename: str, header: Sequence[str],
             rows: Iterable[Sequence] | Callable[[], Iterable[Sequence]]) -> Response:
    """The rows as a CSV or XLSX attachment named filename.<fmt>, streamed.

    rows may be a callable so that the query runs only once the response is being sent."""
    def deferred():
        yield from rows() if callable(rows) else rows

    if fmt == "csv":
        body, mimetype = _csv_chunks(header, deferred()), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body, mimetype = _xlsx_chunks(filename, header, deferred()), XLSX_TYPE
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    response = Response(stream_with_context(body), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response
