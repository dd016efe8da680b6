"""Who may own a case or be a firm's account officer, and the case page's form to hand it over."""
from sqlalchemy import select

from onestop.accounts.models import STAFF_ROLES, User
from onestop.cases.forms import ReassignForm
from onestop.cases.models import Case
from onestop.extensions import db


def caseworkers() -> list[User]:
    """The desk's people who may own a case (services.caseworker, as a query)."""
    return list(db.session.scalars(select(User).where(
        User.role.in_(STAFF_ROLES), User.is_enabled).order_by(User.name)))


def caseworker_choices() -> list[tuple[int, str]]:
    return [(u.id, u.name) for u in caseworkers()]


def reassign_form(case: Case | None = None, seen: str = "") -> ReassignForm:
    """The form afresh for the case page (its current owner chosen), or as posted (no case)."""
    form = (ReassignForm(formdata=None, version=case.version, seen=seen, owner=case.owner_id)
            if case else ReassignForm())
    form.owner.choices = caseworker_choices()
    return form
