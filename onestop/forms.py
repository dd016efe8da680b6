"""The base of every form: typed text cleaned of invisible control characters, and a
one-time token that makes a repeated submit land on the first one's result."""
import re
import secrets

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField

from onestop.db import MAX_ID

# C0 controls and DEL except tab, line feed and carriage return: invisible, and some
# databases refuse them. (NUL never gets this far: the request is refused with a 400.)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def record_id(value) -> int:
    """coerce= for fields that carry row ids or indexes: a whole number the database holds."""
    number = int(value)
    if not 0 <= number <= MAX_ID:
        raise ValueError("out of range")
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

    once = HiddenField(default=lambda: secrets.token_urlsafe(18))
