"""`make run` as a person starts it: it says where to open the app and whom to sign in as, a
second start says the first is running and exits 1."""
import subprocess
import sys
import time

from tests.e2e.conftest import ROOT

RUN_ALL = [sys.executable, str(ROOT / "scripts" / "run_all.py")]


def test_the_start_prints_the_address_and_the_demo_accounts(server):
    deadline = time.monotonic() + 60
    while "Demo accounts" not in server["log"].read_text():
        assert time.monotonic() < deadline, "no banner in the server's output"
        time.sleep(0.2)
    log = server["log"].read_text()
    assert f"OneStop is running at {server['base']}" in log
    assert "password demo-pass-2026" in log
    for account in ("admin@city.example", "desk@city.example", "hr@carbonfiber.example"):
        assert account in log


def test_a_second_start_on_the_same_instance_says_so_and_exits_1(server):
    second = subprocess.run(RUN_ALL, env=server["env"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert second.returncode == 1
    assert "already running" in second.stderr


def test_a_start_on_a_port_in_use_names_the_port_and_exits_1(server, tmp_path):
    env = {**server["env"], "ONESTOP_INSTANCE": str(tmp_path)}
    other = subprocess.run(RUN_ALL, env=env, cwd=ROOT, capture_output=True, text=True,
                           timeout=60)
    assert other.returncode == 1
    assert f"PORT {server['base'].rsplit(':', 1)[1]}" in other.stderr
