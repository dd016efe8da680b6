"""Agreement annex workbooks for the import tests: the template's layout, rows as given;
and a firm held back on PostgreSQL to stop an import part way through writing."""
import io
from contextlib import contextmanager
from datetime import date

import psycopg
from openpyxl import Workbook

from onestop.commitments import sheets

_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)


def brn(n: int) -> str:
    """The n-th valid business registration number of the tests (check digit computed)."""
    digits = [int(c) for c in f"{301 + n // 100000:03d}{n % 100000:05d}0"[:9]]
    total = sum(d * w for d, w in zip(digits, _WEIGHTS, strict=True)) + digits[8] * 5 // 10
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


def workbook(agreements: list[list], targets: list[list], incentives: list[list], *,
             drop_sheet: str | None = None) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for sheet, rows in zip(sheets.SHEETS, (agreements, targets, incentives), strict=True):
        if sheet.key == drop_sheet:
            continue
        worksheet = book.create_sheet(sheet.title)
        worksheet.append([c.header for c in sheet.columns])
        for row in rows:
            worksheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def agreement(n: int, officer: str, **changes) -> list:
    values = {"name": f"Firm {n:05d}", "brn": brn(n), "industry": "carbon fiber",
              "site": f"A-{n}", "phase": 1 + n % 3, "officer": officer,
              "signed_on": date(2025, 3, 15), "clawback": "proportional", "named": "아니오",
              "notes": ""} | changes
    return [values[c.key] for c in sheets.AGREEMENTS.columns]


def target(n: int, measure: str, year: int, amount: int, **changes) -> list:
    values = {"brn": brn(n), "measure": measure, "phase": 1, "year": year, "amount": amount,
              "due": None} | changes
    return [values[c.key] for c in sheets.TARGETS.columns]


def incentive(n: int, name: str, measure: str, amount: int, percent=100) -> list:
    values = {"brn": brn(n), "name": name, "measure": measure, "amount": amount,
              "percent": percent}
    return [values[c.key] for c in sheets.INCENTIVES.columns]


def zone(firms: int, officer: str, *, years=(2026, 2027, 2028)) -> bytes:
    """A good annex: each firm with investment and jobs targets for each year and two
    incentives."""
    return workbook(
        [agreement(n, officer) for n in range(firms)],
        [target(n, measure, year, (n + 1) * (1_000_000_000 if measure == "investment" else 10),
                phase=1 + i)
         for n in range(firms) for measure in ("investment", "jobs")
         for i, year in enumerate(years)],
        [row for n in range(firms) for row in (
            incentive(n, "투자보조금", "investment", 500_000_000, 100),
            incentive(n, "고용보조금", "jobs", 50_000_000, 50))])


@contextmanager
def firm_held(database_url: str, n: int):
    """An uncommitted firm with the n-th registration number: PostgreSQL makes an import's
    insert of that number wait until this transaction ends, so the import (creating firms in
    the sheet's order) stops there, its first n firms written, for as long as the test
    needs."""
    with psycopg.connect(database_url.replace("+psycopg", "")) as held:
        held.execute("INSERT INTO firms (name, brn, industry, site, phase, is_named_publicly,"
                     " created_at) VALUES ('held', %s, '', '', 1, false, now())", [brn(n)])
        try:
            yield
        finally:
            held.rollback()
