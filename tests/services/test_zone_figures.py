"""The zone's figures against values worked out by hand on a small fixed set of agreements."""
from datetime import date

import pytest
from sqlalchemy import event, true

from onestop.commitments.models import ActualReport, Agreement, Incentive, Target
from onestop.extensions import db
from onestop.firms.models import Firm
from onestop.reports.zone import at_risk, firm_progress, zone_figures

TODAY = date(2026, 6, 1)


def _agreement(firm, rule, targets, incentives):
    agreement = Agreement(firm=firm, signed_on=date(2024, 11, 20), clawback_rule=rule)
    for measure, phase, year, amount in targets:
        agreement.targets.append(Target(measure=measure, phase=phase, year=year, amount=amount,
                                        report_due_on=date(year + 1, 1, 31)))
    for name, measure, amount, percent in incentives:
        agreement.incentives.append(Incentive(name=name, measure=measure, amount=amount,
                                              recoverable_percent=percent))
    db.session.add(agreement)


def _report(world, firm, measure, year, phase, amount, status):
    db.session.add(ActualReport(firm=firm, measure=measure, year=year, phase=phase, amount=amount,
                                status=status, submitted_by=world.firm_a_user))


@pytest.fixture
def zone(world):
    # Alpha: behind on investment (due 100, verified 60), ahead on jobs (due 10, verified 12).
    _agreement(world.firm_a, "proportional",
               [("investment", 1, 2025, 100), ("investment", 2, 2026, 200),
                ("investment", 3, 2027, 300), ("jobs", 1, 2025, 10), ("jobs", 2, 2026, 20)],
               [("투자보조금", "investment", 1_000_000, 50), ("고용보조금", "jobs", 400_000, 100)])
    _report(world, world.firm_a, "investment", 2025, 1, 60, "verified")
    _report(world, world.firm_a, "investment", 2026, 2, 50, "submitted")
    _report(world, world.firm_a, "jobs", 2025, 1, 12, "verified")
    _report(world, world.firm_a, "jobs", 2025, 1, 5, "returned")
    # Beta: all of its investment, one job short, all-or-nothing.
    _agreement(world.firm_b, "all_or_nothing",
               [("investment", 1, 2025, 500), ("jobs", 1, 2025, 30)],
               [("고용보조금", "jobs", 300_000, 80)])
    _report(world, world.firm_b, "investment", 2025, 1, 500, "verified")
    _report(world, world.firm_b, "jobs", 2025, 1, 29, "verified")
    db.session.flush()


def test_each_firm_against_what_is_due(world, zone):
    figures = zone_figures(true(), today=TODAY)
    beta, alpha = figures.firms  # Beta has more at risk
    assert (alpha.name, beta.name) == ("Alpha Carbon", "Beta Composite")
    assert (alpha.investment.promised, alpha.investment.due, alpha.investment.verified,
            alpha.investment.pending, alpha.investment.shortfall) == (600, 100, 60, 50, 40)
    assert (alpha.jobs.promised, alpha.jobs.due, alpha.jobs.verified, alpha.jobs.shortfall) \
        == (30, 10, 12, 0)
    # 1,000,000 × 50% × 40/100 unmet; the jobs incentive is safe.
    assert alpha.incentive_at_risk == 200_000
    # One job short of 30 under all-or-nothing: the whole 80% of 300,000.
    assert (beta.jobs.shortfall, beta.incentive_at_risk) == (1, 240_000)
    assert alpha.officer_email == "desk@test.example"
    assert figures.incentive_at_risk == 440_000
    assert [f.name for f in figures.firms_behind] == ["Beta Composite", "Alpha Carbon"]


def test_zone_totals_by_phase_and_year(world, zone):
    figures = zone_figures(true(), today=TODAY)
    investment, jobs = figures.total["investment"], figures.total["jobs"]
    assert (investment.promised, investment.due, investment.verified, investment.pending) \
        == (1100, 600, 560, 50)
    assert (jobs.promised, jobs.due, jobs.verified) == (60, 40, 41)
    # The zone's own total nets firms ahead against firms behind; the firms' shortfalls do not.
    assert jobs.shortfall == 0
    assert figures.shortfall("jobs") == 1 and figures.shortfall("investment") == 40
    assert {phase: (t["investment"].promised, t["investment"].verified, t["jobs"].promised)
            for phase, t in figures.by_phase.items()} == {1: (600, 560, 40), 2: (200, 0, 20),
                                                          3: (300, 0, 0)}
    assert {year: (t["investment"].due, t["investment"].pending, t["jobs"].verified)
            for year, t in figures.by_year.items()} == {2025: (600, 0, 41), 2026: (0, 50, 0),
                                                        2027: (0, 0, 0)}


def test_the_figures_are_plain_integers_on_every_database(world, zone):
    figures = zone_figures(true(), today=TODAY)
    values = [getattr(tally, name) for firm in figures.firms for tally in firm.measures.values()
              for name in ("promised", "due", "verified", "pending")]
    values += [firm.incentive_at_risk for firm in figures.firms]
    assert {type(value) for value in values} == {int}


def test_nothing_is_due_before_the_first_report_date(world, zone):
    figures = zone_figures(true(), today=date(2026, 1, 30))
    assert not figures.firms_behind and figures.incentive_at_risk == 0


@pytest.mark.parametrize("rule,due,shortfall,expected", [
    ("proportional", 100, 0, 0), ("proportional", 100, 100, 50), ("proportional", 3, 1, 16),
    ("all_or_nothing", 100, 1, 50), ("all_or_nothing", 0, 0, 0)])
def test_clawback_rules(rule, due, shortfall, expected):
    assert at_risk(rule, 100 * 50, due, shortfall) == expected


def test_each_reader_sees_only_the_firms_it_may(world, zone):
    assert [f.name for f in firm_progress(world.firm_a_user, today=TODAY)] == ["Alpha Carbon"]
    assert [f.name for f in firm_progress(world.firm_b_user, today=TODAY)] == ["Beta Composite"]
    assert firm_progress(world.union_lead, today=TODAY) == []
    assert len(firm_progress(world.desk, today=TODAY)) == 2


def _statements(action):
    seen = []

    def record(*args):
        seen.append(args[2])

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return len(seen)


def test_a_constant_number_of_statements_whatever_the_number_of_firms(world, zone):
    few = _statements(lambda: zone_figures(true(), today=TODAY))
    for i in range(12):
        firm = Firm(name=f"Firm {i}", brn=f"{i:010d}", industry="x", site="y", phase=1)
        _agreement(firm, "proportional", [("jobs", 1, 2025, 5), ("investment", 2, 2026, 9)],
                   [("x", "jobs", 10, 100)])
        _report(world, firm, "jobs", 2025, 1, 3, "verified")
    db.session.flush()
    assert _statements(lambda: zone_figures(true(), today=TODAY)) == few == 4
