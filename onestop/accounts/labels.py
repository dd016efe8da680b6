"""What each role is called on the pages."""
from flask_babel import lazy_gettext as _l

from onestop.accounts.models import Role

ROLE_LABELS = {
    Role.FIRM: _l("Firm member"),
    Role.CASEWORKER: _l("Caseworker"),
    Role.PARTNER: _l("Partner member"),
    Role.PARTNER_LEAD: _l("Partner lead"),
    Role.ADMIN: _l("Admin"),
}
