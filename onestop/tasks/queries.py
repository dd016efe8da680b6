"""The task queue's query: the tasks the user may see, narrowed by the queue's filters."""
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from onestop import lists, policy
from onestop.cases.models import Case
from onestop.lists import Key
from onestop.statuses import ACTIVE_TASK, RUNNING_TASK
from onestop.tasks.models import AgencyTask

# Soonest due first (ix_agency_tasks_org_status_due, ix_agency_tasks_status_due_at).
ORDER = (Key("due_at", AgencyTask.due_at), Key("id", AgencyTask.id))


def task_query(user, filters: dict, now: datetime):
    """Unordered; a page is lists.page with ORDER, a download `sorted_by`."""
    stmt = select(AgencyTask).where(policy.visible_tasks(user))
    if filters.get("status"):
        stmt = stmt.where(AgencyTask.status == filters["status"])
    else:
        stmt = stmt.where(AgencyTask.status.in_(ACTIVE_TASK))
    if filters.get("mine"):
        stmt = stmt.where(AgencyTask.assignee_id == user.id)
    if filters.get("overdue"):
        stmt = stmt.where(AgencyTask.due_at < now, AgencyTask.status.in_(RUNNING_TASK))
    return stmt.options(
        joinedload(AgencyTask.case).joinedload(Case.firm),
        joinedload(AgencyTask.case).joinedload(Case.request_type),
        joinedload(AgencyTask.organization), joinedload(AgencyTask.assignee))


def sorted_by(stmt):
    return lists.ordered(stmt, ORDER)
