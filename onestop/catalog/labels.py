"""Display names of the catalog's categories."""
from flask_babel import lazy_gettext as _l

from onestop.catalog.models import Category

CATEGORY_LABELS = {
    Category.PERMIT: _l("Permits"),
    Category.LABOR: _l("Labor relations"),
    Category.HIRING: _l("Hiring"),
    Category.OTHER: _l("Other"),
}
