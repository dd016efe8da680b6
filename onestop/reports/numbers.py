"""Money and headcounts as the zone's readers say them: 8,072억 원 or 1조 2,345억 원 in Korean,
KRW 807.2 bn in English. Tables keep the exact figures; these are for headlines and charts."""
from flask_babel import get_locale

from onestop.i18n import gettext as _

MAN = 10_000                # 만
EOK = 100_000_000           # 억
JO = 10_000 * EOK           # 조


def _round_div(amount: int, unit: int) -> int:
    return (2 * amount + unit) // (2 * unit)


def _korean(amount: int) -> str:
    tenths_of_eok = _round_div(amount, EOK // 10)
    if tenths_of_eok >= 10 * 10_000:
        jo, eok = divmod(_round_div(amount, EOK), 10_000)
        return f"{jo:,}조 {eok:,}억 원" if eok else f"{jo:,}조 원"
    if amount >= EOK:
        whole, tenth = divmod(tenths_of_eok, 10)
        return f"{whole:,}.{tenth}억 원" if tenth else f"{whole:,}억 원"
    if amount >= MAN:
        return f"{_round_div(amount, MAN):,}만 원"
    return f"{amount:,}원"


def _english(amount: int) -> str:
    for unit, name in ((10**12, "tn"), (10**9, "bn"), (10**6, "m")):
        if amount >= unit:
            return f"KRW {amount / unit:,.1f} {name}"
    return f"KRW {amount:,}"


def krw_short(amount: int, language: str | None = None) -> str:
    """A KRW amount rounded for reading: 억/조 in Korean, bn/tn in English."""
    language = language or str(get_locale())
    sign, amount = ("-", -amount) if amount < 0 else ("", amount)
    return sign + (_korean(amount) if language == "ko" else _english(amount))


def exact(number: int) -> str:
    """Every digit, grouped by thousands (the tables' form)."""
    return f"{number:,}"


def people(number: int) -> str:
    """A headcount: 2,233명 / 2,233 jobs."""
    return _("%(n)s jobs", n=f"{number:,}")


def percent(share: float) -> str:
    return f"{share * 100:.0f}%"
