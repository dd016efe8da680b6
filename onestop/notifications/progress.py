"""Progress notices (민원처리법 §27): a request type's period (30 days by default) after the
desk accepted a request that is still unfinished, and whenever the firm asks on its request
page, the firm's members get the progress and the expected completion date. Each trigger is
an Event, and its ledger rows are keyed by it: sent once per trigger."""
from datetime import datetime, time

from sqlalchemy import select, update

from onestop import policy
from onestop.accounts.models import Role, User
from onestop.cases.models import Case, Event
from onestop.deadlines import SEOUL
from onestop.errors import Invalid, InvalidTransition
from onestop.extensions import db
from onestop.i18n import lazy_gettext as _l
from onestop.i18n import short_moment
from onestop.notifications import ledger
from onestop.notifications.models import EventKind
from onestop.notifications.preferences import role_defaults, start_of
from onestop.statuses import ACTIVE_TASK, ROUTABLE_CASE
from onestop.workdays.services import work_calendar
from onestop.workflow import STATUS_LABELS

SWEEP_BATCH = 500
SENTENCE = _l("Progress of your request %(ref)s: %(status)s. Expected completion: %(due)s.")
TASKS_LABEL = _l("Partner tasks")


def expected_completion(case: Case) -> datetime | None:
    """The latest due date of the partners still at work, else the request's own."""
    return max((t.due_at for t in case.tasks if t.status in ACTIVE_TASK), default=case.due_at)


def ask_progress(actor, case: Case, *, now: datetime) -> Event:
    """The firm asks for the progress now; its members are sent it."""
    policy.require(actor, "case.ask_progress", case)
    if case.status not in ROUTABLE_CASE:
        raise InvalidTransition(_l("A progress notice is sent while the request is being "
                                   "processed."))
    today = datetime.combine(now.astimezone(SEOUL).date(), time(0), SEOUL)
    if db.session.scalar(select(Event.id).where(
            Event.case_id == case.id, Event.action == "case.progress_asked",
            Event.created_at >= today).limit(1)):
        raise Invalid(_l("The progress was sent today already; it is in your firm's mailboxes."))
    return _notice(case, actor, "case.progress_asked", now)[0]


def sweep(now: datetime) -> list[int]:
    """Send the notices that fall due; each request's once (the claim clears its moment, in
    one statement for the batch)."""
    due = select(Case.id).where(
        Case.progress_notice_at <= now, Case.status.in_(ROUTABLE_CASE)
    ).order_by(Case.progress_notice_at).limit(SWEEP_BATCH)
    claimed = db.session.scalars(
        update(Case).where(Case.id.in_(due), Case.progress_notice_at.is_not(None))
        .values(progress_notice_at=None).returning(Case.id)
        .execution_options(synchronize_session=False)).all()
    written = []
    for case_id in sorted(claimed):
        written += _notice(db.session.get(Case, case_id), None, "case.progress_notice", now)[1]
    return written


def _notice(case: Case, actor, action: str, now: datetime) -> tuple[Event, list[int]]:
    event = Event(case=case, actor=actor, action=action, created_at=now)
    db.session.add(event)
    db.session.flush()
    members = list(db.session.scalars(select(User).where(
        User.role == Role.FIRM, User.firm_id == case.firm_id, User.is_enabled)))
    readers = policy.who_may_read(members, case)
    calendar, defaults = work_calendar(), role_defaults()
    return event, ledger.write([ledger.row(
        key=f"e{event.id}:u{user.id}", user_id=user.id, kind=EventKind.PROGRESS_NOTICE,
        now=now, case_id=case.id, event_id=event.id,
        params={"whole": True, "path": f"/cases/{case.id}#tasks"},
        **start_of(user, EventKind.PROGRESS_NOTICE, now, calendar, defaults))
        for user in members if user.id in readers])


def progress_context(case: Case, locale: str) -> dict:
    """What the notice says, as things stand when it is sent."""
    due = expected_completion(case)
    lines = [f"· {t.organization.display_name(locale)}: {STATUS_LABELS[t.status]}, "
             f"{short_moment(t.due_at)}"
             for t in sorted(case.tasks, key=lambda t: t.id)]
    return {"sentence": str(SENTENCE % {
                "ref": case.reference, "status": STATUS_LABELS[case.status],
                "due": short_moment(due) or "—"}),
            "quote": "\n".join(lines), "quote_label": str(TASKS_LABEL) if lines else ""}
