"""Run the web server, one Celery worker, Celery beat and the inbound mail listener as real
processes.

Ctrl-C (or any of them exiting) stops them all. Used by `make run`.
"""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from workers.celery_app import WORKER_ARGS  # noqa: E402

BIN = Path(sys.executable).parent
INSTANCE = Path(os.environ.get("ONESTOP_INSTANCE", Path.cwd() / "instance"))
CELERY = [str(BIN / "celery"), "-A", "workers.celery_app:celery_app"]
FLASK = [str(BIN / "flask"), "--app", "onestop"]
COMMANDS = {
    "web": [*FLASK, "run", "--host", "127.0.0.1", "--port", os.environ.get("PORT", "5000")],
    "worker": [*CELERY, *WORKER_ARGS, "--loglevel", "INFO"],  # concurrency: the setting
    "beat": [*CELERY, "beat", "--loglevel", "INFO",
             "--schedule", str(INSTANCE / "celerybeat-schedule")],
    # Replies to notification emails: point an MTA (or smtplib) at it.
    "inbound": [*FLASK, "mail", "inbound", "--host", "127.0.0.1", "--port",
                os.environ.get("INBOUND_PORT", "2525")],
}


def main() -> int:
    INSTANCE.mkdir(parents=True, exist_ok=True)
    processes = {name: subprocess.Popen(command, start_new_session=True)
                 for name, command in COMMANDS.items()}
    stopping = False

    def stop(*_args) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping:
            if any(p.poll() is not None for p in processes.values()):
                ended = [n for n, p in processes.items() if p.poll() is not None]
                print(f"{', '.join(ended)} stopped; stopping the rest", file=sys.stderr)
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
