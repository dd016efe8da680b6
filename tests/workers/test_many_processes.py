"""Running past one machine: two gunicorn web servers and two Celery workers on one PostgreSQL
database and one Redis, driven over HTTP by several clients at once, lose and double nothing."""
import queue
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookiejar import CookieJar

from bs4 import BeautifulSoup
from sqlalchemy import func, select

from onestop.accounts.models import Role, User
from onestop.cases.models import Case, Comment, Event
from onestop.extensions import db
from onestop.statuses import CaseStatus
from onestop.tasks.models import AgencyTask
from tests.factories import PASSWORD, World, make_user
from tests.mailsink import free_port
from tests.workers.harness import (
    SETTLE,
    VENV_BIN,
    assert_each_row_received,
    duplicates,
    ledger,
    statuses,
    wait_all_sent,
    wait_for,
)

REQUESTS_PER_CLIENT = 5
COMMENTS_PER_REQUEST = 2
HTTP_TIMEOUT = 60  # seconds for one answer, times nothing: a hung server fails the client


# --- A client speaking HTTP like a browser ---------------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 303 is the answer to check, not a page to follow


@dataclass
class Answer:
    status: int
    location: str
    html: str


class Client:
    """One person's cookies, sent to whichever server each request goes to (cookies ignore
    the port, so the session signed by one server is shown to the other). Every answer's
    status is kept; a 5xx is the test's failure."""

    def __init__(self, servers: list[str], name: str):
        self.servers = servers
        self.name = name
        self.turn = 0
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()),
                                                  _NoRedirect())
        self.answers: list[tuple[str, str, int]] = []

    def _send(self, method: str, path: str, data: list[tuple[str, str]] | None) -> Answer:
        base = self.servers[self.turn % len(self.servers)]
        self.turn += 1
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(base + path, data=body, method=method)
        try:
            with self.opener.open(request, timeout=HTTP_TIMEOUT) as response:
                answer = Answer(response.status, "", response.read().decode())
        except urllib.error.HTTPError as error:  # a 303 (not followed), a 4xx or a 5xx
            answer = Answer(error.code, error.headers.get("Location", ""),
                            error.read().decode(errors="replace"))
        self.answers.append((method, f"{base}{path}", answer.status))
        return answer

    def get(self, path: str) -> Answer:
        return self._send("GET", path, None)

    def submit(self, page: str, action_suffix: str, **values: str | list[str]) -> Answer:
        """Open `page` (on one server), fill the form posting to `…action_suffix` as a browser
        would (its CSRF token, one-time token, version and defaults), send it (to the other)."""
        shown = self.get(page)
        assert shown.status == 200, f"{self.name}: GET {page} answered {shown.status}"
        action, fields = form_fields(shown.html, page, action_suffix)
        for name, value in values.items():
            fields = [(k, v) for k, v in fields if k != name]
            fields += [(name, v) for v in (value if isinstance(value, list) else [value])]
        return self._send("POST", action, fields)

    def login(self, email: str) -> None:
        answer = self.submit("/login", "/login", email=email, password=PASSWORD)
        assert answer.status == 303, f"{email} not signed in: {answer.status} {answer.html[:300]}"


def form_fields(html: str, page: str, action_suffix: str) -> tuple[str, list[tuple[str, str]]]:
    """The action and the fields a browser would send for the form on `page` posting to an
    action URL ending in action_suffix (a form without an action posts to its page)."""
    forms = [(f.get("action") or page, f) for f in BeautifulSoup(html, "html.parser").find_all(
        "form", method=lambda m: m and m.lower() == "post")]
    chosen = [(a, f) for a, f in forms if a.split("?")[0].split("#")[0].endswith(action_suffix)]
    assert chosen, f"no form on {page} posting to …{action_suffix}"
    action, form = chosen[0]
    fields = []
    for element in form.find_all(["input", "textarea", "select"]):
        name = element.get("name")
        if not name or element.has_attr("disabled"):
            continue
        if element.name == "textarea":
            fields.append((name, element.get_text()))
        elif element.name == "select":
            chosen = element.find("option", selected=True) or element.find("option")
            if chosen is not None:
                fields.append((name, chosen.get("value", chosen.get_text())))
        else:
            kind = (element.get("type") or "text").lower()
            if kind in ("submit", "button", "file", "reset", "image"):
                continue
            if kind in ("checkbox", "radio") and not element.has_attr("checked"):
                continue
            fields.append((name, element.get("value", "on" if kind == "checkbox" else "")))
    return action, fields


# --- What the clients do ---------------------------------------------------------------------

@dataclass
class Outcome:
    """What the clients were told went through."""

    titles: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    accepted: list[int] = field(default_factory=list)
    routed: list[int] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, value) -> None:
        with self.lock:
            getattr(self, kind).append(value)


def case_id_of(answer: Answer) -> int:
    path = urllib.parse.urlsplit(answer.location).path
    return int(path.rstrip("/").rsplit("/", 1)[1])


def firm_member(client: Client, email: str, type_id: int, outcome: Outcome,
                for_desk: queue.Queue) -> None:
    """Sign in, file requests, comment on each; each filed case goes to the desk."""
    client.login(email)
    for n in range(REQUESTS_PER_CLIENT):
        title = f"{email} request {n}"
        filed = client.submit(f"/cases/new/{type_id}", f"/cases/new/{type_id}", title=title,
                              description=f"What {email} needs, #{n}", priority="normal")
        if filed.status != 303:
            outcome.add("refused", f"{email} filing {n}: {filed.status}")
            continue
        outcome.add("titles", title)
        case_id = case_id_of(filed)
        for_desk.put(case_id)
        for m in range(COMMENTS_PER_REQUEST):
            body = f"{email} on request {n}, comment {m}"
            said = client.submit(f"/cases/{case_id}", f"/cases/{case_id}/comments", body=body)
            if said.status == 303:
                outcome.add("comments", body)
            else:
                outcome.add("refused", f"{email} comment {n}/{m}: {said.status}")


def desk(client: Client, email: str, outcome: Outcome, for_desk: queue.Queue,
         filing_done: threading.Event) -> None:
    """Accept every filed case as it comes in, and route every other one to its default
    partners. A firm's comment landing between the page and the post changes the case's
    version (409): the desk opens the page again, as a person would."""
    client.login(email)
    seen = 0
    while not (filing_done.is_set() and for_desk.empty()):
        try:
            case_id = for_desk.get(timeout=0.5)
        except queue.Empty:
            continue
        page = f"/cases/{case_id}"
        for action, kind in (("accept", "accepted"), ("route", "routed")):
            if action == "route" and seen % 2:
                break
            for _try in range(10):
                answer = client.submit(page, f"{page}/{action}")
                if answer.status != 409:
                    break
            if answer.status != 303:
                outcome.add("refused", f"desk {action} case {case_id}: {answer.status}")
                break
            outcome.add(kind, case_id)
        seen += 1


# --- The processes ---------------------------------------------------------------------------

def gunicorn(procs, deployment, name: str) -> str:
    """`gunicorn -w 2 'onestop:create_app()'` as the README deploys it, on a free port."""
    port = free_port()
    process = procs.start(name, [str(VENV_BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
                                 "--access-logfile", "-", "onestop:create_app()"], deployment)
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        assert process.popen.poll() is None, f"{name} exited:\n{process.log()}"
        try:
            with urllib.request.urlopen(base + "/login", timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    wait_for(answers, timeout=30, what=f"{name} answering", detail=process.log)
    return base


def deliveries_received(worker) -> int:
    return sum(1 for line in worker.log().splitlines()
               if "Task onestop.deliver[" in line and line.endswith("received"))


def test_two_web_servers_and_two_workers_lose_and_double_nothing(shared_redis, deploy, smtp,
                                                                  procs):
    started = time.monotonic()
    mail = smtp()
    deployment = deploy(shared_redis, SMTP_URL=mail.url)
    world = World.build()
    firm_members = [world.firm_a_user.email, world.firm_a_user2.email, world.firm_b_user.email,
                    make_user("hr@beta.test", Role.FIRM, firm=world.firm_b).email]
    # Quiet hours would hold emails for the next working morning: the run is on the real clock.
    for user in db.session.scalars(select(User)):
        user.has_quiet_hours = False
    db.session.commit()
    type_id = world.hiring_type.id

    servers = [gunicorn(procs, deployment, "web1"), gunicorn(procs, deployment, "web2")]
    workers = [procs.worker(deployment, "w1"), procs.worker(deployment, "w2")]

    outcome, for_desk, filing_done = Outcome(), queue.Queue(), threading.Event()
    clients = [Client(servers[i % 2:] + servers[:i % 2], email)
               for i, email in enumerate(firm_members)]
    # Two desk members take the filed cases from one pile, each on both servers.
    desk_clients = [Client(servers, world.desk.email), Client(servers[::-1], world.admin.email)]
    with ThreadPoolExecutor(len(clients) + len(desk_clients)) as pool:
        desk_runs = [pool.submit(desk, c, c.name, outcome, for_desk, filing_done)
                     for c in desk_clients]
        firm_runs = [pool.submit(firm_member, c, c.name, type_id, outcome, for_desk)
                     for c in clients]
        for run in firm_runs:
            run.result()
        filing_done.set()
        for run in desk_runs:
            run.result()
    load_seconds = time.monotonic() - started

    answers = [a for c in [*clients, *desk_clients] for a in c.answers]
    failures = [a for a in answers if a[2] >= 500]
    assert not failures, f"{len(failures)} server errors, e.g. {failures[:5]}"
    assert not outcome.refused, f"refused: {outcome.refused}"
    assert {url.split("/", 3)[2] for _method, url, _status in answers} == \
        {s.split("/", 3)[2] for s in servers}, "both web servers answered"

    # Every success exists exactly once, and nothing else does.
    db.session.rollback()
    expected_cases = len(firm_members) * REQUESTS_PER_CLIENT
    assert len(outcome.titles) == expected_cases
    titles = Counter(db.session.scalars(select(Case.title)))
    assert titles == Counter(outcome.titles), "each filed request once"
    assert len(outcome.comments) == expected_cases * COMMENTS_PER_REQUEST
    bodies = Counter(db.session.scalars(select(Comment.body)))
    assert bodies == Counter(outcome.comments), "each comment once"
    assert len(outcome.accepted) == expected_cases
    accepts = Counter(db.session.scalars(select(Event.case_id).where(Event.action == "case.accept")))
    assert accepts == Counter(outcome.accepted), "each case accepted once"
    tasks = Counter(db.session.scalars(select(AgencyTask.case_id)))
    assert tasks == Counter({case_id: 2 for case_id in outcome.routed}), \
        "each routed case has one task per default partner"
    assert dict(db.session.execute(select(Case.status, func.count()).group_by(Case.status))
                .all()) == {CaseStatus.IN_PROGRESS: len(outcome.routed),
                            CaseStatus.TRIAGED: expected_cases - len(outcome.routed)}

    # Every ledger row written by the web servers is sent by one worker or the other, and the
    # mail server holds each message once.
    rows = ledger()
    assert len(rows) >= expected_cases * (1 + COMMENTS_PER_REQUEST), f"ledger: {statuses()}"
    wait_all_sent(len(rows), timeout=120)
    time.sleep(SETTLE)
    assert len(ledger()) == len(rows), "no rows written after the clients were answered"
    counts = mail.counts_by_message_id()
    assert_each_row_received(rows, counts)
    assert not duplicates(counts), f"received twice: {duplicates(counts)}"
    shares = [deliveries_received(w) for w in workers]
    assert all(shares), f"both workers delivered: {shares}"

    print(f"\n{len(answers)} HTTP requests over 2 web servers in {load_seconds:.1f}s "
          f"(from the start; {sum(a[2] == 409 for a in answers)} desk posts refused as changed "
          f"meanwhile and tried again); {len(rows)} emails, by worker {shares}; "
          f"{time.monotonic() - started:.1f}s in all")
