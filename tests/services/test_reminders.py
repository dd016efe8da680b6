"""The reminder rule engine: which ledger rows a sweep writes for a given clock."""
import socket
from datetime import datetime, timedelta
from email import policy as email_policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from sqlalchemy import func, select

from onestop.cases import services as cases
from onestop.deadlines import SEOUL
from onestop.extensions import db
from onestop.notifications import delivery, reminders
from onestop.notifications.models import Notification, ReminderRule, Status
from onestop.notifications.preferences import set_choices
from onestop.tasks import services as tasks
from onestop.workdays.services import add_extra_holiday
from tests.factories import NOW
from tests.mailsink import rendered

DAY = timedelta(days=1)


@pytest.fixture
def rules(world):
    reminders.ensure_default_rules()
    db.session.commit()


def routed_task(world, now=NOW, orgs=None, period="5d"):
    world.hiring_type.period = period
    case = cases.file_case(world.firm_a_user, world.hiring_type, title="Hire", description="d",
                           priority="normal", form_data={}, checked_items=[], files=[], now=now)
    cases.accept_case(world.desk, case, now=now, version=None)
    task_list = cases.route_case(world.desk, case, orgs or [world.union], now=now, version=None)
    db.session.commit()
    return task_list[0]


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SEOUL)


def sweep(now):
    ids = reminders.sweep(now)
    db.session.commit()
    return db.session.scalars(select(Notification).where(Notification.id.in_(ids))
                              .order_by(Notification.id)).all()


def recipients(rows):
    return sorted(r.user.email for r in rows)


def test_defaults_match_the_design(rules):
    got = {(r.kind, r.offset_days, r.audience) for r in db.session.scalars(select(ReminderRule))}
    assert got == {("task_due", 3, "assignee"), ("task_due", 1, "assignee"),
                   ("task_due", 0, "assignee"), ("task_overdue", 0, "assignee"),
                   ("task_overdue", 2, "partner_lead"), ("task_overdue", 5, "account_officer"),
                   ("info_request", 3, "firm"), ("info_request", 7, "firm"),
                   ("report_due", 10, "firm"), ("report_due", 3, "firm"),
                   ("report_overdue", 0, "firm"), ("report_overdue", 5, "account_officer")}


def test_due_in_three_days_goes_to_every_member_when_nobody_is_assigned(world, rules):
    task = routed_task(world)  # 5d = 40 working hours from Tue 10 Nov 10:00 -> Tue 17 Nov 10:00
    assert task.due_at == at(2026, 11, 17, 10, 0)
    assert sweep(at(2026, 11, 11, 10, 0)) == [], "4 business days left: no rule"
    rows = sweep(at(2026, 11, 12, 9, 5))          # Thu: Fri, Mon, Tue = 3 days left
    assert recipients(rows) == ["lead@union.test", "staff@union.test"]
    assert {r.kind for r in rows} == {"task_due"} and rows[0].params == {"days": 3}


def test_a_second_sweep_writes_nothing_new(world, rules):
    routed_task(world)
    assert len(sweep(at(2026, 11, 12, 9, 5))) == 2
    assert sweep(at(2026, 11, 12, 9, 10)) == []
    assert sweep(at(2026, 11, 12, 16, 0)) == []
    assert db.session.scalar(select(func.count(Notification.id))
                             .where(Notification.rule_id.is_not(None))) == 2


def test_assignee_alone_once_assigned(world, rules):
    task = routed_task(world)
    tasks.assign_task(world.union_lead, task, world.union_staff, now=NOW, version=None)
    db.session.commit()
    assert recipients(sweep(at(2026, 11, 16, 11, 0))) == ["staff@union.test"]  # 1 day left


def test_due_today_then_daily_overdue_with_escalation(world, rules):
    task = routed_task(world)
    tasks.assign_task(world.union_lead, task, world.union_staff, now=NOW, version=None)
    db.session.commit()
    today = sweep(at(2026, 11, 17, 9, 0))          # due 10:00 today
    assert [(r.kind, r.params["days"]) for r in today] == [("task_due", 0)]
    late = sweep(at(2026, 11, 17, 11, 0))          # an hour past due
    assert [(r.kind, r.user.email) for r in late] == [("task_overdue", "staff@union.test")]
    assert sweep(at(2026, 11, 17, 15, 0)) == [], "once a day"
    assert recipients(sweep(at(2026, 11, 18, 9, 0))) == ["staff@union.test"]
    two_days = sweep(at(2026, 11, 19, 9, 0))       # 2 business days overdue: the lead too
    assert recipients(two_days) == ["lead@union.test", "staff@union.test"]
    five_days = sweep(at(2026, 11, 24, 9, 0))      # Tue 24 = 5 business days late: the officer
    assert recipients(five_days) == ["desk@test.example", "lead@union.test", "staff@union.test"]
    assert all(r.params["escalated"] for r in five_days if r.user.email != "staff@union.test")


def test_nothing_is_written_outside_working_hours(world, rules):
    routed_task(world)
    for moment in (at(2026, 11, 12, 8, 59), at(2026, 11, 12, 12, 30), at(2026, 11, 12, 18, 0),
                   at(2026, 11, 14, 10, 0)):
        assert sweep(moment) == [], moment
    assert len(sweep(at(2026, 11, 12, 9, 0))) == 2, "the next working morning catches up"


def test_holidays_are_not_business_days(world, rules):
    # Routed Thu 24 Sep 2026? That is Chuseok; route on Wed 23 Sep 14:00 with 5d:
    # due Fri 2 Oct 14:00. Three business days before is Tue 29 Sep (Wed, Thu, Fri left).
    routed_task(world, now=at(2026, 9, 23, 14, 0))
    assert sweep(at(2026, 9, 28, 10, 0)) == [], "Mon 28: 4 days left"
    assert len(sweep(at(2026, 9, 29, 10, 0))) == 2


def test_an_admin_day_off_counts_too(world, rules):
    routed_task(world)
    add_extra_holiday(world.admin, at(2026, 11, 13, 0, 0).date(), "zone day")
    db.session.commit()
    assert sweep(at(2026, 11, 12, 9, 5)) == [], "Fri is off: only Mon and Tue are left"
    assert len(sweep(at(2026, 11, 11, 9, 5))) == 2


def test_a_stopped_clock_silences_due_reminders_and_reminds_the_firm(world, rules):
    task = routed_task(world)
    tasks.accept_task(world.union_staff, task, now=NOW, version=None)
    tasks.request_information(world.union_staff, task, "Send the plan", now=NOW, version=None)
    db.session.commit()
    assert sweep(at(2026, 11, 12, 9, 5)) == [], "waited 2 business days; no due reminder"
    firm_rows = sweep(at(2026, 11, 13, 10, 0))     # asked Tue 10: Wed, Thu, Fri = 3 days
    assert recipients(firm_rows) == ["ceo@alpha.test", "hr@alpha.test"]
    assert {r.kind for r in firm_rows} == {"info_request"}
    assert sweep(at(2026, 11, 18, 10, 0)) == [], "6 business days"
    assert len(sweep(at(2026, 11, 19, 10, 0))) == 2, "after 7 business days, once more"
    assert sweep(at(2026, 11, 20, 10, 0)) == []


def test_inactive_and_changed_rules_are_followed(world, rules):
    routed_task(world)
    for rule in db.session.scalars(select(ReminderRule).where(ReminderRule.kind == "task_due")):
        reminders.save_rule(world.admin, rule, kind="task_due", offset_days=rule.offset_days,
                           audience="assignee", is_active=rule.offset_days != 3)
    reminders.save_rule(world.admin, None, kind="task_due", offset_days=4, audience="partner_lead",
                       is_active=True)
    db.session.commit()
    assert recipients(sweep(at(2026, 11, 11, 10, 0))) == ["lead@union.test"]
    assert sweep(at(2026, 11, 12, 10, 0)) == []


def test_rule_validation(world, rules):
    from onestop.errors import Invalid, NotAllowed

    with pytest.raises(Invalid):
        reminders.save_rule(world.admin, None, kind="info_request", offset_days=3,
                           audience="assignee", is_active=True)
    with pytest.raises(Invalid):
        reminders.save_rule(world.admin, None, kind="task_due", offset_days=-1,
                           audience="assignee", is_active=True)
    with pytest.raises(NotAllowed):
        reminders.save_rule(world.desk, None, kind="task_due", offset_days=1,
                           audience="assignee", is_active=True)


def test_delivery_writes_the_email_in_the_recipients_language(world, rules, app):
    routed_task(world)
    world.union_staff.locale = "en"
    db.session.commit()
    rows = sweep(at(2026, 11, 12, 9, 5))
    outcomes = [delivery.deliver(r.id, NOW) for r in rows]
    assert outcomes == ["sent", "sent"]
    sent = {m["To"]: m for m in (
        BytesParser(policy=email_policy.default).parsebytes(p.read_bytes())
        for p in Path(app.config["OUTBOX_DIR"]).glob("notification-*.eml"))}
    english, korean = sent["staff@union.test"], sent["lead@union.test"]
    assert english["Subject"] == "[OneStop] Due in 3 business days: Hire"
    assert korean["Subject"] == "[OneStop] 처리기한 3근무일 전: Hire"
    assert "/tasks/" in english.get_body(("plain",)).get_content()
    assert {m["Message-ID"] for m in sent.values()} == {f"<notification-{r.id}@onestop>"
                                                        for r in rows}
    assert delivery.deliver(rows[0].id, NOW) == "not-claimed", "sent rows are never sent again"


def test_a_kind_heard_in_the_app_only_is_never_emailed(world, rules):
    routed_task(world)
    set_choices(world.union_staff, {"task_due": "app"}, has_quiet_hours=False)
    db.session.commit()
    rows = sweep(at(2026, 11, 12, 9, 5))
    assert {r.user.email: r.status for r in rows} == {"staff@union.test": "in_app",
                                                       "lead@union.test": "queued"}
    results = {r.user.email: delivery.deliver(r.id, NOW) for r in rows}
    assert results == {"staff@union.test": "not-claimed", "lead@union.test": "sent"}


def test_a_kind_turned_off_after_the_row_was_written_is_skipped(world, rules):
    routed_task(world)
    rows = sweep(at(2026, 11, 12, 9, 5))
    set_choices(world.union_staff, {"task_due": "app"}, has_quiet_hours=False)
    db.session.commit()
    results = {r.user.email: delivery.deliver(r.id, NOW) for r in rows}
    assert results == {"staff@union.test": "skipped", "lead@union.test": "sent"}


def within_seconds_after(expected: datetime, got: datetime) -> bool:
    """A delivery's clock moves on while it runs: times it records lie just after `now`."""
    return expected <= got < expected + timedelta(seconds=5)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_smtp_failure_backs_off_in_the_database_then_fails(world, rules, app):
    routed_task(world)
    app.config.update(SMTP_URL=f"smtp://127.0.0.1:{_closed_port()}", NOTIFY_MAX_ATTEMPTS=3,
                      NOTIFY_BACKOFF_SECONDS=60)
    try:
        row = sweep(at(2026, 11, 12, 9, 5))[0]
        assert delivery.deliver(row.id, NOW) == "retry"
        db.session.refresh(row)
        assert row.attempts == 1 and "ConnectionRefused" in row.last_error
        assert within_seconds_after(NOW + timedelta(seconds=60), row.next_attempt_at)
        assert delivery.deliver(row.id, NOW) == "not-claimed", "not before the backoff"
        assert delivery.deliver(row.id, NOW + timedelta(seconds=61)) == "retry"
        db.session.refresh(row)
        assert within_seconds_after(NOW + timedelta(seconds=61 + 120), row.next_attempt_at)
        assert delivery.deliver(row.id, NOW + timedelta(hours=1)) == "failed"
        db.session.refresh(row)
        assert row.status == Status.FAILED and row.attempts == 3
        delivery.resend(world.admin, row, now=NOW)
        db.session.commit()
        app.config["SMTP_URL"] = ""
        assert delivery.deliver(row.id, NOW) == "sent"
    finally:
        app.config.update(SMTP_URL="", NOTIFY_MAX_ATTEMPTS=8, NOTIFY_BACKOFF_SECONDS=60)


def test_a_leased_row_is_not_claimed_twice_until_the_lease_expires(world, rules, app):
    routed_task(world)
    row = sweep(at(2026, 11, 12, 9, 5))[0]
    assert delivery.claim(row.id, NOW) is not None
    assert delivery.claim(row.id, NOW) is None
    lease = app.config["NOTIFY_LEASE_SECONDS"]
    assert delivery.claim(row.id, NOW + timedelta(seconds=lease + 1)) is not None


def test_requeue_hands_out_rows_whose_message_was_lost(world, rules, app):
    routed_task(world)
    rows = sweep(at(2026, 11, 12, 9, 5))
    written = rows[0].enqueued_at          # the wall clock, whatever moment was swept
    later = written + timedelta(seconds=app.config["NOTIFY_REQUEUE_AFTER_SECONDS"] + 1)
    assert delivery.requeue(written + timedelta(seconds=5)) == [], "just enqueued: leave them"
    queued = list(db.session.scalars(select(Notification.id)
                                     .where(Notification.status == "queued")))
    assert set(r.id for r in rows) < set(queued)  # the routing's own messages are queued too
    assert sorted(delivery.requeue(later)) == sorted(queued)
    db.session.commit()
    assert delivery.requeue(later + timedelta(seconds=1)) == [], "requeued just now"


def test_html_part_escapes_what_a_firm_typed(world, rules, app):
    task = routed_task(world)
    task.case.title = '<img src=x onerror=alert(1)>'
    db.session.commit()
    row = sweep(at(2026, 11, 12, 9, 5))[0]
    html = rendered(row).get_body(("html",)).get_content()
    assert "<img src=x" not in html and "&lt;img src=x" in html


def test_a_reminder_whose_reason_is_gone_is_not_sent(world, rules):
    task = routed_task(world)
    rows = sweep(at(2026, 11, 12, 9, 5))
    tasks.accept_task(world.union_staff, task, now=NOW, version=None)
    tasks.complete_task(world.union_staff, task, "done", now=NOW, version=None)
    db.session.commit()
    assert [delivery.deliver(r.id, NOW) for r in rows] == ["skipped", "skipped"]


def test_someone_moved_to_another_organization_gets_no_more_reminders(world, rules):
    from onestop.admin.services import update_user

    task = routed_task(world)
    tasks.assign_task(world.union_lead, task, world.union_staff, now=NOW, version=None)
    db.session.commit()
    update_user(world.admin, world.union_staff, name="moved", role="partner", is_enabled=True,
                organization=world.univ, firm=None)
    db.session.commit()
    assert task.assignee_id is None
    assert "staff@union.test" not in recipients(sweep(at(2026, 11, 12, 9, 5)))


def run_sweep_command(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["reminders", "sweep", *args])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_sweep_as_if_in_the_past_still_requeues_by_the_wall_clock(world, rules, app):
    from onestop.db import utcnow

    routed_task(world)
    rows = sweep(at(2026, 11, 12, 9, 5))
    for row in rows:  # their broker messages were lost an hour ago
        row.enqueued_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert run_sweep_command(app, "--at", "2026-11-12T09:10") == \
        "0 reminders written, 2 re-queued"


def test_sweep_as_if_in_the_future_queues_each_new_row_once(world, rules, app):
    from onestop.db import utcnow

    # Routed on a Tuesday years ahead: due the next Tuesday, three business days from Thursday.
    routed_task(world, now=at(2036, 3, 4, 10, 0))
    assert utcnow() < at(2036, 3, 6, 9, 5)
    assert run_sweep_command(app, "--at", "2036-03-06T09:05") == \
        "2 reminders written, 0 re-queued"
    assert db.session.scalar(select(func.count(Notification.id))
                             .where(Notification.rule_id.is_not(None))) == 2
