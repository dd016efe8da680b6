#!/usr/bin/env bash
# The whole test suite, on SQLite and on PostgreSQL. Called by `make test` and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/apt.sh
bash scripts/services.sh
# The browser tests drive Debian's chromium; Korean fonts make the screenshots readable.
# (grep without -q reads all of fc-list's output: under pipefail, -q's early exit can fail it.)
if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null; then
  apt_install "the browser tests" chromium fonts-noto-cjk
fi
export TEST_DATABASE_URL=${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}
.venv/bin/ruff check onestop workers tests scripts
exec .venv/bin/python -m pytest "$@"
