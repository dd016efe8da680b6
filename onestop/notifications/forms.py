"""Notification preferences, ledger filters and reminder rules."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import NumberRange, Optional

from onestop.cases.forms import MultiCheckboxField
from onestop.forms import BaseForm, OnceForm
from onestop.notifications.models import RuleKind, Status
from onestop.notifications.reminders import AUDIENCE_LABELS, KIND_LABELS

STATUS_LABELS = {Status.QUEUED: _l("queued"), Status.SENT: _l("sent"),
                 Status.FAILED: _l("failed"), Status.SKIPPED: _l("email off"),
                 Status.UNKNOWN: _l("outcome unknown")}


class EmailPreferencesForm(OnceForm):
    emailed_kinds = MultiCheckboxField(
        _l("Send me these by email"), choices=[(k.value, KIND_LABELS[k]) for k in RuleKind],
        validate_choice=True)


class LedgerFilterForm(BaseForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Status"), validators=[Optional()], choices=[("", _l("All"))] + [
        (s.value, STATUS_LABELS[s]) for s in Status])
    kind = SelectField(_l("Kind"), validators=[Optional()], choices=[("", _l("All"))] + [
        (k.value, KIND_LABELS[k]) for k in RuleKind])
    q = StringField(_l("Recipient email"), validators=[Optional()])
    page = IntegerField(validators=[Optional(), NumberRange(1, 100_000)])


class ReminderRuleForm(OnceForm):
    kind = SelectField(_l("Kind"), choices=[(k.value, KIND_LABELS[k]) for k in RuleKind])
    offset_days = IntegerField(_l("Business days"), validators=[NumberRange(0, 60)],
                               description=_l("Due soon: days before the due date (0 = the day). "
                                              "Overdue: days late before it starts (repeats "
                                              "daily). Information request: days waited."))
    audience = SelectField(_l("Goes to"), choices=[(a.value, label)
                                                   for a, label in AUDIENCE_LABELS.items()])
    is_active = BooleanField(_l("Active"), default=True)
