"""Notification choices, ledger filters and reminder rules."""
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import NumberRange, Optional

from onestop.forms import BaseForm, OnceForm
from onestop.i18n import lazy_gettext as _l
from onestop.notifications.events import KIND_LABELS as EVENT_LABELS
from onestop.notifications.firm_events import KIND_LABELS as COMMITMENT_LABELS
from onestop.notifications.models import DigestKind, RuleKind, Status
from onestop.notifications.preferences import CHOICE_LABELS, KINDS_BY_ROLE
from onestop.notifications.reminders import AUDIENCE_LABELS, KIND_LABELS
from onestop.notifications.services import ALERT_LABELS

STATUS_LABELS = {Status.QUEUED: _l("queued"), Status.SENT: _l("sent"),
                 Status.FAILED: _l("failed"), Status.SKIPPED: _l("email off"),
                 Status.UNKNOWN: _l("outcome unknown"), Status.IN_APP: _l("in the app only"),
                 Status.DIGEST: _l("waits for the digest"), Status.DIGESTED: _l("in a digest")}
ALL_KIND_LABELS = {**KIND_LABELS, **EVENT_LABELS, **COMMITMENT_LABELS, **ALERT_LABELS,
                   DigestKind.DIGEST: _l("Daily digest")}


class ChoicesForm(OnceForm):
    """One choice per kind of notification a role can receive (fields added per role by
    choices_form)."""

    kinds: tuple[str, ...] = ()

    @property
    def kind_fields(self):
        return [self[kind] for kind in self.kinds]


class PreferencesForm(ChoicesForm):
    has_quiet_hours = BooleanField(
        _l("Quiet hours"), description=_l("Emails about events that happen outside working "
                                          "hours wait for the next working morning."))


_FORMS: dict[tuple, type[ChoicesForm]] = {}


def choices_form(role: str, base: type[ChoicesForm] = ChoicesForm) -> type[ChoicesForm]:
    if (role, base) not in _FORMS:
        kinds = KINDS_BY_ROLE[role]
        fields = {kind: RadioField(ALL_KIND_LABELS[kind], choices=list(CHOICE_LABELS.items()))
                  for kind in kinds}
        _FORMS[role, base] = type(f"{base.__name__}_{role}", (base,), {**fields, "kinds": kinds})
    return _FORMS[role, base]


class LedgerFilterForm(BaseForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Status"), validators=[Optional()], choices=[("", _l("All"))] + [
        (s.value, STATUS_LABELS[s]) for s in Status])
    kind = SelectField(_l("Kind"), validators=[Optional()], choices=[("", _l("All"))] + [
        (k, label) for k, label in ALL_KIND_LABELS.items()])
    q = StringField(_l("Recipient email"), validators=[Optional()])
    page = IntegerField(validators=[Optional(), NumberRange(1, 100_000)])


class ReminderRuleForm(OnceForm):
    kind = SelectField(_l("Kind"), choices=[(k.value, KIND_LABELS[k]) for k in RuleKind])
    offset_days = IntegerField(_l("Business days"), validators=[NumberRange(0, 60)],
                               description=_l("Due soon: days before the due date (0 = the day). "
                                              "Overdue: days late before it starts (repeats "
                                              "daily). Information request: days waited. "
                                              "Report due or overdue: days before or after "
                                              "the report's due date (once)."))
    audience = SelectField(_l("Goes to"), choices=[(a.value, label)
                                                   for a, label in AUDIENCE_LABELS.items()])
    is_active = BooleanField(_l("Active"), default=True)
