"""Filing, filtering and acting on cases."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from onestop.cases.models import PRIORITIES

PRIORITY_LABELS = {"normal": _l("Normal"), "high": _l("High"), "urgent": _l("Urgent")}


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class VersionedForm(FlaskForm):
    # Required: a save without the version it was based on could overwrite someone's change.
    version = HiddenField(validators=[DataRequired()])


class FileCaseForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("What do you need?"),
                                validators=[DataRequired(), Length(max=10000)])
    priority = SelectField(_l("Priority"), choices=[(p, PRIORITY_LABELS[p]) for p in PRIORITIES])
    checklist = MultiCheckboxField(_l("Required documents"), coerce=int, choices=[],
                                   validate_choice=False)
    files = MultipleFileField(_l("Attachments"))


class ChecklistForm(VersionedForm):
    checklist = MultiCheckboxField(_l("Required documents"), coerce=int, choices=[],
                                   validate_choice=False)


class ReasonForm(VersionedForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=4000)])


class RouteForm(VersionedForm):
    organizations = MultiCheckboxField(_l("Partner organizations"), coerce=int,
                                       validate_choice=False)
    instructions = TextAreaField(_l("Instructions for the partners"),
                                 validators=[Optional(), Length(max=4000)])
    due_at = DateTimeLocalField(_l("Due date (leave empty for the rule's)"),
                                validators=[Optional()], format="%Y-%m-%dT%H:%M")
    due_reason = StringField(_l("Reason for another due date"),
                             validators=[Optional(), Length(max=500)])


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Comment"), validators=[DataRequired(), Length(max=10000)])
    is_internal = BooleanField(_l("Internal note (never shown to the firm)"))
    files = MultipleFileField(_l("Attachments"))


class CaseFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    status = SelectField(_l("Status"), validators=[Optional()])
    category = SelectField(_l("Category"), validators=[Optional()])
    request_type = SelectField(_l("Request type"), validators=[Optional()])
    organization = SelectField(_l("Partner organization"), validators=[Optional()])
    firm = SelectField(_l("Firm"), validators=[Optional()])
    overdue = BooleanField(_l("Overdue only"))
    sort = SelectField(_l("Sort"), choices=[("due", _l("Due date, soonest first")),
                                            ("-due", _l("Due date, latest first")),
                                            ("-submitted", _l("Newest first"))],
                       validators=[Optional()])
    page = IntegerField(validators=[Optional(), NumberRange(1, 100_000)])
