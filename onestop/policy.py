"""Who may do what: every permission rule, and the query scopes built from them."""
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, and_, false, literal, or_, select, true, union_all

from onestop.accounts.models import PARTNER_ROLES, STAFF_ROLES, AccessToken, Role
from onestop.cases.models import Attachment, Case, Comment, Event, NoteAudience
from onestop.commitments.models import ActualReport, CommitmentFile, FirmEvent
from onestop.errors import NotAllowed, NotFound
from onestop.extensions import db
from onestop.firms.models import Firm
from onestop.notifications.models import Notification
from onestop.orgs.models import Organization, OrgKind
from onestop.replies.models import CannedReply
from onestop.tasks.models import AgencyTask
from onestop.webhooks.models import WebhookEndpoint


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


def _holds_active_task(user, case: Case) -> bool:
    return _partner(user) and any(t.organization_id == user.organization_id
                                  and t.finished_at is None for t in case.tasks)


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


def _reads_notification(user, row: Notification) -> bool:
    return (row.user_id == user.id and (row.case is None or _sees_case(user, row.case))
            and (row.firm_id is None or _sees_firm_commitments(user, row.firm_id)))


def _sees_firm(user, firm: Firm) -> bool:
    return _staff(user) or (_firm_member(user) and user.firm_id == firm.id)


def _sees_firm_commitments(user, firm_id: int) -> bool:
    """A firm's agreement, reports, evidence and history: the desk and the firm itself; no
    partner."""
    return _staff(user) or (_firm_member(user) and user.firm_id == firm_id)


def _reports_for(user, firm: Firm) -> bool:
    return _firm_member(user) and user.firm_id == firm.id


def _keeps_agreement(user, firm: Firm) -> bool:
    """The firm's account officer judges its reports and files its agreement's documents; an
    admin may stand in (no officer named, or the officer away). Other caseworkers read."""
    return _admin(user) or (_staff(user) and firm.account_officer_id == user.id)


def _reviews_report(user, report: ActualReport) -> bool:
    return _keeps_agreement(user, report.firm)


def _writes_note(user, case: Case) -> bool:
    return _staff(user) or _holds_active_task(user, case)


def _keeps_replies(user, obj=None) -> bool:
    """The desk and the partners keep canned replies, each organization its own; firms none."""
    return (_staff(user) or _partner(user)) and user.organization_id is not None


def _edits_reply(user, reply: CannedReply) -> bool:
    return _keeps_replies(user) and reply.organization_id == user.organization_id


def _keeps_webhooks(user, obj=None) -> bool:
    """A partner organization's lead keeps its webhooks; an admin the desk's (and may let
    any endpoint reach private addresses)."""
    return _admin(user) or (user.role == Role.PARTNER_LEAD and _partner(user))


def _edits_webhook(user, endpoint: WebhookEndpoint) -> bool:
    return _admin(user) or (_keeps_webhooks(user)
                            and endpoint.organization_id == user.organization_id)


class OrganizationViewer:
    """An organization as its own systems (a webhook) read OneStop: what its partners may
    read, no one's own desk-only note; the desk (no organization) reads what the desk does."""

    id = 0  # nobody's id: no comment is this viewer's own
    firm_id = None
    is_authenticated = True

    def __init__(self, organization_id: int | None):
        self.organization_id = organization_id
        self.role = Role.PARTNER if organization_id else Role.CASEWORKER


def _sees_task_internals(user, task: AgencyTask) -> bool:
    """Decline reasons, due-date reasons, assignments: the desk and the task's organization."""
    return _staff(user) or _works_task(user, task)


RULES: dict[str, Callable[[Any, Any], bool]] = {
    "case.view": _sees_case,
    "case.file": _firm_member,
    "case.queue": _staff,
    "case.accept": _staff,
    "case.reject": _staff,
    "case.route": _staff,
    "case.resolve": _staff,
    "case.reassign": _staff,
    "case.close": _staff,
    "case.return": _staff,
    "case.bulk": _staff,
    "case.save_view": _staff,
    "case.reopen": _own_firm_case,
    "case.withdraw": _own_firm_case,
    "case.answer": _own_firm_case,
    "case.edit_checklist": lambda u, c: _staff(u) or _own_firm_case(u, c),
    "case.comment": _sees_case,
    "case.write_note": _writes_note,
    "case.attach": _sees_case,
    "task.view": _sees_task,
    "task.open": lambda u, t: _staff(u) or _works_task(u, t),
    "task.queue": lambda u, o=None: _partner(u) or _staff(u),
    "task.accept": _works_task,
    "task.request_info": _works_task,
    "task.complete": _works_task,
    "task.decline": _works_task,
    "task.transfer": _works_task,
    "task.record_pause": _works_task,
    "task.extend": lambda u, t: _staff(u) or _works_task(u, t),
    "case.answer_extension": _own_firm_case,
    "case.ask_progress": _own_firm_case,
    "case.object": _own_firm_case,
    "case.decide_objection": _staff,
    "task.assign": lambda u, t: _staff(u) or _leads_task(u, t),
    "task.override_due": lambda u, t: _staff(u),
    "task.see_internal": _sees_task_internals,
    "case.rate": _own_firm_case,
    "case.see_rating": lambda u, c: _staff(u) or _own_firm_case(u, c),
    "report.service": lambda u, o=None: _staff(u) or _partner(u),
    "firm.view": _sees_firm,
    "commitments.view": lambda u, f: _sees_firm_commitments(u, f.id),
    "commitments.report": _reports_for,
    "commitments.own": lambda u, o=None: _firm_member(u),
    "actuals.view": lambda u, r: _sees_firm_commitments(u, r.firm_id),
    "actuals.review": _reviews_report,
    "commitments.file_documents": _keeps_agreement,
    "actuals.queue": _staff,
    "notification.read": _reads_notification,
    "firm.onboard": _staff,
    "firm.invite": lambda u, f: _staff(u),
    "firm.reassign_officer": lambda u, f: _staff(u),
    "deadline.calculate": lambda u, o=None: _staff(u) or _partner(u),
    "zone.view": _staff,
    "admin.manage": _admin,
    "report.council": _staff,
    # Uploading the agreement annex rewrites many firms' agreements at once: admins only.
    "commitment.import": _admin,
    "reply.use": _keeps_replies,
    "reply.edit": _edits_reply,
    "token.revoke": lambda u, t: t.user_id == u.id,
    "webhook.keep": _keeps_webhooks,
    "webhook.edit": _edits_webhook,
    "webhook.allow_private": _admin,
}

# The rule that decides whether an object exists for the user at all.
VISIBILITY = {Case: "case.view", AgencyTask: "task.view", Firm: "firm.view",
              Notification: "notification.read", ActualReport: "actuals.view",
              CannedReply: "reply.edit", AccessToken: "token.revoke",
              WebhookEndpoint: "webhook.edit"}


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


def load(user, model, object_id: int, action: str | None = None):
    """The object if this user may see it (and do action to it): NotFound when it does not
    exist or is outside their reach, NotAllowed when the action is not theirs."""
    obj = db.session.get(model, object_id)
    if obj is None:
        raise NotFound("not found")
    require(user, action or VISIBILITY[model], obj)
    return obj


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


def visible_replies(user) -> ColumnElement[bool]:
    """WHERE clause for the canned replies this user may see and use: their organization's."""
    if _keeps_replies(user):
        return CannedReply.organization_id == user.organization_id
    return false()


def visible_access_tokens(user) -> ColumnElement[bool]:
    """WHERE clause for the API tokens this user may list and revoke: their own."""
    return AccessToken.user_id == user.id


def visible_webhooks(user) -> ColumnElement[bool]:
    """WHERE clause for the webhook endpoints this user keeps."""
    if _admin(user):
        return true()
    if _keeps_webhooks(user):
        return WebhookEndpoint.organization_id == user.organization_id
    return false()


def events_heard_by(endpoint: WebhookEndpoint, event_ids) -> set[int]:
    """Of these history entries, the ids of those the endpoint's organization may read."""
    viewer = OrganizationViewer(endpoint.organization_id)
    return set(db.session.scalars(select(Event.id).where(Event.id.in_(event_ids),
                                                         visible_events(viewer))))


def visible_firms(user) -> ColumnElement[bool]:
    """WHERE clause for the firms this user may see."""
    if _staff(user):
        return true()
    if _firm_member(user):
        return Firm.id == user.firm_id
    return false()


def _commitments_of(user, firm_id) -> ColumnElement[bool]:
    if _staff(user):
        return true()
    if _firm_member(user):
        return firm_id == user.firm_id
    return false()


def visible_reports(user) -> ColumnElement[bool]:
    """WHERE clause for the reports of actuals this user may read."""
    return _commitments_of(user, ActualReport.firm_id)


def reviewable_reports(user) -> ColumnElement[bool]:
    """WHERE clause for the reports this user may verify or return (see _reviews_report)."""
    if _admin(user):
        return true()
    if _staff(user):
        return ActualReport.firm_id.in_(select(Firm.id).where(
            Firm.account_officer_id == user.id))
    return false()


def visible_commitment_files(user) -> ColumnElement[bool]:
    """WHERE clause for the agreement documents and evidence files this user may download."""
    return _commitments_of(user, CommitmentFile.firm_id)


def visible_firm_events(user) -> ColumnElement[bool]:
    """WHERE clause for the entries of firms' histories this user may read."""
    return _commitments_of(user, FirmEvent.firm_id)


def visible_service_orgs(user) -> ColumnElement[bool]:
    """WHERE clause for the partner organizations whose service figures this user may see:
    the desk sees every partner, a partner only itself. The figures themselves are scoped by
    visible_tasks() and visible_cases()."""
    partner_org = Organization.kind != OrgKind.CITY_DESK
    if _staff(user):
        return partner_org
    if _partner(user):
        return and_(partner_org, Organization.id == user.organization_id)
    return false()


def public_tasks() -> ColumnElement[bool]:
    """The tasks the public zone page counts: all of them, only ever as zone-wide totals
    (numbers of requests and tasks, the on-time share), never a row or a name."""
    return true()


def named_publicly(firm) -> bool:
    """May the public zone page (no sign-in) name this firm? Only if the firm agreed."""
    return bool(firm.is_named_publicly)


def note_audiences(user, case: Case) -> list[str]:
    """The audiences this user may choose for a comment on this case, the default first."""
    if not can(user, "case.comment", case):
        return []
    if not can(user, "case.write_note", case):
        return [NoteAudience.PUBLIC]
    if _staff(user):
        return [NoteAudience.PUBLIC, NoteAudience.PARTNERS, NoteAudience.DESK]
    return [NoteAudience.PARTNERS, NoteAudience.PUBLIC, NoteAudience.DESK]


def _own_task_on_case(user, case_id, at=None) -> ColumnElement[bool]:
    """The user's organization has a task on the case; with `at`, one that is active now or
    was at that moment."""
    on_case = (AgencyTask.case_id == case_id,
               AgencyTask.organization_id == user.organization_id)
    if at is None:
        return select(AgencyTask.id).where(*on_case).exists()
    return select(AgencyTask.id).where(*on_case, or_(
        AgencyTask.finished_at.is_(None),
        and_(AgencyTask.routed_at <= at, AgencyTask.finished_at > at))).exists()


def visible_comments(user) -> ColumnElement[bool]:
    """WHERE clause for the comments this user may read.

    A partner reads the public conversation of its cases, and internal notes meant for the
    partners while its task on the case is active, or written while one was.
    """
    if _staff(user):
        return true()
    public = Comment.audience == NoteAudience.PUBLIC
    if _firm_member(user):
        return and_(public, Comment.case.has(Case.firm_id == user.firm_id))
    if _partner(user):
        return or_(
            Comment.author_id == user.id,  # a desk-only note stays with its author too
            and_(public, _own_task_on_case(user, Comment.case_id)),
            and_(Comment.audience == NoteAudience.PARTNERS,
                 _own_task_on_case(user, Comment.case_id, at=Comment.created_at)))
    return false()


# A task's entries the firm reads with their reasons (the law tells it why) but which are,
# like a due-date override's reason, another organization's own business.
TASK_REASONS = ("task.extend", "task.extension_asked", "task.extension_consented",
                "task.extension_refused", "task.transfer", "task.transferred_in",
                "task.pause_recorded", "task.supplement_more_time")


def visible_events(user) -> ColumnElement[bool]:
    """WHERE clause for the history entries this user may read.

    Internal entries (a decline's reason, a due-date override's reason, an assignment) are
    for the desk and the organization whose task they concern, and so are the TASK_REASONS
    entries but for the firm; a note's entry follows its note.
    """
    if _staff(user):
        return true()
    if _firm_member(user):
        return and_(Event.is_internal.is_(False), Event.case.has(Case.firm_id == user.firm_id))
    if _partner(user):
        return and_(_own_task_on_case(user, Event.case_id), or_(
            and_(Event.is_internal.is_(False), Event.comment_id.is_(None),
                 or_(Event.task_id.is_(None), Event.action.not_in(TASK_REASONS))),
            Event.task.has(AgencyTask.organization_id == user.organization_id),
            Event.comment.has(visible_comments(user))))
    return false()


def visible_attachments(user) -> ColumnElement[bool]:
    """WHERE clause for the files this user may download: a note's files follow the note."""
    return and_(Attachment.case.has(visible_cases(user)),
                or_(Attachment.comment_id.is_(None), Attachment.comment.has(visible_comments(user))))


def visible_notifications(user) -> ColumnElement[bool]:
    """WHERE clause for the notifications this user may read: their own, about requests (or
    firms' commitments) they still see, and their account alerts (which concern neither)."""
    return and_(Notification.user_id == user.id,
                or_(and_(Notification.case_id.is_(None), Notification.firm_id.is_(None)),
                    Notification.case.has(visible_cases(user)),
                    and_(Notification.firm_id.is_not(None),
                         _commitments_of(user, Notification.firm_id))))


def who_may_read(users, obj: Event | Case) -> set[int]:
    """Of these users, the ids of those who may read this event (or this case): the same
    rules as the pages, asked in one statement for all of them."""
    model, visible = (Event, visible_events) if isinstance(obj, Event) else (Case, visible_cases)
    checks = [select(literal(user.id).label("user_id")).where(
        select(model.id).where(model.id == obj.id, visible(user)).exists()) for user in users]
    if not checks:
        return set()
    return set(db.session.scalars(union_all(*checks) if len(checks) > 1 else checks[0]))
