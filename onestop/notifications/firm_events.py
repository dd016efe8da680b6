"""Who hears about what happens to a firm's reports of actuals, and what those messages (and
the reminders of reports falling due) say.

As in events.py: every FirmEvent flushed is announced in the same transaction; the table
below names who is told, the policy drops whoever may not read the report, the actor is never
told, and each recipient's choice (at once, digest, in the app) decides how the row starts.
"""
from datetime import date

from flask_babel import format_date
from sqlalchemy import event as orm_event
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from onestop import policy
from onestop.accounts.models import Role, User
from onestop.commitments.labels import amount_text, measure_label
from onestop.commitments.models import FirmEvent
from onestop.db import utcnow
from onestop.extensions import db
from onestop.firms.models import Firm
from onestop.i18n import lazy_gettext as _l
from onestop.notifications import ledger
from onestop.notifications.models import CommitmentKind, RuleKind
from onestop.notifications.preferences import role_defaults, start_of
from onestop.notifications.reminders import KIND_LABELS as RULE_LABELS
from onestop.workdays.services import work_calendar

C = CommitmentKind
_NEW = "onestop.notifications.new_firm_events"


def _enabled(query) -> list[User]:
    return list(db.session.scalars(query.where(User.is_enabled)))


def reviewers(ev: FirmEvent) -> list[User]:
    """The firm's account officer; the admins, who may stand in, when it has none."""
    officer_id = db.session.get(Firm, ev.firm_id).account_officer_id
    if officer_id:
        return _enabled(select(User).where(User.id == officer_id))
    return _enabled(select(User).where(User.role == Role.ADMIN))


def firm_members(ev: FirmEvent) -> list[User]:
    return _enabled(select(User).where(User.role == Role.FIRM, User.firm_id == ev.firm_id))


WHO_HEARS = {
    "report.submit": (C.REPORT_SUBMITTED, reviewers),
    "report.verify": (C.REPORT_VERIFIED, firm_members),
    "report.return": (C.REPORT_RETURNED, firm_members),
}


def announce(events: list[FirmEvent]) -> list[int]:
    """Write the ledger rows these new history entries call for; returns their ids."""
    calendar, defaults, rows = None, None, []
    for ev in events:
        if ev.action not in WHO_HEARS or ev.report is None:
            continue
        kind, audience = WHO_HEARS[ev.action]
        for user in audience(ev):
            if user.id == ev.actor_id or not policy.can(user, "actuals.view", ev.report):
                continue
            if calendar is None:
                calendar, defaults = work_calendar(), role_defaults()
            rows.append(ledger.row(
                key=f"f{ev.id}:u{user.id}", user_id=user.id, kind=kind, firm_id=ev.firm_id,
                params={"firm_event_id": ev.id, "report_id": ev.report_id,
                        "path": f"/commitments/reports/{ev.report_id}"},
                now=utcnow(), **start_of(user, kind, ev.created_at, calendar, defaults)))
    return ledger.write(rows) if rows else []


@orm_event.listens_for(Session, "after_flush")
def _collect(session: Session, flush_context) -> None:
    new = [obj for obj in session.new if isinstance(obj, FirmEvent)]
    if new:
        session.info.setdefault(_NEW, []).extend(new)


@orm_event.listens_for(Session, "after_flush_postexec")
def _announce(session: Session, flush_context) -> None:
    new = session.info.pop(_NEW, None)
    if new:
        announce(new)


@orm_event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous_transaction) -> None:
    session.info.pop(_NEW, None)


KIND_LABELS = {
    C.REPORT_SUBMITTED: _l("Report of actuals to verify"),
    C.REPORT_VERIFIED: _l("Report of actuals verified"),
    C.REPORT_RETURNED: _l("Report of actuals returned"),
}
SENTENCES = {
    C.REPORT_SUBMITTED: _l("%(firm)s reported %(measure)s for %(year)s: %(amount)s. Verify it "
                           "or return it with a reason."),
    C.REPORT_VERIFIED: _l("Your report of %(measure)s for %(year)s (%(amount)s) was verified. "
                          "It counts towards your commitments."),
    C.REPORT_RETURNED: _l("Your report of %(measure)s for %(year)s was returned. Report it "
                          "again with what the reason asks for."),
}
DUE_SOON = _l("The report of %(measure)s for %(year)s is due on %(due)s, in %(n)s business "
              "days.")
DUE_TODAY = _l("The report of %(measure)s for %(year)s is due today (%(due)s).")
OVERDUE = _l("The report of %(measure)s for %(year)s was due on %(due)s and has not come in. "
             "Report it now.")
OVERDUE_OFFICER = _l("%(firm)s has not reported %(measure)s for %(year)s, due on %(due)s "
                     "(%(n)s business days ago).")


def firm_events_of(rows) -> dict[int, FirmEvent]:
    """The firm events (with their reports) behind a list's commitment rows, in one query."""
    ids = {row.params.get("firm_event_id") for row in rows if row.kind in set(CommitmentKind)}
    if not ids:
        return {}
    return {ev.id: ev for ev in db.session.scalars(
        select(FirmEvent).where(FirmEvent.id.in_(ids)).options(selectinload(FirmEvent.report)))}


def commitment_context(row, events: dict[int, FirmEvent] | None = None) -> dict:
    """What a message about a firm's commitments says: the sentence, the text it concerns
    (the firm's note, the reason for a return) and the facts. `events`: those of
    firm_events_of, for a list."""
    firm = row.firm
    params = row.params
    if row.kind in set(CommitmentKind):
        event_id = params.get("firm_event_id")
        ev = (events or {}).get(event_id) or db.session.get(FirmEvent, event_id)
        report = ev.report
        measure, year, amount = report.measure, report.year, report.amount
        sentence = SENTENCES[row.kind]
        quote = ev.detail if row.kind != C.REPORT_VERIFIED else ""
        label = _l("Reason") if row.kind == C.REPORT_RETURNED else _l("Note")
        kind_label = KIND_LABELS[row.kind]
    else:
        measure, year, amount = params.get("measure", ""), params.get("year", ""), None
        if row.kind == RuleKind.REPORT_DUE:
            sentence = DUE_SOON if params.get("days") else DUE_TODAY
        else:
            sentence = OVERDUE if row.user.role == Role.FIRM else OVERDUE_OFFICER
        quote, label = "", ""
        kind_label = RULE_LABELS[row.kind]
    due = params.get("due_on")
    names = {"firm": firm.name, "measure": measure_label(measure), "year": year,
             "amount": amount_text(measure, amount), "n": params.get("days", 0),
             "due": format_date(date.fromisoformat(due), "yyyy-MM-dd") if due else ""}
    return {"sentence": str(sentence) % names, "quote": quote,
            "quote_label": str(label) if quote else "", "kind_label": str(kind_label),
            "firm": firm, "measure_text": names["measure"], "year": year,
            "amount_text": names["amount"] if amount is not None else ""}
