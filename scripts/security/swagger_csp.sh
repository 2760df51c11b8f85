#!/usr/bin/env bash
# Swagger UI works under the Content-Security-Policy the service sends: starts the service on a
# free loopback port, opens /swagger-ui/ in headless Chromium (Debian's package), and checks
# that the page rendered the API's operations and that Chromium reported no CSP violation.
# Also renders the printable HTML register of the demo data and checks its inline style is
# allowed (no violation). Writes screenshots to target/security/.
#
#     bash scripts/security/swagger_csp.sh [path/to/touchpoints binary]
#
# Needs a PostgreSQL server (found or started by scripts/ensure-postgres.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
BIN="${1:-$ROOT/target/debug/touchpoints}"
ensure_debian_packages "command -v chromium" chromium "command -v curl" curl
eval "$(bash scripts/ensure-postgres.sh)"

OUT="$ROOT/target/security"
mkdir -p "$OUT"
DB="touchpoints_csp_$$"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
base="${DATABASE_URL%/*}"
export DATABASE_URL="$base/$DB" TOUCHPOINTS_BIND="127.0.0.1:$PORT" TOUCHPOINTS_JWT_SECRET="csp-check-secret-0123456789"
"$BIN" demo >"$OUT/demo.log" 2>&1
"$BIN" serve >"$OUT/server.log" 2>&1 &
SERVER=$!
cleanup() {
  kill "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
  psql "$base/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1 && break
  sleep 0.1
done

fail=0
# chromium PAGE NAME: the DOM after scripts ran, and Chromium's console log
browse() {
  local url="$1" name="$2"
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$(mktemp -d)" --enable-logging=stderr --v=0 \
    --virtual-time-budget=15000 --window-size=1280,900 \
    --screenshot="$OUT/$name.png" "$url" 2>"$OUT/$name.console" >/dev/null || true
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$(mktemp -d)" --enable-logging=stderr --v=0 \
    --virtual-time-budget=15000 --dump-dom "$url" 2>>"$OUT/$name.console" >"$OUT/$name.html" || true
}
check() {
  local what="$1" ok="$2"
  if [[ "$ok" == 1 ]]; then echo "PASS $what"; else echo "FAIL $what"; fail=1; fi
}

curl -fsS -D "$OUT/swagger.headers" -o /dev/null "http://127.0.0.1:$PORT/swagger-ui/"
check "Swagger UI is served with a Content-Security-Policy" "$(grep -qi '^content-security-policy:' "$OUT/swagger.headers" && echo 1 || echo 0)"
browse "http://127.0.0.1:$PORT/swagger-ui/" swagger
ops="$(grep -o 'opblock-summary-path' "$OUT/swagger.html" | wc -l)"
check "Swagger UI rendered the operations ($ops shown)" "$([[ "$ops" -ge 50 ]] && echo 1 || echo 0)"
check "no CSP violation reported for Swagger UI" "$(grep -qi 'content security policy' "$OUT/swagger.console" && echo 0 || echo 1)"

agency="$(curl -fsS "http://127.0.0.1:$PORT/api/v1/public/agencies" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')"
browse "http://127.0.0.1:$PORT/api/v1/public/agencies/$agency/register?format=html" register
check "the HTML register rendered its table" "$(grep -q '<table' "$OUT/register.html" && echo 1 || echo 0)"
check "no CSP violation reported for the HTML register (its style is allowed by hash)" "$(grep -qi 'content security policy' "$OUT/register.console" && echo 0 || echo 1)"

if [[ "$fail" -ne 0 ]]; then
  echo "console logs and screenshots: $OUT" >&2
  grep -i 'content security policy' "$OUT"/*.console >&2 || true
  exit 1
fi
echo "screenshots: $OUT/swagger.png $OUT/register.png"
