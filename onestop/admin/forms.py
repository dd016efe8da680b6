"""Admin forms."""
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from onestop.accounts.forms import ReauthForm
from onestop.accounts.labels import ROLE_LABELS
from onestop.accounts.models import Role
from onestop.cases.forms import MultiCheckboxField
from onestop.catalog.labels import CATEGORY_LABELS
from onestop.forms import OnceForm, record_id
from onestop.i18n import lazy_gettext as _l
from onestop.orgs.models import OrgKind

KIND_LABELS = {
    OrgKind.CITY_DESK: _l("City one-stop desk"),
    OrgKind.CITY_DIVISION: _l("City division"),
    OrgKind.LABOR_UNION: _l("Labor union council"),
    OrgKind.UNIVERSITY: _l("University"),
    OrgKind.EMPLOYMENT_CENTER: _l("Employment center"),
    OrgKind.INSTITUTE: _l("Institute"),
    OrgKind.OTHER: _l("Other"),
}


class UserForm(ReauthForm, OnceForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    role = SelectField(_l("Role"), choices=[(r.value, ROLE_LABELS[r]) for r in Role])
    organization = SelectField(_l("Organization"), coerce=record_id)
    firm = SelectField(_l("Firm"), coerce=record_id)
    is_enabled = BooleanField(_l("Can sign in"), default=True)


class NewUserForm(UserForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    locale = SelectField(_l("Language"), choices=[("ko", "한국어"), ("en", "English")])


class ReinviteForm(ReauthForm, OnceForm):
    """A new invitation (email and link) for someone who has not set a password yet."""


class ResetTwoFactorForm(ReauthForm):
    """Turn another user's two-step sign-in off (a lost phone)."""


class SecuritySettingsForm(ReauthForm):
    staff_two_factor = BooleanField(_l("Require two-step sign-in of every caseworker and admin"))


class OrganizationForm(OnceForm):
    name = StringField(_l("Name (Korean)"), validators=[DataRequired(), Length(max=160)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=160)])
    kind = SelectField(_l("Kind"), choices=[(k.value, KIND_LABELS[k]) for k in OrgKind])
    is_active = BooleanField(_l("Active"), default=True)


class RequestTypeForm(OnceForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)],
                       description=_l("Lowercase letters, digits and hyphens, e.g. "
                                      "building-permit"))
    name = StringField(_l("Name (Korean)"), validators=[DataRequired(), Length(max=160)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=160)])
    category = SelectField(_l("Category"),
                           choices=[(c.value, label) for c, label in CATEGORY_LABELS.items()])
    period = StringField(_l("Processing period"), validators=[DataRequired(), Length(max=20)],
                         description=_l("3h, 5d, 10d, 2w, 1m, 1y or immediate"))
    checklist = TextAreaField(_l("Required documents"), validators=[Length(max=5000)],
                              description=_l("One a line: Korean | English"))
    form_fields = TextAreaField(_l("Form fields"), validators=[Length(max=5000)],
                                description=_l("One a line: name | Korean | English | options "
                                               "(required; number or integer; unit=㎡ or "
                                               "unit=명/people)"))
    partners = MultiCheckboxField(_l("Default partners"), coerce=record_id, validate_choice=False)
    # The law's clock: periods written like the processing period.
    supplement_period = StringField(
        _l("Supplement period"), validators=[DataRequired(), Length(max=20)], default="7d",
        description=_l("The deadline an information request gives the firm unless the "
                       "partner sets another (민원처리법 §22)"))
    progress_notice_period = StringField(
        _l("Progress notice after"), validators=[Optional(), Length(max=20)], default="30d",
        description=_l("After acceptance, the firm is sent where an unfinished request "
                       "stands (민원처리법 §27); empty for never"))
    deems_permits = BooleanField(
        _l("A main permit that deems others (인허가의제)"),
        description=_l("Its partners are consulted: unanswered when the consultation period "
                       "ends, their consent is deemed given (행정기본법 §24)"))
    consultation_period = StringField(
        _l("Consultation period"), validators=[DataRequired(), Length(max=20)], default="20d",
        description=_l("The partners' legal answer period on a main permit; deliberations "
                       "and hearings they record do not count"))
    objection_days = IntegerField(
        _l("Days to object"), validators=[InputRequired(), NumberRange(1, 365)], default=90,
        description=_l("Calendar days from a rejection in which the firm may object "
                       "(민원처리법 §35)"))
    objection_period = StringField(
        _l("Objection decision period"), validators=[DataRequired(), Length(max=20)],
        default="10d", description=_l("The desk decides within it; extensible once by as much"))
    is_active = BooleanField(_l("Offered to firms"), default=True)


class HolidayForm(OnceForm):
    day = DateField(_l("Day"), validators=[DataRequired()])
    name = StringField(_l("Why"), validators=[DataRequired(), Length(max=120)])
    # Off: a day that does not count; on: a listed holiday that does.
    working = BooleanField(_l("It is a working day after all (the library lists it as a "
                              "holiday)"))
