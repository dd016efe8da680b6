"""The demo data reproduces the zone agreement, and loading it twice changes nothing."""
from datetime import date, datetime

from sqlalchemy import func, select, text, true

from onestop.commitments.models import ActualReport, Agreement, Incentive, Target
from onestop.deadlines import SEOUL
from onestop.demo.seed import seed
from onestop.extensions import db
from onestop.firms.models import Firm
from onestop.reports.zone import zone_figures

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=SEOUL)


def _everything() -> dict:
    db.session.expire_all()
    return {table.name: sorted(map(tuple, db.session.execute(
        text(f"SELECT * FROM {table.name}")).all()), key=repr)
        for table in db.metadata.sorted_tables}


def test_the_demo_zone_promises_807_2_billion_won_and_2233_jobs(ctx):
    assert seed(NOW) is True
    figures = zone_figures(true(), today=NOW.date())
    assert figures.total["investment"].promised == 807_200_000_000
    assert figures.total["jobs"].promised == 2_233
    assert sorted(figures.by_phase) == [1, 2, 3]
    assert max(figures.by_year) == 2028
    assert len(figures.firms) >= 7
    # Each firm has targets every year of its schedule, summing to what it promised.
    years = db.session.execute(select(Target.agreement_id, func.count(Target.id))
                               .group_by(Target.agreement_id)).all()
    assert all(count >= 2 for _, count in years)
    # As of the demo's today some firms are behind and some ahead of what is due.
    behind = [f.name for f in figures.firms_behind]
    ahead = [f.name for f in figures.firms
             if any(t.verified > t.due for t in f.measures.values()) and not f.is_behind]
    assert 2 <= len(behind) < len(figures.firms) and ahead
    assert figures.firms[0].is_behind and figures.incentive_at_risk > 0
    statuses = dict(db.session.execute(select(ActualReport.status, func.count())
                                       .group_by(ActualReport.status)).all())
    assert statuses["submitted"] >= 3 and statuses["returned"] == 1
    returned = db.session.scalar(select(ActualReport).where(ActualReport.status == "returned"))
    assert returned.return_reason and returned.reviewed_by is not None
    rules = db.session.scalars(select(Agreement.clawback_rule)).all()
    assert rules.count("all_or_nothing") == 1 and rules.count("proportional") == len(rules) - 1
    assert db.session.scalar(select(func.count(Incentive.id))) >= 2 * len(rules)
    named = db.session.scalars(select(Firm.name).where(Firm.is_named_publicly)).all()
    assert 1 <= len(named) <= 2
    # Every report was made in the past of the demo's today.
    assert db.session.scalar(select(func.max(ActualReport.submitted_at))) <= NOW
    assert db.session.scalar(select(func.min(Agreement.signed_on))) < date(2024, 1, 1)


def test_seeding_twice_changes_nothing(ctx):
    seed(NOW)
    before = _everything()
    assert seed(NOW) is False
    assert _everything() == before


def test_a_demo_loaded_before_the_agreements_gets_them(ctx):
    seed(NOW)
    for model in (ActualReport, Incentive, Target, Agreement):
        db.session.execute(model.__table__.delete())
    db.session.commit()
    assert seed(NOW) is True
    figures = zone_figures(true(), today=NOW.date())
    assert figures.total["investment"].promised == 807_200_000_000
    assert db.session.scalar(select(func.count(Firm.id))) == len(figures.firms)
