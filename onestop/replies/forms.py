"""The canned reply form."""
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from onestop.forms import OnceForm
from onestop.i18n import lazy_gettext as _l
from onestop.replies.services import BODY_MAX, TITLE_MAX


class ReplyForm(OnceForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_MAX)])
    body = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=BODY_MAX)])


class DeleteForm(OnceForm):
    pass
