"""Reading one cell of the agreement annex: each parser returns the value or raises CellError
with a code whose message (MESSAGES) is shown in the reader's language."""
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime

from onestop.commitments import sheets
from onestop.errors import Invalid
from onestop.firms.services import brn_digits, normalize_brn
from onestop.i18n import lazy_gettext as _l

# What an error says, by code; params fill the placeholders when it is shown.
MESSAGES = {
    "required": _l("This cell is empty, and it is required."),
    "too_long": _l("Too long: at most %(max)d characters."),
    "brn_format": _l("A business registration number has 10 digits, like 123-45-67891."),
    "brn_check": _l("This business registration number is not valid (check digit). "
                    "Check it against the certificate."),
    "example_row": _l("This is the template's example row. Replace it with a real firm or "
                      "delete the row."),
    "phase": _l("The phase is 1, 2 or 3."),
    "officer": _l("No caseworker in OneStop has the email address %(value)s."),
    "date": _l("Not a date. Write it like 2026-03-15."),
    "choice": _l("Write one of: %(choices)s."),
    "integer": _l("Not a whole number: %(value)s."),
    "positive": _l("Must be greater than zero."),
    "percent": _l("A percentage from 0 to 100."),
    "year": _l("A year from %(min)d to %(max)d."),
    "duplicate_firm": _l("This business registration number is on row %(row)d already."),
    "duplicate_target": _l("This firm has a target for the same measure and year on row "
                           "%(row)d already."),
    "unknown_firm": _l("No firm with this business registration number on the Agreements "
                       "sheet."),
    "no_targets": _l("This firm has no targets on the Targets sheet."),
    "untargeted": _l("This firm has no target for the measure this incentive is tied to."),
    "missing_sheet": _l("The workbook has no sheet named %(name)s. Start from the template "
                        "and keep its sheets."),
    "missing_column": _l("The header row has no column %(name)s. Start from the template "
                         "and keep its header row."),
    "no_rows": _l("The Agreements sheet lists no firms."),
    "unreadable": _l("The file cannot be read as an Excel workbook (.xlsx). Save it from Excel "
                     "as .xlsx and upload it again."),
}
YEARS = (2000, 2100)
MAX_BIGINT = 2**63 - 1


class CellError(Exception):
    def __init__(self, code: str, **params) -> None:
        super().__init__(code)
        self.code, self.params = code, params


# --- parsers: (cell value, the cell) -> value, or CellError ----------------------------

def _clean(value) -> str:
    return "" if value is None else unicodedata.normalize("NFC", str(value)).strip()


def text(max_length: int) -> Callable:
    def parse(value, cell=None) -> str:
        cleaned = _clean(value)
        if len(cleaned) > max_length:
            raise CellError("too_long", max=max_length)
        return cleaned
    return parse


def brn(value, cell=None) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(int(value))
    try:
        digits = normalize_brn(str(value))
    except Invalid:
        ten_digits = re.fullmatch(r"[0-9]{10}", brn_digits(str(value)))
        raise CellError("brn_check" if ten_digits else "brn_format") from None
    if digits == sheets.EXAMPLE_BRN:
        raise CellError("example_row")
    return digits


def integer(value, cell=None) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    digits = re.sub(r"[\s,]|원$|명$", "", unicodedata.normalize("NFKC", str(value)))
    if not re.fullmatch(r"-?[0-9]{1,19}", digits):
        raise CellError("integer", value=str(value)[:40])
    return int(digits)


def positive(value, cell=None) -> int:
    number = integer(value)
    if not 0 < number <= MAX_BIGINT:
        raise CellError("positive")
    return number


def phase(value, cell=None) -> int:
    try:
        number = integer(value)
    except CellError:
        number = None
    if number not in (1, 2, 3):
        raise CellError("phase")
    return number


def _in_years(number: int) -> int:
    if not YEARS[0] <= number <= YEARS[1]:
        raise CellError("year", min=YEARS[0], max=YEARS[1])
    return number


def year(value, cell=None) -> int:
    return _in_years(integer(value))


_DATE = re.compile(r"(\d{4})\s*[-./년]\s*(\d{1,2})\s*[-./월]\s*(\d{1,2})\s*[.일]?")


def day(value, cell=None) -> date:
    """A date cell, or text like 2026-03-15, 2026.3.15 or 2026년 3월 15일."""
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        match = _DATE.fullmatch(unicodedata.normalize("NFKC", str(value)).strip())
        try:
            value = date(*map(int, match.groups())) if match else None
        except ValueError:
            value = None
        if value is None:
            raise CellError("date")
    _in_years(value.year)
    return value


def choice(options: dict[str, tuple[str, ...]]) -> Callable:
    def parse(value, cell=None) -> str:
        typed = _clean(value).lower().replace(" ", "_")
        for code, spellings in options.items():
            if typed in spellings:
                return code
        raise CellError("choice", choices=", ".join(options))
    return parse


def yes_no(value, cell=None) -> bool:
    typed = _clean(value).lower()
    if typed in sheets.YES or typed in sheets.NO:
        return typed in sheets.YES
    raise CellError("choice", choices="예, 아니오 (yes, no)")


def percent(value, cell=None) -> int:
    # A cell formatted as a percentage holds 0.5 for 50 %.
    if isinstance(value, int | float) and "%" in (getattr(cell, "number_format", "") or ""):
        value = round(value * 100, 6)
    try:
        number = integer(_clean(value).rstrip("%").strip() if isinstance(value, str) else value)
    except CellError:
        number = None
    if number is None or not 0 <= number <= 100:
        raise CellError("percent")
    return number


def officer(staff: dict[str, int]) -> Callable:
    """The id of the caseworker (or admin) with this email, of those in `staff`."""
    def parse(value, cell=None) -> int:
        email = _clean(value).lower()
        if email not in staff:
            raise CellError("officer", value=email[:254])
        return staff[email]
    return parse


def parsers(staff: dict[str, int]) -> dict[str, dict[str, Callable]]:
    """sheet key -> column key -> parser."""
    measure = choice(sheets.MEASURES)
    return {
        "agreements": {"name": text(160), "brn": brn, "industry": text(120), "site": text(200),
                       "phase": phase, "officer": officer(staff), "signed_on": day,
                       "clawback": choice(sheets.CLAWBACK), "named": yes_no,
                       "notes": text(4000)},
        "targets": {"brn": brn, "measure": measure, "phase": phase, "year": year,
                    "amount": positive, "due": day},
        "incentives": {"brn": brn, "name": text(120), "measure": measure, "amount": positive,
                       "percent": percent},
    }


# What an optional column means when its cell is empty.
DEFAULTS = {"clawback": "proportional", "named": False, "notes": "", "percent": 100, "due": None}


def blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
