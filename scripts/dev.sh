#!/usr/bin/env bash
# Start touchpoints locally with demo data (README, command 1):
#
#     scripts/dev.sh [extra `touchpoints serve` args...]
#
# Installs libpq-dev if missing (as root), makes sure a PostgreSQL server is
# running (scripts/ensure-postgres.sh), then runs
# `cargo run --bin touchpoints -- serve --demo`. The app creates its database
# and runs migrations itself. Honours DATABASE_URL, TOUCHPOINTS_BIND, RUST_LOG.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"


# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

ensure_libpq_dev

pg_env="$(bash "$ROOT/scripts/ensure-postgres.sh")" || {
  say "no PostgreSQL server available (see messages above)"
  exit 1
}
eval "$pg_env"
say "DATABASE_URL=$DATABASE_URL"
say "serving on http://${TOUCHPOINTS_BIND:-127.0.0.1:8080}"

exec cargo run --bin touchpoints -- serve --demo "$@"
