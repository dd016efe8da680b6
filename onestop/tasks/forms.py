"""Forms for a partner's work on a task."""
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from onestop.cases.forms import VersionedForm
from onestop.forms import BaseForm, record_id


class QuestionForm(VersionedForm):
    question = TextAreaField(_l("What must the firm send or answer?"),
                             validators=[DataRequired(), Length(max=4000)])


class NoteForm(VersionedForm):
    note = TextAreaField(_l("Resolution note (the firm sees it)"),
                         validators=[DataRequired(), Length(max=4000)])


class DeclineForm(VersionedForm):
    reason = TextAreaField(_l("Why can your organization not take this?"),
                           validators=[DataRequired(), Length(max=4000)])


class AssignForm(VersionedForm):
    assignee = SelectField(_l("Assignee"), coerce=record_id)


class DueForm(VersionedForm):
    due_at = DateTimeLocalField(_l("New due date"), validators=[DataRequired()],
                                format="%Y-%m-%dT%H:%M")
    due_reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class TaskFilterForm(BaseForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Status"), validators=[Optional()])
    mine = BooleanField(_l("Assigned to me"))
    overdue = BooleanField(_l("Overdue only"))
    page = IntegerField(validators=[Optional(), NumberRange(1, 100_000)])
