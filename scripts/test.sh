#!/usr/bin/env bash
# Run the test suite (README, command 2):
#
#     scripts/test.sh [extra nextest / cargo test args...]
#
# Installs libpq-dev if missing (as root), makes sure a PostgreSQL server is
# running (scripts/ensure-postgres.sh) and points the integration tests at its
# `postgres` maintenance database via TOUCHPOINTS_TEST_DATABASE_URL (the tests
# create and drop one database per test there). If TOUCHPOINTS_TEST_DATABASE_URL
# is already set, it is used as is and no server is started.
# Uses cargo-nextest when installed, plain `cargo test` otherwise, and exits
# with the test runner's status.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

# postgres://user@host:port/db?query -> postgres://user@host:port/postgres?query
maintenance_url() {
  local url="$1" query="" scheme rest authority
  if [[ "$url" == *\?* ]]; then
    query="?${url#*\?}"
    url="${url%%\?*}"
  fi
  scheme="${url%%://*}"
  rest="${url#*://}"
  authority="${rest%%/*}"
  printf '%s://%s/postgres%s' "$scheme" "$authority" "$query"
}

ensure_libpq_dev

if [[ -n "${TOUCHPOINTS_TEST_DATABASE_URL:-}" ]]; then
  say "using TOUCHPOINTS_TEST_DATABASE_URL as given"
else
  pg_env="$(bash "$ROOT/scripts/ensure-postgres.sh")" || {
    say "no PostgreSQL server available (see messages above)"
    exit 1
  }
  eval "$pg_env"
  TOUCHPOINTS_TEST_DATABASE_URL="$(maintenance_url "$DATABASE_URL")"
  export TOUCHPOINTS_TEST_DATABASE_URL
fi
say "TOUCHPOINTS_TEST_DATABASE_URL=$TOUCHPOINTS_TEST_DATABASE_URL"

if cargo nextest --version >/dev/null 2>&1; then
  exec cargo nextest run --workspace --no-fail-fast "$@"
else
  say "cargo-nextest not installed; using cargo test"
  exec cargo test --workspace --no-fail-fast "$@"
fi
