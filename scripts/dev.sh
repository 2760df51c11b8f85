#!/usr/bin/env bash
# Start touchpoints locally with demo data (README, command 1):
#
#     scripts/dev.sh [extra `touchpoints serve` args...]
#
# Says what it is doing at each step: installs libpq-dev if missing (as root), finds or starts
# a PostgreSQL server (scripts/ensure-postgres.sh), builds the service, starts it (it creates
# its database, migrates and loads the demo registers), and only once GET /ready answers
# prints the address, Swagger UI and development tokens for every demo agency's roles.
# Ctrl-C stops the service. Honours DATABASE_URL, TOUCHPOINTS_BIND, TOUCHPOINTS_JWT_SECRET,
# RUST_LOG.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

BIND="${TOUCHPOINTS_BIND:-127.0.0.1:8080}"
BASE="http://$BIND"

say "1/4 checking build prerequisites (libpq-dev)"
ensure_libpq_dev

say "2/4 finding or starting PostgreSQL"
pg_env="$(bash "$ROOT/scripts/ensure-postgres.sh")" || {
  say "no PostgreSQL server available (see messages above)"
  exit 1
}
eval "$pg_env"
say "    DATABASE_URL=$DATABASE_URL"

say "3/4 building the service (the first build takes a few minutes)"
cargo build --bin touchpoints
BIN="$ROOT/target/debug/touchpoints"

# A development secret, so the workflow can be tried at once; set your own in production.
export TOUCHPOINTS_JWT_SECRET="${TOUCHPOINTS_JWT_SECRET:-touchpoints-dev-secret-change-me}"
export TOUCHPOINTS_BIND="$BIND"

say "4/4 starting: creating the database if missing, migrating, loading the demo registers"
"$BIN" serve --demo "$@" &
SERVER=$!
stop() { kill -TERM "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; }
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM

# The address is announced only when the service answers /ready.
ready=""
for _ in $(seq 1 600); do
  if ! kill -0 "$SERVER" 2>/dev/null; then
    wait "$SERVER" && rc=0 || rc=$?
    say "the service stopped before it was ready (exit $rc); its messages are above"
    exit 1
  fi
  if curl -fs -o /dev/null "$BASE/ready" 2>/dev/null; then ready=1; break; fi
  sleep 0.2
done
if [[ -z "$ready" ]]; then
  say "the service did not answer $BASE/ready within 2 minutes; its messages are above"
  stop
  exit 1
fi

tokens="$("$BIN" demo-tokens --hours 24)"
cat >&2 <<EOF

touchpoints is ready at $BASE/
  Swagger UI:  $BASE/swagger-ui/   (press Authorize and paste a token below)
  spec:        $BASE/api-docs/openapi.json
  registers:   $BASE/api/v1/public/agencies   (no token)

Development tokens (24 h):
$tokens

More tokens:  TOUCHPOINTS_JWT_SECRET=$TOUCHPOINTS_JWT_SECRET target/debug/touchpoints token \\
                --sub ivanova --name "Иванова А. П." --role submitter --agency <agency id> [--unit <unit id>]
Ctrl-C stops the service.
EOF
wait "$SERVER"
