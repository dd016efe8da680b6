"""Reporting actuals and judging a report."""
import re

from wtforms import SelectField, StringField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, Length, Optional

from onestop.cases.forms import FilesMixin, VersionedForm
from onestop.forms import OnceForm, record_id
from onestop.i18n import lazy_gettext as _l

# Digits with the separators people type: 1,200,000,000 / 1 200 000 000 / 35명 / 12억 is not.
_AMOUNT = re.compile(r"\d{1,3}(?:[,  ]?\d{3})*|\d+")


def parse_amount(text: str) -> int | None:
    """The whole number typed, or None."""
    cleaned = (text or "").strip().removesuffix("원").removesuffix("명").strip()
    if not _AMOUNT.fullmatch(cleaned):
        return None
    return int(re.sub(r"\D", "", cleaned))


class ReportForm(FilesMixin, OnceForm):
    target = SelectField(_l("What you report"), coerce=record_id, choices=[],
                         validate_choice=False)
    amount = StringField(_l("Actual amount"), validators=[DataRequired(), Length(max=30)],
                         render_kw={"inputmode": "numeric", "autocomplete": "off"},
                         description=_l("Investment in won, new jobs in people; a whole "
                                        "number, e.g. 1,200,000,000 or 35."))
    note = TextAreaField(_l("Note for your account officer"),
                         validators=[Optional(), Length(max=4000)])

    def validate_amount(self, field) -> None:
        if parse_amount(field.data) is None:
            raise ValidationError(_l("Write a whole number, e.g. 1,200,000,000 or 35."))


class DocumentsForm(FilesMixin, OnceForm):
    """The agreement's documents, filed by the account officer."""


class ReturnForm(VersionedForm):
    reason = TextAreaField(_l("Reason (the firm reads it)"),
                           validators=[DataRequired(), Length(max=4000)])
