"""Display names of the catalog's categories."""
from onestop.catalog.models import Category
from onestop.i18n import lazy_gettext as _l

CATEGORY_LABELS = {
    Category.PERMIT: _l("Permits"),
    Category.LABOR: _l("Labor relations"),
    Category.HIRING: _l("Hiring"),
    Category.OTHER: _l("Other"),
}
