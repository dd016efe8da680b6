"""The case list's query: what the user may see, narrowed by the queue's filters and search."""
import re
from collections import defaultdict
from datetime import datetime

from sqlalchemy import Select, and_, func, or_, select, union
from sqlalchemy.orm import joinedload, load_only

from onestop import lists, policy
from onestop.accounts.models import User
from onestop.cases.models import Attachment, Case, Comment
from onestop.cases.urgency import need_condition, overdue
from onestop.catalog.models import RequestType
from onestop.errors import NotFound
from onestop.extensions import db
from onestop.firms.models import Firm
from onestop.lists import Key
from onestop.search import may_contain
from onestop.statuses import OPEN_CASE
from onestop.tasks.models import AgencyTask
from onestop.workdays.services import work_calendar

SEARCH_MAX_CHARS = 100
SEARCH_MAX_WORDS = 10
_REFERENCE = re.compile(r"(?:OS-\d{4}-)?0*(\d{1,9})", re.IGNORECASE)
# A whole reference is a rare text (a bare number is not: years, amounts).
_WHOLE_REFERENCE = re.compile(r"OS-\d{4}-\d{1,9}", re.IGNORECASE)

# What a list shows of a case (the queue's table, the API's list, the downloads): a row reads
# these columns only, not the description, the form's answers or the search's bigrams, which
# were most of what a page of 25 cases carried over from the database.
ROW = (load_only(Case.id, Case.firm_id, Case.request_type_id, Case.owner_id, Case.title,
                 Case.status, Case.priority, Case.priority_rank, Case.submitted_at,
                 Case.review_due_at, Case.accepted_at, Case.due_at, Case.version),
       joinedload(Case.firm).load_only(Firm.id, Firm.name),
       joinedload(Case.request_type).load_only(RequestType.id, RequestType.code,
                                               RequestType.name, RequestType.name_en),
       joinedload(Case.owner).load_only(User.id, User.name))

SORTS = {
    "due": (Key("due_at", Case.due_at, nullable=True), Key("id", Case.id)),
    "-due": (Key("due_at", Case.due_at, descending=True, nullable=True),
             Key("id", Case.id, descending=True)),
    "-submitted": (Key("submitted_at", Case.submitted_at, descending=True),
                   Key("id", Case.id, descending=True)),
    "age": (Key("submitted_at", Case.submitted_at), Key("id", Case.id)),
    "priority": (Key("priority_rank", Case.priority_rank), Key("id", Case.id)),
}


# Filters of the desk's: another's tasks, owners and declines are not for a firm or a partner
# to probe.
DESK_FILTERS = ("organization", "owner", "need")


def refused_filters(user, filters: dict) -> list[str]:
    """The desk's filters this user asked for but may not use."""
    if policy.can(user, "case.queue"):
        return []
    return [key for key in DESK_FILTERS if filters.get(key)]


def default_status(user) -> str:
    """The desk's queue opens on the open requests; a firm's or a partner's list on all."""
    return "open" if policy.can(user, "case.queue") else ""


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


def search_condition(user, text: str, dialect: str | None = None):
    """Every word must appear somewhere (in any order): the title, the description, the
    firm's name, or a comment this user may read; a word that reads as a reference
    (OS-2026-00042, 42) also matches that case. With the database's dialect, each word is a
    set of case ids its indexes find; without, a test of one case row (lists.Narrowing)."""
    return and_(*(_word_matches(user, word, dialect) for word in text.split()))


def _word_matches(user, word: str, dialect: str | None):
    pattern = _like(word)
    own_text = or_(Case.title.ilike(pattern, escape="\\"),
                   Case.description.ilike(pattern, escape="\\"))
    firms = select(Firm.id).where(Firm.name.ilike(pattern, escape="\\"))
    comments = (Comment.body.ilike(pattern, escape="\\"), policy.visible_comments(user))
    reference = _REFERENCE.fullmatch(word)
    if dialect is None:
        # The comments as a count a row: a subquery the planner cannot turn into a hash of
        # every comment with the word, so rows read in order stop at the page's end.
        matches = [own_text, Case.firm_id.in_(firms), select(func.count(Comment.id)).where(
            Comment.case_id == Case.id, *comments).scalar_subquery() > 0]
        if reference:
            matches.append(Case.id == int(reference.group(1)))
        return or_(*matches)
    matches = [select(Case.id).where(may_contain(Case.search_grams, word, dialect), own_text),
               select(Case.id).where(Case.firm_id.in_(firms)),
               select(Comment.case_id).where(
                   may_contain(Comment.search_grams, word, dialect), *comments)]
    if reference:
        matches.append(select(Case.id).where(Case.id == int(reference.group(1))))
    return Case.id.in_(union(*matches))


def case_query(user, filters: dict, now: datetime, shape: Select | None = None):
    """The cases the user may see, narrowed by the filters (the filter form's data, ids as
    ints, owner "me" already read as the user's id) but the search (see `case_page` and
    `searched`); unordered: `sorted_by` orders it. `shape` is what is read of each case: the
    cases as ROW loads them unless the caller selects columns of its own."""
    stmt = (select(Case).options(*ROW) if shape is None else shape).where(
        policy.visible_cases(user))
    status = filters.get("status")
    if status == "open":
        stmt = stmt.where(Case.status.in_(OPEN_CASE))
    elif status:
        stmt = stmt.where(Case.status == status)
    if filters.get("category"):
        stmt = stmt.where(Case.request_type_id.in_(select(RequestType.id).where(
            RequestType.category == filters["category"])))
    if filters.get("request_type"):
        stmt = stmt.where(Case.request_type_id == filters["request_type"])
    if filters.get("organization"):
        stmt = stmt.where(Case.id.in_(select(AgencyTask.case_id).where(
            AgencyTask.organization_id == filters["organization"])))
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
    return stmt


def case_page(user, filters: dict, now: datetime, cursor: str | None, per_page: int, *,
              counted: bool = True, shape: Select | None = None):
    """A page of the list (lists.page), its search a narrowing: a common word is found row
    by row in order, a rare one through the bigram indexes, and a search with a whole
    reference in it (every word must match) through them at once."""
    stmt, narrowing = case_query(user, filters, now, shape), None
    if filters.get("q"):
        narrowing = lists.Narrowing(
            search_condition(user, filters["q"], db.engine.dialect.name),
            search_condition(user, filters["q"]),
            rare=any(_WHOLE_REFERENCE.fullmatch(word) for word in filters["q"].split()))
    return lists.page(stmt, sort_keys(filters), cursor, per_page, narrowing, counted=counted)


def searched(user, filters: dict, now: datetime):
    """Every case of the list, its search included (downloads, counts)."""
    stmt = case_query(user, filters, now)
    if filters.get("q"):
        stmt = stmt.where(search_condition(user, filters["q"], db.engine.dialect.name))
    return stmt


def sort_keys(filters: dict) -> tuple[Key, ...]:
    return SORTS[filters.get("sort") or "due"]


def sorted_by(stmt, filters: dict):
    """Every case in the list's order (downloads; a page is lists.page with sort_keys)."""
    return lists.ordered(stmt, sort_keys(filters))


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


def attachment_of(user, case: Case, attachment_id: int) -> Attachment:
    """One of the case's files this user may download (a note's files follow the note)."""
    attachment = db.session.scalar(select(Attachment).where(
        Attachment.id == attachment_id, Attachment.case_id == case.id,
        policy.visible_attachments(user)))
    if attachment is None:
        raise NotFound("not found")
    return attachment


def task_of(case: Case, task_id: int) -> AgencyTask:
    """One of the case's tasks; NotFound for any other id."""
    task = db.session.get(AgencyTask, task_id)
    if task is None or task.case_id != case.id:
        raise NotFound("not found")
    return task
