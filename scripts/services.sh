#!/usr/bin/env bash
# Make sure the local PostgreSQL and Redis the tests talk to are there and up: install them
# (Debian/Ubuntu) when missing, start them when down, create the test database when absent.
# Fails (never skips) when one cannot be had.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/apt.sh

wait_for() {  # name, check command...
  local name=$1; shift
  for _ in $(seq 1 30); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  echo "error: $name is not reachable" >&2
  return 1
}

pg_up() { command -v pg_isready >/dev/null 2>&1 && pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; }
if ! pg_up && [ ! -d /etc/postgresql ]; then
  apt_install "the tests' PostgreSQL" postgresql
  # A server installed here for the tests: let them in as postgres over loopback, no password.
  for hba in /etc/postgresql/*/main/pg_hba.conf; do
    as_root sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"
    # apt may have started the cluster already: it reads the rule only when reloaded.
    as_root pg_ctlcluster "$(basename "$(dirname "$(dirname "$hba")")")" main reload 2>/dev/null || true
  done
fi
if ! pg_up; then
  version=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -1)
  if [ -z "$version" ]; then
    echo "error: PostgreSQL does not answer on 127.0.0.1:5432 and no Debian cluster is" \
         "installed here to start; start yours, or set TEST_DATABASE_URL" >&2
    exit 1
  fi
  echo "starting PostgreSQL $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
fi
wait_for PostgreSQL pg_isready -h 127.0.0.1 -p 5432
if [ -z "${TEST_DATABASE_URL:-}" ]; then  # the default: database `test` on 127.0.0.1
  if ! psql -h 127.0.0.1 -U postgres -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1; then
    echo "creating the database test"
    psql -h 127.0.0.1 -U postgres -d postgres -qc 'CREATE DATABASE test'
  fi
fi

redis_up() { command -v redis-cli >/dev/null 2>&1 && redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; }
if ! redis_up && ! command -v redis-server >/dev/null 2>&1; then
  apt_install "the workers' tests" redis-server
fi
if ! redis_up; then
  echo "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || true
fi
wait_for Redis redis-cli -h 127.0.0.1 -p 6379 ping
