"""Filing, filtering and acting on cases."""
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from onestop.cases.models import PRIORITIES, NoteAudience
from onestop.cases.satisfaction import CHOOSE_A_SCORE, SCORES
from onestop.cases.urgency import NEEDS
from onestop.forms import BaseForm, OnceForm, record_id
from onestop.i18n import lazy_gettext as _l

PRIORITY_LABELS = {"normal": _l("Normal"), "high": _l("High"), "urgent": _l("Urgent")}
AUDIENCE_LABELS = {
    NoteAudience.PUBLIC: _l("Everyone on the request, the firm included"),
    NoteAudience.PARTNERS: _l("Internal: the desk and the partners working on it now"),
    NoteAudience.DESK: _l("Internal: the one-stop desk only"),
}


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class VersionedForm(OnceForm):
    # Required: a save without the version it was based on could overwrite someone's change.
    version = HiddenField(validators=[DataRequired()])
    # The newest history entry the page showed: a refused save lists what came after it.
    seen = HiddenField()


class FilesMixin:
    files = MultipleFileField(_l("Attachments"))
    # Files of an earlier, refused try of this form, kept for a day; ticked ones are sent.
    kept = MultiCheckboxField(_l("Kept from your last try"), coerce=record_id, choices=[],
                              validate_choice=False)


class FileCaseForm(FilesMixin, OnceForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("What do you need?"),
                                validators=[DataRequired(), Length(max=10000)])
    priority = SelectField(_l("Priority"), choices=[(p, PRIORITY_LABELS[p]) for p in PRIORITIES])
    checklist = MultiCheckboxField(_l("Required documents"), coerce=record_id, choices=[],
                                   validate_choice=False)
    # Fingerprint of the checklist the form offered (see cases.services.checklist_version).
    offered_checklist = HiddenField()


class ChecklistForm(VersionedForm):
    checklist = MultiCheckboxField(_l("Required documents"), coerce=record_id, choices=[],
                                   validate_choice=False)


class ReasonForm(VersionedForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=4000)])


class ObjectionForm(FilesMixin, OnceForm):
    reasons = TextAreaField(_l("Why should the rejection be reconsidered?"),
                            validators=[DataRequired(), Length(max=10000)])


class ObjectionDecisionForm(OnceForm):
    decision = RadioField(_l("Decision"), validators=[InputRequired()],
                          choices=[("upheld", _l("Uphold: the request goes back to review")),
                                   ("dismissed", _l("Dismiss: the rejection stands"))])
    reason = TextAreaField(_l("Reason (the firm reads it)"), id="decision-reason",
                           validators=[DataRequired(), Length(max=4000)])


class RouteForm(VersionedForm):
    organizations = MultiCheckboxField(_l("Partner organizations"), coerce=record_id,
                                       validate_choice=False)
    instructions = TextAreaField(_l("Instructions for the partners"),
                                 validators=[Optional(), Length(max=4000)])
    due_at = DateTimeLocalField(_l("Due date (leave empty for the rule's)"),
                                validators=[Optional()], format="%Y-%m-%dT%H:%M")
    due_reason = StringField(_l("Reason for another due date"),
                             validators=[Optional(), Length(max=500)])


class ReassignForm(VersionedForm):
    owner = SelectField(_l("New owner"), coerce=record_id, validators=[DataRequired()])


class CommentForm(FilesMixin, OnceForm):
    body = TextAreaField(_l("Comment"), validators=[DataRequired(), Length(max=10000)])
    # Left out, the author's default audience (policy.note_audiences) is meant.
    audience = RadioField(_l("Who reads it"), validators=[Optional()], validate_choice=False)


class CaseFilterForm(BaseForm):
    class Meta:
        csrf = False

    # A longer search is shortened with a message (cases.queue), not refused.
    q = StringField(_l("Search"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()])
    category = SelectField(_l("Category"), validators=[Optional()])
    request_type = SelectField(_l("Request type"), validators=[Optional()])
    organization = SelectField(_l("Partner organization"), validators=[Optional()])
    # Any firm's id: the choices shown are the chosen firm and the firms on the page.
    firm = SelectField(_l("Firm"), validators=[Optional()], validate_choice=False)
    owner = SelectField(_l("Owner"), validators=[Optional()])
    overdue = BooleanField(_l("Overdue only"))
    # The home page's "see all" links (onestop/cases/urgency.py NEEDS); not shown as a field.
    need = SelectField(choices=[("", "")] + [(n, n) for n in NEEDS], validators=[Optional()])
    sort = SelectField(_l("Sort"), choices=[("due", _l("Due date, soonest first")),
                                            ("-due", _l("Due date, latest first")),
                                            ("priority", _l("Priority, urgent first")),
                                            ("age", _l("Waiting longest first")),
                                            ("-submitted", _l("Newest first"))],
                       validators=[Optional()])
    # Where the page starts: the last row's sort key on the page before (onestop/lists.py).
    after = StringField(validators=[Optional(), Length(max=200)])


class SaveViewForm(OnceForm):
    name = StringField(_l("Name of this view"), validators=[DataRequired(), Length(max=60)])
    # The queue's query string as the page showed it (checked again by the filter form).
    query = HiddenField(validators=[Length(max=2000)])


class RenameViewForm(BaseForm):
    name = StringField(_l("New name"), validators=[DataRequired(), Length(max=60)])


class BulkForm(OnceForm):
    action = SelectField(_l("Do this"), choices=[("assign", _l("Make this caseworker the owner")),
                                                 ("route", _l("Route to this partner")),
                                                 ("close", _l("Close (resolved requests)"))])
    owner = SelectField(_l("Owner"), validators=[Optional()], validate_choice=False)
    organization = SelectField(_l("Partner organization"), validators=[Optional()],
                               validate_choice=False)
    # "id:version" of each ticked case: a case changed since the page was shown is refused.
    cases = SelectMultipleField(validate_choice=False)


SCORE_LABELS = {1: _l("1 · Very dissatisfied"), 2: _l("2 · Dissatisfied"),
                3: _l("3 · Neither satisfied nor dissatisfied"), 4: _l("4 · Satisfied"),
                5: _l("5 · Very satisfied")}


class SatisfactionForm(OnceForm):
    # Checked here rather than by the field's choices, for one clear message on any bad value.
    score = RadioField(_l("How satisfied is your firm with how this request was handled?"),
                       choices=[(str(n), SCORE_LABELS[n]) for n in SCORES],
                       validate_choice=False,
                       validators=[InputRequired(message=CHOOSE_A_SCORE),
                                   AnyOf([str(n) for n in SCORES], message=CHOOSE_A_SCORE)])
    comment = TextAreaField(_l("Anything to add? (optional)"),
                            validators=[Optional(), Length(max=2000)])
