"""What each role is called on the pages."""
from onestop.accounts.models import Role
from onestop.i18n import lazy_gettext as _l

ROLE_LABELS = {
    Role.FIRM: _l("Firm member"),
    Role.CASEWORKER: _l("Caseworker"),
    Role.PARTNER: _l("Partner member"),
    Role.PARTNER_LEAD: _l("Partner lead"),
    Role.ADMIN: _l("Admin"),
}
