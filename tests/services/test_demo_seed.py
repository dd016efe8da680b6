"""The demo data reproduces the zone agreement, and loading it twice changes nothing; the bulk
data adds requests in every state, consistent with their histories and due dates."""
from collections import Counter
from datetime import date, datetime
from itertools import pairwise

from sqlalchemy import func, select, text, true

from onestop import lists
from onestop.cases.models import Case, Comment, Event
from onestop.cases.services import file_case
from onestop.commitments.models import ActualReport, Agreement, Incentive, Target
from onestop.deadlines import SEOUL
from onestop.demo.bulk import BRN_PREFIX, BULK_FIRMS, add_cases
from onestop.demo.seed import DEMO_PASSWORD, seed
from onestop.extensions import db
from onestop.firms.models import Firm
from onestop.reports.zone import zone_figures
from onestop.search import grams
from onestop.statuses import ACTIVE_TASK, FINISHED_CASE, CaseStatus
from onestop.tasks.models import AgencyTask
from tests.conftest import Browser

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


# --- Bulk data (flask demo seed --cases N) ------------------------------------------------------

BULK = 600


def _bulk_world():
    seed(NOW)
    first = db.session.scalar(select(func.max(Case.id))) + 1
    counts = add_cases(BULK, now=NOW)
    db.session.expire_all()
    cases = db.session.scalars(select(Case).where(Case.id >= first).order_by(Case.id)).all()
    return counts, cases


def _per_case(model, cases) -> Counter:
    return Counter(db.session.scalars(select(model.case_id).where(
        model.case_id >= cases[0].id)).all())


def test_bulk_cases_come_in_every_status_with_their_tasks_comments_and_history(ctx):
    counts, cases = _bulk_world()
    assert counts["cases"] == len(cases) == BULK
    by_status = Counter(c.status for c in cases)
    assert set(by_status) == set(CaseStatus)
    assert by_status["closed"] > by_status["in_progress"] > by_status["submitted"]
    tasks = _per_case(AgencyTask, cases)
    for case in cases:
        n = tasks[case.id]
        if case.status in ("submitted", "triaged", "rejected"):
            assert n == 0, case.status
        elif case.status != "withdrawn":
            assert 1 <= n <= 3, case.status
        assert len({t.organization_id for t in case.tasks}) == n  # one task per partner
    # In proportion, as the 1M cases / 1.2M tasks / 7M events: a partner's task per
    # routed request, with a second or third on some; the history as the services write it.
    assert 1.05 <= counts["agency_tasks"] / BULK <= 1.45
    assert 1.0 <= counts["comments"] / BULK <= 2.2
    assert 6 <= counts["events"] / BULK <= 11
    assert sum(_per_case(Comment, cases).values()) == counts["comments"]
    # The work is spread over about two hundred firms, each with a member who filed.
    firms = {c.firm_id for c in cases}
    assert len(firms) > 100
    assert db.session.scalar(select(func.count(Firm.id)).where(
        Firm.brn.startswith(BRN_PREFIX))) == BULK_FIRMS
    assert all(c.created_by.firm_id == c.firm_id for c in cases)
    assert 0 < sum(c.owner_id is not None for c in cases) < BULK


def test_bulk_histories_and_due_dates_agree_with_the_statuses(ctx):
    _, cases = _bulk_world()
    for case in cases:
        events = case.events
        assert events[0].action == "case.submit" and events[0].created_at == case.submitted_at
        assert all(a.created_at <= b.created_at for a, b in pairwise(events))
        assert events[-1].created_at <= NOW and case.updated_at == events[-1].created_at
        moves = [e for e in events if e.action.startswith("case.") and e.to_status]
        assert moves[-1].to_status == case.status, case.id
        assert all(a.to_status == b.from_status for a, b in pairwise(moves)), case.id
        for task in case.tasks:
            moved = [e for e in events if e.task_id == task.id and e.to_status]
            assert moved[0].action == "task.route" and moved[-1].to_status == task.status
            assert (task.finished_at is None) == (task.status in ACTIVE_TASK)
            assert (task.status == "waiting_on_firm") == (task.supplement_due_at is not None)
        assert case.review_due_at > case.submitted_at
        assert (case.due_at is None) == (case.accepted_at is None)
        if case.status in FINISHED_CASE:
            assert case.closed_at is not None and not any(
                t.status in ACTIVE_TASK for t in case.tasks)
            assert all(c.created_at <= case.closed_at for c in case.comments)
        if case.status in ("resolved", "closed"):
            assert case.resolved_at <= (case.closed_at or NOW)
            assert all(t.status == "done" and t.finished_at <= case.resolved_at
                       for t in case.tasks)
        if case.status == "waiting_on_firm":
            assert case.paused_at and any(t.status == "waiting_on_firm" for t in case.tasks)
        if case.status in ("rejected", "returned"):
            assert case.rejection_reason
    # Open requests are mostly due ahead; some are overdue, as on a real desk.
    running = [c for c in cases if c.status in ("triaged", "in_progress", "waiting_on_firm")]
    ahead = sum(c.due_at > NOW for c in running)
    assert 0.6 * len(running) <= ahead < len(running)
    active = [t for c in cases for t in c.tasks if t.status in ACTIVE_TASK]
    assert 0.6 * len(active) <= sum(t.due_at > NOW for t in active) < len(active)


def test_bulk_texts_are_searchable_and_common_words_are_not_everywhere(ctx):
    _, cases = _bulk_world()
    for case in cases:
        assert case.search_grams == grams(case.title, case.description)
        assert all(c.search_grams == grams(c.body) for c in case.comments)
    for word in ("승인", "채용"):
        share = sum(word in c.title or word in c.description for c in cases) / len(cases)
        assert 0.02 < share < 0.35, (word, share)
    assert 0.05 < sum(c.title.isascii() for c in cases) / len(cases) < 0.3  # some English


def test_bulk_seeding_twice_adds_more_cases_with_references_of_their_own(ctx):
    _, cases = _bulk_world()
    more = add_cases(50, now=NOW)
    assert more["cases"] == 50
    references = db.session.scalars(select(Case)).all()
    assert len({c.reference for c in references}) == len(references) >= BULK + 50
    assert db.session.scalar(select(func.count(Firm.id)).where(
        Firm.brn.startswith(BRN_PREFIX))) == BULK_FIRMS
    # The services go on filing cases (and writing their events) after the bulk rows.
    filed = file_case(cases[0].created_by, cases[0].request_type, title="추가 요청",
                      description="", priority="normal", form_data=cases[0].form_data,
                      checked_items=[], files=[], now=NOW)
    db.session.commit()
    assert filed.id > max(c.id for c in references)
    assert filed.events[0].id == db.session.scalar(select(func.max(Event.id)))


def test_the_desk_opens_the_queue_and_a_bulk_case_of_each_status(ctx):
    _, cases = _bulk_world()
    browser = Browser(ctx)
    browser.login("desk@city.example", DEMO_PASSWORD)
    for query in ("", "?status=&sort=-submitted", "?status=closed&sort=age", "?q=채용"):
        response = browser.get(f"/cases/{query}")
        assert response.status_code == 200, query
    shown = {}
    for case in cases:
        shown.setdefault(case.status, case.id)
    for status, case_id in shown.items():
        response = browser.get(f"/cases/{case_id}")
        assert response.status_code == 200, status
    found = browser.get(f"/cases/?status=&q={cases[-1].reference}").get_data(as_text=True)
    assert f"/cases/{cases[-1].id}" in found


def test_a_list_past_its_count_cap_says_so_with_a_thousands_separator(ctx):
    seed(NOW)
    add_cases(4 * lists.COUNT_CAP, now=NOW)  # about a quarter of their tasks still open
    browser = Browser(ctx)
    browser.login("desk@city.example", DEMO_PASSWORD)
    over = f"{lists.COUNT_CAP:,}건 초과"
    assert f"요청 {over}" in browser.get("/cases/?status=").get_data(as_text=True)
    assert f"업무 {over}" in browser.get("/tasks/").get_data(as_text=True)
