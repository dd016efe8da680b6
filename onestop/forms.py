"""The base of every form: typed text cleaned of invisible control characters, and a
one-time token that makes a repeated submit land on the first one's result."""
import re
import secrets

from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import Length
from wtforms.widgets import Select

from onestop.db import MAX_ID, parse_id
from onestop.i18n import wtforms_catalog

# C0 controls and DEL except tab, line feed and carriage return: invisible, and some
# databases refuse them. (NUL never gets this far: the request is refused with a 400.)
CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
ONCE_MAX = 64  # a form's one-time token, as submissions.token stores it


def record_id(value) -> int:
    """coerce= for fields that carry row ids or indexes: a whole number the database holds."""
    number = parse_id(value) if not isinstance(value, int) else value
    if number is None or not 0 <= number <= MAX_ID:
        raise ValueError("not a row id")
    return number


def strip_controls(value):
    return CONTROL_IN_TEXT.sub("", value) if isinstance(value, str) else value


class QuickSelect(Select):
    """WTForms' drop-down, the same HTML, each option written out directly: through
    html_params the options of a queue's filters cost a tenth of the page."""

    @classmethod
    def render_option(cls, choice, **kwargs):
        value = choice.value
        if kwargs or choice.render_kw or isinstance(value, bool) or hasattr(value, "__html__"):
            return super().render_option(choice, **kwargs)
        selected = "selected " if choice.selected else ""
        label = escape(choice.label or choice.value)
        return Markup(f'<option {selected}value="{escape(value)}">{label}</option>')

    @classmethod
    def _dispatch_render_option(cls):
        # WTForms inspects render_option's signature on every drop-down drawn, to adapt an
        # override written for WTForms < 3.3; this one is not.
        return cls.render_option


class BaseForm(FlaskForm):
    class Meta:
        def bind_field(self, form, unbound_field, options):
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField | TextAreaField):
                options["filters"] = (strip_controls, *options.get("filters", ()))
            widget = getattr(field_class, "widget", None)
            if (type(widget) is Select and not widget.multiple
                    and "widget" not in unbound_field.kwargs):
                options.setdefault("widget", QuickSelect())
            return unbound_field.bind(form=form, **options)

        def get_translations(self, form):
            return wtforms_catalog()


class OnceForm(BaseForm):
    """A form whose submit must not act twice: web.perform claims its token."""

    once = HiddenField(default=lambda: secrets.token_urlsafe(18),
                       validators=[Length(max=ONCE_MAX)])
