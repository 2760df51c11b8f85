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

# A development secret, so the workflow can be tried at once; set your own in production.
export TOUCHPOINTS_JWT_SECRET="${TOUCHPOINTS_JWT_SECRET:-touchpoints-dev-secret-change-me}"
cargo build --bin touchpoints
admin_token="$(cargo run -q --bin touchpoints -- token --sub dev-admin --name "Администратор (dev)" --role admin --hours 24)"
say "Swagger UI: http://${TOUCHPOINTS_BIND:-127.0.0.1:8080}/swagger-ui/  (Authorize with the admin token below)"
say "admin token (24 h): $admin_token"
say "more tokens: TOUCHPOINTS_JWT_SECRET=$TOUCHPOINTS_JWT_SECRET cargo run -q -- token --sub ivanova --role submitter --agency <agency id>"

exec cargo run -q --bin touchpoints -- serve --demo "$@"
