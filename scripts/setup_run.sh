#!/usr/bin/env bash
# What running OneStop needs, installed into the virtualenv at $1: Python 3.11 or newer (with
# Debian's venv module when missing), the project, and the Pango libraries WeasyPrint draws
# the council's PDF with.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/apt.sh
venv=$1
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "error: OneStop needs Python 3.11 or newer as python3 (found: $(python3 --version 2>&1))" >&2
  exit 1
fi
if ! python3 -m venv "$venv" 2>/dev/null; then
  rm -rf "$venv"
  apt_install "creating $venv" python3-venv
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q -e .
if ! "$venv/bin/python" -c "import weasyprint" 2>/dev/null; then
  apt_install "the council's PDF report" libpango-1.0-0 libpangoft2-1.0-0
fi
