"""The desk's home lists what to act on most urgent first, each count matching its queue."""
import re
from datetime import datetime, timedelta

from sqlalchemy import select

from onestop import lists
from onestop.cases import services as cases
from onestop.cases import urgency
from onestop.cases.models import Case
from onestop.deadlines import SEOUL
from onestop.extensions import db
from onestop.tasks import services as tasks

LONG_AGO = datetime(2026, 3, 2, 10, 0, tzinfo=SEOUL)


def _file(world, title, when=LONG_AGO):
    return cases.file_case(world.firm_a_user, world.hiring_type, title=title, description="d",
                           priority="normal", form_data={}, checked_items=[], files=[], now=when)


def _routed(world, title, when=LONG_AGO):
    case = _file(world, title, when)
    cases.accept_case(world.desk, case, now=when, version=None)
    cases.route_case(world.desk, case, [world.union], now=when, version=None)
    return case


def _world_of_needs(world):
    declined = _routed(world, "Declined one")
    tasks.decline_task(world.union_staff, declined.tasks[0], "not ours",
                       now=LONG_AGO + timedelta(hours=1), version=None)
    _routed(world, "Late one")
    _file(world, "Fresh one", datetime.now(SEOUL))
    recent = datetime.now(SEOUL) - timedelta(hours=1)
    soon = _routed(world, "Soon one", recent)
    soon.due_at = datetime.now(SEOUL) + timedelta(hours=2)
    reopened = _routed(world, "Reopened one", recent)
    tasks.accept_task(world.union_staff, reopened.tasks[0], now=recent, version=None)
    tasks.complete_task(world.union_staff, reopened.tasks[0], "done", now=recent, version=None)
    cases.reopen_case(world.firm_a_user, reopened, "still broken", now=recent, version=None)
    db.session.commit()


def _titles(html: str) -> list[str]:
    return re.findall(r'<a href="/cases/\d+">([^<]+)</a>', html)


def test_sections_in_urgency_order_with_counts_and_queue_links(browser, world):
    _world_of_needs(world)
    desk = browser("desk@test.example")
    html = desk.get("/").get_data(as_text=True)
    shown = [name for name in urgency.NEEDS if name not in urgency.QUIET_WHEN_EMPTY]
    order = [html.index(f'id="need-{name}"') for name in shown]
    assert order == sorted(order)
    assert not [name for name in urgency.QUIET_WHEN_EMPTY if f'id="need-{name}"' in html], \
        "the law's rarer sections show only when they hold a request"
    assert 'href="/cases/?need=objections"' in html, "their tiles stay"
    assert order[-1] < html.index('id="needs-action"')
    for name, title in [("declined", "Declined one"), ("overdue", "Late one"),
                        ("new", "Fresh one"), ("due_soon", "Soon one"),
                        ("reopened", "Reopened one")]:
        section = html[html.index(f'id="need-{name}"'):]
        section = section[:section.index("</section>")]
        assert title in _titles(section), name
        assert f'href="/cases/?need={name}"' in section
        queue = desk.get(f"/cases/?need={name}").get_data(as_text=True)
        assert title in queue, name
        # The queue says what it shows, and its filters keep it.
        assert "다음만 표시:" in queue and f'name="need" value="{name}"' in queue, name
    late = html[html.index('id="need-overdue"'):html.index('id="need-new"')]
    # The declined case is late too; the reopened one is neither late nor new.
    assert "Declined one" in late and "Reopened one" not in late
    assert "Fresh one" not in desk.get("/cases/?need=overdue").get_data(as_text=True)


def test_rerouting_clears_the_decline(browser, world):
    _world_of_needs(world)
    case = db.session.scalar(select(Case).where(Case.title == "Declined one"))
    cases.route_case(world.desk, case, [world.univ], now=LONG_AGO + timedelta(hours=2),
                     version=None)
    db.session.commit()
    html = browser("desk@test.example").get("/").get_data(as_text=True)
    declined = html[html.index('id="need-declined"'):html.index('id="need-overdue"')]
    assert "Declined one" not in declined


def test_counts_are_capped(world, monkeypatch):
    for n in range(4):
        _file(world, f"New {n}")
    db.session.commit()
    monkeypatch.setattr(lists, "COUNT_CAP", 2)
    assert lists.capped_count(select(Case.id).where(
        urgency.need_condition("new", LONG_AGO, None))) == 3


def test_an_unknown_need_is_a_bad_request(browser, world):
    assert browser("desk@test.example").get("/cases/?need=everything").status_code == 400


def test_partners_and_firms_have_their_own_home(browser, world):
    _world_of_needs(world)
    for email in ("staff@union.test", "ceo@alpha.test"):
        assert 'id="need-' not in browser(email).get("/").get_data(as_text=True)
