"""Schemathesis against the live API of a served app on PostgreSQL with the demo data: for a
caseworker, a partner and a firm, every generated request (valid and not, following the
document's links from a list to a case to its moves) gets no 5xx and an answer that
conforms to the OpenAPI document (status, content type, headers, body)."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.databases import throwaway_postgres
from tests.e2e.conftest import _serve

CONFIG = Path(__file__).with_name("schemathesis.toml")
ROLES = {"caseworker": "desk@city.example", "partner": "staff@union.example",
         "firm": "ceo@carbonfiber.example"}


@pytest.fixture(scope="module")
def api_server(tmp_path_factory):
    """The app on a PostgreSQL database of its own, its rate limit out of Schemathesis's way
    (tests/web/test_api_rate_limit.py tests the limit)."""
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.fail("TEST_DATABASE_URL is not set: `make test` points it at PostgreSQL")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("API_RATE_LIMIT", "1000000/minute")
        with throwaway_postgres(os.environ["TEST_DATABASE_URL"], "onestop_api") as url, \
                _serve(tmp_path_factory.mktemp("api-instance"), url) as started:
            yield started


@pytest.mark.parametrize("role", ROLES)
def test_the_api_conforms_to_its_document_for(api_server, role):
    issued = api_server["flask"]("tokens", "create", ROLES[role], "--scope", "write")
    token = issued.stdout.strip().splitlines()[-1]
    run = subprocess.run(
        [str(Path(sys.executable).with_name("schemathesis")), "--config-file", str(CONFIG),
         "run", api_server["base"] + "/api/v1/openapi.json",
         "--header", f"Authorization: Bearer {token}", "--checks", "all",
         "--max-examples", "40", "--workers", "1", "--seed", "20261206",
         "--request-timeout", "30"],
        capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    # The links were followed (list → case → move), not only single requests.
    covered = re.search(r"API Links:\s+(\d+) covered", run.stdout)
    assert covered and int(covered.group(1)) >= 2, run.stdout[-3000:]
