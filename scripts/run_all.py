"""Run the web server, one Celery worker, Celery beat and the inbound mail listener as real
processes, and print where to open it and whom to sign in as.

Ctrl-C (or any of them exiting) stops them all. Used by `make run` (with --prepare: migrate
and load the demo data first). A second run on the same instance, or on a port in use, says
so and exits with 1.
"""
import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from onestop.demo.seed import ACCOUNTS, DEMO_PASSWORD  # noqa: E402
from workers.celery_app import WORKER_ARGS  # noqa: E402

BIN = Path(sys.executable).parent
INSTANCE = Path(os.environ.get("ONESTOP_INSTANCE", Path.cwd() / "instance"))
CELERY = [str(BIN / "celery"), "-A", "workers.celery_app:celery_app"]
FLASK = [str(BIN / "flask"), "--app", "onestop"]
PORT = int(os.environ.get("PORT", "5000"))
INBOUND_PORT = int(os.environ.get("INBOUND_PORT", "2525"))
COMMANDS = {
    "web": [*FLASK, "run", "--host", "127.0.0.1", "--port", str(PORT)],
    "worker": [*CELERY, *WORKER_ARGS, "--loglevel", "INFO"],  # concurrency: the setting
    "beat": [*CELERY, "beat", "--loglevel", "INFO",
             "--schedule", str(INSTANCE / "celerybeat-schedule")],
    # Replies to notification emails: point an MTA (or smtplib) at it.
    "inbound": [*FLASK, "mail", "inbound", "--host", "127.0.0.1", "--port", str(INBOUND_PORT)],
}


def _in_use(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _refusal(lock) -> str | None:
    """Why this run cannot start, or None."""
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return (f"OneStop is already running from {INSTANCE}: open it in your browser, or "
                "stop it (Ctrl-C where it runs) before starting it again.")
    busy = [f"{name} {port}" for name, port in (("PORT", PORT), ("INBOUND_PORT", INBOUND_PORT))
            if _in_use(port)]
    if busy:
        return (f"Another program uses {', '.join(busy)}: choose free ports, for example "
                f"`PORT={PORT + 1} INBOUND_PORT={INBOUND_PORT + 1} make run`.")
    return None


def _announce(web: subprocess.Popen, stopping) -> None:
    """Once the web answers: where it is and the demo accounts."""
    url = f"http://127.0.0.1:{PORT}"
    deadline = time.monotonic() + 60
    while web.poll() is None and not stopping() and time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/login", timeout=2)
            break
        except OSError:
            time.sleep(0.3)
    else:
        return
    width = max(len(email) for email, *_ in ACCOUNTS)
    print(f"\nOneStop is running at {url}  (Ctrl-C stops it)\n"
          f"Demo accounts, password {DEMO_PASSWORD}:", flush=True)
    for email, name, role, _where in ACCOUNTS:
        print(f"  {email:<{width}}  {role.value:<12} {name}", flush=True)


def main(argv: list[str]) -> int:
    INSTANCE.mkdir(parents=True, exist_ok=True)
    lock = open(INSTANCE / "run.lock", "w")  # held until this process ends
    refusal = _refusal(lock)
    if refusal:
        print(refusal, file=sys.stderr)
        return 1
    if "--prepare" in argv:
        for step in (["db", "upgrade"], ["demo", "seed"]):
            if subprocess.run([*FLASK, *step]).returncode:
                return 1
    processes = {name: subprocess.Popen(command, start_new_session=True)
                 for name, command in COMMANDS.items()}
    stopping = False

    def stop(*_args) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    crashed = False
    try:
        _announce(processes["web"], lambda: stopping)
        while not stopping:
            if any(p.poll() is not None for p in processes.values()):
                ended = [n for n, p in processes.items() if p.poll() is not None]
                print(f"{', '.join(ended)} stopped; stopping the rest", file=sys.stderr)
                crashed = True
                break
            time.sleep(0.5)
    finally:
        for process in processes.values():
            if process.poll() is None:
                # The main process only: a Celery worker stops its own pool (warm shutdown).
                process.terminate()
        deadline = time.monotonic() + 15
        for process in processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
