"""The delivery settings the README's bounds rest on: worker concurrency set by the project, a
time limit beyond the longest send started within a batch's time, and no lease too short to
be renewed in time."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from onestop import create_app
from onestop.mail import longest_send

ROOT = Path(__file__).resolve().parents[2]
CELERY_CONF = ("from workers.celery_app import celery_app; from workers.tasks import "
               "deliver_notifications as d; print(celery_app.conf.worker_concurrency, d.time_limit)")


def celery_conf(**env: str) -> tuple[int, float]:
    """The worker's concurrency and the delivery's time limit, imported as a worker would."""
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("CELERY_", "SMTP_", "NOTIFY_", "ONESTOP_"))}
    result = subprocess.run([sys.executable, "-c", CELERY_CONF], env={**clean, **env}, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    concurrency, limit = result.stdout.split()
    return int(concurrency), float(limit)


def test_worker_concurrency_and_time_limit_come_from_the_settings():
    concurrency, limit = celery_conf()
    assert concurrency == 2, "the default the README's duplicate bound promises"
    assert limit > 2 + longest_send(connect=30, command=300, reply=600) >= 600 + 30 * 2
    # A send may start until the batch's time is up, and then take its longest.
    assert celery_conf(CELERY_WORKER_CONCURRENCY="5", SMTP_REPLY_TIMEOUT="3",
                       SMTP_COMMAND_TIMEOUT="5", SMTP_CONNECT_TIMEOUT="2",
                       NOTIFY_BATCH_SECONDS="7") == (5, 60 + 7 + 4 + 50 + 3)


def test_a_lease_too_short_to_renew_in_time_is_refused(tmp_path):
    with pytest.raises(RuntimeError, match="NOTIFY_LEASE_SECONDS is 3; it must be at least 6"):
        create_app("test", NOTIFY_LEASE_SECONDS=3, UPLOAD_DIR=str(tmp_path))
    assert create_app("test", NOTIFY_LEASE_SECONDS=6, UPLOAD_DIR=str(tmp_path))
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NOTIFY_")}
    worker = subprocess.run([sys.executable, "-c", "import workers.celery_app"], cwd=ROOT,
                            env={**clean, "NOTIFY_LEASE_SECONDS": "3"}, capture_output=True,
                            text=True, timeout=60)
    assert worker.returncode != 0 and "NOTIFY_LEASE_SECONDS is 3" in worker.stderr
