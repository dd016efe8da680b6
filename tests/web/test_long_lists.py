"""Long lists: pages follow one another by the last row's sort key (every row once, in order,
whatever the sort), counts stop at a cap, and the search finds two-syllable Korean words
exactly as a plain scan would."""
import base64
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import event, select, text

from onestop import lists
from onestop.cases import services as cases
from onestop.cases.models import Case, NoteAudience
from onestop.extensions import db
from onestop.tasks.models import AgencyTask
from tests.factories import NOW

REF = re.compile(r'<small class="muted">(OS-\d{4}-\d{5})</small>')
NEXT = re.compile(r'<a href="([^"]+)" rel="next">')


def _file(world, user, title, description="d", *, priority="normal", at=NOW):
    return cases.file_case(user, world.hiring_type, title=title, description=description,
                           priority=priority, form_data={}, checked_items=[], files=[], now=at)


def _walk(client, url: str, pattern=REF) -> list[str]:
    """Every row of a list, following its "Next" links."""
    seen = []
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += pattern.findall(html)
        following = NEXT.search(html)
        url = following.group(1).replace("&amp;", "&") if following else None
    return seen


@pytest.fixture
def many(world, app, monkeypatch):
    """Fifteen requests: equal due dates, no due date yet, every priority, on two firms."""
    monkeypatch.setitem(app.config, "PAGE_SIZE", 4)
    made = []
    for n in range(15):
        user = world.firm_a_user if n % 2 else world.firm_b_user
        case = _file(world, user, f"Request {n}", priority=("normal", "high", "urgent")[n % 3],
                     at=NOW - timedelta(hours=n % 5))
        if n % 4:  # a quarter stay unaccepted: no due date
            cases.accept_case(world.desk, case, now=NOW, version=None)
            cases.route_case(world.desk, case, [world.union] if n % 2 else [world.univ],
                             now=NOW + timedelta(minutes=n % 3), version=None)
        made.append(case)
    db.session.commit()
    return made


def _expected(made, sort: str) -> list[str]:
    far = NOW + timedelta(days=10_000)
    orders = {
        "due": lambda c: (c.due_at is None, c.due_at or far, c.id),
        "-due": lambda c: (c.due_at is None, -(c.due_at or far).timestamp(), -c.id),
        "-submitted": lambda c: (-c.submitted_at.timestamp(), -c.id),
        "age": lambda c: (c.submitted_at, c.id),
        "priority": lambda c: (c.priority_rank, c.id),
    }
    return [c.reference for c in sorted(made, key=orders[sort])]


@pytest.mark.parametrize("sort", ["due", "-due", "-submitted", "age", "priority"])
def test_following_next_shows_every_request_once_in_order(browser, many, sort):
    for case in many:
        db.session.refresh(case)
    walked = _walk(browser("desk@test.example"), f"/cases/?status=&sort={sort}")
    assert walked == _expected(many, sort)


def test_a_partner_walks_its_own_task_queue(browser, world, many):
    mine = db.session.scalars(select(AgencyTask).where(
        AgencyTask.organization_id == world.union.id)
        .order_by(AgencyTask.due_at, AgencyTask.id)).all()
    walked = _walk(browser("staff@union.test"), "/tasks/",
                   re.compile(r'href="/tasks/(\d+)"'))
    assert [int(i) for i in dict.fromkeys(walked)] == [t.id for t in mine]
    assert len(mine) > 4, "more than one page"


def _cursor(*values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [
    "nonsense", "WyJ4Il0", "W251bGwsICJ4Il0", "W10",
    _cursor("due_at,id", "0001-01-01T00:00:00+00:01", 1),  # before the first year
    _cursor("due_at,id", "2026-11-10T01:00:00+00:00", 10**27),  # beyond any id
    _cursor("due_at,id", "2026-11-10T01:00:00", 3),  # no time zone
    _cursor("-submitted_at,-id", "2026-11-10T01:00:00+00:00", 3),  # another order's
    _cursor("due_at,id", 5, 3),
])
def test_a_cursor_the_list_did_not_write_is_a_bad_request(browser, many, cursor):
    assert browser("desk@test.example").get(f"/cases/?after={cursor}").status_code == 400
    assert browser("staff@union.test").get(f"/tasks/?after={cursor}").status_code == 400


def test_the_count_stops_at_its_cap(browser, many, monkeypatch):
    monkeypatch.setattr(lists, "COUNT_CAP", 10)
    desk = browser("desk@test.example")
    assert "요청 10건 초과" in desk.get("/cases/?status=").get_data(as_text=True)
    assert "요청 15건" not in desk.get("/cases/?status=").get_data(as_text=True)
    monkeypatch.setattr(lists, "COUNT_CAP", 1000)
    assert "요청 15건" in desk.get("/cases/?status=").get_data(as_text=True)


TEXTS = [
    ("승인 요청", "공장 등록 승인을 바랍니다"),
    ("미승인 건 재검토", "d"),
    ("승 인", "띄어 쓴 두 글자"),
    ("채용 박람회", "인력 채용"),
    ("Hiring fair", "HIRE fifty engineers"),
    ("Discount 50%", "a_b literal"),
    ("Boiler", "승인서 사본"),
    ("인", "한 글자"),
    ("ΟΔΟΣΑ 공사", "a final sigma only in lower case"),
]


@pytest.fixture
def searchable(world):
    made = [_file(world, world.firm_a_user if n % 2 else world.firm_b_user, title, body)
            for n, (title, body) in enumerate(TEXTS)]
    case = made[2]
    cases.add_comment(world.firm_b_user, case, "채용 공고를 올렸습니다", now=NOW)
    cases.add_comment(world.desk, made[4], "내부 메모: 승인 대기", now=NOW,
                      audience=NoteAudience.DESK)
    db.session.commit()
    return made


def _fold(text: str) -> str:
    """Lower case letter by letter, as ILIKE does (a word-final Σ stays σ)."""
    return "".join(c.lower() for c in text)


def _scan(user_sees_desk_notes: bool, firm_id, made, words: str) -> list[str]:
    """What a plain scan finds: every word in the title, description, firm's name or a
    comment the reader may read."""
    found = []
    for case in made:
        if firm_id and case.firm_id != firm_id:
            continue
        readable = [c.body for c in case.comments
                    if user_sees_desk_notes or c.audience == NoteAudience.PUBLIC]
        haystack = _fold(" ".join([case.title, case.description, case.firm.name, *readable]))
        if all(_fold(word) in haystack for word in words.split()):
            found.append(case.reference)
    return sorted(found)


@pytest.mark.parametrize("words", ["승인", "채용", "승 인", "인", "hire", "HIRING fair", "50%",
                                   "a_b", "%", "_", "승인 요청", "Alpha", "승인서", "없는말", "ΔΟΣ"])
def test_search_finds_what_a_plain_scan_finds(browser, world, searchable, words):
    for email, desk_notes, firm in (("desk@test.example", True, None),
                                    ("ceo@alpha.test", False, world.firm_a.id)):
        html = browser(email).get("/cases/", query_string={"status": "", "q": words}
                                  ).get_data(as_text=True)
        assert sorted(REF.findall(html)) == _scan(desk_notes, firm, searchable, words), email


def _found(client, words: str) -> list[str]:
    return REF.findall(client.get("/cases/", query_string={"status": "", "q": words}
                                  ).get_data(as_text=True))


def test_the_search_follows_every_change_of_a_text(browser, world, searchable, monkeypatch):
    """The bigrams (and on SQLite the FTS5 index their triggers keep) follow the edits of a
    title and of a comment: the new words are found, the old ones are not."""
    monkeypatch.setattr(lists, "SCAN_WINDOW", 1)  # the index finds them, not a scan
    desk = browser("desk@test.example")
    case, commented = searchable[0], searchable[2]
    assert _found(desk, "요청") == [case.reference] and _found(desk, "공고") == [commented.reference]
    case.title = "새 제목 고용"
    commented.comments[0].body = "채용 안내를 올렸습니다"
    db.session.commit()
    assert "고용" in db.session.scalar(select(Case.search_grams).where(Case.id == case.id))
    assert _found(desk, "고용") == [case.reference] and _found(desk, "안내") == [commented.reference]
    assert _found(desk, "요청") == [] and _found(desk, "공고") == []
    if db.engine.dialect.name == "sqlite":
        for table in ("cases_grams", "comments_grams"):  # raises if out of step with the rows
            db.session.execute(text(
                f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)"))


def test_a_whole_reference_goes_to_the_index_at_once(browser, world, searchable):
    """A whole reference is rare: no window of rows is read in order first, and the result is
    still the plain scan's (the case itself, and a text that quotes its reference)."""
    first, quoting = searchable[0], searchable[5]
    cases.add_comment(world.desk, quoting, f"{first.reference} 건과 같은 내용", now=NOW)
    db.session.commit()
    desk, sent = browser("desk@test.example"), []

    def record(_conn, _cursor, statement, _parameters, _context, _many):
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        found = _found(desk, first.reference.lower())
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert sorted(found) == sorted([first.reference, quoting.reference])
    # The window's end is asked for as the sort's columns alone (lists.page).
    window = [s for s in sent if s.startswith("SELECT cases.due_at, cases.id \nFROM cases")]
    assert not window, "no window of rows scanned first"
    assert _found(desk, f"{first.reference} 없는말") == []
    assert "요청 2건" in desk.get("/cases/", query_string={"status": "", "q": first.reference}
                                ).get_data(as_text=True)
    desk.post("/language", {"locale": "en"})
    one = desk.get("/cases/", query_string={"status": "", "q": quoting.reference})
    assert "1 request<" in one.get_data(as_text=True), "one, not 1 requests"


def test_a_search_goes_by_the_bigram_index(browser, app, world, searchable, monkeypatch):
    """Each word's candidates come from the index of bigrams (PostgreSQL's GIN, SQLite's
    FTS5) once the rows tested in order do not fill the page, not from reading every case."""
    monkeypatch.setattr(lists, "SCAN_WINDOW", 1)
    sent = []

    def record(_conn, _cursor, statement, parameters, _context, _many):
        sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert _found(browser("desk@test.example"), "승인") != []
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    if db.engine.dialect.name == "postgresql":
        assert any("to_tsvector('simple', cases.search_grams) @@" in s for s, _ in sent)
        return
    searches = [(s, p) for s, p in sent if "cases_grams MATCH" in s]
    assert searches, "the search asked the FTS5 index"
    for statement, parameters in searches:
        plan = " | ".join(row[-1] for row in db.session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + statement, tuple(parameters)))
        assert "cases_grams VIRTUAL TABLE INDEX" in plan, plan


@pytest.mark.parametrize("window", [1, 2, 3, 5000])
@pytest.mark.parametrize("words", ["승인", "인", "Alpha", "채용", "ΔΟΣ"])
def test_a_search_walked_page_by_page_is_the_plain_scan_in_order(browser, world, app, searchable,
                                                                 monkeypatch, window, words):
    """However a page is found (the next rows tested one by one, or the bigram indexes' set
    when those do not fill it), following Next gives every match once, in order."""
    monkeypatch.setattr(lists, "SCAN_WINDOW", window)
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    walked = _walk(browser("desk@test.example"), f"/cases/?status=&sort=age&q={words}")
    found = set(_scan(True, None, searchable, words))
    assert walked == [c.reference for c in sorted(searchable, key=lambda c: (c.submitted_at, c.id))
                      if c.reference in found]
