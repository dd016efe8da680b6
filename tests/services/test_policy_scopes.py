"""The policy asked directly: every list scope holds exactly what each user may see, and the
own-firm and own-organization rules hold on their own, not only behind the visibility check
that the routes (and so the authorization matrix) meet first."""
import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from onestop import policy
from onestop.cases import services as cases
from onestop.cases.models import Case
from onestop.extensions import db
from onestop.firms.models import Firm
from onestop.tasks.models import AgencyTask


@pytest.fixture
def two_firms(world, now):
    """Firm A's case routed to permits and the union; firm B's case routed to the university."""
    def routed(user, orgs):
        case = cases.file_case(user, world.hiring_type, title="Hiring", description="",
                               priority="normal", form_data={}, checked_items=[], files=[],
                               now=now)
        cases.accept_case(world.desk, case, now=now, version=None)
        cases.route_case(world.desk, case, orgs, now=now, version=None)
        return case

    a = routed(world.firm_a_user, [world.permits, world.union])
    b = routed(world.firm_b_user, [world.univ])
    db.session.commit()
    return a, b


def _scope(model, clause) -> set:
    return set(db.session.scalars(select(model).where(clause)))


def test_each_user_lists_exactly_what_they_may_see(world, two_firms):
    a, b = two_firms
    task_of = {t.organization: t for t in a.tasks + b.tasks}
    everything = ({a, b}, set(task_of.values()), {world.firm_a, world.firm_b})
    expected = {
        world.admin: everything,
        world.desk: everything,
        world.firm_a_user: ({a}, set(a.tasks), {world.firm_a}),
        world.firm_b_user: ({b}, set(b.tasks), {world.firm_b}),
        world.union_lead: ({a}, {task_of[world.union]}, set()),
        world.permits_staff: ({a}, {task_of[world.permits]}, set()),
        world.univ_staff: ({b}, {task_of[world.univ]}, set()),
    }
    for user, (cases_, tasks_, firms) in expected.items():
        seen = (_scope(Case, policy.visible_cases(user)), _scope(AgencyTask, policy.visible_tasks(user)),
                _scope(Firm, policy.visible_firms(user)))
        assert seen == (cases_, tasks_, firms), user.email


@pytest.mark.parametrize("rule", ["case.reopen", "case.withdraw", "case.answer",
                                  "case.edit_checklist"])
def test_firm_rules_hold_only_for_the_firms_own_members(world, two_firms, rule):
    a, _b = two_firms
    assert policy.can(world.firm_a_user, rule, a)
    assert not policy.can(world.firm_b_user, rule, a)
    assert not policy.can(world.union_staff, rule, a), "a partner holding a task is no firm member"


@pytest.mark.parametrize("rule", ["task.accept", "task.request_info", "task.complete",
                                  "task.decline", "task.transfer"])
def test_task_work_belongs_to_the_tasks_organization_only(world, two_firms, rule):
    a, _b = two_firms
    (union_task,) = [t for t in a.tasks if t.organization == world.union]
    assert policy.can(world.union_staff, rule, union_task)
    assert not policy.can(world.permits_staff, rule, union_task), "same case, other organization"
    assert not policy.can(world.univ_staff, rule, union_task)
    assert not policy.can(world.desk, rule, union_task), "the desk routes; partners do the work"


@pytest.mark.parametrize("nobody", [None, AnonymousUserMixin()], ids=["none", "anonymous"])
def test_nobody_signed_in_may_do_anything(world, two_firms, nobody):
    a, _b = two_firms
    for rule in policy.RULES:
        target = a.tasks[0] if rule.startswith("task.") else world.firm_a if rule.startswith(
            "firm.") else a
        assert not policy.can(nobody, rule, target), rule
