"""The desk's home page leads with what needs action: overdue work by partner, firms behind."""
from datetime import date, datetime

from onestop.cases import services as cases
from onestop.commitments.models import Agreement, Incentive, Target
from onestop.deadlines import SEOUL
from onestop.extensions import db

LONG_AGO = datetime(2026, 3, 2, 10, 0, tzinfo=SEOUL)


def _late_case(world, partners):
    case = cases.file_case(world.firm_a_user, world.hiring_type, title="Late hiring",
                           description="d", priority="normal", form_data={}, checked_items=[],
                           files=[], now=LONG_AGO)
    cases.accept_case(world.desk, case, now=LONG_AGO, version=None)
    cases.route_case(world.desk, case, partners, now=LONG_AGO, version=None)


def test_overdue_work_by_partner_most_first_and_firms_behind(browser, world):
    _late_case(world, [world.union, world.univ])
    _late_case(world, [world.union])
    agreement = Agreement(firm=world.firm_b, signed_on=date(2024, 1, 5))
    agreement.targets.append(Target(measure="jobs", phase=1, year=2025, amount=40,
                                    report_due_on=date(2026, 1, 31)))
    agreement.incentives.append(Incentive(name="고용보조금", measure="jobs", amount=500_000_000,
                                          recoverable_percent=100))
    db.session.add(agreement)
    db.session.commit()
    html = browser("desk@test.example").get("/").get_data(as_text=True)
    action = html[html.index('id="needs-action"'):]
    assert action.index("노사민정협의회") < action.index("산학협력단")
    assert "2건 초과" in action and "1건 초과" in action
    # Beta has verified none of the 40 jobs due: the whole incentive is at risk.
    assert "Beta Composite" in action and "환수 위험 인센티브 5억 원" in action
    assert "Alpha Carbon" not in action


def test_nothing_to_act_on_shows_no_section(browser, world):
    assert 'id="needs-action"' not in browser("desk@test.example").get("/").get_data(as_text=True)
