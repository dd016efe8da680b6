"""The webhook endpoint form and the buttons of its page."""
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length

from onestop.cases.forms import MultiCheckboxField
from onestop.forms import OnceForm
from onestop.i18n import lazy_gettext as _l
from onestop.notifications.events import KIND_LABELS
from onestop.webhooks.addresses import URL_MAX
from onestop.webhooks.services import DESCRIPTION_MAX, KINDS


class EndpointForm(OnceForm):
    url = StringField(_l("URL"), validators=[DataRequired(), Length(max=URL_MAX)])
    description = StringField(_l("Description"), validators=[Length(max=DESCRIPTION_MAX)])
    events = MultiCheckboxField(_l("Events"), choices=[(k.value, KIND_LABELS[k]) for k in KINDS],
                                validators=[DataRequired()])
    allow_private = BooleanField(_l("May reach addresses inside the network (loopback, "
                                    "private, link-local)"))


class ButtonForm(OnceForm):
    pass
