#!/usr/bin/env bash
# Benchmark of the public read API (issue: "speed is a feature"):
#
#     scripts/bench.sh            # 1000 agencies × 50 processes × 4 touchpoints, 64 connections
#     AGENCIES=100 DURATION=5 scripts/bench.sh
#
# Builds the release binary, generates the data set once (database touchpoints_bench), starts the
# service on loopback with TOUCHPOINTS_BENCH_ROUTES=1, and measures with wrk, in one run: the
# current register of one agency, one archived version, a page of the consolidated region view,
# and beside each a static route of the SAME body size (the ceiling). Prints a Markdown table.
# Everything runs on this machine; wrk stops by itself after DURATION seconds per endpoint.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

AGENCIES="${AGENCIES:-1000}"
CONNECTIONS="${CONNECTIONS:-64}"
DURATION="${DURATION:-10}"
PORT="${BENCH_PORT:-18090}"
REGION="Нагрузочный регион"

ensure_libpq_dev
if ! command -v wrk >/dev/null 2>&1; then
  if [[ "$(id -u)" -eq 0 ]]; then
    apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wrk >&2
  else
    say "wrk is missing: sudo apt-get install wrk"; exit 1
  fi
fi
pg_env="$(bash "$ROOT/scripts/ensure-postgres.sh")" || { say "no PostgreSQL server"; exit 1; }
eval "$pg_env"
BENCH_DB_URL="${DATABASE_URL%/*}/touchpoints_bench"

cargo build --release --features bench --bin touchpoints >&2
BIN="$ROOT/target/release/touchpoints"
say "generating $AGENCIES agencies (once; skipped when present)"
DATABASE_URL="$BENCH_DB_URL" RUST_LOG=warn "$BIN" bench-data --agencies "$AGENCIES" --region "$REGION" >&2

# warn: a log line per request would be measured too, for both sides alike
DATABASE_URL="$BENCH_DB_URL" TOUCHPOINTS_BIND="127.0.0.1:$PORT" TOUCHPOINTS_BENCH_ROUTES=1 RUST_LOG=warn \
  TOUCHPOINTS_POOL_SIZE=8 "$BIN" serve > "$ROOT/target/bench-server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break; sleep 0.1; done

BASE="http://127.0.0.1:$PORT"
region_enc="$(python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1]))' "$REGION")"
agency="$(curl -fs "$BASE/api/v1/public/agencies?region=$region_enc&limit=1" | python3 -c 'import json,sys;print(json.load(sys.stdin)["items"][0]["id"])')"
current="$BASE/api/v1/public/agencies/$agency/register"
version="$BASE/api/v1/public/agencies/$agency/register/versions/1"
region="$BASE/api/v1/public/regions/$region_enc/register?limit=50"
size() { curl -fs "$1" | wc -c; }
# warm the caches (the first read of a version renders it once)
curl -fs "$current" >/dev/null; curl -fs "$version" >/dev/null; curl -fs "$region" >/dev/null

run() { # name url -> "name|bytes|rps|p50|p99"
  local name="$1" url="$2" out bytes
  bytes="$(size "$url")"
  out="$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$url")"
  python3 - "$name" "$bytes" <<PY
import re, sys
out = """$out"""
name, size = sys.argv[1], sys.argv[2]
rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
def pct(p):
    m = re.search(r"\s%s%%\s+([\d.]+)(us|ms|s)" % p, out)
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
print(f"{name}|{size}|{float(rps):.0f}|{pct(50):.2f}|{pct(99):.2f}|{errors.group(1) if errors else 0}")
PY
}

rows=()
for pair in "current register|$current" "archived version 1|$version" "region view, 50 rows|$region"; do
  name="${pair%%|*}"; url="${pair#*|}"
  rows+=("$(run "$name" "$url")")
  bytes="$(size "$url")"
  rows+=("$(run "  static, same size" "$BASE/bench/static/$bytes")")
done

echo
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); wrk -t2 -c$CONNECTIONS -d${DURATION}s on loopback; $AGENCIES agencies × 50 processes × 4 touchpoints; server: release build, default workers, RUST_LOG=warn"
echo
echo "| endpoint | body bytes | requests/s | p50 ms | p99 ms | non-2xx |"
echo "|---|---:|---:|---:|---:|---:|"
for r in "${rows[@]}"; do IFS='|' read -r a b c d e f <<<"$r"; echo "| $a | $b | $c | $d | $e | $f |"; done
python3 - "${rows[@]}" <<'PY'
import sys
rows = [r.split("|") for r in sys.argv[1:]]
for i in range(0, len(rows), 2):
    ep, st = rows[i], rows[i + 1]
    print(f"{ep[0]}: {100 * float(ep[2]) / float(st[2]):.0f}% of the static route's requests/s")
PY
