"""What a confirmation says once an action on a case or task went through: what happened,
to whom, and by when (in Seoul time), rather than a bare "Saved"."""
from datetime import datetime

from flask_babel import get_locale

from onestop.accounts.models import Role
from onestop.cases.models import Case, Comment, NoteAudience
from onestop.i18n import gettext as _
from onestop.i18n import short_moment
from onestop.notifications.progress import expected_completion
from onestop.statuses import TaskStatus
from onestop.tasks.models import AgencyTask

EXCERPT = 60


def when(moment: datetime | None) -> str:
    """A moment as the pages show it (Asia/Seoul, the app's short form)."""
    return short_moment(moment) or "—"


def excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[:EXCERPT - 1] + "…"


def name_of(obj) -> str:
    return obj.display_name(str(get_locale()))


def case_done(action: str, case: Case) -> str:
    """After one of the case page's transitions."""
    if action == "accept":
        return _("Accepted %(ref)s as complete: the processing clock started, due %(due)s. "
                 "Route it to partners next.", ref=case.reference, due=when(case.due_at))
    if action == "resolve":
        return _("%(ref)s is resolved. %(firm)s sees the outcome.", ref=case.reference,
                 firm=case.firm.name)
    if action == "close":
        return _("%(ref)s is closed.", ref=case.reference)
    if action == "reject":
        return _("%(ref)s is rejected. %(firm)s sees your reason.", ref=case.reference,
                 firm=case.firm.name)
    if action == "return":
        return _("%(ref)s is returned. %(firm)s sees your reason and can file it again.",
                 ref=case.reference, firm=case.firm.name)
    if action == "reopen":
        return _("%(ref)s is reopened. The one-stop desk picks it up again with your reason.",
                 ref=case.reference)
    cancelled = sum(t.status == TaskStatus.CANCELLED for t in case.tasks)
    return _("%(ref)s is withdrawn; %(n)d partner tasks on it were cancelled.",
             ref=case.reference, n=cancelled)


def routed(tasks: list[AgencyTask]) -> str:
    names = ", ".join(name_of(t.organization) for t in tasks)
    due = when(max(t.due_at for t in tasks))
    if len(tasks) == 1:
        return _("Routed to %(name)s, due %(due)s. Its clock runs from now.", name=names,
                 due=due)
    return _("Routed to %(n)d partners (%(names)s), the last due %(due)s. Their clocks run "
             "from now.", n=len(tasks), names=names, due=due)


def checklist_saved(case: Case) -> str:
    return _("Checklist saved: %(done)d of %(total)d documents are in.",
             done=sum(bool(item["done"]) for item in case.checklist), total=len(case.checklist))


def commented(comment: Comment, *, answered: bool) -> str:
    """After a comment: who reads it now."""
    case, text = comment.case, excerpt(comment.body)
    if answered:
        return _("Answer sent to the partners: “%(text)s”. Their clocks run again.", text=text)
    if comment.audience == NoteAudience.DESK:
        return _("Internal note kept for the one-stop desk: “%(text)s”", text=text)
    if comment.audience == NoteAudience.PARTNERS:
        return _("Internal note sent to the desk and the partners at work: “%(text)s”",
                 text=text)
    if comment.author.role == Role.FIRM:
        return _("Sent to the one-stop desk and the partners on %(ref)s: “%(text)s”",
                 ref=case.reference, text=text)
    return _("Sent to %(firm)s: “%(text)s”", firm=case.firm.name, text=text)


def task_done(action: str, task: AgencyTask) -> str:
    """After one of the task page's transitions."""
    firm = task.case.firm.name
    if action == "accept":
        return _("Accepted: the processing clock is running, due %(due)s. The desk sees that "
                 "your organization is on it.", due=when(task.due_at))
    if action == "request_info":
        return _("Question sent to %(firm)s, to answer by %(due)s. The clock is stopped until "
                 "it answers.", firm=firm, due=when(task.supplement_due_at))
    if action == "complete":
        return _("Completed. %(firm)s and the one-stop desk see your resolution note.",
                 firm=firm)
    return _("Declined and handed back to the one-stop desk to reroute %(ref)s.",
             ref=task.case.reference)


def transferred(successor: AgencyTask) -> str:
    return _("Transferred. %(org)s now handles it, due %(due)s as before; %(firm)s and the "
             "desk are told.", org=name_of(successor.organization), due=when(successor.due_at),
             firm=successor.case.firm.name)


def extended(extension) -> str:
    """After a partner (or the desk) extended a task's period or asked the firm to."""
    if extension.consent == "asked":
        return _("%(firm)s is asked to agree to extend the period to %(due)s. Until it agrees, "
                 "the task stays due %(now)s.", firm=extension.task.case.firm.name,
                 due=when(extension.due_at), now=when(extension.task.due_at))
    return _("The period is extended: the task is now due %(due)s. %(firm)s is told, with "
             "your reason.", due=when(extension.due_at), firm=extension.task.case.firm.name)


def extension_answered(extension) -> str:
    """After the firm answered a request to extend a period again."""
    org = name_of(extension.task.organization)
    if extension.consent == "given":
        return _("You agreed. %(org)s's task is now due %(due)s; the partner and the desk are "
                 "told.", org=org, due=when(extension.task.due_at))
    return _("You did not agree. %(org)s's task stays due %(due)s; the partner and the desk "
             "are told.", org=org, due=when(extension.task.due_at))


def progress_sent(case: Case) -> str:
    """After the firm asked for a progress notice."""
    return _("The progress of %(ref)s is on its way to your firm's members. Expected "
             "completion: %(due)s.", ref=case.reference, due=when(expected_completion(case)))


def more_time(task: AgencyTask) -> str:
    """After the firm took its extra time to answer a question."""
    return _("You have until %(due)s to answer %(org)s. %(org)s and the desk are told.",
             due=when(task.supplement_due_at), org=name_of(task.organization))


def pause_recorded(task: AgencyTask) -> str:
    """After a partner recorded a deliberation or hearing on a consultation."""
    return _("Recorded. That time does not count: the consultation is now due %(due)s. The "
             "desk and %(firm)s are told.", due=when(task.due_at), firm=task.case.firm.name)


def objection_filed(objection) -> str:
    return _("Your objection is filed. The one-stop desk decides by %(due)s and tells you.",
             due=when(objection.decision_due_at))


def objection_extended(objection) -> str:
    return _("The decision is now due %(due)s. %(firm)s is told, with your reason.",
             due=when(objection.decision_due_at), firm=objection.case.firm.name)


def objection_decided(case: Case) -> str:
    if case.status != "rejected":  # upheld: back in review
        return _("Objection upheld: %(ref)s is back in the desk's review. %(firm)s is told.",
                 ref=case.reference, firm=case.firm.name)
    return _("Objection dismissed: the rejection of %(ref)s stands. %(firm)s is told, with "
             "the remedies left.", ref=case.reference, firm=case.firm.name)
