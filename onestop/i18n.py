"""The visitor's language: translated strings and dates, catalogs looked up once per language.

Flask-Babel finds the catalog again for every string through several context proxies
(about 30 µs a string here); a 25-row list asks for a few hundred strings a page. The same
catalogs, found once per language, are kept in a dictionary; force_locale still works,
since the language is asked for on every call."""
from datetime import UTC, date, datetime, time

from babel import support
from flask_babel import get_locale, get_translations
from flask_babel.speaklater import LazyString
from jinja2 import pass_context
from wtforms.i18n import messages_path

from onestop.deadlines import SEOUL

_catalogs = {}


def _per_language(domain: str, load):
    locale = get_locale()
    if locale is None:  # outside a request and an app context
        return support.NullTranslations()
    key = domain, locale.language, locale.territory
    found = _catalogs.get(key)
    if found is None:
        found = _catalogs[key] = load(locale)
    return found


def catalog():
    """The translations of the current language (Flask-Babel's)."""
    return _per_language("messages", lambda _locale: get_translations())


def wtforms_catalog():
    """WTForms' own messages (a required field, a choice not offered) in the current
    language; Flask-WTF reads them from disk again for every request."""
    return _per_language("wtforms", lambda locale: support.Translations.load(
        messages_path(), [locale], domain="wtforms"))


def gettext(string: str, **variables) -> str:
    text = catalog().ugettext(string)
    return text % variables if variables else text


def lazy_gettext(string: str, **variables) -> LazyString:
    return LazyString(gettext, string, **variables)


def _in_seoul(value: datetime | date) -> datetime:
    if not isinstance(value, datetime):  # a day: its midnight UTC, as Babel reads it
        value = datetime.combine(value, time())
    if value.tzinfo is None:  # stored as UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(SEOUL)


def short_moment(value: datetime | date | None) -> str:
    """A moment in Seoul time, in the one unambiguous short form both languages use."""
    return _in_seoul(value).strftime("%Y-%m-%d %H:%M") if value else ""


def day(value: datetime | date | None) -> str:
    return _in_seoul(value).strftime("%Y-%m-%d") if value else ""


def _page_catalog(context):
    # Found once a render (see install); a macro imported without the page's context finds
    # it itself.
    found = context.get("_catalog")
    return found if found is not None else catalog()


def install(app) -> None:
    """Templates translate through the catalog found once a render, not once a string."""
    app.jinja_env.install_gettext_callables(
        gettext=pass_context(lambda context, s: _page_catalog(context).ugettext(s)),
        ngettext=pass_context(lambda context, s, p, n: _page_catalog(context).ungettext(s, p, n)),
        pgettext=pass_context(lambda context, c, s: _page_catalog(context).upgettext(c, s)),
        npgettext=pass_context(
            lambda context, c, s, p, n: _page_catalog(context).unpgettext(c, s, p, n)),
        newstyle=True)
    app.context_processor(lambda: {"_catalog": catalog()})
