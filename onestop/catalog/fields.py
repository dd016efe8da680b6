"""A request type's own form fields: their labels, units and what a value may be.

A field is {"name", "ko", "en", "required": bool, "kind": "text" | "number" | "integer",
"unit": {"ko": ..., "en": ...}} (kind and unit optional).
"""
import re
from decimal import Decimal, InvalidOperation

from flask_babel import format_decimal

from onestop.errors import Invalid
from onestop.i18n import lazy_gettext as _l

KINDS = ("text", "number", "integer")
# 12500, 12,500, 12 500, 1,234.5 — grouping only in threes.
_NUMBER = re.compile(r"\d{1,3}(?:[, ]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")


def field_label(spec: dict, locale: str) -> str:
    return spec.get(locale) or spec.get("ko") or spec["name"]


def unit_label(spec: dict, locale: str) -> str:
    unit = spec.get("unit") or {}
    return unit.get(locale) or unit.get("ko", "")


def display_value(spec: dict, value: str, locale: str) -> str:
    """A stored value as a page shows it: numbers grouped (12,500), with their unit."""
    if spec.get("kind", "text") != "text" and value:
        try:
            value = format_decimal(Decimal(value))
        except InvalidOperation:
            pass
    unit = unit_label(spec, locale)
    return f"{value} {unit}" if value and unit else value


def clean_value(spec: dict, text: str) -> str:
    """The value as stored: trimmed text, or a plain non-negative number ('12,500' ->
    '12500'); Invalid on the field when it is not one."""
    value = " ".join(str(text or "").split())
    kind = spec.get("kind", "text")
    if kind == "text" or not value:
        return value
    field = "field_" + spec["name"]
    if value.startswith("-"):
        raise Invalid(_l("Enter zero or more."), field=field)
    not_a_number = Invalid(_l("Enter a number, like 12,500."), field=field)
    if not _NUMBER.fullmatch(value):
        raise not_a_number
    try:
        number = Decimal(value.replace(",", "").replace(" ", ""))
    except InvalidOperation:
        raise not_a_number from None
    if kind == "integer" and number != number.to_integral_value():
        raise Invalid(_l("Enter a whole number."), field=field)
    return format(number.normalize(), "f")
