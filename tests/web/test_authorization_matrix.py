"""Every route × every role × own and other tenant, generated against the app's URL map.

The expectations below are written by hand from DESIGN.md (not read from the policy module),
so a policy mistake shows up as a mismatch. A route missing from ROUTES fails the suite.
"""
import contextvars
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import select, text

from onestop.accounts.services import reissue_invitation
from onestop.cases import services as cases
from onestop.extensions import db
from onestop.notifications.models import Notification, ReminderRule
from onestop.notifications.services import ensure_default_rules
from onestop.tasks.models import AgencyTask
from onestop.workdays.models import ExtraHoliday
from tests.conftest import _empty_all_tables
from tests.factories import NOW, PDF, World, make_user

ROLES = ["anon", "firm_a", "firm_b", "desk", "admin", "permits", "union_lead", "univ"]
STAFF = {"desk", "admin"}
PARTNERS = {"permits", "union_lead", "univ"}
# Who sees each tenant's case: case A is firm A's, routed to permits and the union;
# case B is firm B's, routed to the university only.
SEES = {"A": STAFF | {"firm_a", "permits", "union_lead"}, "B": STAFF | {"firm_b", "univ"}}
CANARY = {"A": "CANARY-ALPHA-31f9", "B": "CANARY-BETA-8c2e"}
INTERNAL_CANARY = "INTERNAL-NOTE-CANARY-5d1b"


@dataclass
class Scenario:
    world: World
    case: dict
    task: dict            # the permits task on A, the university task on B
    attachment: dict
    holiday: ExtraHoliday
    invitation: str
    pending: object
    notification: dict
    rule: ReminderRule

    @classmethod
    def build(cls) -> "Scenario":
        _empty_all_tables()
        w = World.build()
        w.firm_b.name = "Beta Composite"
        a = cases.file_case(w.firm_a_user, w.permit_type, title=CANARY["A"], description="a",
                            priority="normal", form_data={"floor_area": "1"},
                            checked_items=[0, 1], files=[("a.pdf", PDF)], now=NOW)
        b = cases.file_case(w.firm_b_user, w.permit_type, title=CANARY["B"], description="b",
                            priority="normal", form_data={"floor_area": "1"},
                            checked_items=[0, 1], files=[("b.pdf", PDF)], now=NOW)
        db.session.flush()
        for case, orgs in ((a, [w.permits, w.union]), (b, [w.univ])):
            cases.accept_case(w.desk, case, now=NOW, version=None)
            cases.route_case(w.desk, case, orgs, now=NOW, version=None)
        cases.add_comment(w.desk, a, INTERNAL_CANARY, is_internal=True, now=NOW)
        holiday = ExtraHoliday(day=NOW.date().replace(day=30), name="zone day")
        db.session.add(holiday)
        pending = make_user("pending@firm.example", "firm", firm=w.firm_b)
        pending.password_hash = None
        db.session.flush()
        token = reissue_invitation(pending)
        notes = {t: Notification(key=f"matrix-{t}", user=user, kind="info_request", case=case)
                 for t, user, case in (("A", w.firm_a_user, a), ("B", w.firm_b_user, b))}
        db.session.add_all(notes.values())
        ensure_default_rules()
        outbox = Path(current_app.config["OUTBOX_DIR"])
        outbox.mkdir(parents=True, exist_ok=True)
        (outbox / "sample.eml").write_bytes(b"Subject: hi\nTo: a@b.example\n\nbody\n")
        db.session.commit()
        task_a = next(t for t in a.tasks if t.organization_id == w.permits.id)
        return cls(world=w, case={"A": a, "B": b}, task={"A": task_a, "B": b.tasks[0]},
                   attachment={"A": a.attachments[0], "B": b.attachments[0]}, holiday=holiday,
                   invitation=token, pending=pending, notification=notes,
                   rule=db.session.scalars(select(ReminderRule)).first())

    def user(self, role):
        w = self.world
        return {"firm_a": w.firm_a_user, "firm_b": w.firm_b_user,
                "desk": w.desk, "admin": w.admin, "permits": w.permits_staff,
                "union_lead": w.union_lead, "univ": w.univ_staff}[role]


def ok(*roles):
    return lambda role, tenant: "ok" if role in roles else "403"


def visible_then(allowed):
    """404 for whoever cannot see the tenant's object, else allowed-or-403."""
    return lambda role, tenant: ("404" if role not in SEES[tenant]
                                 else "ok" if role in allowed(tenant) else "403")


def version(obj):
    db.session.refresh(obj)
    return str(obj.version)


ALL = set(ROLES) - {"anon"}
FIRMS = {"firm_a", "firm_b"}
OWN_FIRM = {"A": {"firm_a"}, "B": {"firm_b"}}
OWN_ORG = {"A": {"permits"}, "B": {"univ"}}

# (endpoint, method, url values, form data, expectation(role, tenant) -> "ok" | "403" | "404")
ROUTES = [
    ("home.index", "GET", lambda s, t: {}, None, ok(*ALL)),
    ("home.calculator", "GET", lambda s, t: {"start": "2026-11-10T10:00", "period": "5d"}, None,
     ok(*STAFF, *PARTNERS)),
    ("accounts.account", "GET", lambda s, t: {}, None, ok(*ALL)),
    ("accounts.account", "POST", lambda s, t: {}, lambda s, t: {
        "current_password": "wrong", "password": "0123456789", "confirm": "0123456789"},
     ok(*ALL)),
    ("firms.index", "GET", lambda s, t: {}, None, ok(*STAFF)),
    ("firms.new", "GET", lambda s, t: {}, None, ok(*STAFF)),
    ("firms.new", "POST", lambda s, t: {}, lambda s, t: {
        "name": "New firm", "brn": "1208147521", "industry": "x",
        "site": "y", "phase": "1", "account_officer": "0"}, ok(*STAFF)),
    ("firms.show", "GET", lambda s, t: {"firm_id": s.case[t].firm_id}, None,
     lambda role, t: "ok" if role in STAFF | OWN_FIRM[t] else "404"),
    ("firms.invite", "POST", lambda s, t: {"firm_id": s.case[t].firm_id},
     lambda s, t: {"name": "N", "email": f"new-{t}@firm.example", "locale": "ko"},
     lambda role, t: "ok" if role in STAFF else "403" if role in OWN_FIRM[t] else "404"),
    ("cases.index", "GET", lambda s, t: {}, None, ok(*ALL)),
    ("cases.choose_type", "GET", lambda s, t: {}, None, ok(*FIRMS)),
    ("cases.new", "GET", lambda s, t: {"type_id": s.world.permit_type.id}, None, ok(*FIRMS)),
    ("cases.new", "POST", lambda s, t: {"type_id": s.world.hiring_type.id},
     lambda s, t: {"title": "T", "description": "D", "priority": "normal"}, ok(*FIRMS)),
    ("cases.show", "GET", lambda s, t: {"case_id": s.case[t].id}, None, visible_then(
        lambda t: SEES[t])),
    *[("cases.transition", "POST", lambda s, t, a=action: {"case_id": s.case[t].id, "action": a},
       lambda s, t: {"version": version(s.case[t]), "reason": "because"},
       visible_then(lambda t, a=action: STAFF if a in ("accept", "reject", "resolve", "close")
                    else OWN_FIRM[t]))
      for action in ("accept", "reject", "resolve", "close", "reopen", "withdraw")],
    ("cases.checklist", "POST", lambda s, t: {"case_id": s.case[t].id},
     lambda s, t: {"version": version(s.case[t]), "checklist": ["0"]},
     visible_then(lambda t: STAFF | OWN_FIRM[t])),
    ("cases.route", "POST", lambda s, t: {"case_id": s.case[t].id},
     lambda s, t: {"version": version(s.case[t]),
                   "organizations": [str((s.world.univ if t == "A" else s.world.permits).id)]},
     visible_then(lambda t: STAFF)),
    ("cases.comment", "POST", lambda s, t: {"case_id": s.case[t].id},
     lambda s, t: {"body": "hello"}, visible_then(lambda t: SEES[t])),
    ("cases.download", "GET", lambda s, t: {"case_id": s.case[t].id,
                                            "attachment_id": s.attachment[t].id}, None,
     visible_then(lambda t: SEES[t])),
    ("tasks.index", "GET", lambda s, t: {}, None, ok(*STAFF, *PARTNERS)),
    ("tasks.show", "GET", lambda s, t: {"task_id": s.task[t].id}, None,
     lambda role, t: "ok" if role in STAFF | OWN_ORG[t] else "403" if role in OWN_FIRM[t]
     else "404"),
    *[("tasks.transition", "POST", lambda s, t, a=action: {"task_id": s.task[t].id, "action": a},
       lambda s, t: {"version": version(s.task[t]), "question": "q", "note": "n", "reason": "r"},
       lambda role, t: "ok" if role in OWN_ORG[t] else "403" if role in STAFF | OWN_FIRM[t]
       else "404")
      for action in ("accept", "request_info", "complete", "decline")],
    ("tasks.assign", "POST", lambda s, t: {"task_id": s.task[t].id},
     lambda s, t: {"version": version(s.task[t]), "assignee": "0"},
     lambda role, t: "ok" if role in STAFF else "403" if role in OWN_ORG[t] | OWN_FIRM[t]
     else "404"),
    ("tasks.change_due", "POST", lambda s, t: {"task_id": s.task[t].id},
     lambda s, t: {"version": version(s.task[t]), "due_at": "2026-12-30T18:00", "reason": "r"},
     lambda role, t: "ok" if role in STAFF else "403" if role in OWN_ORG[t] | OWN_FIRM[t]
     else "404"),
    ("admin.users", "GET", lambda s, t: {}, None, ok("admin")),
    ("admin.new_user", "GET", lambda s, t: {}, None, ok("admin")),
    ("admin.new_user", "POST", lambda s, t: {}, lambda s, t: {
        "email": "new@city.example", "name": "New", "role": "caseworker", "organization": "0",
        "firm": "0", "locale": "ko", "is_enabled": "y"}, ok("admin")),
    ("admin.edit_user", "GET", lambda s, t: {"user_id": s.world.desk.id}, None, ok("admin")),
    ("admin.edit_user", "POST", lambda s, t: {"user_id": s.world.desk.id}, lambda s, t: {
        "name": "Renamed", "role": "caseworker", "organization": "0", "firm": "0"}, ok("admin")),
    ("admin.reinvite", "POST", lambda s, t: {"user_id": s.pending.id},
     lambda s, t: {}, ok("admin")),
    ("admin.organizations", "GET", lambda s, t: {}, None, ok("admin")),
    ("admin.edit_organization", "GET", lambda s, t: {"org_id": s.world.union.id}, None,
     ok("admin")),
    ("admin.edit_organization", "POST", lambda s, t: {"org_id": s.world.union.id},
     lambda s, t: {"name": "Renamed union", "kind": "labor_union", "is_active": "y"}, ok("admin")),
    ("admin.request_types", "GET", lambda s, t: {}, None, ok("admin")),
    ("admin.edit_request_type", "GET", lambda s, t: {"type_id": s.world.hiring_type.id}, None,
     ok("admin")),
    ("admin.edit_request_type", "POST", lambda s, t: {"type_id": s.world.hiring_type.id},
     lambda s, t: {"code": "recruitment", "name": "채용", "category": "hiring", "period": "7d",
                   "is_active": "y"}, ok("admin")),
    ("admin.holidays", "GET", lambda s, t: {}, None, ok("admin")),
    ("admin.holidays", "POST", lambda s, t: {}, lambda s, t: {"day": "2026-12-31",
                                                              "name": "year end"}, ok("admin")),
    ("admin.delete_holiday", "POST", lambda s, t: {"holiday_id": s.holiday.id},
     lambda s, t: {}, ok("admin")),
    ("notifications.index", "GET", lambda s, t: {}, None, ok(*ALL)),
    ("notifications.open_item", "POST", lambda s, t: {"notification_id": s.notification[t].id},
     lambda s, t: {}, lambda role, t: "ok" if role in OWN_FIRM[t] else "404"),
    ("notifications.mark_all_read", "POST", lambda s, t: {}, lambda s, t: {}, ok(*ALL)),
    ("notifications.preferences", "POST", lambda s, t: {},
     lambda s, t: {"emailed_kinds": ["task_due"]}, ok(*ALL)),
    ("notifications.ledger", "GET", lambda s, t: {}, None, ok("admin")),
    ("notifications.resend", "POST", lambda s, t: {"notification_id": s.notification[t].id},
     lambda s, t: {}, ok("admin")),
    ("notifications.outbox", "GET", lambda s, t: {}, None, ok("admin")),
    ("notifications.outbox_message", "GET", lambda s, t: {"name": "sample.eml"}, None,
     ok("admin")),
    ("notifications.rules", "GET", lambda s, t: {}, None, ok("admin")),
    ("notifications.edit_rule", "GET", lambda s, t: {"rule_id": s.rule.id}, None, ok("admin")),
    ("notifications.edit_rule", "POST", lambda s, t: {"rule_id": s.rule.id}, lambda s, t: {
        "kind": "task_due", "offset_days": "2", "audience": "assignee", "is_active": "y"},
     ok("admin")),
    ("accounts.two_factor", "GET", lambda s, t: {}, None, ok(*ALL)),
    ("accounts.two_factor", "POST", lambda s, t: {}, lambda s, t: {"code": "000000"}, ok(*ALL)),
    ("accounts.two_factor_off", "POST", lambda s, t: {}, lambda s, t: {
        "off-reauth_password": "wrong", "off-reauth_code": "000000"}, ok(*ALL)),
    ("accounts.recovery_codes", "POST", lambda s, t: {}, lambda s, t: {
        "codes-reauth_password": "wrong", "codes-reauth_code": "000000"}, ok(*ALL)),
    ("admin.reset_two_factor", "POST", lambda s, t: {"user_id": s.world.desk.id},
     lambda s, t: {}, ok("admin")),
    ("admin.security", "GET", lambda s, t: {}, None, ok("admin")),
    ("admin.security", "POST", lambda s, t: {}, lambda s, t: {}, ok("admin")),
    ("audit.index", "GET", lambda s, t: {}, None, ok("admin")),
]
# Routes every visitor may use, signed in or not; tested in test_security.py.
PUBLIC = {"static", "accounts.login", "accounts.login_code", "accounts.logout",
          "accounts.accept_invitation", "accounts.set_language"}


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


def _request(app, scenario, role, method, url, data):
    client = app.test_client()
    with client.session_transaction() as session:
        session["csrf_token"] = "matrix"
        if role != "anon":
            session["_user_id"] = scenario.user(role).get_id()
            session["_fresh"] = True
            session["signed_in_at"] = session["seen_at"] = session["auth_at"] = time.time()
    if data is not None:
        from flask_wtf.csrf import generate_csrf

        with app.test_request_context():
            from flask import session as s
            s["csrf_token"] = "matrix"
            data = {**data, "csrf_token": generate_csrf()}
    call = client.get if method == "GET" else client.post
    return contextvars.Context().run(call, url, data=data)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r[1]} {r[0]}")
def test_route_answers_each_role_as_designed(ctx, route):
    endpoint, method, values, data_for, expect = route
    app = ctx
    scenario = Scenario.build()
    failures = []
    for tenant in ("A", "B"):
        for role in ROLES:
            url_values = values(scenario, tenant)
            with app.test_request_context():
                from flask import url_for

                url = url_for(endpoint, **url_values)
            data = data_for(scenario, tenant) if data_for else None
            before = snapshot() if method == "POST" else None
            response = _request(app, scenario, role, method, url, data)
            wanted = "login" if role == "anon" else expect(role, tenant)
            got = response.status_code
            body = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
            if wanted == "login":
                good = got == 302 and "/login" in response.headers.get("Location", "")
            elif wanted == "ok":
                good = got in (200, 303, 422)
            else:
                good = got == int(wanted)
            if not good:
                failures.append(f"{role}/{tenant}: wanted {wanted}, got {got}")
            other = "B" if tenant == "A" else "A"
            if role != "anon" and role not in SEES[other] and CANARY[other] in body:
                failures.append(f"{role}/{tenant}: saw the other tenant's canary")
            if role in FIRMS and INTERNAL_CANARY in body:
                failures.append(f"{role}/{tenant}: a firm saw an internal note")
            if method == "POST":
                after = snapshot()
                if wanted != "ok" and after != before:
                    failures.append(f"{role}/{tenant}: a refused write changed the database")
                if after != before:
                    scenario = Scenario.build()
    assert not failures, "\n".join(failures)


def test_each_tenant_canary_is_really_on_its_pages(ctx, app):
    """The canary check above could pass vacuously; this shows the canaries are rendered."""
    scenario = Scenario.build()
    for tenant, role in (("A", "firm_a"), ("B", "firm_b")):
        response = _request(app, scenario, role, "GET", f"/cases/{scenario.case[tenant].id}",
                            None)
        assert CANARY[tenant] in response.get_data(as_text=True)
    response = _request(app, scenario, "permits", "GET", f"/cases/{scenario.case['A'].id}", None)
    assert INTERNAL_CANARY in response.get_data(as_text=True)
    assert db.session.scalar(select(AgencyTask.id).where(AgencyTask.id == scenario.task["A"].id))
