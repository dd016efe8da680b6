"""The layout of the agreement annex workbook: its sheets and columns (headers in Korean with
the English), the template a clerk fills in, and reading the rows of an uploaded one.

The layout is a file format shared with the city's clerks, so its labels are fixed here in
both languages rather than taken from the interface catalog."""
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

# Refused with its own message, so the template's example row is never imported by mistake.
EXAMPLE_BRN = "0000000000"
YES = ("예", "yes", "y", "o", "true", "1")
NO = ("아니오", "아니요", "no", "n", "x", "false", "0")
MEASURES = {"investment": ("investment", "투자"), "jobs": ("jobs", "고용", "일자리")}
CLAWBACK = {"proportional": ("proportional", "비례"),
            "all_or_nothing": ("all_or_nothing", "전액", "일괄")}


@dataclass(frozen=True)
class Column:
    key: str
    ko: str
    en: str
    hint_ko: str
    hint_en: str
    example: object
    required: bool = True
    choices: str = ""  # the list offered in the template's cells

    @property
    def header(self) -> str:
        return f"{self.ko}{' *' if self.required else ''}\n{self.en}"

    def label(self, locale: str) -> str:
        return self.ko if locale == "ko" else self.en


@dataclass(frozen=True)
class Sheet:
    key: str
    ko: str
    en: str
    columns: tuple[Column, ...]

    @property
    def title(self) -> str:
        return f"{self.ko} {self.en}"

    def label(self, locale: str) -> str:
        return self.ko if locale == "ko" else self.en

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


BRN = Column("brn", "사업자등록번호", "Business registration no.",
             "10자리, 하이픈 있어도 됨 (검증번호 확인)", "10 digits, hyphens allowed (check digit "
             "verified)", "000-00-00000")


def _measure(example: str) -> Column:
    return Column("measure", "항목", "Measure", "investment(투자, 원) 또는 jobs(고용, 명)",
                  "investment (KRW) or jobs (headcount)", example, choices="investment,jobs")


AGREEMENTS = Sheet("agreements", "협약", "Agreements", (
    Column("name", "기업명", "Firm name", "", "", "(예시) 한빛카본"),
    BRN,
    Column("industry", "업종", "Industry", "", "", "탄소섬유"),
    Column("site", "입주 부지", "Site", "", "", "A-3 블록"),
    Column("phase", "단계", "Phase", "1, 2 또는 3", "1, 2 or 3", 1, choices="1,2,3"),
    Column("officer", "전담 책임관 이메일", "Account officer's email",
           "OneStop에 등록된 담당자(caseworker)의 이메일", "the email of a caseworker in OneStop",
           "officer@city.example"),
    Column("signed_on", "협약 체결일", "Agreement date", "예: 2025-03-15", "e.g. 2025-03-15",
           "2025-03-15"),
    Column("clawback", "환수 방식", "Clawback rule",
           "proportional(미달 비율만큼) 또는 all_or_nothing(미달 시 전액), 비우면 proportional",
           "proportional or all_or_nothing; empty means proportional", "proportional",
           required=False, choices="proportional,all_or_nothing"),
    Column("named", "공개 페이지 기업명 표시", "Named on the public page",
           "예 또는 아니오, 비우면 아니오", "yes or no; empty means no", "아니오", required=False,
           choices="예,아니오"),
    Column("notes", "비고", "Notes", "", "", "", required=False),
))
TARGETS = Sheet("targets", "목표", "Targets", (
    BRN,
    _measure("investment"),
    Column("phase", "단계", "Phase", "1, 2 또는 3", "1, 2 or 3", 1, choices="1,2,3"),
    Column("year", "연도", "Year", "예: 2026", "e.g. 2026", 2026),
    Column("amount", "목표량", "Target amount", "투자는 원, 고용은 명 (양의 정수)",
           "KRW for investment, headcount for jobs (a positive whole number)", 12_000_000_000),
    Column("due", "실적 보고 기한", "Report due", "비우면 다음 해 1월 31일",
           "empty means 31 January of the next year", "2027-01-31", required=False),
))
INCENTIVES = Sheet("incentives", "인센티브", "Incentives", (
    BRN,
    Column("name", "인센티브명", "Incentive", "", "", "투자보조금"),
    _measure("investment"),
    Column("amount", "금액(원)", "Amount (KRW)", "양의 정수", "a positive whole number",
           500_000_000),
    Column("percent", "환수 가능 비율(%)", "Recoverable %", "0–100, 비우면 100",
           "0–100; empty means 100", 100, required=False),
))
SHEETS = (AGREEMENTS, TARGETS, INCENTIVES)
SHEET_BY_KEY = {sheet.key: sheet for sheet in SHEETS}


class Unreadable(Exception):
    """The file is not a workbook openpyxl can read."""


def _folded(text) -> str:
    """A header or sheet name as compared: compatibility forms folded, lower case, without
    spaces, punctuation and the required-column star."""
    text = unicodedata.normalize("NFKC", str(text or "")).lower()
    return re.sub(r"[\s*()\[\]._:/-]+", "", text)


def open_book(data: bytes):
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError,
            TypeError) as error:
        raise Unreadable(str(error)) from error


def find_sheet(book, sheet: Sheet):
    """The worksheet named like this sheet (in Korean, English or both), or None."""
    names = {_folded(sheet.ko), _folded(sheet.en), _folded(sheet.title)}
    return next((book[name] for name in book.sheetnames if _folded(name) in names), None)


def header_columns(header: tuple, sheet: Sheet) -> tuple[dict[str, int], list[Column]]:
    """(column key -> index in the row, columns not found) for the header row's cells; a
    header matches in Korean, in English, or both, in any order of columns."""
    found: dict[str, int] = {}
    for index, value in enumerate(header):
        cell = _folded(getattr(value, "value", value))
        for column in sheet.columns:
            if column.key not in found and cell and (
                    cell.startswith(_folded(column.ko)) or cell == _folded(column.en)):
                found[column.key] = index
                break
    return found, [c for c in sheet.columns if c.key not in found]


def rows_of(worksheet) -> Iterator[tuple]:
    """The cells of each row, the header first; a sheet whose XML is damaged is Unreadable."""
    try:
        yield from worksheet.iter_rows()
    except (KeyError, ValueError, TypeError, OSError, zipfile.BadZipFile) as error:
        raise Unreadable(str(error)) from error


def row_estimate(worksheet) -> int:
    """The rows below the header, from the sheet's recorded dimensions (0 when unknown)."""
    return max((worksheet.max_row or 1) - 1, 0)


def letter(index: int) -> str:
    return get_column_letter(index + 1)


def template() -> bytes:
    """The workbook to fill in: a sheet of instructions, then each sheet with its header row
    and one example row (which the import refuses, so it must be replaced)."""
    book = Workbook()
    guide = book.active
    guide.title = "안내 Instructions"
    guide.append(["투자협약 부속서 가져오기 양식 · Agreement annex import template"])
    guide.append(["각 시트의 2행은 예시입니다. 지우거나 실제 내용으로 바꾸세요. "
                  "* 표시 열은 필수입니다. · Row 2 of each sheet is an example: replace or delete "
                  "it. Columns marked * are required."])
    guide.append(["같은 기업(사업자등록번호)을 다시 가져오면 그 협약의 목표와 인센티브는 이 파일의 "
                  "내용으로 바뀝니다. · Importing a firm again replaces its agreement's targets "
                  "and incentives with the file's."])
    guide.append([])
    guide.append(["시트 Sheet", "열 Column", "필수 Required", "설명", "Description"])
    for sheet in SHEETS:
        for column in sheet.columns:
            guide.append([sheet.title, f"{column.ko} / {column.en}",
                          "*" if column.required else "", column.hint_ko, column.hint_en])
    guide["A1"].font = Font(bold=True, size=14)
    for cell in guide[5]:
        cell.font = Font(bold=True)
    for col, width in zip("ABCDE", (18, 36, 10, 48, 48), strict=True):
        guide.column_dimensions[col].width = width
    for sheet in SHEETS:
        _add_sheet(book, sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _add_sheet(book, sheet: Sheet) -> None:
    worksheet = book.create_sheet(sheet.title)
    worksheet.append([c.header for c in sheet.columns])
    worksheet.append([c.example for c in sheet.columns])
    head = PatternFill("solid", fgColor="DCE6F1")
    for index, column in enumerate(sheet.columns):
        top = worksheet.cell(row=1, column=index + 1)
        top.font, top.fill = Font(bold=True), head
        top.alignment = Alignment(wrap_text=True, vertical="top")
        worksheet.cell(row=2, column=index + 1).font = Font(italic=True, color="808080")
        worksheet.column_dimensions[letter(index)].width = max(14, len(column.en) + 4)
        if column.choices:
            rule = DataValidation(type="list", formula1=f'"{column.choices}"', allow_blank=True)
            worksheet.add_data_validation(rule)
            rule.add(f"{letter(index)}2:{letter(index)}5000")
    worksheet.row_dimensions[1].height = 32
    worksheet.freeze_panes = "A2"
