"""List pages issue the same number of SQL queries for 5 rows as for 50 (no N+1)."""
from datetime import date

import pytest
from sqlalchemy import event

from onestop.accounts.models import Role
from onestop.cases import services as cases
from onestop.commitments.models import ActualReport, Agreement, Incentive, Target
from onestop.extensions import db
from onestop.firms.models import Firm
from onestop.tasks import services as tasks
from tests.commitments_world import BILLION, agreements, report
from tests.factories import NOW, PDF, make_user

PAGES = [
    ("desk@test.example", "/"), ("desk@test.example", "/cases/"),
    ("desk@test.example", "/cases/?sort=-submitted&q=Case"), ("desk@test.example", "/tasks/"),
    ("desk@test.example", "/firms/"), ("admin@test.example", "/admin/users"),
    ("staff@union.test", "/"), ("staff@union.test", "/tasks/"), ("staff@union.test", "/cases/"),
    ("ceo@alpha.test", "/"), ("ceo@alpha.test", "/cases/"),
    ("desk@test.example", "/reports/service"),
    ("desk@test.example", "/reports/service?group=request_type"),
    ("staff@union.test", "/reports/service"),
]


def add_cases(world, start, stop):
    for i in range(start, stop):
        firm = Firm(name=f"Firm {i}", brn=f"{i:010d}", industry="x", site="y", phase=1)
        db.session.add(firm)
        make_user(f"member{i}@firm.example", Role.FIRM, firm=firm)
        case = cases.file_case(world.firm_a_user, world.hiring_type, title=f"Case {i}",
                               description="d", priority="normal", form_data={},
                               checked_items=[], files=[], now=NOW)
        cases.accept_case(world.desk, case, now=NOW, version=None)
        union_task, _ = cases.route_case(world.desk, case, [world.union, world.univ], now=NOW,
                                         version=None)
        tasks.assign_task(world.union_lead, union_task, world.union_staff, now=NOW, version=None)
    db.session.commit()


def count_queries(browser_for, email, url):
    b = browser_for(email)
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = b.get(url, buffered=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 200
    return len(statements)


@pytest.mark.parametrize("email,url", PAGES)
def test_list_page_query_count_does_not_grow_with_rows(browser, world, email, url):
    add_cases(world, 0, 5)
    few = count_queries(browser, email, url)
    add_cases(world, 5, 50)
    many = count_queries(browser, email, url)
    assert few == many, f"{url}: {few} queries for 5 rows, {many} for 50"


def add_agreements(world, start, stop):
    """Firms with a year of targets, an incentive and reports (one verified, one pending)."""
    for i in range(start, stop):
        firm = Firm(name=f"Zone firm {i}", brn=f"9{i:09d}", industry="x", site="y", phase=1)
        agreement = Agreement(firm=firm, signed_on=date(2025, 1, 1), targets=[
            Target(measure=m, phase=1, year=2025, amount=100, report_due_on=date(2026, 1, 31))
            for m in ("investment", "jobs")],
            incentives=[Incentive(name="x", measure="jobs", amount=1000)])
        db.session.add(agreement)
        for status in ("verified", "submitted"):
            db.session.add(ActualReport(firm=firm, measure="jobs", year=2025, phase=1, amount=40,
                                        status=status, submitted_by=world.desk))
    db.session.commit()


@pytest.mark.parametrize("email,url", [
    ("desk@test.example", "/reports/zone"), ("admin@test.example", "/reports/zone/firms.csv"),
    ("desk@test.example", "/reports/zone/years.xlsx"), (None, "/zone")])
def test_zone_pages_query_count_does_not_grow_with_firms(browser, world, email, url):
    add_agreements(world, 0, 5)
    few = count_queries(browser, email, url)
    add_agreements(world, 5, 50)
    many = count_queries(browser, email, url)
    assert few == many, f"{url}: {few} queries for 5 firms, {many} for 50"


def test_the_bell_query_count_does_not_grow_with_commitment_messages(browser, world):
    """The account officer's bell lists each report a firm sent (a FirmEvent and its report
    behind every line)."""
    agreements(world)

    def send(n):
        for _ in range(n):
            report(world.firm_a_user, world.firm_a, amount=BILLION)
        db.session.commit()
    send(3)
    few = count_queries(browser, "desk@test.example", "/notifications")
    send(20)
    many = count_queries(browser, "desk@test.example", "/notifications")
    assert few == many, f"the bell: {few} queries for 3 reports, {many} for 23"


def test_the_apis_lists_read_as_many_statements_for_many_items(api, world):
    """The API's lists load what each item says (and each file's uploader) a relation at a
    time (no N+1)."""
    from tests.web.api_client import auth, token

    headers = auth(token(world.desk))
    case = cases.file_case(world.firm_a_user, world.hiring_type, title="talked", description="d",
                           priority="normal", form_data={}, checked_items=[], files=[], now=NOW)
    db.session.commit()
    api.get("/api/v1/cases", headers=headers)  # the token's last use, written once a minute

    def statements(url, add):
        add()
        counted = []
        record = lambda *args: counted.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            assert api.get(url, headers=headers, query_string={"limit": 100}).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        return len(counted)

    made = [100]

    def filings(n):  # each notifies the desk
        def add():
            add_cases(world, made[0], made[0] + n)
            made[0] += n
        return add

    def comments(n):
        def add():
            for i in range(n):
                cases.add_comment(world.firm_a_user, case, f"comment {i}", now=NOW,
                                  files=[(f"{i}.pdf", PDF)])
            db.session.commit()
        return add

    for url, more in (("/api/v1/notifications", filings),
                      (f"/api/v1/cases/{case.id}/comments", comments),
                      (f"/api/v1/cases/{case.id}/attachments", comments)):
        few = statements(url, more(2))
        many = statements(url, more(12))
        assert few == many, f"{url}: {few} statements for a few, {many} for many"
