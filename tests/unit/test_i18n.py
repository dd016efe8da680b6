"""The catalogs found once per language give what Flask-Babel and WTForms give, in the
language of the moment; the quick drop-down writes WTForms' own HTML."""
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from flask import render_template_string
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as babel_gettext
from markupsafe import Markup
from wtforms import Form, SelectField
from wtforms.validators import InputRequired
from wtforms.widgets import Select

from onestop import create_app, i18n
from onestop.forms import BaseForm, QuickSelect


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return create_app("test", UPLOAD_DIR=str(tmp_path_factory.mktemp("uploads")))


def test_strings_follow_the_language_of_the_moment(app):
    with app.test_request_context("/"):
        korean = i18n.gettext("Case queue")
        assert korean == babel_gettext("Case queue") != "Case queue"
        with force_locale("en"):  # an email in its recipient's language
            assert i18n.gettext("Case queue") == "Case queue"
            assert render_template_string('{{ _("Case queue") }}') == "Case queue"
            assert str(i18n.lazy_gettext("%(n)d active", n=3)) == "3 active"
            assert render_template_string('{{ pgettext("x", "Case queue") }}') == "Case queue"
        assert render_template_string('{{ _("Case queue") }}') == korean
        assert i18n.gettext("%(n)d active", n=3) == babel_gettext("%(n)d active", n=3)


def test_a_template_rendered_without_the_page_context_translates_too(app):
    # As a macro imported without context renders: no context processor has run.
    with app.test_request_context("/"), force_locale("en"):
        assert app.jinja_env.from_string('{{ _("Case queue") }}').render() == "Case queue"


def test_wtforms_messages_follow_the_language(app):
    class Required(BaseForm):
        class Meta:
            csrf = False
        name = SelectField(choices=[("a", "A")], validators=[InputRequired()])

    with app.test_request_context("/", method="POST", data={}):
        form = Required()
        assert not form.validate()
        korean = form.name.errors[0]
        with force_locale("en"):
            english = Required()
            english.validate()
            assert english.name.errors == ["This field is required."]
        assert korean != "This field is required."


def test_the_short_moment_is_the_pattern_babel_formats(app):
    with app.test_request_context("/"):
        for moment in (datetime(2026, 12, 31, 15, 30, tzinfo=UTC),
                       datetime(2026, 3, 1, 0, 5, tzinfo=timezone(timedelta(hours=-5))),
                       datetime(2026, 6, 30, 23, 59)):  # naive: stored as UTC
            assert i18n.short_moment(moment) == format_datetime(moment, "yyyy-MM-dd HH:mm")
            assert i18n.day(moment) == format_datetime(moment, "yyyy-MM-dd")
        assert i18n.short_moment(datetime(2026, 12, 31, 15, 30, tzinfo=UTC)) == "2027-01-01 00:30"
        assert i18n.short_moment(None) == i18n.day(None) == ""
        a_day = date(2026, 3, 1)  # as Babel reads a day: its midnight UTC
        assert i18n.short_moment(a_day) == format_datetime(a_day, "yyyy-MM-dd HH:mm")
        assert i18n.day(a_day) == format_datetime(a_day, "yyyy-MM-dd") == "2026-03-01"


def test_the_quick_drop_down_writes_wtforms_html(app):
    choices = [("", ""), ("open", "열린 요청"), (7, 'a "quoted" <b>&</b>'),
               (Markup('say "hi"'), "marked safe"),
               ("x", "render_kw", {"disabled": True}), (True, "yes")]

    class Plain(Form):
        pick = SelectField(choices=choices, coerce=str)

    class Quick(Form):
        pick = SelectField(choices=choices, coerce=str, widget=QuickSelect())

    for chosen in ("", "open", "7", "nothing offered"):
        plain, quick = Plain(data={"pick": chosen}), Quick(data={"pick": chosen})
        assert quick.pick() == plain.pick() == Select()(plain.pick)
        assert quick.pick(class_="wide") == plain.pick(class_="wide")

    class Bound(BaseForm):
        class Meta:
            csrf = False
        pick = SelectField(choices=choices)

        own = SelectField(choices=choices, widget=Select())

    with app.test_request_context("/"):
        assert isinstance(Bound().pick.widget, QuickSelect)
        assert type(Bound().own.widget) is Select
