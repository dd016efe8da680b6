"""The pages at city scale: seeds a throwaway PostgreSQL with N bulk cases, serves the app with
gunicorn (2 sync workers) beside a bare Flask page as the ceiling, signs in per role, and
loads each hot page with wrk: req/s at 16 connections (and its share of the ceiling's,
measured right before it), p50, p95 and p99 at one connection, SQL statements per request
and the database's share of the time (measured in-process), and case creation per second.

    .venv/bin/python bench/pages.py 100000 1000000 [--duration 10]
    .venv/bin/python bench/pages.py --database URL   (a database seeded before)
    .venv/bin/python bench/pages.py --database URL --only API   (those pages alone)

TEST_DATABASE_URL names the PostgreSQL server (the bench creates and drops its own database);
the emails filed cases queue go to BENCH_REDIS_URL (bench/broker.py).
"""
import argparse
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote
from urllib.request import Request, urlopen

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from broker import REDIS_URL, claim_redis, clear_own_keys  # noqa: E402
from sqlalchemy import create_engine, event, select, text  # noqa: E402

from tests.databases import throwaway_postgres  # noqa: E402

PY = ROOT / ".venv" / "bin"
DESK, PARTNER, FIRM = "desk@city.example", "staff@union.example", "ceo@carbonfiber.example"
PAGES = [
    ("case queue, open, by due date", DESK, "/cases/", 0.40),
    ("queue filtered by partner organization", DESK, "/cases/?organization={union}", 0.25),
    ("queue with a text search (승인)", DESK, "/cases/?status=&q=승인", 0.25),
    ("queue with a text search (채용)", DESK, "/cases/?status=&q=채용", 0.25),
    ("queue searched by reference", DESK, "/cases/?status=&q={reference}", 0.25),
    ("case page", DESK, "/cases/{case}", 0.25),
    ("desk home", DESK, "/", 0.25),
    ("partner task queue", PARTNER, "/tasks/", 0.25),
    ("firm's home", FIRM, "/", 0.25),
    # The JSON API's case list (with a token, not a session): the queue's query, no page.
    ("API: case list", DESK, "/api/v1/cases", 0.40),
    # No target: the lightest signed-in page (a heading and a short form), what the session,
    # the user, the layout and its menu cost before any list.
    ("the account page (the floor)", DESK, "/account", None),
]
UNLIMITED = "1000000/minute"
RESULT = re.compile(r"RESULT rps=([\d.]+) p50=([\d.]+) p95=([\d.]+) p99=([\d.]+) "
                    r"errors=(\d+) non2xx=(\d+)")


def load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def ensure_wrk() -> str:
    if not shutil.which("wrk"):
        subprocess.run(["bash", "-c", "source scripts/apt.sh && apt_install 'the page "
                        "benchmark' wrk"], cwd=ROOT, check=True)
    return shutil.which("wrk")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(app_spec: str, env: dict, cwd: Path):
    port = free_port()
    server = subprocess.Popen([str(PY / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
                               "--log-level", "warning", app_spec], env=env, cwd=cwd)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn {app_spec} did not start") from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(30)


def wrk(wrk_path: str, url: str, header: dict | None, connections: int, seconds: int):
    command = [wrk_path, f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s",
               "--timeout", "10s", "-s", str(ROOT / "bench" / "report.lua"), url]
    for name, value in (header or {}).items():
        command[1:1] = ["-H", f"{name}: {value}"]
    found = RESULT.search(subprocess.run(command, capture_output=True, text=True).stdout)
    rps, p50, p95, p99, errors, non2xx = found.groups()
    return float(rps), float(p50), float(p95), float(p99), int(errors) + int(non2xx)


def settle(url: str, header: dict) -> None:
    """Waits out the requests wrk left queued when it stopped, which the sync workers still
    answer: a request sent after them is answered after them, one per worker."""
    for _ in range(2):
        with urlopen(Request(url, headers=header), timeout=120) as response:
            response.read()


def in_process(url: str, key: str, folder: str):
    """The headers of each role (a session cookie for the pages, a token for the API), each
    page's URL, statements and database time per request, and case creation per second
    (through the service, and through the API)."""
    from onestop import create_app
    from onestop.accounts.access_tokens import create_token
    from onestop.accounts.models import User
    from onestop.cases import services as cases
    from onestop.cases.models import Case
    from onestop.catalog.models import RequestType
    from onestop.db import utcnow
    from onestop.extensions import db
    from onestop.orgs.models import Organization

    app = create_app("production", SQLALCHEMY_DATABASE_URI=url, SECRET_KEY=key,
                     UPLOAD_DIR=f"{folder}/uploads", OUTBOX_DIR=f"{folder}/outbox",
                     CELERY_BROKER_URL=REDIS_URL, API_RATE_LIMIT=UNLIMITED,
                     API_RATE_LIMIT_STORAGE=REDIS_URL)
    figures = {}
    with app.app_context():
        ids = {"union": db.session.scalar(select(Organization.id).where(
            Organization.name_en.like("%Labor Union%"))),
            "case": db.session.scalar(select(Case.id).order_by(Case.id.desc()).limit(1))}
        ids["reference"] = db.session.get(Case, ids["case"] // 2).reference
        cookies = {}
        for email in (DESK, PARTNER, FIRM):
            client = app.test_client()
            client.environ_base["wsgi.url_scheme"] = "https"  # the secure session cookie
            user = db.session.scalar(select(User).where(User.email == email))
            with client.session_transaction() as session:
                session["_user_id"] = user.get_id()
                session["signed_in_at"] = session["seen_at"] = session["auth_at"] = time.time()
            name = app.config["SESSION_COOKIE_NAME"]
            secret = create_token(user, "benchmark", "write", 1, now=utcnow())[1]
            db.session.commit()
            cookies[email] = (client, {"Cookie": f"{name}={client.get_cookie(name).value}"},
                              {"Authorization": f"Bearer {secret}"})
        spent = {"n": 0, "seconds": 0.0}

        def before(conn, cursor, statement, parameters, context, executemany):
            context._started = time.perf_counter()

        def after(conn, cursor, statement, parameters, context, executemany):
            spent["n"] += 1
            spent["seconds"] += time.perf_counter() - context._started

        event.listen(db.engine, "before_cursor_execute", before)
        event.listen(db.engine, "after_cursor_execute", after)
        for name, email, path, _share in PAGES:
            client, _cookie, token = cookies[email]
            path = quote(path.format(**ids), safe="/?=&")
            extra = {"headers": token} if path.startswith("/api/") else {}
            assert client.get(path, **extra).status_code == 200, path
            walls, dbs = [], []
            for _ in range(15):
                spent.update(n=0, seconds=0.0)
                started = time.perf_counter()
                client.get(path, **extra)
                walls.append(time.perf_counter() - started)
                dbs.append(spent["seconds"])
            figures[name] = (path, spent["n"], statistics.median(walls) * 1000,
                             statistics.median(dbs) / statistics.median(walls))
        event.remove(db.engine, "before_cursor_execute", before)
        event.remove(db.engine, "after_cursor_execute", after)
        firm_user = db.session.scalar(select(User).where(User.email == FIRM))
        request_type = next(t for t in db.session.scalars(select(RequestType))
                            if t.is_active and not any(f.get("required") for f in t.form_fields))
        def file(count: int) -> None:
            for n in range(count):
                cases.file_case(firm_user, request_type, title=f"벤치마크 요청 {n}",
                                description="공장 등록 승인 요청", priority="normal",
                                form_data={}, checked_items=[], files=[], now=utcnow())
                db.session.commit()

        file(5)  # the first one connects to the broker and compiles the emails' templates
        started, count = time.perf_counter(), 200
        file(count)
        figures["creation"] = count / (time.perf_counter() - started)
        firm_client, _cookie, firm_token = cookies[FIRM]
        body = {"request_type": request_type.id, "title": "API 벤치마크", "description": "d"}
        started = time.perf_counter()
        for _ in range(count):
            assert firm_client.post("/api/v1/cases", json=body,
                                    headers=firm_token).status_code == 201
        figures["api creation"] = count / (time.perf_counter() - started)
        db.session.remove()
        db.engine.dispose()
    return {email: (cookie, token) for email, (_client, cookie, token) in cookies.items()}, \
        figures


def run(size: int, server: str, seconds: int, wrk_path: str) -> None:
    with throwaway_postgres(server, "onestop_bench") as url:
        env = {**os.environ, "DATABASE_URL": url}
        flask = [str(PY / "flask"), "--app", "onestop"]
        subprocess.run([*flask, "db", "upgrade"], env=env, cwd=ROOT, check=True,
                       capture_output=True)
        started = time.monotonic()
        subprocess.run([*flask, "demo", "seed", "--cases", str(size)], env=env, cwd=ROOT,
                       check=True, capture_output=True)
        measure(url, seconds, wrk_path, f"seeded in {time.monotonic() - started:.0f} s")


def measure(url: str, seconds: int, wrk_path: str, how: str) -> None:
    """The figures of a seeded database (left as it is but for the cases filed to time
    case creation, whose emails are queued on the benchmarks' Redis, as in production)."""
    client = claim_redis()
    try:
        _measure(url, seconds, wrk_path, how)
    finally:
        clear_own_keys(client)


def _measure(url: str, seconds: int, wrk_path: str, how: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        key = secrets.token_urlsafe(48)
        # The API's rate limit is counted in Redis as in production, but set past wrk's pace.
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": key,
               "API_RATE_LIMIT": UNLIMITED, "API_RATE_LIMIT_STORAGE": REDIS_URL,
               "ONESTOP_ENV": "production", "ONESTOP_INSTANCE": folder,
               "CELERY_BROKER_URL": REDIS_URL}
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("VACUUM ANALYZE"))
            counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                      for t in ("cases", "agency_tasks", "events", "comments")}
        engine.dispose()
        print(f"\n## {counts['cases']:,} cases, {counts['agency_tasks']:,} tasks, "
              f"{counts['events']:,} events, {counts['comments']:,} comments ({how}; {load()})")
        os.environ["DATABASE_URL"] = url  # the production settings insist on it
        cookies, figures = in_process(url, key, folder)
        with served("onestop:create_app()", env, ROOT) as app_url, \
                served("ceiling:app", env, ROOT / "bench") as ceiling_url:
            for target in (app_url, ceiling_url):  # warm both workers
                wrk(wrk_path, target + "/", cookies[DESK][0], 2, 2)
            print("| page | req/s (16 conn.) | ceiling req/s | of ceiling | target | "
                  "p50 / p95 / p99 ms (1 conn.) | SQL | DB share | in-process ms | errors |")
            print("|---|---:|---:|---:|---:|---|---:|---:|---:|---:|")
            for name, email, _path, share in PAGES:
                path, statements, wall_ms, db_share = figures[name]
                cookie, token = cookies[email]
                header = token if path.startswith("/api/") else cookie
                # The ceiling of the same minute: the machine's pace drifts over a run.
                ceiling = wrk(wrk_path, ceiling_url + "/", None, 16, seconds)
                busy = wrk(wrk_path, app_url + path, header, 16, seconds)
                settle(app_url + path, header)
                alone = wrk(wrk_path, app_url + path, header, 1, seconds)
                target = f"{share:.0%}" if share else "—"
                print(f"| {name} | {busy[0]:.1f} | {ceiling[0]:,.0f} | "
                      f"{busy[0] / ceiling[0]:.1%} | {target} | "
                      f"{alone[1]:.0f} / {alone[2]:.0f} / {alone[3]:.0f} | {statements} | "
                      f"{db_share:.0%} | {wall_ms:.0f} | {busy[4] + alone[4]} |")
        print(f"case creation, sequential, in-process: {figures['creation']:.0f} cases/s "
              f"through the service, {figures['api creation']:.0f} through the API "
              f"({load()})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100_000])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--database", help="measure this seeded database instead (its URL)")
    parser.add_argument("--only", default="", help="measure only the pages whose name holds "
                                                   "this text (e.g. API)")
    args = parser.parse_args()
    PAGES[:] = [page for page in PAGES if args.only in page[0]]
    server = os.environ.get("TEST_DATABASE_URL",
                            "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    wrk_path = ensure_wrk()
    if args.database:
        measure(args.database, args.duration, wrk_path, "as it was")
        return
    for size in args.sizes:
        run(size, server, args.duration, wrk_path)


if __name__ == "__main__":
    main()
