"""The agreement annex import, run as the worker runs it (the task's service called directly):
a good file, a file with bad rows, importing again, and runs whose worker died."""
from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from onestop.commitments import imports, sheets
from onestop.commitments.models import Agreement, FirmEvent, ImportRun, Incentive, Target
from onestop.errors import Invalid, NotAllowed
from onestop.extensions import db
from onestop.firms.models import Firm
from tests.annex import agreement, brn, incentive, target, workbook, zone

OFFICER = "desk@test.example"


def run(world, data: bytes, now, filename="annex.xlsx") -> ImportRun:
    started = imports.start_import(world.admin, filename, data, now=now)
    db.session.commit()
    imports.run_import(started.id, now)
    db.session.expire_all()
    return db.session.get(ImportRun, started.id)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_good_annex_is_imported_whole(world, now):
    result = run(world, zone(3, OFFICER), now)
    assert result.status == "done", result.errors
    assert result.summary == {"created": 3, "updated": 0, "unchanged": 0, "firms_created": 3,
                              "rows": 3 + 18 + 6}
    assert result.rows_done == result.rows_total == 27 and result.attempts == 1
    firm = db.session.scalar(select(Firm).where(Firm.brn == brn(2)))
    assert (firm.name, firm.industry, firm.site, firm.phase, firm.account_officer_id,
            firm.is_named_publicly) == ("Firm 00002", "carbon fiber", "A-2", 3, world.desk.id,
                                        False)
    deal = firm.agreement
    assert (deal.signed_on, deal.clawback_rule) == (date(2025, 3, 15), "proportional")
    assert [(t.measure, t.phase, t.year, t.amount, t.report_due_on) for t in deal.targets][:3] == [
        ("investment", 1, 2026, 3_000_000_000, date(2027, 1, 31)),
        ("investment", 2, 2027, 3_000_000_000, date(2028, 1, 31)),
        ("investment", 3, 2028, 3_000_000_000, date(2029, 1, 31))]
    assert sorted((i.name, i.measure, i.amount, i.recoverable_percent)
                  for i in deal.incentives) == [("고용보조금", "jobs", 50_000_000, 50),
                                               ("투자보조금", "investment", 500_000_000, 100)]
    assert (count(Agreement), count(Target), count(Incentive)) == (3, 18, 6)
    events = db.session.scalars(select(FirmEvent).where(FirmEvent.firm_id == firm.id)).all()
    assert [(e.action, e.actor_id, e.params["import_run"]) for e in events] == [
        ("agreement_imported", world.admin.id, result.id)]


def test_cells_as_clerks_type_them(world, now):
    data = workbook(
        [agreement(1, " DESK@test.example ", brn="301-00-00107", signed_on="2025.3.5",
                   clawback="전액", named="예", phase="2")],
        [target(1, "투자", "2026", "1,200,000,000", due="2026년 12월 31일"),
         target(1, "jobs", 2027, "35명")],
        [incentive(1, "보조금", "investment", 100_000_000, percent="40%")])
    result = run(world, data, now)
    assert result.status == "done", result.errors
    firm = db.session.scalar(select(Firm).where(Firm.brn == "3010000107"))
    assert (firm.phase, firm.is_named_publicly, firm.account_officer_id) == (2, True,
                                                                             world.desk.id)
    assert (firm.agreement.signed_on, firm.agreement.clawback_rule) == (date(2025, 3, 5),
                                                                        "all_or_nothing")
    assert [(t.measure, t.amount, t.report_due_on) for t in firm.agreement.targets] == [
        ("investment", 1_200_000_000, date(2026, 12, 31)), ("jobs", 35, date(2028, 1, 31))]
    assert firm.agreement.incentives[0].recoverable_percent == 40


def test_bad_rows_import_nothing_and_each_error_names_its_row(world, now):
    firms_before = count(Firm)
    data = workbook(
        [agreement(1, OFFICER),
         agreement(2, OFFICER, brn="301-00-00108"),                 # check digit
         agreement(3, "nobody@test.example", phase=4),              # officer, phase
         agreement(4, OFFICER, name="", signed_on="next spring"),   # required, date
         agreement(1, OFFICER),                                     # the same firm again
         [None] * len(sheets.AGREEMENTS.columns),                   # blank: skipped
         agreement(5, "staff@union.test", brn=sheets.EXAMPLE_BRN)], # example row, partner
        [target(1, "investment", 2026, 1000),
         target(1, "investment", 2026, 2000),                       # same measure and year
         target(1, "hiring", 2027, -5),                             # measure, amount
         target(9, "jobs", 2026, 10)],                              # firm not on the sheet
        [incentive(1, "x", "jobs", 10, percent=150)])               # percent
    result = run(world, data, now)
    assert result.status == "invalid"
    assert (count(Firm), count(Agreement), count(Target), count(FirmEvent)) == (
        firms_before, 0, 0, 0)
    got = [(e["sheet"], e["row"], e["column"], e["cell"], e["code"]) for e in result.errors]
    assert got == [
        ("agreements", 3, "brn", "B3", "brn_check"),
        ("agreements", 4, "phase", "E4", "phase"),
        ("agreements", 4, "officer", "F4", "officer"),
        ("agreements", 5, "name", "A5", "required"),
        ("agreements", 5, "signed_on", "G5", "date"),
        ("agreements", 6, "brn", "B6", "duplicate_firm"),
        ("agreements", 8, "brn", "B8", "example_row"),
        ("agreements", 8, "officer", "F8", "officer"),
        ("targets", 3, "year", "D3", "duplicate_target"),
        ("targets", 4, "measure", "B4", "choice"),
        ("targets", 4, "amount", "E4", "positive"),
        ("targets", 5, "brn", "A5", "unknown_firm"),
        ("incentives", 2, "percent", "E2", "percent"),
    ]
    assert result.summary == {"rows": 11, "errors": 13}
    with force_locale("ko"):
        shown = imports.describe(result.errors[2])
    assert shown == {"sheet": "협약", "row": 4, "cell": "F4", "column": "전담 책임관 이메일",
                     "message": shown["message"]}
    assert "nobody@test.example" in shown["message"]
    with force_locale("en"):
        assert imports.describe(result.errors[5]) == {
            "sheet": "Agreements", "row": 6, "cell": "B6", "column": "Business registration no.",
            "message": "This business registration number is on row 2 already."}


def test_sheet_level_problems(world, now):
    missing = run(world, workbook([agreement(1, OFFICER)], [], [], drop_sheet="incentives"), now)
    assert [(e["sheet"], e["code"]) for e in missing.errors] == [("incentives", "missing_sheet")]
    no_targets = run(world, workbook([agreement(1, OFFICER)], [],
                                     [incentive(1, "x", "jobs", 10)]), now)
    assert [(e["sheet"], e["row"], e["code"]) for e in no_targets.errors] == [
        ("agreements", 2, "no_targets")]
    untargeted = run(world, workbook([agreement(1, OFFICER)], [target(1, "jobs", 2026, 5)],
                                     [incentive(1, "x", "investment", 10)]), now)
    assert [(e["sheet"], e["row"], e["code"]) for e in untargeted.errors] == [
        ("incentives", 2, "untargeted")]
    empty = run(world, workbook([], [], []), now)
    assert [e["code"] for e in empty.errors] == ["no_rows"]
    template = run(world, sheets.template(), now)
    assert {e["code"] for e in template.errors} == {"example_row", "officer"}
    assert count(Agreement) == 0


def test_upload_refuses_what_is_not_a_workbook(world, now):
    with pytest.raises(Invalid, match="xlsx") as refused:
        imports.start_import(world.admin, "annex.csv", b"a,b\n", now=now)
    assert refused.value.field == "file"
    with pytest.raises(Invalid, match="damaged"):
        imports.start_import(world.admin, "annex.xlsx", b"PK\x03\x04 not a zip", now=now)
    with pytest.raises(NotAllowed):
        imports.start_import(world.desk, "annex.xlsx", zone(1, OFFICER), now=now)
    assert count(ImportRun) == 0


def test_importing_again_changes_nothing_then_only_what_changed(world, now):
    data = zone(3, OFFICER)
    run(world, data, now)
    ids = sorted(db.session.scalars(select(Target.id)))
    again = run(world, data, now + timedelta(days=1))
    assert again.summary == {"created": 0, "updated": 0, "unchanged": 3, "firms_created": 0,
                             "rows": 27}
    assert (count(Firm), count(Agreement), count(Target), count(Incentive), count(FirmEvent)) \
        == (2 + 3, 3, 18, 6, 3)
    assert sorted(db.session.scalars(select(Target.id))) == ids, "nothing rewritten"

    changed = workbook(
        [agreement(n, OFFICER, **({"site": "B-7"} if n == 1 else {})) for n in range(3)],
        [target(n, "investment", 2026, 5_000 if n == 1 else (n + 1) * 1_000_000_000)
         for n in range(3)],
        [])
    third = run(world, changed, now + timedelta(days=2))
    assert third.summary == {"created": 0, "updated": 3, "unchanged": 0, "firms_created": 0,
                             "rows": 6}
    assert (count(Agreement), count(Target), count(Incentive)) == (3, 3, 0)
    firm = db.session.scalar(select(Firm).where(Firm.brn == brn(1)))
    event = db.session.scalars(select(FirmEvent).where(FirmEvent.firm_id == firm.id)
                               .order_by(FirmEvent.id.desc())).first()
    assert event.action == "agreement_updated"
    assert event.params["changes"] == {"site": ["A-1", "B-7"], "targets": [6, 1],
                                       "incentives": [2, 0]}


def test_a_firm_onboarded_before_is_updated_not_duplicated(world, now):
    data = workbook([agreement(1, OFFICER, brn=world.firm_a.brn, name="Alpha Carbon Co.")],
                    [target(1, "jobs", 2026, 12, brn=world.firm_a.brn)], [])
    result = run(world, data, now)
    assert result.summary["firms_created"] == 0 and result.summary["created"] == 1
    assert db.session.scalar(select(func.count(Firm.id)).where(
        Firm.brn == world.firm_a.brn)) == 1
    db.session.refresh(world.firm_a)
    assert world.firm_a.name == "Alpha Carbon Co." and world.firm_a.agreement.targets[0].amount == 12


def test_a_run_whose_worker_died_is_queued_again_then_given_up(world, now, configure):
    configure(IMPORT_LEASE_SECONDS=60, IMPORT_MAX_ATTEMPTS=2)
    started = imports.start_import(world.admin, "annex.xlsx", zone(1, OFFICER), now=now)
    db.session.commit()
    assert imports.requeue_stalled(now) == [], "a fresh run waits for its worker"
    lost = now + timedelta(seconds=61)
    assert imports.requeue_stalled(lost) == [started.id], "its queue message seems lost"
    # A worker takes it and dies (its lease lapses, nothing of it committed).
    started.status, started.attempts, started.lease_until = "writing", 1, lost
    db.session.commit()
    later = lost + timedelta(seconds=1)
    assert imports.requeue_stalled(later) == [started.id]
    assert (started.status, started.rows_done) == ("queued", 0)
    started.status, started.attempts, started.lease_until = "checking", 2, later
    db.session.commit()
    assert imports.requeue_stalled(later + timedelta(seconds=1)) == []
    assert started.status == "failed" and started.errors[0]["code"] == "worker_lost"
    assert "stopped 2 times" in imports.describe(started.errors[0])["message"]
    assert imports.run_import(started.id, later) == "not-claimed"
    assert count(Agreement) == 0


def test_a_redelivered_message_does_nothing_twice(world, now):
    result = run(world, zone(1, OFFICER), now)
    assert imports.run_import(result.id, now) == "not-claimed"
    assert count(Agreement) == 1 and count(FirmEvent) == 1
