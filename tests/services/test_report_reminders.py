"""Reminders of reports of actuals falling due: the report rule kinds of the sweep."""
from datetime import date, datetime

import pytest
from sqlalchemy import event, select

from onestop.commitments import services
from onestop.commitments.models import Agreement, Target
from onestop.deadlines import SEOUL
from onestop.errors import Invalid
from onestop.extensions import db
from onestop.notifications import reminders
from onestop.notifications.models import Notification, ReminderRule
from onestop.notifications.report_reminders import report_still_missing
from tests.commitments_world import agreements, report
from tests.factories import make_user
from tests.mailsink import rendered


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SEOUL)


# The 2025 targets' reports are due on Tuesday 31 March 2026.
TEN_DAYS_BEFORE = at(2026, 3, 17, 9, 5)


@pytest.fixture
def signed(world):
    for user in (world.firm_a_user, world.firm_a_user2, world.firm_b_user, world.desk):
        user.locale = "en"  # the emails below are read in English
    reminders.ensure_default_rules()
    made = agreements(world)
    db.session.commit()
    return made


def sweep(now):
    ids = reminders.sweep(now)
    db.session.commit()
    return db.session.scalars(select(Notification).where(Notification.id.in_(ids))
                              .order_by(Notification.id)).all()


def who(rows):
    return sorted((r.user.email, r.params["measure"]) for r in rows)


def test_the_defaults_include_report_rules_added_to_an_existing_set(ctx):
    db.session.add(ReminderRule(kind="task_due", offset_days=2, audience="assignee"))
    db.session.flush()
    reminders.ensure_default_rules()
    got = {(r.kind, r.offset_days, r.audience) for r in db.session.scalars(select(ReminderRule))}
    assert ("task_due", 3, "assignee") not in got, "a kind the admin has rules of is left alone"
    assert {("report_due", 10, "firm"), ("report_due", 3, "firm"), ("report_overdue", 0, "firm"),
            ("report_overdue", 5, "account_officer")} <= got


def test_due_in_ten_business_days_reminds_every_member_of_each_firm(signed):
    assert sweep(at(2026, 3, 16, 9, 5)) == [], "11 business days left"
    rows = sweep(TEN_DAYS_BEFORE)
    assert who(rows) == [("ceo@alpha.test", "investment"), ("ceo@alpha.test", "jobs"),
                         ("ceo@beta.test", "investment"), ("ceo@beta.test", "jobs"),
                         ("hr@alpha.test", "investment"), ("hr@alpha.test", "jobs")]
    assert {r.kind for r in rows} == {"report_due"} and {r.params["days"] for r in rows} == {10}
    assert all(r.case_id is None and r.firm_id == r.user.firm_id for r in rows)
    text = rendered(rows[0]).get_body(("plain",)).get_content()
    assert "2026-03-31" in text and "10 business days" in text and "/commitments" in text


def test_a_second_sweep_writes_nothing_new(signed):
    assert len(sweep(TEN_DAYS_BEFORE)) == 6
    assert sweep(at(2026, 3, 17, 14, 0)) == []
    assert sweep(at(2026, 3, 18, 9, 5)) == [], "the same reminder, one day later"


def test_a_report_in_stops_the_reminders_of_its_measure_and_year_only(world, signed):
    r = report(world.firm_a_user, world.firm_a, measure="investment", year=2025)
    services.verify_report(world.desk, r, now=TEN_DAYS_BEFORE)
    returned = report(world.firm_b_user, world.firm_b, measure="jobs", year=2025)
    services.return_report(world.desk, returned, "no evidence", now=TEN_DAYS_BEFORE)
    db.session.commit()
    assert who(sweep(at(2026, 3, 26, 9, 5))) == [  # 3 business days left
        ("ceo@alpha.test", "jobs"), ("ceo@beta.test", "investment"), ("ceo@beta.test", "jobs"),
        ("hr@alpha.test", "jobs")]


def test_a_missed_day_is_caught_up_for_a_few_days_and_then_dropped(signed):
    assert len(sweep(at(2026, 3, 19, 9, 5))) == 6, "8 days left: the 10-day reminder, late"
    assert sweep(at(2026, 3, 20, 9, 5)) == []


def test_overdue_reminds_the_firm_then_the_account_officer(signed):
    assert sweep(at(2026, 3, 31, 17, 0)) == [], "no default rule for the due day itself"
    rows = sweep(at(2026, 4, 1, 9, 5))
    assert {r.kind for r in rows} == {"report_overdue"} and len(rows) == 6
    assert sweep(at(2026, 4, 2, 9, 5)) == [], "once, not daily"
    officer = sweep(at(2026, 4, 7, 9, 5))  # the fifth working day after the due day
    assert [(r.user.email, r.params["days"]) for r in officer] == [("desk@test.example", 5)] * 4
    assert {r.params["path"] for r in officer} == {f"/firms/{r.firm_id}" for r in officer}
    text = rendered(officer[0]).get_body(("plain",)).get_content()
    assert "has not reported" in text


def test_a_reminder_delayed_until_after_the_report_is_dropped(world, signed):
    row = next(r for r in sweep(TEN_DAYS_BEFORE)
               if r.user_id == world.firm_b_user.id and r.params["measure"] == "jobs")
    assert report_still_missing(row)
    report(world.firm_b_user, world.firm_b, measure="jobs", year=2025)
    db.session.commit()
    assert not report_still_missing(row)
    assert reminders.still_true(row) is False


def test_the_sweep_reads_a_fixed_number_of_statements(world, signed):
    def count_statements(moment):
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            reminders.sweep(moment)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        db.session.rollback()
        return len(seen)

    few = count_statements(TEN_DAYS_BEFORE)
    for n in range(8):  # more firms with agreements and members
        firm = type(world.firm_a)(name=f"F{n}", brn=f"99900000{n:02d}", industry="x", site="y",
                                  account_officer=world.desk)
        db.session.add(firm)
        make_user(f"m{n}@f.test", "firm", firm=firm)
        db.session.add(Agreement(firm=firm, signed_on=date(2024, 1, 2), targets=[Target(
            measure="jobs", phase=1, year=2025, amount=5, report_due_on=date(2026, 3, 31))]))
    db.session.commit()
    assert count_statements(TEN_DAYS_BEFORE) == few


def test_report_rules_go_to_the_firm_or_its_officer_only(world, signed):
    with pytest.raises(Invalid):
        reminders.save_rule(world.admin, None, kind="report_due", offset_days=5,
                            audience="partner_lead", is_active=True)
    rule = reminders.save_rule(world.admin, None, kind="report_overdue", offset_days=20,
                               audience="account_officer", is_active=True)
    assert rule.id
