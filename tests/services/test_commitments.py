"""Reports of actuals: reporting, verifying, returning, the firm's history, the refusals, and
the notifications each change writes to the right people only."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from onestop.accounts.models import Role
from onestop.commitments import services
from onestop.commitments.models import ActualReport, CommitmentFile, FirmEvent
from onestop.errors import Conflict, Invalid, InvalidTransition, NotAllowed, NotFound
from onestop.extensions import db
from onestop.notifications.digests import describe
from onestop.notifications.models import Notification, Status
from onestop.notifications.preferences import set_choices
from onestop.reports.zone import firm_progress
from onestop.storage import read_stored
from tests.commitments_world import BILLION, agreements, report
from tests.factories import NOW, PDF, make_user
from tests.mailsink import rendered


@pytest.fixture
def signed(world):
    made = agreements(world)
    db.session.commit()
    return made


def rows_for(*kinds):
    db.session.expire_all()
    return db.session.scalars(select(Notification).where(Notification.kind.in_(kinds))
                              .order_by(Notification.id)).all()


def history(firm):
    return [e.action for e in db.session.scalars(
        select(FirmEvent).where(FirmEvent.firm_id == firm.id).order_by(FirmEvent.id))]


def test_a_member_reports_with_evidence_and_the_officer_alone_hears(world, signed):
    r = report(world.firm_a_user, world.firm_a, amount=60 * BILLION, note="line 2",
               files=[("bank statement.pdf", PDF), ("invoice.pdf", PDF)])
    db.session.commit()
    assert (r.status, r.amount, r.submitted_by_id) == ("submitted", 60 * BILLION,
                                                       world.firm_a_user.id)
    files = db.session.scalars(select(CommitmentFile).where(CommitmentFile.report_id == r.id)).all()
    assert [f.filename for f in files] == ["bank statement.pdf", "invoice.pdf"]
    assert read_stored(files[0].storage_key) == PDF and files[0].firm_id == world.firm_a.id
    assert history(world.firm_a) == ["report.submit"]
    (row,) = rows_for("report_submitted")
    assert row.user_id == world.desk.id and row.firm_id == world.firm_a.id
    assert row.case_id is None and row.params["path"] == f"/commitments/reports/{r.id}"
    message = rendered(row)
    body = message.get_body(("plain",)).get_content()
    assert "Alpha Carbon" in message["Subject"] and "line 2" in body
    assert f"/commitments/reports/{r.id}" in body


def test_verify_counts_towards_progress_and_tells_every_member(world, signed):
    r = report(world.firm_a_user, world.firm_a, amount=60 * BILLION)
    services.verify_report(world.desk, r, now=NOW + timedelta(hours=1), version=r.version)
    db.session.commit()
    assert (r.status, r.reviewed_by_id) == ("verified", world.desk.id)
    assert history(world.firm_a) == ["report.submit", "report.verify"]
    rows = rows_for("report_verified")
    assert sorted(row.user.email for row in rows) == ["ceo@alpha.test", "hr@alpha.test"]
    (progress,) = firm_progress(world.firm_a_user, [world.firm_a.id],
                                today=NOW.date().replace(year=2026, month=4, day=1))
    assert progress.investment.verified == 60 * BILLION
    assert progress.investment.shortfall == 40 * BILLION


def test_return_needs_a_reason_the_firm_reads_and_the_year_can_be_reported_again(world, signed):
    r = report(world.firm_a_user, world.firm_a)
    with pytest.raises(Invalid, match="why"):
        services.return_report(world.desk, r, "  ", now=NOW)
    services.return_report(world.desk, r, "Attach the bank statement", now=NOW)
    db.session.commit()
    assert (r.status, r.return_reason) == ("returned", "Attach the bank statement")
    rows = rows_for("report_returned")
    assert len(rows) == 2
    text = rendered(rows[0]).get_body(("plain",)).get_content()
    assert "Attach the bank statement" in text and "returned" in describe(rows[:1])[rows[0].id]
    again = report(world.firm_a_user2, world.firm_a, amount=61 * BILLION)
    db.session.commit()
    assert again.id != r.id and again.status == "submitted"
    assert history(world.firm_a) == ["report.submit", "report.return", "report.submit"]
    detail = db.session.scalars(select(FirmEvent.detail).where(
        FirmEvent.action == "report.return")).one()
    assert detail == "Attach the bank statement"


def test_a_year_may_be_reported_in_parts_that_add_up_once_verified(world, signed):
    first = report(world.firm_a_user, world.firm_a, amount=30 * BILLION)
    second = report(world.firm_a_user2, world.firm_a, amount=25 * BILLION)
    jobs = report(world.firm_a_user, world.firm_a, measure="jobs", amount=12)
    for r in (first, second, jobs):
        services.verify_report(world.desk, r, now=NOW)
    db.session.commit()
    (progress,) = firm_progress(world.firm_a_user, [world.firm_a.id],
                                today=NOW.date().replace(year=2026, month=4, day=1))
    assert (progress.investment.verified, progress.jobs.verified) == (55 * BILLION, 12)


@pytest.mark.parametrize("change,field", [
    (dict(year=2030), "target"), (dict(phase=2), "target"), (dict(measure="land"), "target"),
    (dict(amount=-1), "amount"), (dict(amount=10**16), "amount"), (dict(files=[]), "files"),
    (dict(files=[("x.exe", b"MZ")]), "files"), (dict(files=[("fake.pdf", b"hello")]), "files"),
])
def test_bad_reports_are_refused_on_their_field_and_leave_nothing(world, signed, change, field):
    with pytest.raises(Invalid) as refused:
        report(world.firm_a_user, world.firm_a, **change)
    assert refused.value.field == field
    db.session.rollback()
    assert db.session.scalar(select(ActualReport.id)) is None
    assert history(world.firm_a) == []


def test_only_the_firms_own_members_report(world, signed):
    with pytest.raises(NotFound):  # another firm's: it does not exist for them
        report(world.firm_b_user, world.firm_a)
    with pytest.raises(NotFound):
        report(world.union_staff, world.firm_a)
    with pytest.raises(NotAllowed):  # the desk verifies; it does not report for the firm
        report(world.desk, world.firm_a)


def test_only_the_account_officer_or_an_admin_judges(world, signed):
    other_desk = make_user("other@city.test", Role.CASEWORKER, organization=world.desk_org)
    r = report(world.firm_a_user, world.firm_a)
    for outsider, error in ((world.firm_b_user, NotFound), (world.union_lead, NotFound),
                            (world.firm_a_user, NotAllowed), (other_desk, NotAllowed)):
        with pytest.raises(error):
            services.verify_report(outsider, r, now=NOW)
        with pytest.raises(error):
            services.return_report(outsider, r, "no", now=NOW)
    services.verify_report(world.admin, r, now=NOW)  # standing in for the officer
    assert r.reviewed_by_id == world.admin.id


def test_stale_or_repeated_verdicts_are_refused(world, signed):
    r = report(world.firm_a_user, world.firm_a)
    db.session.commit()
    seen = r.version
    services.return_report(world.desk, r, "again please", now=NOW, version=seen)
    db.session.commit()
    with pytest.raises(Conflict):
        services.verify_report(world.desk, r, now=NOW, version=seen)
    with pytest.raises(InvalidTransition):
        services.verify_report(world.desk, r, now=NOW, version=r.version)
    assert history(world.firm_a) == ["report.submit", "report.return"]


def test_without_an_officer_the_admins_hear_of_a_report(world, signed):
    world.firm_b.account_officer = None
    report(world.firm_b_user, world.firm_b)
    db.session.commit()
    assert [row.user_id for row in rows_for("report_submitted")] == [world.admin.id]


def test_each_recipients_choice_applies(world, signed):
    set_choices(world.firm_a_user, {"report_verified": "digest"}, has_quiet_hours=False)
    set_choices(world.firm_a_user2, {"report_verified": "app"}, has_quiet_hours=False)
    r = report(world.firm_a_user, world.firm_a)
    services.verify_report(world.desk, r, now=NOW)
    db.session.commit()
    assert {row.user.email: row.status for row in rows_for("report_verified")} == {
        "ceo@alpha.test": Status.DIGEST, "hr@alpha.test": Status.IN_APP}


def test_a_refused_change_writes_no_notification(world, signed):
    r = report(world.firm_a_user, world.firm_a)
    db.session.commit()
    services.verify_report(world.desk, r, now=NOW)
    db.session.rollback()
    assert rows_for("report_verified") == [] and history(world.firm_a) == ["report.submit"]


def test_a_notification_about_a_firm_is_gone_for_a_member_who_left_it(world, signed):
    from onestop import policy

    r = report(world.firm_a_user, world.firm_a)
    services.verify_report(world.desk, r, now=NOW)
    db.session.commit()
    row = next(row for row in rows_for("report_verified") if row.user_id == world.firm_a_user2.id)
    world.firm_a_user2.firm = world.firm_b
    db.session.commit()
    assert not policy.can(world.firm_a_user2, "notification.read", row)
    assert db.session.scalar(select(Notification.id).where(
        Notification.id == row.id, policy.visible_notifications(world.firm_a_user2))) is None
