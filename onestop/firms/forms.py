"""Onboarding and invitation forms."""
from wtforms import EmailField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length

from onestop.forms import OnceForm, record_id
from onestop.i18n import lazy_gettext as _l


class FirmForm(OnceForm):
    name = StringField(_l("Firm name"), validators=[DataRequired(), Length(max=160)])
    brn = StringField(_l("Business registration number"),
                      validators=[DataRequired(), Length(max=20)],
                      description=_l("10 digits, e.g. 123-45-67891"))
    industry = StringField(_l("Industry"), validators=[DataRequired(), Length(max=120)])
    site = StringField(_l("Site in the zone"), validators=[DataRequired(), Length(max=200)])
    phase = SelectField(_l("Phase"), coerce=record_id,
                        choices=[(1, _l("Phase 1")), (2, _l("Phase 2")), (3, _l("Phase 3"))])
    account_officer = SelectField(_l("Account officer"), coerce=record_id)


class InviteMemberForm(OnceForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    locale = SelectField(_l("Language"), choices=[("ko", "한국어"), ("en", "English")])


class ResendInvitationForm(OnceForm):
    """A new invitation for one member; its token makes a double click send one."""


class OfficerForm(OnceForm):
    officer = SelectField(_l("New account officer"), coerce=record_id,
                          validators=[DataRequired()])
    # The officer the page showed (empty for none): a change made meanwhile is not overwritten.
    shown = HiddenField()
