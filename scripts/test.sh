#!/usr/bin/env bash
# The whole test suite, on SQLite and on PostgreSQL. Called by `make test` and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh
export TEST_DATABASE_URL=${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}
exec .venv/bin/python -m pytest "$@"
