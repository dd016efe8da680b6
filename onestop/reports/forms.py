"""The service report's period and grouping."""
from datetime import date, timedelta

from wtforms import DateField, SelectField, ValidationError
from wtforms.validators import StopValidation

from onestop.forms import BaseForm
from onestop.i18n import lazy_gettext as _l
from onestop.reports.service import GroupBy, Period

GROUP_LABELS = {GroupBy.ORGANIZATION: _l("Partner organization"),
                GroupBy.REQUEST_TYPE: _l("Request type")}
LONGEST = timedelta(days=3660)
TREND_MONTHS = 6


def default_period(today: date) -> Period:
    """The current month and the five before it: enough for a trend, recent enough to act on."""
    month = today.replace(day=1)
    for _ in range(TREND_MONTHS - 1):
        month = (month - timedelta(days=1)).replace(day=1)
    return Period(month, today)


class DayField(DateField):
    """A day written as 2026-09-01, with one clear message when it is not."""

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(WRITE_A_DAY)) from None


WRITE_A_DAY = _l("Write the day as year-month-day, e.g. 2026-09-01.")


def _given(form, field) -> None:
    if field.data is None:  # a day that could not be read has its message already
        raise StopValidation(None if field.process_errors else str(WRITE_A_DAY))


class ServiceReportForm(BaseForm):
    class Meta:
        csrf = False

    first = DayField(_l("First day"), validators=[_given])
    last = DayField(_l("Last day (included)"), validators=[_given])
    group = SelectField(_l("One row per"), choices=list(GROUP_LABELS.items()),
                        default=GroupBy.ORGANIZATION)

    def validate_first(self, field) -> None:
        if not date(2000, 1, 1) <= field.data <= date(2100, 12, 31):
            raise ValidationError(_l("Choose a day between 2000 and 2100."))

    def validate_last(self, field) -> None:
        if self.first.data is None:
            return
        if field.data < self.first.data:
            raise ValidationError(_l("The last day must be on or after the first day."))
        if field.data - self.first.data > LONGEST:
            raise ValidationError(_l("Choose a period of at most ten years."))

    @property
    def period(self) -> Period:
        return Period(self.first.data, self.last.data)
