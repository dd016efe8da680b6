"""Optimistic locking: a save based on an old version is refused, not merged."""
from onestop.errors import StaleVersion
from onestop.i18n import lazy_gettext as _l

CHANGED_MEANWHILE = _l("Someone changed this meanwhile. Your change was not saved; "
                       "look at the current state and try again.")


def check_version(obj, expected: int | str | None) -> None:
    """Raise Conflict when the form was based on another version than the stored one."""
    if expected is None:
        return
    try:
        expected = int(expected)
    except (TypeError, ValueError):
        raise StaleVersion(CHANGED_MEANWHILE) from None
    if obj.version != expected:
        raise StaleVersion(CHANGED_MEANWHILE)
