#!/usr/bin/env bash
# Checks what a newcomer sees from scripts/dev.sh (README, command 1): every step is announced,
# the address is announced only once GET /ready answers 200 (checked the moment the line
# appears), development tokens are printed for the demo agencies' roles and work, and Ctrl-C
# stops the service. Runs on a scratch database and a free port on loopback.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

pg_env="$(bash scripts/ensure-postgres.sh)" && eval "$pg_env"
SCRATCH="touchpoints_devsh_check_$$"
ADMIN_URL="${DATABASE_URL%/*}/postgres"
PORT="$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')"
LOG="$(mktemp)"
cleanup() {
  [[ -n "${DEV:-}" ]] && kill -TERM "$DEV" 2>/dev/null || true
  wait "${DEV:-}" 2>/dev/null || true
  psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS \"$SCRATCH\" WITH (FORCE)" >/dev/null 2>&1 || true
  rm -f "$LOG"
}
trap cleanup EXIT

DATABASE_URL="${DATABASE_URL%/*}/$SCRATCH" TOUCHPOINTS_BIND="127.0.0.1:$PORT" RUST_LOG=warn \
  setsid bash scripts/dev.sh >"$LOG" 2>&1 &
DEV=$!
fail() { say "FAIL: $*"; echo "--- dev.sh said:" >&2; cat "$LOG" >&2; exit 1; }

for _ in $(seq 1 3000); do
  if grep -q "touchpoints is ready at" "$LOG"; then
    status="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/ready")"
    [[ "$status" == 200 ]] || fail "the address was announced while /ready answered $status"
    break
  fi
  kill -0 "$DEV" 2>/dev/null || fail "dev.sh exited before announcing the address"
  sleep 0.1
done
grep -q "touchpoints is ready at" "$LOG" || fail "no address announced within 5 minutes"
sleep 0.5 # the token block follows the address in the same write

before="$(sed -n '1,/touchpoints is ready at/p' "$LOG" | sed '$d')"
grep -q "http://127.0.0.1:$PORT" <<<"$before" && fail "the address appeared before readiness"
for step in "1/4" "2/4" "3/4" "4/4"; do
  grep -q "dev.sh: $step" <<<"$before" || fail "step $step was not announced"
done
for role in submitter approver publisher; do
  [[ "$(grep -c "^  $role " "$LOG")" -eq 2 ]] || fail "no $role token for each demo agency"
done
token="$(grep -m1 '^  approver ' "$LOG" | awk '{print $2}')"
agency="$(grep -m1 -B2 '^  approver ' "$LOG" | grep -o '([0-9a-f-]\{36\})' | tr -d '()')"
status="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" \
  "http://127.0.0.1:$PORT/api/v1/agencies/$agency/processes")"
[[ "$status" == 200 ]] || fail "a printed approver token got $status on its agency's processes"
grep -q -- '--name' "$LOG" || fail "the token hint omits --name"

# (a background job of a script ignores SIGINT, so the check sends SIGTERM, which dev.sh
# handles the same way: a terminal's Ctrl-C reaches dev.sh and the service alike)
kill -TERM "$DEV"
for _ in $(seq 1 100); do kill -0 "$DEV" 2>/dev/null || break; sleep 0.1; done
kill -0 "$DEV" 2>/dev/null && fail "SIGTERM did not stop dev.sh"
DEV=""
curl -s -o /dev/null "http://127.0.0.1:$PORT/health" && fail "the service still answers after dev.sh stopped"
say "ok: steps announced, address only after /ready, tokens work, stopping dev.sh stops the service"
