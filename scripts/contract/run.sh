#!/usr/bin/env bash
# Contract checks of the service against its OpenAPI spec (see README.md beside this file):
#
#     bash scripts/contract/run.sh [path-to-touchpoints-binary]   # default target/debug/touchpoints
#
# Installs pinned tools (requirements.txt into target/contract-venv, package-lock.json into
# target/contract-node), starts the service on a free loopback port with a fresh database,
# then runs: the OpenAPI linter, Schemathesis, Python client + TypeScript type generation,
# scenario.py (the workflow through the generated client), jsonld_check.py (the JSON-LD
# expanded with pyld and checked against the schema.org vocabulary) and sync_scenario.py (a
# portal's incremental sync through the generated client). Every step prints PASS/FAIL; the
# last line is `N passed, M failed`; exit status 0 only when nothing failed. The server and
# its database are removed on exit, whatever happens.
#
# Environment (all optional):
#   DATABASE_URL               a server to create the throwaway database on (default: whatever
#                              scripts/ensure-postgres.sh finds or starts)
#   CONTRACT_MAX_EXAMPLES      Schemathesis examples per operation and phase (default 100)
#   CONTRACT_ROLE_MAX_EXAMPLES the same for the runs as submitter, approver, publisher (default 15)
#   CONTRACT_SEED              Schemathesis seed (default 20240601)
#   CONTRACT_SPEC              check another spec file than openapi/openapi.json (e.g. a candidate fix)
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$ROOT"

BIN="${1:-target/debug/touchpoints}"
[[ "$BIN" == /* ]] || BIN="$ROOT/$BIN"
OUT="$ROOT/target/contract"
VENV="$ROOT/target/contract-venv"
NODE_DIR="$ROOT/target/contract-node"
SPEC="${CONTRACT_SPEC:-$ROOT/openapi/openapi.json}"
export CONTRACT_SPEC="$SPEC" # st_hooks.py reads it too
MAX_EXAMPLES="${CONTRACT_MAX_EXAMPLES:-100}"
ROLE_MAX_EXAMPLES="${CONTRACT_ROLE_MAX_EXAMPLES:-15}"
SEED="${CONTRACT_SEED:-20240601}"
export PYTHONDONTWRITEBYTECODE=1 # keep scripts/contract free of __pycache__
export TOUCHPOINTS_JWT_SECRET="contract-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"

mkdir -p "$OUT"
LOG="$OUT/logs"
rm -rf "$LOG" && mkdir -p "$LOG"

say() { echo "contract: $*"; }

# ---------------------------------------------------------------- step bookkeeping
PASSED=0
FAILED=0
declare -A STATUS=()
SUMMARY=()

# run_step NAME FUNCTION: time it, print PASS/FAIL, remember the outcome.
run_step() {
  local name="$1" fn="$2" t0 t1 rc
  echo
  say "==> $name"
  t0=$(date +%s.%N)
  "$fn"
  rc=$?
  t1=$(date +%s.%N)
  local secs
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  if [[ $rc -eq 0 ]]; then
    PASSED=$((PASSED + 1))
    STATUS[$name]=pass
    SUMMARY+=("PASS  $name (${secs}s)")
    say "PASS $name (${secs}s)"
  else
    FAILED=$((FAILED + 1))
    STATUS[$name]=fail
    SUMMARY+=("FAIL  $name (${secs}s)")
    say "FAIL $name (${secs}s)"
  fi
}

# skip_step NAME WHY: a step that cannot run because one it needs failed counts as failed.
skip_step() {
  FAILED=$((FAILED + 1))
  STATUS[$1]=fail
  SUMMARY+=("FAIL  $1 (not run: $2)")
  echo
  say "FAIL $1 (not run: $2)"
}

ok() { [[ "${STATUS[$1]:-}" == pass ]]; }

# ---------------------------------------------------------------- cleanup
SERVER_PID=""
DB_NAME=""
ADMIN_URL=""
cleanup() {
  local rc=$?
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
  if [[ -n "$DB_NAME" && -n "$ADMIN_URL" ]]; then
    if command -v psql >/dev/null 2>&1; then
      psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS \"$DB_NAME\" WITH (FORCE)" >/dev/null 2>&1 ||
        say "warning: could not drop database $DB_NAME"
    else
      say "warning: psql not found; database $DB_NAME left on the server"
    fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- steps
install_python() {
  local py="${PYTHON:-python3}"
  if [[ ! -x "$VENV/bin/python" ]]; then
    "$py" -m venv "$VENV" || return 1
  fi
  # pip skips what is already at the pinned version, so a reused venv costs a second.
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$HERE/requirements.txt" || return 1
  "$VENV/bin/st" --version && "$VENV/bin/openapi-python-client" --version
}

install_node() {
  mkdir -p "$NODE_DIR"
  # npm ci wants package.json + lock side by side; install into target/, never into the repo.
  if ! cmp -s "$HERE/package-lock.json" "$NODE_DIR/package-lock.json" || [[ ! -d "$NODE_DIR/node_modules" ]]; then
    cp "$HERE/package.json" "$HERE/package-lock.json" "$NODE_DIR/" || return 1
    npm ci --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error || return 1
  fi
  "$NODE_DIR/node_modules/.bin/redocly" --version && "$NODE_DIR/node_modules/.bin/openapi-typescript" --version
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start_service() {
  [[ -x "$BIN" ]] || { say "no binary at $BIN (build it first: cargo build)"; return 1; }
  local base_url
  if [[ -n "${DATABASE_URL:-}" ]]; then
    base_url="$DATABASE_URL"
  else
    local pg_env
    pg_env="$(bash "$ROOT/scripts/ensure-postgres.sh")" || { say "no PostgreSQL server"; return 1; }
    eval "$pg_env"
    base_url="$DATABASE_URL"
  fi
  # postgres://user@host:port/db?q -> .../<new db>?q and .../postgres?q
  local query="" url="$base_url" authority
  if [[ "$url" == *\?* ]]; then query="?${url#*\?}"; url="${url%%\?*}"; fi
  authority="${url#*://}"
  authority="${authority%%/*}"
  DB_NAME="touchpoints_contract_$$_$(date +%s)"
  ADMIN_URL="postgres://$authority/postgres$query"
  local db_url="postgres://$authority/$DB_NAME$query"

  PORT="$(free_port)"
  BASE="http://127.0.0.1:$PORT"
  DATABASE_URL="$db_url" TOUCHPOINTS_BIND="127.0.0.1:$PORT" RUST_LOG="${RUST_LOG:-warn}" \
    "$BIN" serve --demo >"$LOG/server.log" 2>&1 &
  SERVER_PID=$!
  local i
  for i in $(seq 1 120); do # 60 s: migrations and the demo load take a few seconds
    if curl -sf -o /dev/null "$BASE/ready"; then break; fi
    kill -0 "$SERVER_PID" 2>/dev/null || { say "the service exited:"; tail -20 "$LOG/server.log"; return 1; }
    sleep 0.5
  done
  curl -sf -o /dev/null "$BASE/ready" || { say "not ready after 60 s"; tail -20 "$LOG/server.log"; return 1; }
  say "service at $BASE, database $DB_NAME"

  ADMIN_TOKEN="$("$BIN" token --sub contract-admin --name "Contract admin" --role admin --hours 2)" || return 1
  export ADMIN_TOKEN
  # Known-good ids of the demo data for Schemathesis (fixture reads, raw HTTP on purpose).
  "$VENV/bin/python" "$HERE/fixtures.py" "$BASE" "$ADMIN_TOKEN" >"$OUT/fixtures.env" || return 1
  cat "$OUT/fixtures.env"
  # A token of each other role, for the fixture agency (the submitter: for its first unit).
  local agency unit
  # shellcheck disable=SC1091
  agency="$(source "$OUT/fixtures.env" && echo "$TP_AGENCY_ID")"
  # shellcheck disable=SC1091
  unit="$(source "$OUT/fixtures.env" && echo "$TP_UNIT_ID")"
  SUBMITTER_TOKEN="$("$BIN" token --sub contract-submitter --name "Contract submitter" --role submitter --agency "$agency" --unit "$unit" --hours 2)" || return 1
  APPROVER_TOKEN="$("$BIN" token --sub contract-approver --name "Contract approver" --role approver --agency "$agency" --hours 2)" || return 1
  PUBLISHER_TOKEN="$("$BIN" token --sub contract-publisher --name "Contract publisher" --role publisher --agency "$agency" --hours 2)" || return 1
  export SUBMITTER_TOKEN APPROVER_TOKEN PUBLISHER_TOKEN
}

lint_spec() {
  "$NODE_DIR/node_modules/.bin/redocly" lint "$SPEC" --config "$HERE/redocly.yaml" --format=stylish 2>&1 |
    grep -v -e '║' -e '╔' -e '╚' | tee "$LOG/lint.log"
  return "${PIPESTATUS[0]}"
}

# schemathesis_as ROLE TOKEN MAX_EXAMPLES: one Schemathesis run with that role's token;
# logs as $LOG/schemathesis[-ROLE].log, JUnit as $OUT/schemathesis[-ROLE]-junit.xml.
schemathesis_as() {
  local role="$1" token="$2" examples="$3" suffix=""
  [[ "$role" == admin ]] || suffix="-$role"
  set -a
  # shellcheck disable=SC1091
  source "$OUT/fixtures.env"
  set +a
  export SCHEMATHESIS_HOOKS="$HERE/st_hooks.py"
  export CONTRACT_DROPPED_LOG="$LOG/schemathesis$suffix-dropped.txt"
  : >"$CONTRACT_DROPPED_LOG"
  local rc log="$LOG/schemathesis$suffix.log" junit="$OUT/schemathesis$suffix-junit.xml"
  say "as $role, $examples examples per operation and phase"
  # From target/contract, so that nothing Schemathesis or Hypothesis writes lands in the work tree.
  (cd "$OUT" && "$VENV/bin/st" --config-file "$HERE/schemathesis.toml" run "$SPEC" \
    --url "$BASE" \
    -H "Authorization: Bearer $token" \
    --checks all \
    --mode all \
    --max-examples "$examples" \
    --seed "$SEED" \
    --workers 1 \
    --no-color \
    --report junit --report-junit-path "$junit") \
    >"$log" 2>&1
  rc=$?
  # Every failure with its curl reproduction, and the summary; the full log stays in target/.
  local report="$LOG/schemathesis$suffix-report.txt"
  sed -n '/^=* \(ERRORS\|FAILURES\) =*$/,$p' "$log" >"$report"
  [[ -s "$report" ]] || tail -30 "$log" >"$report"
  if [[ $(wc -l <"$report") -gt 450 ]]; then
    head -400 "$report"
    echo "[... see $log ...]"
    tail -40 "$report"
  else
    cat "$report"
  fi
  if [[ -s "$CONTRACT_DROPPED_LOG" ]]; then
    say "Schemathesis false positives dropped by st_hooks.py (see its docstring):"
    sed 's/^/  /' "$CONTRACT_DROPPED_LOG"
  fi
  say "log: $log, JUnit: $junit"
  return $rc
}

run_schemathesis() {
  schemathesis_as admin "$ADMIN_TOKEN" "$MAX_EXAMPLES"
}

# The other roles see mostly 403 on what is not theirs; what matters is that no role gets a
# 5xx, an undocumented status or a non-conforming body anywhere, and that what a role may do
# still conforms. Fewer examples: the admin run has already explored the inputs.
run_schemathesis_roles() {
  local rc=0
  schemathesis_as submitter "$SUBMITTER_TOKEN" "$ROLE_MAX_EXAMPLES" || rc=1
  schemathesis_as approver "$APPROVER_TOKEN" "$ROLE_MAX_EXAMPLES" || rc=1
  schemathesis_as publisher "$PUBLISHER_TOKEN" "$ROLE_MAX_EXAMPLES" || rc=1
  return $rc
}

# openapi-python-client exits 0 even when it drops an operation it cannot parse; a dropped
# operation is a failure here, except the file upload of POST /revisions/{id}/import: the
# generator has no support for raw XLSX/CSV request bodies (its own limitation, not the spec's).
gen_python() {
  local dir="$OUT/python-client" rc
  rm -rf "$dir" && mkdir -p "$dir"
  (cd "$dir" && PATH="$VENV/bin:$PATH" openapi-python-client generate --path "$SPEC" \
    --output-path "$dir/touchpoints_client" --meta none --overwrite) >"$LOG/python-client.log" 2>&1
  rc=$?
  cat "$LOG/python-client.log"
  [[ $rc -eq 0 && -f "$dir/touchpoints_client/client.py" ]] || return 1
  local dropped
  dropped="$(grep -E '^WARNING parsing ' "$LOG/python-client.log" | grep -v 'POST /api/v1/revisions/{id}/import ' || true)"
  if [[ -n "$dropped" ]]; then
    say "operations the generator dropped:"
    echo "$dropped"
    return 1
  fi
  "$VENV/bin/python" -c "import sys; sys.path.insert(0, '$dir'); import touchpoints_client.api.public, touchpoints_client.models"
}

gen_typescript() {
  "$NODE_DIR/node_modules/.bin/openapi-typescript" "$SPEC" -o "$OUT/typescript/touchpoints.d.ts" 2>&1 |
    tee "$LOG/typescript.log"
  [[ ${PIPESTATUS[0]} -eq 0 && -s "$OUT/typescript/touchpoints.d.ts" ]] || return 1
  # The generated file must itself type-check.
  "$NODE_DIR/node_modules/.bin/tsc" --noEmit --strict --skipLibCheck false "$OUT/typescript/touchpoints.d.ts"
}

scenario() {
  TOUCHPOINTS_URL="$BASE" TOUCHPOINTS_BIN="$BIN" PYTHONPATH="$OUT/python-client" \
    "$VENV/bin/python" "$HERE/scenario.py"
}

sync_scenario() {
  TOUCHPOINTS_URL="$BASE" TOUCHPOINTS_BIN="$BIN" PYTHONPATH="$OUT/python-client" \
    "$VENV/bin/python" "$HERE/sync_scenario.py"
}

jsonld_check() {
  (
    # shellcheck disable=SC1091
    source "$OUT/fixtures.env"
    "$VENV/bin/python" "$HERE/jsonld_check.py" "$BASE" "$ADMIN_TOKEN" "$TP_AGENCY_ID" "$TP_REGION"
  )
}

# ---------------------------------------------------------------- main
T_START=$(date +%s)
run_step "install Python tools (requirements.txt)" install_python
run_step "install npm tools (package-lock.json)" install_node
if ok "install Python tools (requirements.txt)"; then
  run_step "start the service (fresh database, demo data)" start_service
else
  skip_step "start the service (fresh database, demo data)" "no Python tools"
fi
if ok "install npm tools (package-lock.json)"; then
  run_step "a. lint the OpenAPI spec (redocly)" lint_spec
else
  skip_step "a. lint the OpenAPI spec (redocly)" "no npm tools"
fi
if ok "start the service (fresh database, demo data)"; then
  run_step "b. Schemathesis (all checks, positive+negative)" run_schemathesis
  run_step "b2. Schemathesis as submitter, approver and publisher" run_schemathesis_roles
else
  skip_step "b. Schemathesis (all checks, positive+negative)" "service not started"
  skip_step "b2. Schemathesis as submitter, approver and publisher" "service not started"
fi
if ok "install Python tools (requirements.txt)"; then
  run_step "c1. generate the Python client (openapi-python-client)" gen_python
else
  skip_step "c1. generate the Python client (openapi-python-client)" "no Python tools"
fi
if ok "install npm tools (package-lock.json)"; then
  run_step "c2. generate TypeScript types (openapi-typescript)" gen_typescript
else
  skip_step "c2. generate TypeScript types (openapi-typescript)" "no npm tools"
fi
client_and_service() {
  [[ -f "$OUT/python-client/touchpoints_client/client.py" ]] && ok "start the service (fresh database, demo data)"
}
if client_and_service; then
  run_step "d. scenario.py through the generated client" scenario
else
  skip_step "d. scenario.py through the generated client" "no generated client or no service"
fi
if ok "start the service (fresh database, demo data)"; then
  run_step "e. JSON-LD against the schema.org vocabulary (pyld)" jsonld_check
else
  skip_step "e. JSON-LD against the schema.org vocabulary (pyld)" "service not started"
fi
if client_and_service; then
  run_step "f. sync_scenario.py: a portal syncs two publications incrementally" sync_scenario
else
  skip_step "f. sync_scenario.py: a portal syncs two publications incrementally" "no generated client or no service"
fi

echo
say "summary ($(($(date +%s) - T_START)) s in all):"
printf '  %s\n' "${SUMMARY[@]}"
echo "$PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
