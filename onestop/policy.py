"""Who may do what: every permission rule, and the query scopes built from them."""
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, false, select, true

from onestop.accounts.models import PARTNER_ROLES, STAFF_ROLES, Role
from onestop.cases.models import Case
from onestop.errors import NotAllowed, NotFound
from onestop.firms.models import Firm
from onestop.tasks.models import AgencyTask


def _staff(user, obj=None) -> bool:
    return user.role in STAFF_ROLES


def _admin(user, obj=None) -> bool:
    return user.role == Role.ADMIN


def _firm_member(user, obj=None) -> bool:
    return user.role == Role.FIRM and user.firm_id is not None


def _partner(user, obj=None) -> bool:
    return user.role in PARTNER_ROLES and user.organization_id is not None


def _holds_task(user, case: Case) -> bool:
    return _partner(user) and any(t.organization_id == user.organization_id for t in case.tasks)


def _sees_case(user, case: Case) -> bool:
    if _staff(user):
        return True
    if _firm_member(user):
        return case.firm_id == user.firm_id
    return _holds_task(user, case)


def _own_firm_case(user, case: Case) -> bool:
    return _firm_member(user) and case.firm_id == user.firm_id


def _sees_task(user, task: AgencyTask) -> bool:
    if _staff(user):
        return True
    if _firm_member(user):
        return task.case.firm_id == user.firm_id
    return _partner(user) and task.organization_id == user.organization_id


def _works_task(user, task: AgencyTask) -> bool:
    return _partner(user) and task.organization_id == user.organization_id


def _leads_task(user, task: AgencyTask) -> bool:
    return _works_task(user, task) and user.role == Role.PARTNER_LEAD


def _sees_firm(user, firm: Firm) -> bool:
    return _staff(user) or (_firm_member(user) and user.firm_id == firm.id)


def _sees_internal(user, case: Case) -> bool:
    return _staff(user) or _holds_task(user, case)


RULES: dict[str, Callable[[Any, Any], bool]] = {
    "case.view": _sees_case,
    "case.file": _firm_member,
    "case.queue": _staff,
    "case.accept": _staff,
    "case.reject": _staff,
    "case.route": _staff,
    "case.resolve": _staff,
    "case.close": _staff,
    "case.reopen": _own_firm_case,
    "case.withdraw": _own_firm_case,
    "case.answer": _own_firm_case,
    "case.edit_checklist": lambda u, c: _staff(u) or _own_firm_case(u, c),
    "case.comment": _sees_case,
    "case.comment_internal": _sees_internal,
    "case.see_internal": _sees_internal,
    "case.attach": _sees_case,
    "task.view": _sees_task,
    "task.open": lambda u, t: _staff(u) or _works_task(u, t),
    "task.queue": lambda u, o=None: _partner(u) or _staff(u),
    "task.accept": _works_task,
    "task.request_info": _works_task,
    "task.complete": _works_task,
    "task.decline": _works_task,
    "task.assign": lambda u, t: _staff(u) or _leads_task(u, t),
    "task.override_due": lambda u, t: _staff(u),
    "firm.view": _sees_firm,
    "firm.onboard": _staff,
    "firm.invite": lambda u, f: _staff(u),
    "deadline.calculate": lambda u, o=None: _staff(u) or _partner(u),
    "admin.manage": _admin,
}

# The rule that decides whether an object exists for the user at all.
VISIBILITY = {Case: "case.view", AgencyTask: "task.view", Firm: "firm.view"}


def can(user, action: str, obj: Any = None) -> bool:
    """May this user do this (to that object)?"""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return RULES[action](user, obj)


def require(user, action: str, obj: Any = None) -> None:
    """Raise NotFound if obj is outside the user's reach, NotAllowed if the action is not theirs."""
    view_rule = VISIBILITY.get(type(obj))
    if view_rule and not can(user, view_rule, obj):
        raise NotFound("not found")
    if not can(user, action, obj):
        raise NotAllowed("not allowed")


def visible_cases(user) -> ColumnElement[bool]:
    """WHERE clause for the cases this user may see."""
    if _staff(user):
        return true()
    if _firm_member(user):
        return Case.firm_id == user.firm_id
    if _partner(user):
        return Case.id.in_(
            select(AgencyTask.case_id).where(AgencyTask.organization_id == user.organization_id)
        )
    return false()


def visible_tasks(user) -> ColumnElement[bool]:
    """WHERE clause for the agency tasks this user may see."""
    if _staff(user):
        return true()
    if _firm_member(user):
        return AgencyTask.case_id.in_(select(Case.id).where(Case.firm_id == user.firm_id))
    if _partner(user):
        return AgencyTask.organization_id == user.organization_id
    return false()


def visible_firms(user) -> ColumnElement[bool]:
    """WHERE clause for the firms this user may see."""
    if _staff(user):
        return true()
    if _firm_member(user):
        return Firm.id == user.firm_id
    return false()
