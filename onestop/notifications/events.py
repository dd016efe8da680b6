"""Who hears about what happens on a case.

Every Event written to the history is announced here, in the same transaction: the table
below names who is told, the policy drops whoever may not read it, the actor is never told,
and each recipient's choice (at once, digest, in the app) decides how the row starts. The
ledger queues the emails once the transaction commits.
"""
from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import event as orm_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from onestop import policy
from onestop.accounts.models import PARTNER_ROLES, Role, User
from onestop.cases.models import Event, NoteAudience
from onestop.db import utcnow
from onestop.extensions import db
from onestop.i18n import lazy_gettext as _l
from onestop.i18n import short_moment
from onestop.notifications import ledger
from onestop.notifications.models import EventKind
from onestop.notifications.preferences import role_defaults, start_of
from onestop.notifications.progress import progress_context
from onestop.statuses import ACTIVE_TASK
from onestop.tasks.models import AgencyTask
from onestop.workdays.services import work_calendar

E = EventKind
_NEW_EVENTS = "onestop.notifications.new_events"


def _enabled(query) -> list[User]:
    return list(db.session.scalars(query.where(User.is_enabled)))


def firm(ev: Event) -> list[User]:
    return _enabled(select(User).where(User.role == Role.FIRM, User.firm_id == ev.case.firm_id))


def desk(ev: Event) -> list[User]:
    """The firm's account officer (or the case's owner); every caseworker when it has none."""
    officer_id = ev.case.firm.account_officer_id or ev.case.owner_id
    if officer_id:
        return _enabled(select(User).where(User.id == officer_id))
    return caseworkers(ev)


def caseworkers(ev: Event) -> list[User]:
    return _enabled(select(User).where(User.role == Role.CASEWORKER))


def _task_people(tasks: Iterable[AgencyTask]) -> list[User]:
    """Each task's assignee, or its organization's lead and members while it has none."""
    people, org_ids = [], []
    for task in tasks:
        assignee = task.assignee
        if (assignee and assignee.is_enabled and assignee.is_partner
                and assignee.organization_id == task.organization_id):
            people.append(assignee)
        else:
            org_ids.append(task.organization_id)
    if org_ids:
        people += _enabled(select(User).where(User.role.in_(PARTNER_ROLES),
                                              User.organization_id.in_(org_ids)))
    return people


def task_people(ev: Event) -> list[User]:
    return _task_people([ev.task])


def assignees(ev: Event) -> list[User]:
    """The new assignee and the one the task was taken from."""
    ids = [i for i in (ev.params.get("assignee_id"), ev.params.get("previous_id")) if i]
    return _enabled(select(User).where(User.id.in_(ids))) if ids else []


def leads(ev: Event) -> list[User]:
    """The leads of the task's organization."""
    return _enabled(select(User).where(User.role == Role.PARTNER_LEAD,
                                       User.organization_id == ev.task.organization_id))


def new_owner(ev: Event) -> list[User]:
    return _enabled(select(User).where(User.id == ev.params.get("owner_id")))


def partners_on_case(ev: Event) -> list[User]:
    return _task_people(ev.case.tasks)


def partners_at_work(ev: Event) -> list[User]:
    return _task_people(t for t in ev.case.tasks if t.status in ACTIVE_TASK)


def partners_answered(ev: Event) -> list[User]:
    answered = set(ev.params.get("answered_tasks", []))
    return _task_people(t for t in ev.case.tasks if t.id in answered)


Audience = Callable[[Event], list[User]]
# Who reads the whole event, and who only learns the case-level fact (a firm told that a due
# date moved, never the desk's reason for it).
WHOLE, CASE_FACT = "whole", "case"

# history action -> [(kind, audience, what they may read)]
WHO_HEARS: dict[str, list[tuple[str, Audience, str]]] = {
    "case.submit": [(E.CASE_FILED, desk, WHOLE)],
    "case.accept": [(E.CASE_ACCEPTED, firm, WHOLE)],
    "case.reject": [(E.CASE_REJECTED, firm, WHOLE)],
    "task.route": [(E.TASK_ROUTED, task_people, WHOLE)],
    "task.assign": [(E.TASK_ASSIGNED, assignees, WHOLE)],
    "task.request_info": [(E.INFO_REQUESTED, firm, WHOLE)],
    "task.complete": [(E.TASK_COMPLETED, desk, WHOLE)],
    "task.decline": [(E.TASK_DECLINED, desk, WHOLE), (E.TASK_DECLINED, caseworkers, WHOLE)],
    "case.resolve": [(E.CASE_RESOLVED, firm, WHOLE), (E.CASE_RESOLVED, partners_on_case, WHOLE)],
    "case.tasks_done": [(E.CASE_RESOLVED, firm, WHOLE),
                        (E.CASE_RESOLVED, partners_on_case, WHOLE)],
    "case.reopen": [(E.CASE_REOPENED, firm, WHOLE), (E.CASE_REOPENED, desk, WHOLE),
                    (E.CASE_REOPENED, partners_on_case, WHOLE)],
    "case.close": [(E.CASE_CLOSED, firm, WHOLE), (E.CASE_CLOSED, partners_on_case, WHOLE)],
    "case.withdraw": [(E.CASE_WITHDRAWN, firm, WHOLE), (E.CASE_WITHDRAWN, desk, WHOLE),
                      (E.CASE_WITHDRAWN, partners_on_case, WHOLE)],
    "case.reassign": [(E.CASE_REASSIGNED, new_owner, WHOLE)],
    "task.due_changed": [(E.DUE_CHANGED, task_people, WHOLE), (E.DUE_CHANGED, firm, CASE_FACT)],
    "task.due_beyond_period": [(E.DUE_CHANGED, task_people, WHOLE),
                               (E.DUE_CHANGED, firm, CASE_FACT)],
    "task.extend": [(E.PERIOD_EXTENDED, firm, WHOLE), (E.PERIOD_EXTENDED, desk, WHOLE),
                    (E.PERIOD_EXTENDED, task_people, WHOLE)],
    "task.extension_asked": [(E.EXTENSION_ASKED, firm, WHOLE), (E.EXTENSION_ASKED, desk, WHOLE)],
    "task.extension_consented": [(E.PERIOD_EXTENDED, task_people, WHOLE),
                                 (E.PERIOD_EXTENDED, desk, WHOLE)],
    "task.extension_refused": [(E.EXTENSION_REFUSED, task_people, WHOLE),
                               (E.EXTENSION_REFUSED, desk, WHOLE)],
    "task.supplement_more_time": [(E.SUPPLEMENT_MORE_TIME, task_people, WHOLE),
                                  (E.SUPPLEMENT_MORE_TIME, desk, WHOLE)],
    "task.supplement_reminded": [(E.SUPPLEMENT_REMINDED, firm, WHOLE)],
    "task.supplement_lapsed": [(E.SUPPLEMENT_LAPSED, desk, WHOLE),
                               (E.SUPPLEMENT_LAPSED, firm, WHOLE),
                               (E.SUPPLEMENT_LAPSED, task_people, WHOLE)],
    "case.return": [(E.CASE_RETURNED, firm, WHOLE), (E.CASE_RETURNED, partners_on_case, WHOLE)],
    "task.deem_consent": [(E.DEEMED_CONSENT, desk, WHOLE), (E.DEEMED_CONSENT, task_people, WHOLE),
                          (E.DEEMED_CONSENT, leads, WHOLE)],
    "task.pause_recorded": [(E.DUE_CHANGED, desk, WHOLE), (E.DUE_CHANGED, firm, CASE_FACT)],
    "task.due_recomputed": [(E.DUE_CHANGED, task_people, WHOLE),
                            (E.DUE_CHANGED, firm, CASE_FACT)],
    "case.due_recomputed": [(E.DUE_CHANGED, firm, CASE_FACT), (E.DUE_CHANGED, desk, CASE_FACT)],
    "case.object": [(E.OBJECTION_FILED, desk, WHOLE)],
    "case.objection_extended": [(E.OBJECTION_EXTENDED, firm, WHOLE)],
    "case.objection_decided": [(E.OBJECTION_DECIDED, firm, WHOLE)],
    "task.transferred_in": [(E.TASK_ROUTED, task_people, WHOLE),
                            (E.TASK_TRANSFERRED, firm, WHOLE), (E.TASK_TRANSFERRED, desk, WHOLE)],
}

# A comment goes to the other side of the case; a firm's answer to a question is "answered"
# for the partners who asked and the desk; an internal note to the note's audience.
FIRM_COMMENT = [(E.FIRM_ANSWERED, partners_answered, WHOLE), (E.FIRM_ANSWERED, desk, WHOLE),
                (E.COMMENT, partners_at_work, WHOLE)]
FIRM_QUESTION = [(E.COMMENT, desk, WHOLE), (E.COMMENT, partners_at_work, WHOLE)]
CITY_COMMENT = [(E.COMMENT, firm, WHOLE)]
NOTES = {NoteAudience.DESK: [(E.NOTE, desk, WHOLE)],
         NoteAudience.PARTNERS: [(E.NOTE, desk, WHOLE), (E.NOTE, partners_at_work, WHOLE)]}


def who_hears(ev: Event) -> list[tuple[str, Audience, str]]:
    if ev.action != "case.comment":
        return WHO_HEARS.get(ev.action, [])
    comment = ev.comment
    if comment.audience != NoteAudience.PUBLIC:
        return NOTES[comment.audience]
    if comment.author.role == Role.FIRM:
        return FIRM_COMMENT if ev.params.get("answered_tasks") else FIRM_QUESTION
    return CITY_COMMENT


KIND_LABELS = {
    E.CASE_FILED: _l("New request filed"),
    E.CASE_ACCEPTED: _l("Request accepted"),
    E.CASE_REJECTED: _l("Request rejected"),
    E.TASK_ROUTED: _l("Task routed to you"),
    E.TASK_ASSIGNED: _l("Task assigned"),
    E.INFO_REQUESTED: _l("Information requested"),
    E.FIRM_ANSWERED: _l("The firm answered"),
    E.TASK_COMPLETED: _l("Task completed"),
    E.TASK_DECLINED: _l("Task declined"),
    E.CASE_RESOLVED: _l("Request resolved"),
    E.CASE_REOPENED: _l("Request reopened"),
    E.CASE_CLOSED: _l("Request closed"),
    E.CASE_WITHDRAWN: _l("Request withdrawn"),
    E.CASE_REASSIGNED: _l("Request handed to you"),
    E.DUE_CHANGED: _l("Due date changed"),
    E.PERIOD_EXTENDED: _l("Period extended"),
    E.EXTENSION_ASKED: _l("Your consent to an extension is asked"),
    E.EXTENSION_REFUSED: _l("Extension not agreed"),
    E.TASK_TRANSFERRED: _l("Task transferred"),
    E.PROGRESS_NOTICE: _l("Progress of your request"),
    E.SUPPLEMENT_MORE_TIME: _l("More time to answer"),
    E.SUPPLEMENT_REMINDED: _l("Supplement reminder"),
    E.SUPPLEMENT_LAPSED: _l("Supplement not received"),
    E.CASE_RETURNED: _l("Request returned"),
    E.DEEMED_CONSENT: _l("Consent deemed given"),
    E.OBJECTION_FILED: _l("Objection to a rejection"),
    E.OBJECTION_EXTENDED: _l("Objection: decision later"),
    E.OBJECTION_DECIDED: _l("Objection decided"),
    E.COMMENT: _l("New comment"),
    E.NOTE: _l("New internal note"),
}


def _path(ev: Event, user: User, kind: str) -> str:
    """The exact place the message is about, for this recipient."""
    if ev.task_id and user.role in PARTNER_ROLES and ev.task.organization_id == user.organization_id:
        return f"/tasks/{ev.task_id}"
    if kind == E.INFO_REQUESTED:
        return f"/cases/{ev.case_id}#answer"
    if kind == E.EXTENSION_ASKED and user.role == Role.FIRM:
        return f"/cases/{ev.case_id}#extension"
    if kind in (E.SUPPLEMENT_REMINDED, E.SUPPLEMENT_LAPSED) and user.role == Role.FIRM:
        return f"/cases/{ev.case_id}#answer"
    if kind == E.CASE_RESOLVED and user.role == Role.FIRM:
        return f"/cases/{ev.case_id}#satisfaction"  # the one question the firm is asked
    if ev.comment_id:
        return f"/cases/{ev.case_id}#comment-{ev.comment_id}"
    return f"/cases/{ev.case_id}"


def announce(events: list[Event]) -> list[int]:
    """Write the ledger rows these new events call for; returns their ids."""
    calendar, defaults, rows = None, None, []
    for ev in events:
        heard: dict[int, tuple[User, str, str]] = {}
        for kind, audience, reads in who_hears(ev):
            for user in audience(ev):
                if user.id != ev.actor_id and user.id not in heard:
                    heard[user.id] = (user, kind, reads)
        if not heard:
            continue
        whole = policy.who_may_read([u for u, _, r in heard.values() if r == WHOLE], ev)
        fact = policy.who_may_read([u for u, _, r in heard.values() if r == CASE_FACT], ev.case)
        if calendar is None:
            calendar, defaults = work_calendar(), role_defaults()
        for user, kind, reads in heard.values():
            if user.id not in (whole if reads == WHOLE else fact):
                continue
            rows.append(ledger.row(
                key=f"e{ev.id}:u{user.id}", user_id=user.id, kind=kind, now=utcnow(),
                case_id=ev.case_id, task_id=ev.task_id, event_id=ev.id,
                params={"whole": reads == WHOLE, "path": _path(ev, user, kind)},
                **start_of(user, kind, ev.created_at, calendar, defaults)))
    return ledger.write(rows) if rows else []


# What hears of new events: the notifications, and whatever registers here (the webhooks).
LISTENERS: list[Callable[[list[Event]], object]] = [announce]


@orm_event.listens_for(Session, "after_flush")
def _collect_new_events(session: Session, flush_context) -> None:
    new = [obj for obj in session.new if isinstance(obj, Event)]
    if new:
        session.info.setdefault(_NEW_EVENTS, []).extend(new)


@orm_event.listens_for(Session, "after_flush_postexec")
def _announce_new_events(session: Session, flush_context) -> None:
    # The events have their ids now; the rows are written by statements of their own, inside
    # the same transaction, so a change and its notifications commit or roll back together.
    new = session.info.pop(_NEW_EVENTS, None)
    if new:
        for listener in LISTENERS:
            listener(new)


@orm_event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction) -> None:
    session.info.pop(_NEW_EVENTS, None)



SENTENCES = {
    E.CASE_FILED: _l("%(firm)s filed a new request."),
    E.CASE_ACCEPTED: _l("The one-stop desk accepted your request. The processing clock has "
                        "started."),
    E.CASE_REJECTED: _l("The one-stop desk rejected your request."),
    E.TASK_ROUTED: _l("A new task was routed to %(org)s."),
    E.TASK_ASSIGNED: _l("A task of %(org)s was assigned to %(assignee)s."),
    E.INFO_REQUESTED: _l("A partner asked your firm for information. The processing clock "
                         "is stopped until you answer."),
    E.FIRM_ANSWERED: _l("%(firm)s answered. The processing clock runs again."),
    E.TASK_COMPLETED: _l("%(org)s completed its task."),
    E.TASK_DECLINED: _l("%(org)s declined its task. The request must be routed again."),
    E.CASE_RESOLVED: _l("The request was resolved."),
    E.CASE_REOPENED: _l("%(firm)s reopened the request."),
    E.CASE_CLOSED: _l("The request was closed."),
    E.CASE_WITHDRAWN: _l("%(firm)s withdrew the request."),
    E.CASE_REASSIGNED: _l("A request of %(firm)s is now yours: you are its owner."),
    E.DUE_CHANGED: _l("The due date of %(org)s's task is now %(due)s."),
    E.PERIOD_EXTENDED: _l("The processing period of %(org)s's task was extended. It is now due "
                          "%(due)s."),
    E.EXTENSION_ASKED: _l("%(org)s asks to extend its period again, to %(due)s. It needs the "
                          "firm's consent: agree or not on the request's page."),
    E.EXTENSION_REFUSED: _l("%(firm)s did not agree to extend %(org)s's period again. It stays "
                            "due %(due)s."),
    E.SUPPLEMENT_MORE_TIME: _l("%(firm)s asked for more time to answer %(org)s; its "
                               "deadline is now %(due)s."),
    E.SUPPLEMENT_REMINDED: _l("The deadline to answer %(org)s's question has passed. Please "
                              "answer by %(due)s; after that the one-stop desk may return "
                              "the request."),
    E.SUPPLEMENT_LAPSED: _l("%(firm)s did not answer %(org)s's question by its second "
                            "deadline (%(due)s). The one-stop desk may return the request."),
    E.CASE_RETURNED: _l("The one-stop desk returned the request: the supplement asked for "
                        "did not come. It can be filed again with it."),
    E.DEEMED_CONSENT: _l("%(org)s gave no answer within the legal consultation period: its "
                         "consent is deemed given (행정기본법 §24) and it can no longer decline."),
    E.OBJECTION_FILED: _l("%(firm)s objected to the rejection of its request. Decide by "
                          "%(due)s."),
    E.OBJECTION_EXTENDED: _l("The one-stop desk needs longer to decide on your objection: it "
                             "decides by %(due)s."),
    E.TASK_TRANSFERRED: _l("%(org)s now handles part of the request: it was transferred to it "
                           "as the competent organization. The period still runs from the "
                           "first receipt; it is due %(due)s."),
    E.COMMENT: _l("%(author)s wrote on the request."),
    E.NOTE: _l("%(author)s wrote an internal note."),
}
RESOLVED_ASK = _l("The request was resolved. How did it go? Answer one question on the "
                  "request's page.")
OBJECTION_DECISIONS = {
    "upheld": _l("The one-stop desk upheld your objection: your request goes back to its "
                 "review."),
    "dismissed": _l("The one-stop desk dismissed your objection: the rejection stands. You "
                    "may still bring an administrative appeal (행정심판) or an administrative "
                    "lawsuit (행정소송), within 90 days of this decision."),
}
EXTENSION_ASK_FIRM = _l("%(org)s asks to extend its period again, to %(due)s, and needs your "
                        "consent. Agree or not on the request's page, or reply to this email "
                        "with “agree” or “do not agree” on the first line.")
UNASSIGNED = _l("A task of %(org)s no longer has an assignee.")
DUE_FACT = _l("A due date on your request changed. It is now %(due)s.")
QUOTE_LABELS = {
    E.CASE_REJECTED: _l("Reason"), E.INFO_REQUESTED: _l("Question"),
    E.TASK_COMPLETED: _l("Resolution note"), E.TASK_DECLINED: _l("Reason"),
    E.CASE_REOPENED: _l("Reason"), E.CASE_WITHDRAWN: _l("Reason"),
    E.DUE_CHANGED: _l("Change"), E.CASE_REASSIGNED: _l("Change"),
    E.PERIOD_EXTENDED: _l("Reason"), E.EXTENSION_ASKED: _l("Reason"),
    E.TASK_TRANSFERRED: _l("Reason"), E.CASE_RETURNED: _l("Reason"),
    E.OBJECTION_FILED: _l("Reasons"), E.OBJECTION_EXTENDED: _l("Reason"),
    E.OBJECTION_DECIDED: _l("Reason"),
}


def message_context(row) -> dict:
    """What an event's email and list entry say: the sentence of what happened, and the text
    it concerns (a question, a comment, a reason) when the recipient may read the event."""
    ev = row.event
    task, case = ev.task, ev.case
    locale = row.user.locale or "ko"
    if row.kind == E.PROGRESS_NOTICE:
        return {**progress_context(case, locale), "kind_label": str(KIND_LABELS[row.kind])}
    names = {"firm": case.firm.name, "org": task.organization.display_name(locale) if task else "",
             "assignee": ev.params.get("assignee_id") and task.assignee and task.assignee.name,
             "author": ev.comment.author.name if ev.comment else "",
             "due": short_moment(datetime.fromisoformat(ev.params["due_at"]))
             if "due_at" in ev.params else ""}
    whole = row.params.get("whole", True)
    if row.kind == E.DUE_CHANGED and not whole:
        sentence = DUE_FACT
    elif row.kind == E.TASK_ASSIGNED and not names["assignee"]:
        sentence = UNASSIGNED
    elif row.kind == E.CASE_RESOLVED and row.user.role == Role.FIRM:
        sentence = RESOLVED_ASK
    elif row.kind == E.EXTENSION_ASKED and row.user.role == Role.FIRM:
        sentence = EXTENSION_ASK_FIRM
    elif row.kind == E.OBJECTION_DECIDED:
        sentence = OBJECTION_DECISIONS[ev.params["decision"]]
    else:
        sentence = SENTENCES[row.kind]
    quote = ""
    if whole:
        quote = ev.comment.body if ev.comment else ev.detail
    label = QUOTE_LABELS.get(row.kind, _l("Message")) if quote else ""
    return {"sentence": str(sentence % names), "quote": quote, "quote_label": str(label),
            "kind_label": str(KIND_LABELS[row.kind])}
