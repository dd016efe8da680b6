"""The pieces the delivery tests drive (besides the SMTP server of tests/mailsink.py): a private
redis-server, the deployment settings shared with worker/beat/CLI subprocesses, and the ledger read fresh."""
import os
import signal
import subprocess
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import redis
from sqlalchemy import delete, select

from onestop import create_app
from onestop.accounts.models import User
from onestop.cases import services as cases
from onestop.deadlines import SEOUL
from onestop.extensions import db
from onestop.jobs import enqueue_deliveries
from onestop.notifications import reminders
from onestop.notifications.models import Notification, ReminderRule, RuleKind
from tests.factories import World
from tests.mailsink import free_port
from workers.celery_app import WORKER_ARGS

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"

# Cases are filed, accepted and routed on a Tuesday morning; their 5-day tasks fall due on the
# next Tuesday at 10:00, so a sweep as if on Monday 10:00 finds them due in 1 business day.
BUILT_AT = datetime(2026, 11, 10, 10, 0, tzinfo=SEOUL)
SWEEP_AT = datetime(2026, 11, 16, 10, 0, tzinfo=SEOUL)


# Every wait below is for a condition, so a long limit costs nothing when things work; the
# limits are what an idle machine needs, times this factor, for CI on a loaded 2-core machine
# (runs at load 6-8 with a core kept busy missed the bare limits while losing nothing).
WAIT_SCALE = float(os.environ.get("TEST_WAIT_SCALE", "3"))


def wait_for(check, *, timeout: float, what: str, interval: float = 0.2, detail=None):
    """Poll `check` until it returns something truthy; fail with `what` after `timeout` s
    (times WAIT_SCALE)."""
    timeout *= WAIT_SCALE
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            extra = f"\n{detail()}" if detail else ""
            raise AssertionError(f"{what}: not within {timeout:g}s{extra}")
        time.sleep(interval)


# --- Redis -----------------------------------------------------------------------------------

def ping_redis(url: str) -> bool:
    try:
        return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


class RedisServer:
    """A private redis-server without persistence: killing it loses every message."""

    def __init__(self, log_path: Path):
        self.port = free_port()
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--daemonize", "no"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(lambda: ping_redis(self.url), timeout=10, what=f"redis-server on {self.port}")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


# --- The deployment under test ---------------------------------------------------------------

@dataclass
class Deployment:
    """The settings shared by the test process and the processes it starts."""

    database_url: str
    broker_url: str
    instance_dir: Path
    settings: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("NOTIFY_", "CELERY_", "SMTP_", "REMINDER_", "DATABASE_"))}
        env.update(DATABASE_URL=self.database_url, CELERY_BROKER_URL=self.broker_url,
                   ONESTOP_INSTANCE=str(self.instance_dir), ONESTOP_ENV="test",
                   PYTHONPATH=str(ROOT), PATH=f"{VENV_BIN}:{env.get('PATH', '')}",
                   **self.settings)
        return env

    def app(self):
        numbers = {k: float(v) if "." in v else int(v) for k, v in self.settings.items()
                   if k.startswith(("NOTIFY_", "REMINDER_"))}
        return create_app("test", SQLALCHEMY_DATABASE_URI=self.database_url,
                          CELERY_BROKER_URL=self.broker_url, INSTANCE_DIR=str(self.instance_dir),
                          UPLOAD_DIR=str(self.instance_dir / "uploads"),
                          OUTBOX_DIR=str(self.instance_dir / "outbox"),
                          SMTP_URL=self.settings.get("SMTP_URL", ""), **numbers)


def only_due_soon_rules() -> None:
    """Beat sweeps on the real clock, after the fixed sweep moment: an overdue rule would add
    reminders of its own (during Seoul working hours) and make the counts depend on the hour.
    Due-soon rules never fire for a task already past due, so beat only re-queues."""
    for rule in db.session.scalars(select(ReminderRule)):
        rule.is_active = rule.kind == RuleKind.TASK_DUE


def route_cases(count: int, partners: tuple[str, ...]) -> World:
    """`count` recruitment cases filed by two firms, each routed to `partners` at BUILT_AT."""
    world = World.build()
    orgs = [getattr(world, name) for name in partners]
    for n in range(count):
        firm_user = world.firm_a_user if n % 2 else world.firm_b_user
        case = cases.file_case(firm_user, world.hiring_type, title=f"Hiring round {n:04d}",
                               description="d", priority="normal", form_data={},
                               checked_items=[], files=[], now=BUILT_AT)
        cases.accept_case(world.desk, case, now=BUILT_AT, version=None)
        cases.route_case(world.desk, case, orgs, now=BUILT_AT, version=None)
    # These tests count reminders: the filing, accepting and routing messages are left out
    # (their broker messages find no row and end as not-claimed).
    db.session.execute(delete(Notification))
    db.session.commit()
    return world


# --- The ledger, read fresh from the database ------------------------------------------------

@dataclass(frozen=True)
class Row:
    id: int
    key: str
    status: str
    attempts: int
    unanswered_attempts: int
    last_error: str
    email: str

    @property
    def message_id(self) -> str:
        return f"<notification-{self.id}@onestop>"


def ledger() -> list[Row]:
    db.session.rollback()  # a new snapshot: the workers write from other processes
    result = db.session.execute(
        select(Notification.id, Notification.key, Notification.status, Notification.attempts,
               Notification.unanswered_attempts, Notification.last_error, User.email)
        .join(User, User.id == Notification.user_id).order_by(Notification.id))
    return [Row(*r) for r in result]


def statuses() -> Counter:
    return Counter(r.status for r in ledger())


def all_sent(expected: int) -> bool:
    rows = ledger()
    return len(rows) == expected and all(r.status == "sent" for r in rows)


SETTLE = 1.5  # seconds to wait after the last row is sent, for a late duplicate to show up
BEAT_SENT_SWEEP = "Sending due task reminder-sweep"


def sweep_and_enqueue(now=SWEEP_AT) -> list[int]:
    """Sweep as if at `now` in the test process and queue the new rows."""
    ids = reminders.sweep(now)
    db.session.commit()
    assert enqueue_deliveries(ids) == len(ids), "the broker took every delivery"
    return ids


def wait_all_sent(expected: int, timeout: float) -> None:
    wait_for(lambda: all_sent(expected), timeout=timeout, interval=0.3,
             what=f"all {expected} rows sent", detail=lambda: f"ledger: {statuses()}")


def duplicates(counts: Counter) -> dict[str, int]:
    return {message_id: n for message_id, n in counts.items() if n > 1}


def assert_each_row_received(rows, counts: Counter) -> None:
    """Every row reached the server, and nothing else did."""
    expected = {r.message_id for r in rows}
    missing = expected - set(counts)
    assert not missing, f"{len(missing)} rows marked sent were never received: {sorted(missing)[:5]}"
    assert set(counts) == expected, f"unknown messages: {sorted(set(counts) - expected)[:5]}"


# --- Processes -------------------------------------------------------------------------------

class Process:
    """A subprocess in its own session, logging to a file in the instance folder."""

    def __init__(self, name: str, argv: list[str], deployment: Deployment,
                 env: dict[str, str] | None = None):
        self.name = name
        self.log_path = deployment.instance_dir / f"{name}.log"
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen(argv, env={**deployment.env(), **(env or {})},
                                          cwd=deployment.instance_dir,
                                          stdout=log, stderr=subprocess.STDOUT,
                                          start_new_session=True)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the whole process group: the main process and its pool children."""
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.popen.wait(timeout=10)


class Processes:
    """Starts worker and beat processes; the fixture kills every one of them at the end."""

    def __init__(self):
        self.started: list[Process] = []

    def start(self, name: str, argv: list[str], deployment: Deployment,
              env: dict[str, str] | None = None) -> Process:
        process = Process(name, argv, deployment, env)
        self.started.append(process)
        return process

    def worker(self, deployment: Deployment, name: str = "w1", concurrency: int | None = None,
               ready_timeout: float = 30) -> Process:
        """A worker started as the README says; its concurrency comes from the setting
        (CELERY_WORKER_CONCURRENCY, the project's default of 2 unless given)."""
        env = {"CELERY_WORKER_CONCURRENCY": str(concurrency)} if concurrency else {}
        process = self.start(name, [str(VENV_BIN / "celery"), "-A", "workers.celery_app:celery_app",
                                    *WORKER_ARGS, "--loglevel", "INFO",
                                    "-n", f"{name}-{uuid.uuid4().hex[:6]}@%h"], deployment, env)
        wait_for(lambda: " ready." in process.log() or process.popen.poll() is not None,
                 timeout=ready_timeout, what=f"worker {name} ready", detail=process.log)
        assert process.popen.poll() is None, f"worker {name} exited:\n{process.log()}"
        expected = concurrency or int(deployment.settings.get("CELERY_WORKER_CONCURRENCY", 2))
        assert f"concurrency: {expected} (prefork)" in process.log(), \
            f"worker {name} does not run {expected} deliveries at once:\n{process.log()[:3000]}"
        return process

    def beat(self, deployment: Deployment, name: str = "beat") -> Process:
        state = deployment.instance_dir / name
        return self.start(name, [str(VENV_BIN / "celery"), "-A", "workers.celery_app:celery_app",
                                 "beat", "--loglevel", "INFO", "-s", f"{state}-schedule",
                                 "--pidfile", f"{state}.pid"], deployment)

    def inbound(self, deployment: Deployment, port: int, *, lmtp: bool = False,
                name: str = "inbound") -> Process:
        """The inbound mail listener, started as the README says."""
        process = self.start(name, [str(VENV_BIN / "flask"), "--app", "onestop", "mail",
                                         "inbound", "--port", str(port),
                                         *(["--lmtp"] if lmtp else [])], deployment)
        wait_for(lambda: "listener on" in process.log() or process.popen.poll() is not None,
                 timeout=30, what="inbound listener ready", detail=process.log)
        assert process.popen.poll() is None, f"the listener exited:\n{process.log()}"
        return process

    def stop_all(self) -> None:
        for process in self.started:
            process.kill()


def flask_cli(deployment: Deployment, *args: str, timeout: float = 60):
    """Run `flask --app onestop ARGS` in a subprocess with the deployment's environment."""
    return subprocess.run([str(VENV_BIN / "flask"), "--app", "onestop", *args],
                          env=deployment.env(), cwd=deployment.instance_dir, capture_output=True,
                          text=True, timeout=timeout * WAIT_SCALE)
