"""A real server process on a free loopback port with a fresh database, driven by Debian's
chromium through Playwright. Screenshots go to test-artifacts/screenshots/; a failing
test leaves its screenshot and HTML in test-artifacts/failures/."""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from email import policy as email_policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.databases import throwaway_postgres

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SHOTS = ARTIFACTS / "screenshots"
FAILURES = ARTIFACTS / "failures"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PASSWORD = "demo-pass-2026"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _flask(env, *args, check=True):
    return subprocess.run([sys.executable, "-m", "flask", "--app", "onestop", *args], env=env,
                          cwd=ROOT, capture_output=True, text=True, check=check)


@contextmanager
def _serve(instance: Path, database_url: str):
    """The app as `make run` starts it (web, worker, beat and the inbound mail listener, on
    the embedded broker) over database_url, migrated from empty, demo data loaded. Emails go
    to the outbox folder."""
    port, inbound_port = _free_port(), _free_port()
    env = {**os.environ, "ONESTOP_INSTANCE": str(instance), "ONESTOP_ENV": "development",
           "SECRET_KEY": "e2e-secret", "DATABASE_URL": database_url,
           "CELERY_BROKER_URL": f"sqla+sqlite:///{instance / 'broker.sqlite'}",
           "PUBLIC_URL": f"http://127.0.0.1:{port}", "SMTP_URL": "", "PORT": str(port),
           "INBOUND_PORT": str(inbound_port)}
    _flask(env, "db", "upgrade")
    _flask(env, "demo", "seed")
    log = open(instance / "server.log", "w")
    process = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "run_all.py")], env=env,
                               cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/login", timeout=2)
            socket.create_connection(("127.0.0.1", inbound_port), timeout=2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the app did not start: " + (instance / "server.log")
                                   .read_text()[-2000:]) from None
            time.sleep(0.2)
    try:
        yield {"base": base, "env": env, "flask": lambda *a: _flask(env, *a),
               "outbox": instance / "outbox", "inbound_port": inbound_port,
               "database_url": database_url, "log": instance / "server.log"}
    finally:
        process.send_signal(signal.SIGINT)  # run_all stops web, worker, beat and listener
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The app on its embedded default, SQLite, shared by the browser tests."""
    instance = tmp_path_factory.mktemp("e2e-instance")
    with _serve(instance, f"sqlite:///{instance / 'e2e.sqlite'}") as started:
        yield started


@pytest.fixture(scope="module")
def server_on_postgres(tmp_path_factory):
    """The app on a throwaway PostgreSQL database of its own, for a module whose tests
    change what the shared server's pages count, or that need PostgreSQL's behaviour."""
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.fail("TEST_DATABASE_URL is not set: `make test` points it at PostgreSQL")
    instance = tmp_path_factory.mktemp("e2e-postgres")
    with throwaway_postgres(os.environ["TEST_DATABASE_URL"], "onestop_e2e") as url, \
            _serve(instance, url) as started:
        yield started


class Outbox:
    """The instance's outbox folder, where the worker writes each email it sends."""

    def __init__(self, folder: Path):
        self.folder = folder

    def names(self) -> set[str]:
        return {p.name for p in self.folder.glob("*.eml")} if self.folder.exists() else set()

    def wait(self, *, to: str, containing: str | tuple[str, ...], besides: set[str] = frozenset(),
             timeout: float = 90):
        """The first new message (not in `besides`) to `to` whose text contains `containing`
        (each of them, given several), waiting for the worker to write it."""
        wanted = (containing,) if isinstance(containing, str) else containing
        deadline = time.monotonic() + timeout
        while True:
            for name in sorted(self.names() - besides):
                message = BytesParser(policy=email_policy.default).parsebytes(
                    (self.folder / name).read_bytes())
                body = message.get_body(preferencelist=("plain",))  # None while half-written
                if body and message["To"] == to and all(w in body.get_content() for w in wanted):
                    return message
            if time.monotonic() > deadline:
                raise AssertionError(f"no email to {to} with {containing!r} within {timeout}s")
            time.sleep(0.2)


@pytest.fixture(scope="session")
def outbox(server) -> Outbox:
    """Where the server's worker writes each email it sends."""
    return Outbox(server["outbox"])


@pytest.fixture(scope="session", autouse=True)
def fresh_failures():
    shutil.rmtree(FAILURES, ignore_errors=True)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


class Session:
    """One person's browser context, with a record of any request that left the machine."""

    def __init__(self, browser, server, request, *, viewport=None, name="page"):
        self.base = server["base"]
        self.context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900},
                                           locale="ko-KR")
        self.outside_requests: list[str] = []
        self.context.route(re.compile(r"^(?!http://127\.0\.0\.1).*"), self._refuse_outside)
        self.page: Page = self.context.new_page()
        self.page.set_default_timeout(10_000)
        self.request = request
        self.name = name

    def _refuse_outside(self, route):
        if not route.request.url.startswith(("data:", "blob:", "about:")):
            self.outside_requests.append(route.request.url)
        route.abort()

    def go(self, path: str) -> Page:
        self.page.goto(self.base + path)
        return self.page

    def login(self, email: str, password: str = PASSWORD, *, lang: str = "ko") -> Page:
        """Sign in and speak lang (the choice is kept on the account, so always set it)."""
        self.go("/login")
        self.page.get_by_label(re.compile("이메일|Email")).fill(email)
        self.page.get_by_label(re.compile("비밀번호|Password")).fill(password)
        self.page.locator("main button.primary").click()
        expect(self.page.locator("a.bell")).to_be_visible()
        if self.page.locator("html").get_attribute("lang") != lang:
            self.page.locator(f"button[name=locale][value={lang}]").click()
        expect(self.page.locator("html")).to_have_attribute("lang", lang)
        return self.page

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=SHOTS / f"{name}.png", full_page=True)

    def close(self) -> None:
        if getattr(self.request.node, "failed_call", False):
            FAILURES.mkdir(parents=True, exist_ok=True)
            stem = re.sub(r"[^\w.-]", "_", f"{self.request.node.name}-{self.name}")
            for page in self.context.pages:
                try:
                    page.screenshot(path=FAILURES / f"{stem}.png", full_page=True)
                    (FAILURES / f"{stem}.html").write_text(page.content())
                except Exception:  # noqa: BLE001 - keep what we can of a broken page
                    pass
        self.context.close()
        assert not self.outside_requests, f"assets from outside: {self.outside_requests}"


@pytest.fixture
def people(browser, server, request):
    """people('desk') opens another person's browser; all are closed (and checked) after."""
    opened = []

    def open_session(name="page", **kwargs) -> Session:
        session = Session(browser, server, request, name=name, **kwargs)
        opened.append(session)
        return session

    yield open_session
    for session in opened:
        session.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        item.failed_call = True
    return report
