"""Extending a task's period (행정절차법 §19, 민원처리법 시행령 §21): the partner (or the desk)
extends it before it runs out, by at most the period itself, with a reason the firm reads;
once that has happened, a further extension takes effect only when the firm consents."""
from datetime import datetime
from enum import StrEnum

from onestop import policy
from onestop.cases.models import Event
from onestop.concurrency import check_version
from onestop.deadlines import WorkCalendar, parse_period
from onestop.errors import Invalid, InvalidTransition, NotFound
from onestop.extensions import db
from onestop.i18n import lazy_gettext as _l
from onestop.statuses import ACTIVE_TASK
from onestop.tasks.due import minute_text
from onestop.tasks.models import AgencyTask, TaskExtension
from onestop.workdays.services import work_calendar


class Consent(StrEnum):
    NOT_NEEDED = "not_needed"  # the first extension: notice is enough
    ASKED = "asked"            # a further one, waiting for the firm
    GIVEN = "given"
    REFUSED = "refused"


GRANTED = (Consent.NOT_NEEDED, Consent.GIVEN)
CONSENT_LABELS = {
    Consent.NOT_NEEDED: _l("in effect, the firm told"),
    Consent.ASKED: _l("waiting for the firm's consent"),
    Consent.GIVEN: _l("in effect, the firm agreed"),
    Consent.REFUSED: _l("the firm did not agree"),
}


def needs_consent(task: AgencyTask) -> bool:
    """Has the period been extended already (so the next extension needs the firm's yes)?
    The time extensions added goes with a transferred task, so this holds across one."""
    return task.extended_seconds > 0 or any(e.consent in GRANTED for e in task.extensions)


def pending(task: AgencyTask) -> TaskExtension | None:
    return next((e for e in task.extensions if e.consent == Consent.ASKED), None)


def waiting(tasks) -> list[TaskExtension]:
    """The further extensions of these tasks, still at work, that wait for the firm's answer."""
    return [ask for task in tasks if task.status in ACTIVE_TASK and (ask := pending(task))]


def extension_of(case, extension_id: int) -> TaskExtension:
    """One extension of a task on this case; NotFound for any other id."""
    extension = db.session.get(TaskExtension, extension_id)
    if extension is None or extension.task.case_id != case.id:
        raise NotFound("not found")
    return extension


# An emailed reply whose first line is one of these answers the request to extend (the
# email asks for exactly these words); anything else is only a comment.
AGREE_WORDS = {"동의", "동의합니다", "동의함", "agree", "i agree", "yes"}
REFUSE_WORDS = {"부동의", "동의하지 않습니다", "동의하지 않음", "동의 안 함", "disagree",
                "do not agree", "i do not agree", "no"}


def consent_in(text: str) -> bool | None:
    """True or False when the reply's first line says agree or do not agree, else None."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    word = " ".join(first.lower().split()).strip(" .!")
    return True if word in AGREE_WORDS else False if word in REFUSE_WORDS else None


def latest_date(task: AgencyTask, calendar: WorkCalendar | None = None) -> datetime:
    """The furthest the task's current due date may be extended to."""
    return (calendar or work_calendar()).extension_limit(task.due_at, parse_period(task.period))


def _require_active(task: AgencyTask) -> None:
    if task.status not in ACTIVE_TASK:
        raise InvalidTransition(_l("This task is finished; its period cannot be extended."))


def extend_task(actor, task: AgencyTask, due_at: datetime, reason: str, *, now: datetime,
                version) -> TaskExtension:
    """Extend the task's period to due_at: at once if it is the first extension, else ask
    the firm's consent."""
    check_version(task, version)
    policy.require(actor, "task.extend", task)
    _require_active(task)
    reason = reason.strip()
    if not reason:
        raise Invalid(_l("Give the reason for the extension: the firm reads it."), field="reason")
    if task.due_at <= now:
        raise Invalid(_l("The period has already run out: a period is extended before its due "
                         "date."), field="due_at")
    if pending(task):
        raise Invalid(_l("The firm has not answered the last request to extend yet."),
                      field="due_at")
    calendar = work_calendar()
    if due_at <= task.due_at:
        raise Invalid(_l("The new date must be after the current due date."), field="due_at")
    if due_at > latest_date(task, calendar):
        raise Invalid(_l("An extension is at most the original period: the latest date is "
                         "%(latest)s.", latest=minute_text(latest_date(task, calendar))),
                      field="due_at")
    first = not needs_consent(task)
    extension = TaskExtension(
        task=task, number=len(task.extensions) + 1, reason=reason, previous_due_at=task.due_at,
        due_at=due_at, asked_by=actor, asked_at=now,
        consent=Consent.NOT_NEEDED if first else Consent.ASKED)
    db.session.add(extension)
    if first:
        _grant(actor, extension, "task.extend", now, calendar)
    else:
        db.session.add(Event(case=task.case, task=task, actor=actor,
                             action="task.extension_asked", detail=reason,
                             params={"due_at": due_at.isoformat()}, created_at=now))
        task.case.updated_at = now  # the firm's page changed: its forms' versions move
    return extension


def answer_extension(actor, extension: TaskExtension, agree: bool, *, now: datetime,
                     version=None) -> None:
    """The firm agrees to a further extension (it takes effect) or does not (the due date
    stays). Sending the same answer again changes nothing. version is the case's, as the
    firm read it (None: not checked)."""
    task = extension.task
    policy.require(actor, "case.answer_extension", task.case)
    answer = Consent.GIVEN if agree else Consent.REFUSED
    if extension.consent == answer:
        return  # a retry of the answer given, whatever version it read
    check_version(task.case, version)
    if extension.consent != Consent.ASKED:
        raise InvalidTransition(_l("This request to extend was already answered."))
    _require_active(task)
    extension.consent = answer
    extension.answered_by_id = actor.id
    extension.answered_at = now
    if agree:
        _grant(actor, extension, "task.extension_consented", now, work_calendar())
    else:
        db.session.add(Event(case=task.case, task=task, actor=actor,
                             action="task.extension_refused",
                             params={"due_at": task.due_at.isoformat()}, created_at=now))
    task.case.updated_at = now


def _grant(actor, extension: TaskExtension, action: str, now: datetime,
           calendar: WorkCalendar) -> None:
    """The extension takes effect. A due date that moved past it meanwhile (the firm
    answered a question, the clock moved it out) is not pulled back in."""
    task = extension.task
    if extension.due_at > task.due_at:
        added = calendar.working_time_between(task.due_at, extension.due_at)
        task.extended_seconds += int(added.total_seconds())
        task.due_at = extension.due_at
    db.session.add(Event(case=task.case, task=task, actor=actor, action=action,
                         detail=extension.reason,
                         params={"due_at": extension.due_at.isoformat(),
                                 "previous_due_at": extension.previous_due_at.isoformat()},
                         created_at=now))

