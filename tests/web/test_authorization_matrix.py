"""Every route × every role × own and other tenant, generated against the app's URL map.

The expectations below are written by hand from DESIGN.md (not read from the policy module),
so a policy mistake shows up as a mismatch. A route missing from ROUTES fails the suite.
An allowed write must show its effect; a refused one must change nothing; and no response
may carry a canary its reader may not see: another firm's data, another organization's
decline reason or due-date reason, a note outside its audience.
"""
import contextvars
import io
import time
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pyotp
import pytest
from flask import current_app, url_for
from sqlalchemy import select, text

from onestop.accounts import addresses, resets
from onestop.accounts.access_tokens import create_token
from onestop.accounts.models import AccessToken, RecoveryCode, SiteSetting, User
from onestop.accounts.services import reissue_invitation
from onestop.accounts.twofactor import staff_must_use_two_factor
from onestop.cases import objections
from onestop.cases import services as cases
from onestop.cases.models import Case, Comment, Event, SatisfactionAnswer, SavedView
from onestop.commitments.models import ActualReport, Agreement, CommitmentFile, ImportRun, Target
from onestop.db import utcnow
from onestop.deadlines import SEOUL
from onestop.exports import XLSX_TYPE
from onestop.extensions import db
from onestop.firms.models import Firm
from onestop.notifications.digests import describe
from onestop.notifications.models import Notification, ReminderRule
from onestop.notifications.reminders import ensure_default_rules
from onestop.orgs.models import Organization
from onestop.replies.models import CannedReply
from onestop.tasks import extensions, supplements
from onestop.tasks import services as tasks
from onestop.tasks.models import AgencyTask, TaskExtension
from onestop.webhooks.models import WebhookDelivery, WebhookEndpoint
from onestop.webhooks.services import KINDS as WEBHOOK_KINDS
from onestop.workdays.models import ExtraHoliday
from tests.annex import zone
from tests.commitments_world import agreements
from tests.commitments_world import report as commitments_report
from tests.conftest import _empty_all_tables
from tests.factories import PASSWORD, PDF, World, make_user
from tests.mailsink import rendered

ROLES = ["anon", "firm_a", "firm_b", "desk", "admin", "permits", "union_lead", "univ"]
STAFF = {"desk", "admin"}
PARTNERS = {"permits", "union_lead", "univ"}
ALL = set(ROLES) - {"anon"}
FIRMS = {"firm_a", "firm_b"}
OWN_FIRM = {"A": {"firm_a"}, "B": {"firm_b"}}
OWN_ORG = {"A": {"permits"}, "B": {"univ"}}
# Who sees each tenant's main case: A is firm A's, routed to permits and the union (which
# declined); B is firm B's, routed to the university only.
SEES = {"A": STAFF | {"firm_a", "permits", "union_lead"}, "B": STAFF | {"firm_b", "univ"}}
CANARY = {"A": "CANARY-ALPHA-31f9", "B": "CANARY-BETA-8c2e"}
INTERNAL_CANARY = "INTERNAL-NOTE-CANARY-5d1b"
# Text that only these roles may ever receive, in any page or download.
AUDIENCE = {
    INTERNAL_CANARY: STAFF | {"permits", "union_lead"},       # written while both worked on A
    "CANARY-DECLINE-UNION-77a1": STAFF | {"union_lead"},      # the union's decline reason
    "CANARY-DUE-PERMITS-0b3c": STAFF | {"permits"},           # the desk's reason, permits' task
    "CANARY-DUE-UNIV-e41d": STAFF | {"univ"},                 # the desk's reason, univ's task
    "CANARY-DESKNOTE-A-9f20": STAFF,                          # a desk-only note
    "CANARY-DESKFILE-A-c5e2": STAFF,                          # the file on that note
    "CANARY-PARTNERNOTE-A-6d17": STAFF | {"permits"},         # written after the union left
    # A firm's reports of actuals, their evidence and its history: the desk and the firm only.
    "CANARY-REPORT-A-4e7a": STAFF | {"firm_a"},
    "CANARY-REPORT-B-93d0": STAFF | {"firm_b"},
    "CANARY-EVIDENCE-A-b81c": STAFF | {"firm_a"},
    "CANARY-EVIDENCE-B-2f6d": STAFF | {"firm_b"},
    "CANARY-ZONEFIRM-3e8b": STAFF,                            # a firm not named publicly
    # Canned replies: each organization's own (the desk's, permits', the university's).
    "CANARY-REPLY-DESK-71c0": STAFF,
    "CANARY-REPLY-A-0d5e": {"permits"},
    "CANARY-REPLY-B-a93f": {"univ"},
    # Webhook endpoints: the union's (A) for its lead, the university's (B); admins see all.
    "CANARY-HOOK-A-7a2c": {"admin", "union_lead"},
    "CANARY-HOOK-B-7a2c": {"admin"},
}
REPLY_CANARY = {"A": "CANARY-REPLY-A-0d5e", "B": "CANARY-REPLY-B-a93f"}
REPORT_CANARY = {"A": "CANARY-REPORT-A-4e7a", "B": "CANARY-REPORT-B-93d0"}
EVIDENCE_CANARY = {"A": "CANARY-EVIDENCE-A-b81c", "B": "CANARY-EVIDENCE-B-2f6d"}


def local_minute(moment) -> str:
    """A moment as a date-time field sends it."""
    return moment.astimezone(SEOUL).strftime("%Y-%m-%dT%H:%M")


def future(days: int) -> str:
    """A due date the real clock still has ahead, as a date-time field sends it."""
    return (utcnow() + timedelta(days=days)).astimezone(SEOUL).strftime("%Y-%m-%dT18:00")


@dataclass
class Scenario:
    world: World
    case: dict            # each tenant's main case
    task: dict            # the permits task on A, the university task on B (open)
    submitted: dict       # a filed case the desk has not accepted
    resolved: dict        # a case whose one task (its own partner's) is done
    pending: dict         # a case whose one task was declined and waits for a reroute
    attachment: dict
    desk_file: object
    holiday: ExtraHoliday
    invitation: str
    invited: object
    invitees: dict        # a member of each tenant's firm who has not set a password yet
    reset_token: str      # a "forgot password" link of firm B's member
    email_token: str      # the link confirming a change of firm B's member's address
    notification: dict
    rule: ReminderRule
    import_run: ImportRun  # an admin's upload whose rows were refused
    report: dict          # each tenant's report of actuals waiting for verification
    evidence: dict        # its evidence file
    reply: dict           # a canned reply of each tenant's own partner organization
    webhook: dict         # a webhook endpoint of the union (A) and of the university (B)
    hook_message: dict    # a message each endpoint was sent

    @classmethod
    def build(cls) -> "Scenario":
        """The world as of an hour ago (the pages act on the real clock)."""
        _empty_all_tables()
        w = World.build()
        now = utcnow() - timedelta(hours=1)
        # Listening for every kind from the start: what each is sent is checked for leaks.
        hooks = {t: WebhookEndpoint(organization_id=org.id, url=f"https://93.184.215.14/{t}",
                                    description=f"CANARY-HOOK-{t}-7a2c", secret=f"whsec_{t}",
                                    events=list(WEBHOOK_KINDS), created_by=w.admin)
                 for t, org in (("A", w.union), ("B", w.univ))}
        db.session.add_all(hooks.values())

        def file(user, title, files=()):
            return cases.file_case(user, w.permit_type, title=title, description="d",
                                   priority="normal", form_data={"floor_area": "1"},
                                   checked_items=[0, 1], files=list(files), now=now)

        def routed(user, title, orgs, files=()):
            case = file(user, title, files)
            cases.accept_case(w.desk, case, now=now, version=None)
            cases.route_case(w.desk, case, orgs, now=now, version=None)
            return case

        users = {"A": w.firm_a_user, "B": w.firm_b_user}
        own = {"A": w.permits, "B": w.univ}
        staff_of = {"A": w.permits_staff, "B": w.univ_staff}
        a = routed(w.firm_a_user, CANARY["A"], [w.permits, w.union], [("a.pdf", PDF)])
        b = routed(w.firm_b_user, CANARY["B"], [w.univ], [("b.pdf", PDF)])
        cases.add_comment(w.desk, a, INTERNAL_CANARY, audience="partners", now=now)
        union_task = next(t for t in a.tasks if t.organization_id == w.union.id)
        tasks.decline_task(w.union_lead, union_task, "CANARY-DECLINE-UNION-77a1",
                           now=now + timedelta(minutes=1), version=None)
        later = now + timedelta(minutes=5)
        cases.add_comment(w.desk, a, "CANARY-PARTNERNOTE-A-6d17", audience="partners",
                          now=later)
        desk_note = cases.add_comment(w.desk, a, "CANARY-DESKNOTE-A-9f20", audience="desk",
                                      now=later, files=[("note.txt", b"CANARY-DESKFILE-A-c5e2")])
        for case, reason in ((a, "CANARY-DUE-PERMITS-0b3c"), (b, "CANARY-DUE-UNIV-e41d")):
            task = next(t for t in case.tasks if t.organization_id in (w.permits.id, w.univ.id))
            tasks.override_due(w.desk, task, now + timedelta(days=30), reason, now=later,
                               version=None)
        submitted, resolved, pending = {}, {}, {}
        for t in ("A", "B"):
            submitted[t] = file(users[t], f"Submitted {t}")
            resolved[t] = routed(users[t], f"Resolved {t}", [own[t]])
            tasks.accept_task(staff_of[t], resolved[t].tasks[0], now=now, version=None)
            tasks.complete_task(staff_of[t], resolved[t].tasks[0], "done", now=now,
                                version=None)
            pending[t] = routed(users[t], f"Pending {t}", [own[t]])
            tasks.decline_task(staff_of[t], pending[t].tasks[0], "not ours", now=now,
                               version=None)
        holiday = ExtraHoliday(day=(now + timedelta(days=20)).date(), name="zone day")
        db.session.add(holiday)
        invited = make_user("pending@firm.example", "firm", firm=w.firm_b)
        invited.password_hash = None
        db.session.flush()
        token = reissue_invitation(invited)
        invited_a = make_user("pending@alpha.example", "firm", firm=w.firm_a)
        invited_a.password_hash = None
        db.session.flush()
        invitees = {"A": (invited_a, reissue_invitation(invited_a)), "B": (invited, token)}
        zone_firm = Firm(name="CANARY-ZONEFIRM-3e8b", brn="3148120452", industry="x", site="y",
                         phase=1, account_officer=w.desk)
        db.session.add(Agreement(firm=zone_firm, signed_on=date(2025, 1, 1), targets=[
            Target(measure="jobs", phase=1, year=2025, amount=10, report_due_on=date(2026, 1, 31))]))
        sees = {"firm_a": a, "firm_b": b, "desk": a, "admin": a, "permits": a,
                "union_lead": a, "univ": b}
        notes = {}
        for role, case in sees.items():
            user = cls.user_of(w, role)
            notes[role] = Notification(key=f"matrix-{role}", user=user, kind="info_request",
                                       case=case, status="failed", attempts=8)
        db.session.add_all(notes.values())
        import_run = ImportRun(created_by=w.admin, filename="annex.xlsx", storage_key="0" * 32,
                               status="invalid", rows_total=1, rows_done=1, errors=[{
                                   "sheet": "agreements", "row": 2, "column": "brn",
                                   "cell": "B2", "code": "brn_check", "params": {}}])
        db.session.add(import_run)
        replies = {t: CannedReply(organization_id=own[t].id, created_by=staff_of[t],
                                  title=REPLY_CANARY[t], body=REPLY_CANARY[t]) for t in "AB"}
        db.session.add_all([*replies.values(), CannedReply(
            organization_id=w.desk_org.id, created_by=w.desk, title="CANARY-REPLY-DESK-71c0",
            body="CANARY-REPLY-DESK-71c0")])
        messages = {t: WebhookDelivery(endpoint=hook, key=f"matrix-{t}", kind="comment", body="{}",
                                       status="delivered")
                    for t, hook in hooks.items()}
        db.session.add_all(messages.values())
        ensure_default_rules()
        agreements(w)
        reports = {t: commitments_report(users[t], users[t].firm, amount=5, note=REPORT_CANARY[t],
                                         files=[("evidence.txt", EVIDENCE_CANARY[t].encode())],
                                         now=now)
                   for t in "AB"}
        outbox = Path(current_app.config["OUTBOX_DIR"])
        outbox.mkdir(parents=True, exist_ok=True)
        (outbox / "sample.eml").write_bytes(b"Subject: hi\nTo: a@b.example\n\nbody\n")
        addresses.request_email_change(w.firm_b_user, "moving@beta.example", PASSWORD, now=now)
        db.session.commit()
        email_link = db.session.scalar(select(Notification.params).where(
            Notification.kind == "email_confirm"))["path"]
        return cls(world=w, case={"A": a, "B": b},
                   task={"A": next(t for t in a.tasks if t.organization_id == w.permits.id),
                         "B": b.tasks[0]},
                   submitted=submitted, resolved=resolved, pending=pending,
                   attachment={"A": a.attachments[0], "B": b.attachments[0]},
                   desk_file=desk_note.attachments[0], holiday=holiday, invitation=token,
                   invited=invited, invitees=invitees,
                   reset_token=resets.reset_token(w.firm_b_user),
                   email_token=email_link.rsplit("/", 1)[1],
                   notification={"A": notes["firm_a"], "B": notes["firm_b"], **notes},
                   rule=db.session.scalars(select(ReminderRule)).first(),
                   import_run=import_run, report=reports,
                   evidence={t: r.files[0] for t, r in reports.items()}, reply=replies,
                   webhook=hooks, hook_message=messages)

    @staticmethod
    def user_of(w: World, role: str):
        return {"firm_a": w.firm_a_user, "firm_b": w.firm_b_user, "desk": w.desk,
                "admin": w.admin, "permits": w.permits_staff, "union_lead": w.union_lead,
                "univ": w.univ_staff}[role]

    def user(self, role):
        return self.user_of(self.world, role)


def desk_view(s, t):
    """A saved view of the desk's (made on first use)."""
    view = db.session.scalar(select(SavedView).where(SavedView.name == f"desk view {t}"))
    if view is None:
        view = SavedView(user_id=s.world.desk.id, name=f"desk view {t}", query="owner=me",
                         created_at=utcnow())
        db.session.add(view)
        db.session.commit()
    return view


def asked_extension(s, t):
    """A further extension of the tenant's task waiting for its firm (made on first use)."""
    task = fresh(AgencyTask, s.task[t].id)
    if not task.extensions:
        for days in (31, 32):
            extensions.extend_task(s.world.desk, task, due_in(days), "r", now=utcnow(),
                                   version=None)
            db.session.commit()
    return task.extensions[-1]


def asked_firm(s, t):
    """The tenant's own partner task, accepted and waiting for the firm's supplement (made
    on first use)."""
    task = fresh(AgencyTask, s.task[t].id)
    if task.status == "open":
        staff = s.user("permits" if t == "A" else "univ")
        tasks.accept_task(staff, task, now=utcnow(), version=None)
        tasks.request_information(staff, task, "Send the plan", now=utcnow(), version=None)
        db.session.commit()
    return task


def rejected(s, t):
    """The tenant's submitted case, rejected by the desk (made on first use)."""
    case = fresh(Case, s.submitted[t].id)
    if case.status == "submitted":
        cases.reject_case(s.world.desk, case, "Outside", now=utcnow(), version=None)
        db.session.commit()
    return case


def objected(s, t):
    """That rejection, objected to by the firm (made on first use)."""
    case = rejected(s, t)
    if objections.current(case) is None:
        objections.file_objection(s.user("firm_a" if t == "A" else "firm_b"), case, "Why",
                                  [], now=utcnow())
        db.session.commit()
    return case


def consulted(s, t):
    """The tenant's own partner task as a consultation on a main permit."""
    task = fresh(AgencyTask, s.task[t].id)
    if not task.is_consultation:
        task.is_consultation = True
        db.session.commit()
    return task


def lapsed(s):
    """Each tenant's main case, its supplement's second deadline passed (made on first use)."""
    for t in "AB":
        task = asked_firm(s, t)
        if task.supplement_lapsed_at is None:
            for days in (30, 60):
                supplements.sweep(utcnow() + timedelta(days=days))
                db.session.commit()
    return s.case


def due_in(days: int):
    return (utcnow() + timedelta(days=days)).astimezone(SEOUL).replace(
        hour=18, minute=0, second=0, microsecond=0)


def own_view(role, tenant):
    return "ok" if role == "desk" else "404" if role == "admin" else "403"


def ok(*roles):
    return lambda role, tenant: "ok" if role in roles else "403"


def keeps_hook(role, tenant):
    """A webhook endpoint: its organization's lead (the union's is A's) and the admins."""
    return "ok" if role == "admin" or (role, tenant) == ("union_lead", "A") else "404"


def everyone(role, tenant):
    return "ok"


def seen_by(audience, allowed):
    """404 for whoever is not in audience(tenant), else allowed-or-403."""
    return lambda role, t: ("404" if role not in audience(t)
                            else "ok" if role in allowed(t) else "403")


def visible_then(allowed):
    return seen_by(lambda t: SEES[t], allowed)


# Who sees the extra cases of a tenant: the submitted one has no partner yet; the resolved
# and the pending ones were routed to the tenant's own partner only.
SEES_SUBMITTED = {t: STAFF | OWN_FIRM[t] for t in "AB"}
SEES_OWN_ROUTED = {t: STAFF | OWN_FIRM[t] | OWN_ORG[t] for t in "AB"}


def version(obj):
    db.session.refresh(obj)
    return str(obj.version)


def fresh(model, obj_id):
    db.session.expire_all()
    return db.session.get(model, obj_id)


def status_of(case_map, wanted):
    return lambda s, t, role: fresh(Case, case_map(s)[t].id).status == wanted


def count(model, *where) -> int:
    db.session.expire_all()
    return len(db.session.scalars(select(model).where(*where)).all())


CASE_ACTIONS = {
    # action -> (the case it acts on, who sees that case, who may act, the state it leaves)
    "accept": (lambda s: s.submitted, SEES_SUBMITTED, lambda t: STAFF, "triaged"),
    "reject": (lambda s: s.submitted, SEES_SUBMITTED, lambda t: STAFF, "rejected"),
    "resolve": (lambda s: s.pending, SEES_OWN_ROUTED, lambda t: STAFF, "resolved"),
    "close": (lambda s: s.resolved, SEES_OWN_ROUTED, lambda t: STAFF, "closed"),
    "reopen": (lambda s: s.resolved, SEES_OWN_ROUTED, lambda t: OWN_FIRM[t], "in_progress"),
    "withdraw": (lambda s: s.case, SEES, lambda t: OWN_FIRM[t], "withdrawn"),
    "return": (lapsed, SEES, lambda t: STAFF, "returned"),
}
TASK_ACTIONS = {
    "accept": "accepted", "request_info": "waiting_on_firm", "complete": "done",
    "decline": "declined",
}


def _task_prepared(s, t, action):
    """The task, accepted first where the action needs it."""
    task = s.task[t]
    if action in ("request_info", "complete") and fresh(AgencyTask, task.id).status == "open":
        tasks.accept_task(s.user("permits" if t == "A" else "univ"), fresh(AgencyTask, task.id),
                          now=utcnow(), version=None)
        db.session.commit()
    return fresh(AgencyTask, task.id)


def _task_route(action):
    def expect(role, t):
        return "ok" if role in OWN_ORG[t] else "403" if role in STAFF | OWN_FIRM[t] else "404"
    return ("tasks.transition", "POST",
            lambda s, t, a=action: {"task_id": s.task[t].id, "action": a},
            lambda s, t, a=action: {"version": version(_task_prepared(s, t, a)), "question": "q",
                                    "note": "n", "reason": "r"},
            expect,
            lambda s, t, role, a=action: fresh(AgencyTask, s.task[t].id).status == TASK_ACTIONS[a])


# (endpoint, method, url values, form data, expectation(role, tenant) -> "ok"|"403"|"404",
#  effect(scenario, tenant, role) -> bool: true once an allowed write has happened)
ROUTES = [
    ("home.index", "GET", lambda s, t: {}, None, ok(*ALL), None),
    ("home.calculator", "GET", lambda s, t: {"start": future(1)[:10] + "T10:00", "period": "5d"},
     None,
     ok(*STAFF, *PARTNERS), None),
    ("accounts.account", "GET", lambda s, t: {}, None, ok(*ALL), None),
    ("accounts.account", "POST", lambda s, t: {}, lambda s, t: {
        "current_password": PASSWORD, "password": "a-new-long-password-7c1",
        "confirm": "a-new-long-password-7c1"}, ok(*ALL),
     lambda s, t, role: fresh(type(s.user(role)), s.user(role).id).session_version > 1),
    ("accounts.change_email", "POST", lambda s, t: {}, lambda s, t: {
        "new_email": "moved@elsewhere.example", "reauth_password": PASSWORD}, ok(*ALL),
     lambda s, t, role: addresses.pending_address(fresh(User, s.user(role).id))
     == "moved@elsewhere.example"),
    ("firms.index", "GET", lambda s, t: {}, None, ok(*STAFF), None),
    ("firms.export", "GET", lambda s, t: {"fmt": "csv"}, None, ok(*STAFF), None),
    ("firms.export", "GET", lambda s, t: {"fmt": "xlsx"}, None, ok(*STAFF), None),
    ("firms.new", "GET", lambda s, t: {}, None, ok(*STAFF), None),
    ("firms.new", "POST", lambda s, t: {}, lambda s, t: {
        "name": "New firm", "brn": "1208147521", "industry": "x",
        "site": "y", "phase": "1", "account_officer": "0"}, ok(*STAFF),
     lambda s, t, role: count(Firm, Firm.brn == "1208147521") == 1),
    ("firms.show", "GET", lambda s, t: {"firm_id": s.case[t].firm_id}, None,
     lambda role, t: "ok" if role in STAFF | OWN_FIRM[t] else "404", None),
    ("firms.invite", "POST", lambda s, t: {"firm_id": s.case[t].firm_id},
     lambda s, t: {"name": "N", "email": f"new-{t}@firm.example", "locale": "ko"},
     lambda role, t: "ok" if role in STAFF else "403" if role in OWN_FIRM[t] else "404",
     lambda s, t, role: count(type(s.invited), type(s.invited).email == f"new-{t.lower()}@firm.example")
     == 1),
    ("firms.reinvite", "POST",
     lambda s, t: {"firm_id": s.case[t].firm_id, "user_id": s.invitees[t][0].id},
     lambda s, t: {},
     lambda role, t: "ok" if role in STAFF else "403" if role in OWN_FIRM[t] else "404",
     lambda s, t, role: invitation_dead(s.invitees[t][1])),
    ("cases.index", "GET", lambda s, t: {}, None, ok(*ALL), None),
    ("cases.export", "GET", lambda s, t: {"fmt": "csv", "status": ""}, None, ok(*ALL), None),
    ("cases.export", "GET", lambda s, t: {"fmt": "xlsx", "status": ""}, None, ok(*ALL), None),
    ("cases.choose_type", "GET", lambda s, t: {}, None, ok(*FIRMS), None),
    ("cases.new", "GET", lambda s, t: {"type_id": s.world.permit_type.id}, None, ok(*FIRMS),
     None),
    ("cases.new", "POST", lambda s, t: {"type_id": s.world.hiring_type.id},
     lambda s, t: {"title": "Matrix filing", "description": "D", "priority": "normal"},
     ok(*FIRMS), lambda s, t, role: count(Case, Case.title == "Matrix filing") == 1),
    ("cases.show", "GET", lambda s, t: {"case_id": s.case[t].id}, None,
     visible_then(lambda t: SEES[t]), None),
    *[("cases.transition", "POST",
       lambda s, t, a=action, on=on: {"case_id": on(s)[t].id, "action": a},
       lambda s, t, on=on: {"version": version(on(s)[t]), "reason": "because"},
       seen_by(lambda t, who=who: who[t], allowed), status_of(on, state))
      for action, (on, who, allowed, state) in CASE_ACTIONS.items()],
    ("cases.checklist", "POST", lambda s, t: {"case_id": s.submitted[t].id},
     lambda s, t: {"version": version(s.submitted[t]), "checklist": ["0"]},
     seen_by(lambda t: SEES_SUBMITTED[t], lambda t: STAFF | OWN_FIRM[t]),
     lambda s, t, role: [i["done"] for i in fresh(Case, s.submitted[t].id).checklist]
     == [True, False]),
    ("cases.reassign", "POST", lambda s, t: {"case_id": s.case[t].id},
     lambda s, t: {"version": version(s.case[t]), "owner": str(s.world.admin.id)},
     visible_then(lambda t: STAFF),
     lambda s, t, role: fresh(Case, s.case[t].id).owner_id == s.world.admin.id),
    ("firms.change_officer", "POST", lambda s, t: {"firm_id": s.case[t].firm_id},
     lambda s, t: {"officer": str(s.world.admin.id), "shown": str(s.world.desk.id)},
     lambda role, t: "ok" if role in STAFF else "403" if role in OWN_FIRM[t] else "404",
     lambda s, t, role: fresh(Firm, s.case[t].firm_id).account_officer_id == s.world.admin.id),
    ("webhooks.index", "GET", lambda s, t: {}, None, ok("admin", "union_lead"), None),
    ("webhooks.index", "POST", lambda s, t: {},
     lambda s, t: {"url": "https://93.184.215.14/matrix", "events": ["comment"]},
     ok("admin", "union_lead"),
     lambda s, t, role: count(WebhookEndpoint, WebhookEndpoint.url.endswith("/matrix")) == 1),
    ("webhooks.endpoint", "GET", lambda s, t: {"endpoint_id": s.webhook[t].id}, None,
     keeps_hook, None),
    ("webhooks.endpoint", "POST", lambda s, t: {"endpoint_id": s.webhook[t].id},
     lambda s, t: {"url": "https://93.184.215.14/edited", "events": ["note"]}, keeps_hook,
     lambda s, t, role: fresh(WebhookEndpoint, s.webhook[t].id).events == ["note"]),
    ("webhooks.switch", "POST", lambda s, t: {"endpoint_id": s.webhook[t].id, "state": "off"},
     lambda s, t: {}, keeps_hook,
     lambda s, t, role: fresh(WebhookEndpoint, s.webhook[t].id).state == "paused"),
    ("webhooks.new_secret", "POST", lambda s, t: {"endpoint_id": s.webhook[t].id},
     lambda s, t: {}, keeps_hook,
     lambda s, t, role: fresh(WebhookEndpoint, s.webhook[t].id).secret != f"whsec_{t}"),
    ("webhooks.delete", "POST", lambda s, t: {"endpoint_id": s.webhook[t].id}, lambda s, t: {},
     keeps_hook, lambda s, t, role: count(
         WebhookEndpoint, WebhookEndpoint.description == f"CANARY-HOOK-{t}-7a2c") == 0),
    ("webhooks.redeliver", "POST", lambda s, t: {"delivery_id": s.hook_message[t].id},
     lambda s, t: {}, keeps_hook,
     lambda s, t, role: fresh(WebhookDelivery, s.hook_message[t].id).status == "queued"),
    ("replies.index", "GET", lambda s, t: {}, None, ok(*STAFF, *PARTNERS), None),
    ("replies.index", "POST", lambda s, t: {}, lambda s, t: {"title": "Matrix reply", "body": "B"},
     ok(*STAFF, *PARTNERS),
     lambda s, t, role: count(CannedReply, CannedReply.title == "Matrix reply") == 1),
    ("replies.edit", "GET", lambda s, t: {"reply_id": s.reply[t].id}, None,
     lambda role, t: "ok" if role in OWN_ORG[t] else "404", None),
    ("replies.edit", "POST", lambda s, t: {"reply_id": s.reply[t].id},
     lambda s, t: {"title": "Matrix edit", "body": "B"},
     lambda role, t: "ok" if role in OWN_ORG[t] else "404",
     lambda s, t, role: fresh(CannedReply, s.reply[t].id).title == "Matrix edit"),
    ("replies.delete", "POST", lambda s, t: {"reply_id": s.reply[t].id}, lambda s, t: {},
     lambda role, t: "ok" if role in OWN_ORG[t] else "404",
     lambda s, t, role: count(CannedReply, CannedReply.title == REPLY_CANARY[t]) == 0),
    ("cases.route", "POST", lambda s, t: {"case_id": s.case[t].id},
     lambda s, t: {"version": version(s.case[t]),
                   "organizations": [str((s.world.univ if t == "A" else s.world.permits).id)]},
     visible_then(lambda t: STAFF),
     lambda s, t, role: len(fresh(Case, s.case[t].id).tasks) == (3 if t == "A" else 2)),
    ("cases.comment", "POST", lambda s, t: {"case_id": s.case[t].id},
     lambda s, t: {"body": "matrix hello", "audience": "public"},
     visible_then(lambda t: SEES[t]),
     lambda s, t, role: count(Comment, Comment.body == "matrix hello") == 1),
    ("cases.download", "GET", lambda s, t: {"case_id": s.case[t].id,
                                            "attachment_id": s.attachment[t].id}, None,
     visible_then(lambda t: SEES[t]), None),
    # Saved views: the desk's own; nobody reaches another's (404), other roles have none.
    ("cases.views_page", "GET", lambda s, t: {}, None, ok(*STAFF), None),
    ("cases.save_view", "POST", lambda s, t: {},
     lambda s, t: {"name": f"matrix {t}", "query": "status=&sort=priority"}, ok(*STAFF),
     lambda s, t, role: count(SavedView, SavedView.name == f"matrix {t}") == 1),
    ("cases.rename_view", "POST", lambda s, t: {"view_id": desk_view(s, t).id},
     lambda s, t: {"name": f"renamed {t}"}, own_view,
     lambda s, t, role: count(SavedView, SavedView.name == f"renamed {t}") == 1),
    ("cases.delete_view", "POST", lambda s, t: {"view_id": desk_view(s, t).id},
     lambda s, t: {}, own_view,
     lambda s, t, role: count(SavedView, SavedView.name == f"desk view {t}") == 0),
    # Bulk actions: the desk only; each case through its own service and policy.
    ("cases.bulk", "POST", lambda s, t: {},
     lambda s, t: {"action": "close", "cases": [f"{s.resolved[t].id}:{s.resolved[t].version}"]},
     ok(*STAFF), lambda s, t, role: fresh(Case, s.resolved[t].id).status == "closed"),
    # Only the firm's own members answer how satisfied they are with a resolved request.
    ("cases.satisfaction", "POST", lambda s, t: {"case_id": s.resolved[t].id},
     lambda s, t: {"score": "4", "comment": "matrix"},
     seen_by(lambda t: SEES_OWN_ROUTED[t], lambda t: OWN_FIRM[t]),
     lambda s, t, role: count(SatisfactionAnswer,
                              SatisfactionAnswer.case_id == s.resolved[t].id) == 1),
    # The service figures: the desk sees every partner, a partner its own (tested in
    # tests/web/test_service_report.py), a firm none.
    ("reports.service", "GET", lambda s, t: {}, None, ok(*STAFF, *PARTNERS), None),
    *[("reports.service_download", "GET", lambda s, t, f=fmt: {"fmt": f}, None,
       ok(*STAFF, *PARTNERS), None) for fmt in ("csv", "xlsx")],
    # The file on a desk-only note exists for the desk alone.
    ("cases.download", "GET", lambda s, t: {"case_id": s.case["A"].id,
                                            "attachment_id": s.desk_file.id}, None,
     lambda role, t: "ok" if role in STAFF else "404", None),
    ("tasks.index", "GET", lambda s, t: {}, None, ok(*STAFF, *PARTNERS), None),
    ("tasks.export", "GET", lambda s, t: {"fmt": "csv", "status": "declined"}, None,
     ok(*STAFF, *PARTNERS), None),
    ("tasks.export", "GET", lambda s, t: {"fmt": "xlsx"}, None, ok(*STAFF, *PARTNERS), None),
    ("tasks.show", "GET", lambda s, t: {"task_id": s.task[t].id}, None,
     lambda role, t: "ok" if role in STAFF | OWN_ORG[t] else "403" if role in OWN_FIRM[t]
     else "404", None),
    *[_task_route(action) for action in TASK_ACTIONS],
    ("tasks.assign", "POST", lambda s, t: {"task_id": s.task[t].id},
     lambda s, t: {"version": version(s.task[t]),
                   "assignee": str(s.user("permits" if t == "A" else "univ").id)},
     lambda role, t: "ok" if role in STAFF else "403" if role in OWN_ORG[t] | OWN_FIRM[t]
     else "404",
     lambda s, t, role: fresh(AgencyTask, s.task[t].id).assignee_id is not None),
    ("tasks.change_due", "POST", lambda s, t: {"task_id": s.task[t].id},
     lambda s, t: {"version": version(s.task[t]), "due_at": future(40), "due_reason": "r"},
     lambda role, t: "ok" if role in STAFF else "403" if role in OWN_ORG[t] | OWN_FIRM[t]
     else "404",
     lambda s, t, role: fresh(AgencyTask, s.task[t].id).due_override_reason == "r"),
    # Extending a period: the task's organization and the desk; a further one waits for the
    # firm, whose own members alone answer it.
    ("tasks.extend", "POST", lambda s, t: {"task_id": s.task[t].id},
     lambda s, t: {"version": version(s.task[t]), "due_at": future(31), "reason": "r"},
     lambda role, t: "ok" if role in STAFF | OWN_ORG[t] else "403" if role in OWN_FIRM[t]
     else "404",
     lambda s, t, role: count(TaskExtension, TaskExtension.task_id == s.task[t].id) == 1),
    ("cases.answer_extension", "POST",
     lambda s, t: {"case_id": s.case[t].id, "extension_id": asked_extension(s, t).id,
                   "answer": "agree"},
     lambda s, t: {"version": version(s.case[t])},
     seen_by(lambda t: SEES[t], lambda t: OWN_FIRM[t]),
     lambda s, t, role: fresh(TaskExtension, asked_extension(s, t).id).consent == "given"),
    # More time to answer a supplement request: the firm's own members.
    ("cases.more_time", "POST",
     lambda s, t: {"case_id": s.case[t].id, "task_id": asked_firm(s, t).id},
     lambda s, t: {"version": version(s.case[t])},
     seen_by(lambda t: SEES[t], lambda t: OWN_FIRM[t]),
     lambda s, t, role: fresh(AgencyTask, s.task[t].id).supplement_more_time),
    # A progress notice on demand: the firm's own members, of a request being processed.
    ("cases.ask_progress", "POST", lambda s, t: {"case_id": s.case[t].id},
     lambda s, t: {"version": version(s.case[t])},
     seen_by(lambda t: SEES[t], lambda t: OWN_FIRM[t]),
     lambda s, t, role: count(Event, Event.case_id == s.case[t].id,
                              Event.action == "case.progress_asked") == 1),
    # An objection to a rejection: the firm's own members file it, the desk decides.
    ("cases.object_to_rejection", "POST", lambda s, t: {"case_id": rejected(s, t).id},
     lambda s, t: {"reasons": "r"}, seen_by(lambda t: SEES_SUBMITTED[t], lambda t: OWN_FIRM[t]),
     lambda s, t, role: objections.current(fresh(Case, s.submitted[t].id)) is not None),
    ("cases.extend_objection", "POST", lambda s, t: {"case_id": objected(s, t).id},
     lambda s, t: {"version": version(s.submitted[t]), "reason": "r"},
     seen_by(lambda t: SEES_SUBMITTED[t], lambda t: STAFF),
     lambda s, t, role: objections.current(fresh(Case, s.submitted[t].id)).extended),
    ("cases.decide_objection", "POST", lambda s, t: {"case_id": objected(s, t).id},
     lambda s, t: {"decision": "dismissed", "reason": "r"},
     seen_by(lambda t: SEES_SUBMITTED[t], lambda t: STAFF),
     lambda s, t, role: objections.current(fresh(Case, s.submitted[t].id)).decision
     == "dismissed"),
    # Recording a deliberation on a consultation: the task's organization only.
    ("tasks.record_pause", "POST", lambda s, t: {"task_id": consulted(s, t).id},
     lambda s, t: {"version": version(s.task[t]), "kind": "hearing",
                   "start": local_minute(s.task[t].routed_at + timedelta(minutes=1)),
                   "end": local_minute(utcnow() - timedelta(minutes=1)), "note": "n"},
     lambda role, t: "ok" if role in OWN_ORG[t] else "403" if role in STAFF | OWN_FIRM[t]
     else "404",
     lambda s, t, role: count(Event, Event.task_id == s.task[t].id,
                              Event.action == "task.pause_recorded") == 1),
    # Transferring to the competent organization: the task's organization only.
    ("tasks.transfer", "POST", lambda s, t: {"task_id": s.task[t].id},
     lambda s, t: {"version": version(s.task[t]), "reason": "r", "organization": str(
         (s.world.univ if t == "A" else s.world.permits).id)},
     lambda role, t: "ok" if role in OWN_ORG[t] else "403" if role in STAFF | OWN_FIRM[t]
     else "404",
     lambda s, t, role: fresh(AgencyTask, s.task[t].id).status == "transferred"),
    ("admin.users", "GET", lambda s, t: {}, None, ok("admin"), None),
    ("admin.new_user", "GET", lambda s, t: {}, None, ok("admin"), None),
    ("admin.new_user", "POST", lambda s, t: {}, lambda s, t: {
        "email": "new@city.example", "name": "New", "role": "caseworker", "organization": "0",
        "firm": "0", "locale": "ko", "is_enabled": "y"}, ok("admin"),
     lambda s, t, role: count(type(s.invited), type(s.invited).email == "new@city.example")
     == 1),
    ("admin.edit_user", "GET", lambda s, t: {"user_id": s.world.desk.id}, None, ok("admin"),
     None),
    ("admin.edit_user", "POST", lambda s, t: {"user_id": s.world.desk.id}, lambda s, t: {
        "name": "Renamed", "role": "caseworker", "organization": "0", "firm": "0"},
     ok("admin"), lambda s, t, role: fresh(type(s.world.desk), s.world.desk.id).name
     == "Renamed"),
    ("admin.reinvite", "POST", lambda s, t: {"user_id": s.invited.id},
     lambda s, t: {}, ok("admin"),
     lambda s, t, role: reissued(s)),
    ("admin.organizations", "GET", lambda s, t: {}, None, ok("admin"), None),
    ("admin.edit_organization", "GET", lambda s, t: {"org_id": s.world.union.id}, None,
     ok("admin"), None),
    ("admin.edit_organization", "POST", lambda s, t: {"org_id": s.world.union.id},
     lambda s, t: {"name": "Renamed union", "kind": "labor_union", "is_active": "y"},
     ok("admin"),
     lambda s, t, role: fresh(Organization, s.world.union.id).name == "Renamed union"),
    ("admin.request_types", "GET", lambda s, t: {}, None, ok("admin"), None),
    ("admin.edit_request_type", "GET", lambda s, t: {"type_id": s.world.hiring_type.id}, None,
     ok("admin"), None),
    ("admin.edit_request_type", "POST", lambda s, t: {"type_id": s.world.hiring_type.id},
     lambda s, t: {"code": "recruitment", "name": "채용", "category": "hiring", "period": "7d",
                   "supplement_period": "7d", "consultation_period": "20d",
                   "objection_days": "90", "objection_period": "10d", "is_active": "y"},
     ok("admin"),
     lambda s, t, role: fresh(type(s.world.hiring_type), s.world.hiring_type.id).period == "7d"),
    ("admin.holidays", "GET", lambda s, t: {}, None, ok("admin"), None),
    ("admin.holidays", "POST", lambda s, t: {}, lambda s, t: {"day": future(60)[:10],
                                                              "name": "year end"}, ok("admin"),
     lambda s, t, role: count(ExtraHoliday, ExtraHoliday.name == "year end") == 1),
    ("admin.delete_holiday", "POST", lambda s, t: {"holiday_id": s.holiday.id},
     lambda s, t: {}, ok("admin"),
     lambda s, t, role: count(ExtraHoliday, ExtraHoliday.name == "zone day") == 0),
    ("notifications.index", "GET", lambda s, t: {}, None, ok(*ALL), None),
    ("notifications.open_item", "POST",
     lambda s, t: {"notification_id": s.notification[t].id},
     lambda s, t: {}, lambda role, t: "ok" if role in OWN_FIRM[t] else "404",
     lambda s, t, role: fresh(Notification, s.notification[t].id).read_at is not None),
    ("notifications.mark_all_read", "POST", lambda s, t: {}, lambda s, t: {}, ok(*ALL),
     lambda s, t, role: fresh(Notification, s.notification[role].id).read_at is not None),
    ("notifications.preferences", "GET", lambda s, t: {}, None, ok(*ALL), None),
    ("notifications.preferences", "POST", lambda s, t: {},
     lambda s, t: {"comment": "digest", "has_quiet_hours": "y"}, ok(*ALL),
     lambda s, t, role: fresh(type(s.user(role)), s.user(role).id)
     .notification_choices.get("comment") == "digest"),
    ("notifications.ledger", "GET", lambda s, t: {}, None, ok("admin"), None),
    ("notifications.role_defaults_page", "GET", lambda s, t: {"role": "partner"}, None,
     ok("admin"), None),
    ("notifications.role_defaults_page", "POST", lambda s, t: {"role": "firm"},
     lambda s, t: {"comment": "digest"}, ok("admin"),
     lambda s, t, role: count(SiteSetting, SiteSetting.key == "notification_defaults") == 1),
    ("notifications.resend", "POST", lambda s, t: {"notification_id": s.notification[t].id},
     lambda s, t: {}, ok("admin"),
     lambda s, t, role: fresh(Notification, s.notification[t].id).status == "queued"),
    ("notifications.outbox", "GET", lambda s, t: {}, None, ok("admin"), None),
    ("notifications.outbox_message", "GET", lambda s, t: {"name": "sample.eml"}, None,
     ok("admin"), None),
    ("notifications.rules", "GET", lambda s, t: {}, None, ok("admin"), None),
    ("notifications.edit_rule", "GET", lambda s, t: {"rule_id": s.rule.id}, None, ok("admin"),
     None),
    ("notifications.edit_rule", "POST", lambda s, t: {"rule_id": s.rule.id}, lambda s, t: {
        "kind": "task_due", "offset_days": "2", "audience": "assignee", "is_active": "y"},
     ok("admin"), lambda s, t, role: fresh(ReminderRule, s.rule.id).offset_days == 2),
    ("accounts.two_factor", "GET", lambda s, t: {}, None, ok(*ALL), None),
    ("accounts.two_factor", "POST", lambda s, t: {}, lambda s, t: {"code": totp_now()},
     ok(*ALL), lambda s, t, role: fresh(User, s.user(role).id).has_two_factor),
    ("accounts.two_factor_off", "POST", lambda s, t: {}, lambda s, t: {
        "off-reauth_password": PASSWORD, "off-reauth_code": with_two_factor(s)},
     ok(*ALL), lambda s, t, role: not fresh(User, s.user(role).id).has_two_factor),
    ("accounts.recovery_codes", "POST", lambda s, t: {}, lambda s, t: {
        "codes-reauth_password": PASSWORD, "codes-reauth_code": with_two_factor(s)},
     ok(*ALL), lambda s, t, role: count(RecoveryCode, RecoveryCode.user_id == s.user(role).id)
     == 10),
    ("admin.reset_two_factor", "POST", lambda s, t: {"user_id": s.world.desk.id},
     lambda s, t: {"_": with_two_factor(s)}, ok("admin"),
     lambda s, t, role: not fresh(User, s.world.desk.id).has_two_factor),
    ("admin.security", "GET", lambda s, t: {}, None, ok("admin"), None),
    ("admin.security", "POST", lambda s, t: {}, lambda s, t: {"staff_two_factor": "y"},
     ok("admin"), lambda s, t, role: staff_must_use_two_factor()),
    ("audit.index", "GET", lambda s, t: {}, None, ok("admin"), None),
    ("audit.export", "GET", lambda s, t: {"fmt": "csv"}, None, ok("admin"), None),
    ("audit.export", "GET", lambda s, t: {"fmt": "xlsx"}, None, ok("admin"), None),
    ("council.page", "GET", lambda s, t: {"month": "2026-11"}, None, ok(*STAFF), None),
    ("council.pdf", "GET", lambda s, t: {"month": "2026-11"}, None, ok(*STAFF), None),
    ("admin.imports_page", "GET", lambda s, t: {}, None, ok("admin"), None),
    ("admin.imports_page", "POST", lambda s, t: {},
     lambda s, t: {"file": (io.BytesIO(zone(1, "desk@test.example")), "annex.xlsx")},
     ok("admin"), lambda s, t, role: count(ImportRun) == 2),
    ("admin.import_template", "GET", lambda s, t: {}, None, ok("admin"), None),
    ("admin.import_run", "GET", lambda s, t: {"run_id": s.import_run.id}, None, ok("admin"),
     None),
    ("admin.import_status", "GET", lambda s, t: {"run_id": s.import_run.id}, None,
     ok("admin"), None),
    ("admin.import_errors", "GET", lambda s, t: {"run_id": s.import_run.id, "fmt": "csv"},
     None, ok("admin"), None),
    ("zone.view", "GET", lambda s, t: {}, None, ok(*STAFF), None),
    ("zone.export", "GET", lambda s, t: {"table": "firms", "fmt": "csv"}, None, ok(*STAFF), None),
    ("zone.export", "GET", lambda s, t: {"table": "phases", "fmt": "xlsx"}, None, ok(*STAFF),
     None),
    ("zone.public", "GET", lambda s, t: {}, None, everyone, None),
    # Commitments: the firm reports for itself; its account officer (the desk here) or an
    # admin judges; the desk reads every firm's; partners see nothing of them.
    ("commitments.mine", "GET", lambda s, t: {}, None, ok(*FIRMS), None),
    ("commitments.report", "POST", lambda s, t: {}, lambda s, t: {
        "target": str(target_id(s, t, "jobs", 2025)), "amount": "7", "note": "matrix report",
        "files": (io.BytesIO(PDF), "matrix.pdf")},
     lambda role, t: "ok" if role in OWN_FIRM[t] else "404" if role in FIRMS else "403",
     lambda s, t, role: count(ActualReport, ActualReport.note == "matrix report") == 1),
    ("firms.add_documents", "POST", lambda s, t: {"firm_id": s.case[t].firm_id},
     lambda s, t: {"files": (io.BytesIO(PDF), f"agreement-{t}.pdf")},
     # The desk is both firms' account officer; a firm reads its agreement but files nothing.
     lambda role, t: "ok" if role in STAFF else "403" if role in OWN_FIRM[t] else "404",
     lambda s, t, role: count(CommitmentFile, CommitmentFile.filename == f"agreement-{t}.pdf")
     == 1),
    ("commitments.to_verify", "GET", lambda s, t: {}, None, ok(*STAFF), None),
    ("commitments.to_verify", "GET", lambda s, t: {"fmt": "csv"}, None, ok(*STAFF), None),
    ("commitments.show", "GET", lambda s, t: {"report_id": s.report[t].id}, None,
     lambda role, t: "ok" if role in STAFF | OWN_FIRM[t] else "404", None),
    *[("commitments.review", "POST",
       lambda s, t, a=action: {"report_id": s.report[t].id, "action": a},
       lambda s, t: {"version": version(s.report[t]), "reason": "matrix reason"},
       lambda role, t: "ok" if role in STAFF else "403" if role in OWN_FIRM[t] else "404",
       lambda s, t, role, state=state: fresh(ActualReport, s.report[t].id).status == state)
      for action, state in (("verify", "verified"), ("return", "returned"))],
    ("commitments.file", "GET", lambda s, t: {"file_id": s.evidence[t].id}, None,
     lambda role, t: "ok" if role in STAFF | OWN_FIRM[t] else "404", None),
    ("accounts.tokens", "GET", lambda s, t: {}, None, ok(*ALL), None),
    ("accounts.tokens", "POST", lambda s, t: {}, lambda s, t: {
        "name": "matrix token", "scope": "read", "days": "30"}, ok(*ALL),
     lambda s, t, role: count(AccessToken, AccessToken.name == "matrix token") == 1),
    ("accounts.revoke_token", "POST", lambda s, t: {"token_id": firm_token(s, t).id},
     lambda s, t: {},
     lambda role, t: "ok" if role in OWN_FIRM[t] else "404",
     lambda s, t, role: fresh(AccessToken, firm_token(s, t).id).revoked_at is not None),
    # Open311 GeoReport v2, with the role's token as api_key (anon: none). The catalog is
    # public; a firm's requests are not: listed only as its key's owner may see them (none
    # without a key), and outside its reach the spec's 404 error body.
    ("open311.discovery", "GET", lambda s, t: {"fmt": "xml"}, None, everyone, None),
    ("open311.services", "GET", lambda s, t: {"fmt": "json"}, None, everyone, None),
    ("open311.service_definition", "GET",
     lambda s, t: {"service_code": s.world.permit_type.code, "fmt": "xml"}, None, everyone,
     None),
    ("open311.list_requests", "GET", lambda s, t: {"fmt": "json"}, None, everyone, None),
    ("open311.get_request", "GET", lambda s, t: {"service_request_id": s.case[t].id,
                                                 "fmt": "json" if t == "A" else "xml"},
     None, visible_then(lambda t: ALL), None),
    ("open311.get_token", "GET", lambda s, t: {"token_id": s.case[t].id, "fmt": "json"}, None,
     visible_then(lambda t: ALL), None),
    ("open311.create_request", "POST", lambda s, t: {"fmt": "json" if t == "A" else "xml"},
     lambda s, t: {"service_code": s.world.hiring_type.code,
                   "description": "Open311 matrix filing"},
     ok(*FIRMS), lambda s, t, role: count(Case, Case.title == "Open311 matrix filing") == 1),
    # The JSON API, with a token of the role's (anon: none, so 401): the same rules as the
    # pages, and 404 for whatever is outside the caller's reach.
    ("api.list_request_types", "GET", lambda s, t: {}, None, ok(*ALL), None),
    ("api.list_organizations", "GET", lambda s, t: {}, None, ok(*ALL), None),
    ("api.list_cases", "GET", lambda s, t: {"status": ""}, None, ok(*ALL), None),
    ("api.list_tasks", "GET", lambda s, t: {}, None, ok(*STAFF, *PARTNERS), None),
    ("api.get_task", "GET", lambda s, t: {"task_id": s.task[t].id}, None,
     lambda role, t: "ok" if role in STAFF | OWN_ORG[t] else "403" if role in OWN_FIRM[t]
     else "404", None),
    *[("api.move_task", "POST", lambda s, t: {"task_id": s.task[t].id},
       lambda s, t, a=action: {"json": {"action": a, "text": "because"},
                               "if_match": version(_task_prepared(s, t, a))},
       lambda role, t: "ok" if role in OWN_ORG[t] else "403" if role in STAFF | OWN_FIRM[t]
       else "404",
       lambda s, t, role, a=action: fresh(AgencyTask, s.task[t].id).status == TASK_ACTIONS[a])
      for action in TASK_ACTIONS],
    ("api.assign_task", "PUT", lambda s, t: {"task_id": s.task[t].id},
     lambda s, t: {"json": {"assignee": s.user("permits" if t == "A" else "univ").id},
                   "if_match": version(s.task[t])},
     lambda role, t: "ok" if role in STAFF else "403" if role in OWN_ORG[t] | OWN_FIRM[t]
     else "404",
     lambda s, t, role: fresh(AgencyTask, s.task[t].id).assignee_id
     == s.user("permits" if t == "A" else "univ").id),
    ("api.transfer_task", "POST", lambda s, t: {"task_id": s.task[t].id},
     lambda s, t: {"json": {"organization": (s.world.univ if t == "A" else s.world.permits).id,
                            "reason": "r"}, "if_match": version(s.task[t])},
     lambda role, t: "ok" if role in OWN_ORG[t] else "403" if role in STAFF | OWN_FIRM[t]
     else "404",
     lambda s, t, role: fresh(AgencyTask, s.task[t].id).status == "transferred"),
    ("api.set_due_date", "PUT", lambda s, t: {"task_id": s.task[t].id},
     lambda s, t: {"json": {"due_at": future(40) + ":00+09:00", "reason": "r"},
                   "if_match": version(s.task[t])},
     lambda role, t: "ok" if role in STAFF else "403" if role in OWN_ORG[t] | OWN_FIRM[t]
     else "404",
     lambda s, t, role: fresh(AgencyTask, s.task[t].id).due_override_reason == "r"),
    ("api.list_comments", "GET", lambda s, t: {"case_id": s.case[t].id}, None,
     visible_then(lambda t: SEES[t]), None),
    ("api.add_comment", "POST", lambda s, t: {"case_id": s.case[t].id},
     lambda s, t: {"json": {"body": "matrix api hello", "audience": "public"}},
     visible_then(lambda t: SEES[t]),
     lambda s, t, role: count(Comment, Comment.body == "matrix api hello") == 1),
    ("api.list_attachments", "GET", lambda s, t: {"case_id": s.case[t].id}, None,
     visible_then(lambda t: SEES[t]), None),
    ("api.download_attachment", "GET", lambda s, t: {"case_id": s.case[t].id,
                                                     "attachment_id": s.attachment[t].id},
     None, visible_then(lambda t: SEES[t]), None),
    ("api.download_attachment", "GET", lambda s, t: {"case_id": s.case["A"].id,
                                                     "attachment_id": s.desk_file.id}, None,
     lambda role, t: "ok" if role in STAFF else "404", None),
    ("api.add_files", "POST", lambda s, t: {"case_id": s.case[t].id},
     lambda s, t: {"form": {"body": "matrix api files", "files": (io.BytesIO(PDF), "m.pdf")}},
     visible_then(lambda t: SEES[t]),
     lambda s, t, role: count(Comment, Comment.body == "matrix api files") == 1),
    ("api.route_case", "POST", lambda s, t: {"case_id": s.case[t].id},
     lambda s, t: {"json": {"organizations": [(s.world.univ if t == "A"
                                               else s.world.permits).id]},
                   "if_match": version(s.case[t])},
     visible_then(lambda t: STAFF),
     lambda s, t, role: len(fresh(Case, s.case[t].id).tasks) == (3 if t == "A" else 2)),
    ("api.list_firms", "GET", lambda s, t: {}, None, ok(*STAFF), None),
    ("api.get_firm", "GET", lambda s, t: {"firm_id": s.case[t].firm_id}, None,
     lambda role, t: "ok" if role in STAFF | OWN_FIRM[t] else "404", None),
    ("api.get_commitments", "GET", lambda s, t: {"firm_id": s.case[t].firm_id}, None,
     lambda role, t: "ok" if role in STAFF | OWN_FIRM[t] else "404", None),
    ("api.report_actuals", "POST", lambda s, t: {"firm_id": s.case[t].firm_id},
     lambda s, t: {"form": {"target": str(target_id(s, t, "jobs", 2025)), "amount": "7",
                            "note": "matrix api report", "files": (io.BytesIO(PDF), "m.pdf")}},
     lambda role, t: "ok" if role in OWN_FIRM[t] else "403" if role in STAFF else "404",
     lambda s, t, role: count(ActualReport, ActualReport.note == "matrix api report") == 1),
    ("api.get_report", "GET", lambda s, t: {"report_id": s.report[t].id}, None,
     lambda role, t: "ok" if role in STAFF | OWN_FIRM[t] else "404", None),
    *[("api.review_report", "POST", lambda s, t: {"report_id": s.report[t].id},
       lambda s, t, a=action: {"json": {"action": a, "reason": "matrix reason"},
                               "if_match": version(s.report[t])},
       lambda role, t: "ok" if role in STAFF else "403" if role in OWN_FIRM[t] else "404",
       lambda s, t, role, state=state: fresh(ActualReport, s.report[t].id).status == state)
      for action, state in (("verify", "verified"), ("return", "returned"))],
    ("api.zone_report", "GET", lambda s, t: {}, None, ok(*STAFF), None),
    ("api.list_notifications", "GET", lambda s, t: {}, None, ok(*ALL), None),
    ("api.read_notification", "POST", lambda s, t: {"notification_id": s.notification[t].id},
     lambda s, t: {"json": None}, lambda role, t: "ok" if role in OWN_FIRM[t] else "404",
     lambda s, t, role: fresh(Notification, s.notification[t].id).read_at is not None),
    ("api.file_case", "POST", lambda s, t: {}, lambda s, t: {"json": {
        "request_type": s.world.hiring_type.id, "title": "API filing", "description": "D"}},
     ok(*FIRMS), lambda s, t, role: count(Case, Case.title == "API filing") == 1),
    ("api.get_case", "GET", lambda s, t: {"case_id": s.case[t].id}, None,
     visible_then(lambda t: ALL), None),
    *[("api.move_case", "POST", lambda s, t, on=on: {"case_id": on(s)[t].id},
       lambda s, t, a=action, on=on: {"json": {"action": a, "reason": "because"},
                                      "if_match": version(on(s)[t])},
       seen_by(lambda t, who=who: who[t], allowed), status_of(on, state))
      for action, (on, who, allowed, state) in CASE_ACTIONS.items()],
    # The pages' other moves, through the API: the same rules as their pages above.
    ("api.reassign_case", "PUT", lambda s, t: {"case_id": s.case[t].id},
     lambda s, t: {"json": {"owner": s.world.admin.id}, "if_match": version(s.case[t])},
     visible_then(lambda t: STAFF),
     lambda s, t, role: fresh(Case, s.case[t].id).owner_id == s.world.admin.id),
    ("api.extend_task", "POST", lambda s, t: {"task_id": s.task[t].id},
     lambda s, t: {"json": {"due_at": future(31) + ":00+09:00", "reason": "r"},
                   "if_match": version(s.task[t])},
     lambda role, t: "ok" if role in STAFF | OWN_ORG[t] else "403" if role in OWN_FIRM[t]
     else "404",
     lambda s, t, role: count(TaskExtension, TaskExtension.task_id == s.task[t].id) == 1),
    ("api.answer_extension", "PUT",
     lambda s, t: {"case_id": s.case[t].id, "extension_id": asked_extension(s, t).id},
     lambda s, t: {"json": {"answer": "agree"}, "if_match": version(s.case[t])},
     seen_by(lambda t: SEES[t], lambda t: OWN_FIRM[t]),
     lambda s, t, role: fresh(TaskExtension, asked_extension(s, t).id).consent == "given"),
    ("api.ask_more_time", "POST",
     lambda s, t: {"case_id": s.case[t].id, "task_id": asked_firm(s, t).id},
     lambda s, t: {"json": None, "if_match": version(s.case[t])},
     seen_by(lambda t: SEES[t], lambda t: OWN_FIRM[t]),
     lambda s, t, role: fresh(AgencyTask, s.task[t].id).supplement_more_time),
    ("api.ask_progress", "POST", lambda s, t: {"case_id": s.case[t].id},
     lambda s, t: {"json": None}, seen_by(lambda t: SEES[t], lambda t: OWN_FIRM[t]),
     lambda s, t, role: count(Event, Event.case_id == s.case[t].id,
                              Event.action == "case.progress_asked") == 1),
    ("api.object_to_rejection", "POST", lambda s, t: {"case_id": rejected(s, t).id},
     lambda s, t: {"form": {"reasons": "r"}},
     seen_by(lambda t: SEES_SUBMITTED[t], lambda t: OWN_FIRM[t]),
     lambda s, t, role: objections.current(fresh(Case, s.submitted[t].id)) is not None),
    ("api.extend_objection", "POST", lambda s, t: {"case_id": objected(s, t).id},
     lambda s, t: {"json": {"reason": "r"}, "if_match": version(s.submitted[t])},
     seen_by(lambda t: SEES_SUBMITTED[t], lambda t: STAFF),
     lambda s, t, role: objections.current(fresh(Case, s.submitted[t].id)).extended),
    ("api.decide_objection", "POST", lambda s, t: {"case_id": objected(s, t).id},
     lambda s, t: {"json": {"decision": "dismissed", "reason": "r"},
                   "if_match": version(s.submitted[t])},
     seen_by(lambda t: SEES_SUBMITTED[t], lambda t: STAFF),
     lambda s, t, role: objections.current(fresh(Case, s.submitted[t].id)).decision
     == "dismissed"),
    ("api.record_pause", "POST", lambda s, t: {"task_id": consulted(s, t).id},
     lambda s, t: {"json": {"kind": "hearing",
                            "start": (s.task[t].routed_at + timedelta(minutes=1)).isoformat(),
                            "end": (utcnow() - timedelta(minutes=1)).isoformat(), "note": "n"},
                   "if_match": version(s.task[t])},
     lambda role, t: "ok" if role in OWN_ORG[t] else "403" if role in STAFF | OWN_FIRM[t]
     else "404",
     lambda s, t, role: count(Event, Event.task_id == s.task[t].id,
                              Event.action == "task.pause_recorded") == 1),
]


def firm_token(s, t) -> AccessToken:
    """An API token of the tenant's firm member (made on first use)."""
    user = s.user("firm_a" if t == "A" else "firm_b")
    token = db.session.scalar(select(AccessToken).where(AccessToken.user_id == user.id,
                                                        AccessToken.name == "firm token"))
    if token is None:
        token = create_token(user, "firm token", "read", 30, now=utcnow())[0]
        db.session.commit()
    return token


def api_headers(s, role) -> dict:
    """The Authorization header of a fresh write token of the role's; its last use set now,
    so that the request itself writes nothing to it."""
    if role == "anon":
        return {}
    token, secret = create_token(s.user(role), f"matrix {role}", "write", 1, now=utcnow())
    token.last_used_at = utcnow()
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def target_id(s, t, measure, year) -> int:
    firm = s.user("firm_a" if t == "A" else "firm_b").firm
    return next(x.id for x in firm.agreement.targets if (x.measure, x.year) == (measure, year))


def open311_key(s, role) -> str | None:
    """The api_key Open311 takes: the same personal access token as the JSON API's."""
    return api_headers(s, role).get("Authorization", "").removeprefix("Bearer ") or None


def _open311_request(app, method, url, data, key):
    """Open311 takes its api_key as an argument: the query's when reading, the form's when
    filing."""
    client = app.test_client()
    key_arg = {"api_key": key} if key else {}
    if method == "GET":
        return client.get(url, query_string=key_arg)
    return client.post(url, data={**data, **key_arg})


# Routes every visitor may use, signed in or not; tested in test_security.py.
PUBLIC = {"static", "accounts.login", "accounts.login_code", "accounts.logout",
          "accounts.accept_invitation", "accounts.set_language", "accounts.forgot_password",
          "accounts.reset_password", "accounts.confirm_email", "zone.public",
          "api_docs.openapi", "api_docs.page", "api_docs.static"}


# The secret a matrix session is setting up two-step sign-in with (or has set it up with).
TOTP_SECRET = pyotp.random_base32()


def totp_now() -> str:
    return pyotp.TOTP(TOTP_SECRET).now()


def with_two_factor(s) -> str:
    """Turn two-step sign-in on for everyone of the scenario; the code to confirm with."""
    for role in ROLES[1:]:
        user = fresh(User, s.user(role).id)
        user.totp_secret, user.totp_enabled_at, user.totp_last_step = TOTP_SECRET, utcnow(), 0
    db.session.commit()
    return totp_now()


def reissued(s) -> bool:
    user = fresh(type(s.invited), s.invited.id)
    return user.invite_nonce is not None and invitation_dead(s.invitation)


def invitation_dead(token: str) -> bool:
    """The link no longer works: a new one was issued (and emailed)."""
    from onestop.accounts.services import user_for_invitation

    db.session.expire_all()
    try:
        user_for_invitation(token)
    except Exception:  # noqa: BLE001 - the old link died: a new one was issued
        return True
    return False


def snapshot() -> dict:
    """Every row of every table: a refused request must leave this unchanged."""
    db.session.expire_all()
    return {table.name: sorted(map(tuple, db.session.execute(
        text(f"SELECT * FROM {table.name}")).all()), key=repr)
        for table in db.metadata.sorted_tables}


def test_every_route_is_in_the_matrix(app):
    covered = {(endpoint, method) for endpoint, method, *_ in ROUTES}
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (rule.endpoint, method) not in covered:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert not missing, "routes with no authorization test: " + ", ".join(missing)


def _api_request(app, method, url, data, headers):
    client = app.test_client()
    if method == "GET":
        return client.get(url, headers=headers)
    if "if_match" in data:
        headers = {**headers, "If-Match": f'"{data["if_match"]}"'}
    call = client.put if method == "PUT" else client.post
    if "form" in data:
        return call(url, data=data["form"], headers=headers, content_type="multipart/form-data")
    return call(url, json=data["json"], headers=headers)


def _request(app, scenario, role, method, url, data):
    client = app.test_client()
    with client.session_transaction() as session:
        session["csrf_token"] = "matrix"
        if role != "anon":
            session["_user_id"] = scenario.user(role).get_id()
            session["_fresh"] = True
            session["signed_in_at"] = session["seen_at"] = session["auth_at"] = time.time()
            session["totp_setup"] = TOTP_SECRET
    if data is not None:
        from flask_wtf.csrf import generate_csrf

        with app.test_request_context():
            from flask import session as s
            s["csrf_token"] = "matrix"
            data = {**data, "csrf_token": generate_csrf()}
    call = client.get if method == "GET" else client.post

    # Buffered: a streamed download is read inside the request's own context.
    return contextvars.Context().run(call, url, data=data, buffered=True)


def readable(response) -> str:
    """The response's text; an XLSX download's sheets unzipped, so canaries show in it too."""
    data = response.get_data()
    if response.mimetype == XLSX_TYPE:
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            return "".join(book.read(name).decode() for name in book.namelist())
    return data.decode("utf-8", "replace")


def leaks(role, body: str) -> list[str]:
    """The canaries in this body that its reader may not see."""
    found = [f"another tenant's canary {c}" for t, c in CANARY.items()
             if role != "anon" and role not in SEES[t] and c in body]
    return found + [f"canary {c}" for c, audience in AUDIENCE.items()
                    if role not in audience and c in body]


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r[1]} {r[0]}")
def test_route_answers_each_role_as_designed(ctx, route):
    endpoint, method, values, data_for, expect, effect = route
    app = ctx
    scenario = Scenario.build()
    failures = []
    for tenant in ("A", "B"):
        for role in ROLES:
            with app.test_request_context():
                url = url_for(endpoint, **values(scenario, tenant))
            data = data_for(scenario, tenant) if data_for else None
            api = endpoint.startswith("api.")
            open311 = endpoint.startswith("open311.")  # signs in by api_key: anon has none
            headers = api_headers(scenario, role) if api else None
            key = open311_key(scenario, role) if open311 else None
            before = snapshot() if method != "GET" else None
            response = (_api_request(app, method, url, data, headers) if api
                        else _open311_request(app, method, url, data, key) if open311
                        else _request(app, scenario, role, method, url, data))
            wanted = ("401" if role == "anon" and api
                      else "login" if role == "anon" and endpoint not in PUBLIC and not open311
                      else expect(role, tenant))
            got = response.status_code
            if wanted == "login":
                good = got in (302, 303) and "/login" in response.headers.get("Location", "")
            elif wanted == "ok":
                good = got in (200, 201, 303) if method != "GET" else got == 200
            else:
                good = got == int(wanted)
            if not good:
                failures.append(f"{role}/{tenant}: wanted {wanted}, got {got}")
            failures += [f"{role}/{tenant}: {leak}" for leak in leaks(role, readable(response))]
            if method != "GET":
                after = snapshot()
                if wanted != "ok" and after != before:
                    failures.append(f"{role}/{tenant}: a refused write changed the database")
                if wanted == "ok" and good and not effect(scenario, tenant, role):
                    failures.append(f"{role}/{tenant}: answered {got} but did nothing")
                if after != before:
                    scenario = Scenario.build()
    assert not failures, "\n".join(failures)


def test_each_canary_is_really_on_the_pages_of_its_audience(ctx, app):
    """The leak checks above could pass vacuously; this shows every canary is rendered to
    someone who may see it, on the case page or as the downloaded file."""
    scenario = Scenario.build()
    shown = {}
    for role in ROLES[1:]:
        for tenant in ("A", "B"):
            response = _request(app, scenario, role, "GET",
                                f"/cases/{scenario.case[tenant].id}", None)
            for canary in [*CANARY.values(), *AUDIENCE]:
                if canary in response.get_data(as_text=True):
                    shown.setdefault(canary, set()).add(role)
    for role in ROLES[1:]:
        for tenant in ("A", "B"):
            for path in (f"/commitments/reports/{scenario.report[tenant].id}",
                         f"/commitments/files/{scenario.evidence[tenant].id}", "/commitments/",
                         f"/firms/{scenario.case[tenant].firm_id}"):
                body = _request(app, scenario, role, "GET", path, None).get_data(as_text=True)
                for canary in (REPORT_CANARY[tenant], EVIDENCE_CANARY[tenant]):
                    if canary in body:
                        shown.setdefault(canary, set()).add(role)
    for role in ROLES[1:]:
        for url in ("/reports/zone", "/reports/zone/firms.csv"):
            body = _request(app, scenario, role, "GET", url, None).get_data(as_text=True)
            if "CANARY-ZONEFIRM-3e8b" in body:
                shown.setdefault("CANARY-ZONEFIRM-3e8b", set()).add(role)
    for role in ROLES[1:]:
        body = _request(app, scenario, role, "GET", "/webhooks/", None).get_data(as_text=True)
        for canary in ("CANARY-HOOK-A-7a2c", "CANARY-HOOK-B-7a2c"):
            if canary in body:
                shown.setdefault(canary, set()).add(role)
    download = _request(app, scenario, "desk", "GET", f"/cases/{scenario.case['A'].id}/"
                        f"attachments/{scenario.desk_file.id}", None)
    assert b"CANARY-DESKFILE-A-c5e2" in download.get_data()
    shown.setdefault("CANARY-DESKFILE-A-c5e2", set()).add("desk")
    for canary, audience in AUDIENCE.items():
        assert shown.get(canary), f"{canary} is shown to nobody: the check would be vacuous"
        assert shown[canary] <= audience, f"{canary} shown to {shown[canary] - audience}"
    assert shown[INTERNAL_CANARY] == STAFF | {"permits", "union_lead"}
    for tenant, firm_role in (("A", "firm_a"), ("B", "firm_b")):
        assert shown[REPORT_CANARY[tenant]] == shown[EVIDENCE_CANARY[tenant]] == STAFF | {firm_role}
    assert shown["CANARY-DECLINE-UNION-77a1"] == STAFF | {"union_lead"}
    assert shown["CANARY-PARTNERNOTE-A-6d17"] == STAFF | {"permits"}
    assert shown["CANARY-DUE-UNIV-e41d"] == STAFF | {"univ"}
    assert shown["CANARY-HOOK-A-7a2c"] == {"admin", "union_lead"}
    assert db.session.scalar(select(AgencyTask.id).where(AgencyTask.id == scenario.task["A"].id))


def test_no_webhook_message_carries_what_its_organization_may_not_read(ctx):
    """Every message the scenario's steps wrote for the union's (A) and the university's (B)
    endpoints, read as that organization's role; the canaries of others never appear."""
    scenario = Scenario.build()
    role_of = {scenario.webhook["A"].id: "union_lead", scenario.webhook["B"].id: "univ"}
    failures, sent = [], {}
    for message in db.session.scalars(select(WebhookDelivery).where(
            WebhookDelivery.event_id.is_not(None))):
        role = role_of[message.endpoint_id]
        failures += [f"{message.kind} to {role}: {leak}" for leak in leaks(role, message.body)]
        sent.setdefault(role, set()).update(c for c in AUDIENCE if c in message.body)
    assert not failures, "\n".join(failures)
    # Not vacuous: each hears the internal texts it may read.
    assert INTERNAL_CANARY in sent["union_lead"] and "CANARY-DUE-UNIV-e41d" in sent["univ"]


def test_no_notification_or_email_carries_what_its_reader_may_not_see(ctx):
    """Every row the scenario's steps wrote, as its email and its line under the bell, is
    read as its recipient's role; the canaries of others never appear."""
    scenario = Scenario.build()
    w = scenario.world
    role_of = {scenario.user(role).id: role for role in ROLES[1:]}
    # Colleagues have the same rights on these cases as the role's own user.
    role_of.update({w.union_staff.id: "union_lead", w.firm_a_user2.id: "firm_a",
                    scenario.invited.id: "firm_b"})
    failures, emailed = [], set()
    for row in db.session.scalars(select(Notification).where(
            (Notification.event_id.is_not(None)) | (Notification.firm_id.is_not(None)))):
        message = rendered(row)
        text = " ".join([message["Subject"], describe([row])[row.id], *(
            message.get_body((part,)).get_content() for part in ("plain", "html"))])
        role = role_of[row.user_id]
        failures += [f"{row.kind} to {role}: {leak}" for leak in leaks(role, text)]
        emailed |= {c for c in [*CANARY.values(), *AUDIENCE] if c in text}
    assert not failures, "\n".join(failures)
    # Not vacuous: the texts that travel by email reach their audience.
    assert emailed >= {*CANARY.values(), INTERNAL_CANARY, "CANARY-DECLINE-UNION-77a1",
                       "CANARY-DUE-PERMITS-0b3c", "CANARY-DUE-UNIV-e41d",
                       "CANARY-PARTNERNOTE-A-6d17", *REPORT_CANARY.values()}
