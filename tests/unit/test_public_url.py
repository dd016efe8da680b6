"""PUBLIC_URL, the address in emails and links, follows PORT (where `make run` serves) unless
it is set. Read once when the settings module loads, so each case is a fresh interpreter."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_public_url_follows_port_unless_set():
    def public_url(**env):
        return subprocess.run(
            [sys.executable, "-c", "from onestop.config import config_for;"
             "print(config_for(None).PUBLIC_URL)"], cwd=ROOT, capture_output=True, text=True,
            env={"PATH": "/usr/bin:/bin", **env}, check=True).stdout.strip()
    assert public_url(PORT="5123") == "http://127.0.0.1:5123"
    assert public_url() == "http://127.0.0.1:5000"
    assert public_url(PORT="5123", PUBLIC_URL="https://onestop.city.example") == \
        "https://onestop.city.example"
