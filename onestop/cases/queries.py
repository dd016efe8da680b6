"""The case list's query: what the user may see, narrowed by the queue's filters and search."""
import re
from collections import defaultdict
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload, selectinload

from onestop import policy
from onestop.cases.models import Case, Comment
from onestop.cases.urgency import need_condition, overdue
from onestop.catalog.models import RequestType
from onestop.extensions import db
from onestop.firms.models import Firm
from onestop.tasks.models import AgencyTask
from onestop.workdays.services import work_calendar
from onestop.workflow import OPEN_CASE

SEARCH_MAX_CHARS = 100
SEARCH_MAX_WORDS = 10
_REFERENCE = re.compile(r"(?:OS-\d{4}-)?0*(\d{1,9})", re.IGNORECASE)

SORTS = {
    "due": (Case.due_at.asc().nulls_last(), Case.id),
    "-due": (Case.due_at.desc().nulls_last(), Case.id.desc()),
    "-submitted": (Case.submitted_at.desc(), Case.id.desc()),
    "age": (Case.submitted_at.asc(), Case.id),
    "priority": (Case.priority_rank.asc(), Case.id),
}


def shorten_search(text: str | None) -> tuple[str, bool]:
    """The search as it is run (at most SEARCH_MAX_CHARS and SEARCH_MAX_WORDS), and whether
    it had to be shortened."""
    text = " ".join((text or "").split())
    words = text.split(" ")[:SEARCH_MAX_WORDS]
    short = " ".join(words)[:SEARCH_MAX_CHARS].strip()
    return short, short != text


def _like(word: str) -> str:
    """A LIKE pattern matching the word anywhere, its % and _ taken literally."""
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_condition(user, text: str):
    """Every word must appear somewhere (in any order): the title, the description, the
    firm's name, or a comment this user may read; a word that reads as a reference (OS-2026-00042,
    42) also matches that case."""
    conditions = []
    for word in text.split():
        pattern = _like(word)
        matches = [
            Case.title.ilike(pattern, escape="\\"),
            Case.description.ilike(pattern, escape="\\"),
            select(Firm.id).where(Firm.id == Case.firm_id,
                                  Firm.name.ilike(pattern, escape="\\")).exists(),
            select(Comment.id).where(Comment.case_id == Case.id, policy.visible_comments(user),
                                     Comment.body.ilike(pattern, escape="\\")).exists(),
        ]
        reference = _REFERENCE.fullmatch(word)
        if reference:
            matches.append(Case.id == int(reference.group(1)))
        conditions.append(or_(*matches))
    return and_(*conditions)


def case_query(user, filters: dict, now: datetime):
    """The cases the user may see, narrowed by the filters (the filter form's data, ids as
    ints, owner "me" already read as the user's id)."""
    stmt = select(Case).where(policy.visible_cases(user))
    status = filters.get("status")
    if status == "open":
        stmt = stmt.where(Case.status.in_(OPEN_CASE))
    elif status:
        stmt = stmt.where(Case.status == status)
    if filters.get("category"):
        stmt = stmt.where(Case.request_type.has(RequestType.category == filters["category"]))
    if filters.get("request_type"):
        stmt = stmt.where(Case.request_type_id == filters["request_type"])
    if filters.get("organization"):
        stmt = stmt.where(Case.tasks.any(AgencyTask.organization_id == filters["organization"]))
    if filters.get("firm"):
        stmt = stmt.where(Case.firm_id == filters["firm"])
    owner = filters.get("owner")
    if owner == "none":
        stmt = stmt.where(Case.owner_id.is_(None))
    elif owner:
        stmt = stmt.where(Case.owner_id == owner)
    if filters.get("overdue"):
        stmt = stmt.where(overdue(now))
    if filters.get("need"):  # the home page's sections
        stmt = stmt.where(need_condition(filters["need"], now, work_calendar()))
    if filters.get("q"):
        stmt = stmt.where(search_condition(user, filters["q"]))
    return stmt.order_by(*SORTS[filters.get("sort") or "due"]).options(
        selectinload(Case.firm), selectinload(Case.request_type), selectinload(Case.owner))


def partners_of(user, case_ids: list[int]) -> dict[int, list]:
    """The partner organizations each case is routed to, as far as this user may see its
    tasks: one query for a whole page."""
    partners: dict[int, list] = defaultdict(list)
    if not case_ids:
        return partners
    tasks = select(AgencyTask).where(AgencyTask.case_id.in_(case_ids),
                                     policy.visible_tasks(user)).options(
        joinedload(AgencyTask.organization)).order_by(AgencyTask.id)
    for task in db.session.scalars(tasks):
        if task.organization not in partners[task.case_id]:
            partners[task.case_id].append(task.organization)
    return partners
