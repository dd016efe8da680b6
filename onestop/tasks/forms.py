"""Forms for a partner's work on a task."""
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from onestop.cases.forms import VersionedForm
from onestop.forms import BaseForm, record_id
from onestop.i18n import lazy_gettext as _l


class QuestionForm(VersionedForm):
    question = TextAreaField(_l("What must the firm send or answer?"),
                             validators=[DataRequired(), Length(max=4000)])
    supplement_due = DateTimeLocalField(_l("Answer by"), validators=[Optional()],
                                        format="%Y-%m-%dT%H:%M")


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


# These share field names with the decline and due-date forms on the same page, so their
# ids are their own (a label must find its one control).
class ExtendForm(VersionedForm):
    due_at = DateTimeLocalField(_l("New expected completion"), validators=[DataRequired()],
                                format="%Y-%m-%dT%H:%M", id="extend-due_at")
    reason = TextAreaField(_l("Reason for the extension (the firm reads it)"),
                           validators=[DataRequired(), Length(max=2000)], id="extend-reason")


class TransferForm(VersionedForm):
    organization = SelectField(_l("Competent organization"), coerce=record_id)
    reason = TextAreaField(_l("Why is that organization the competent one? (the firm reads it)"),
                           validators=[DataRequired(), Length(max=2000)], id="transfer-reason")


class PauseForm(VersionedForm):
    kind = SelectField(_l("Deliberation or hearing"), id="pause-kind")
    start = DateTimeLocalField(_l("Start of the period"), validators=[DataRequired()],
                               format="%Y-%m-%dT%H:%M", id="pause-start")
    end = DateTimeLocalField(_l("End of the period"), validators=[DataRequired()],
                             format="%Y-%m-%dT%H:%M", id="pause-end")
    note = StringField(_l("Note (the desk and the firm read it)"),
                       validators=[Optional(), Length(max=500)], id="pause-note")


class TaskFilterForm(BaseForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Status"), validators=[Optional()])
    mine = BooleanField(_l("Assigned to me"))
    overdue = BooleanField(_l("Overdue only"))
    # Where the page starts (onestop/lists.py).
    after = StringField(validators=[Optional(), Length(max=200)])
