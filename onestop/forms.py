"""The base of every form: typed text cleaned of invisible control characters, and a
one-time token that makes a repeated submit land on the first one's result."""
import re
import secrets

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import Length

from onestop.db import MAX_ID, parse_id

# C0 controls and DEL except tab, line feed and carriage return: invisible, and some
# databases refuse them. (NUL never gets this far: the request is refused with a 400.)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def record_id(value) -> int:
    """coerce= for fields that carry row ids or indexes: a whole number the database holds."""
    number = parse_id(value) if not isinstance(value, int) else value
    if number is None or not 0 <= number <= MAX_ID:
        raise ValueError("not a row id")
    return number


def strip_controls(value):
    return _CONTROL.sub("", value) if isinstance(value, str) else value


class BaseForm(FlaskForm):
    class Meta:
        def bind_field(self, form, unbound_field, options):
            if issubclass(unbound_field.field_class, StringField | TextAreaField):
                options["filters"] = (strip_controls, *options.get("filters", ()))
            return unbound_field.bind(form=form, **options)


class OnceForm(BaseForm):
    """A form whose submit must not act twice: web.perform claims its token."""

    once = HiddenField(default=lambda: secrets.token_urlsafe(18), validators=[Length(max=64)])
