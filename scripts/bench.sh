#!/usr/bin/env bash
# The cost curve, measured: one Markdown table of what the service costs, beside a ceiling that
# does the same work (nginx-light serving the same bytes from files).
#
#     scripts/bench.sh                          # full run: 1000 agencies, 10 s per measurement
#     AGENCIES=20 DURATION=2 scripts/bench.sh   # smoke run
#
# What it measures (scripts/bench/run.py does the measuring):
#   - the current register and an archived version at 10, 50, 200 and 1,000 processes per agency,
#     plain, gzip and br (wrk at CONNECTIONS), each beside nginx serving the same bytes (plain with
#     sendfile, gzip with gzip_static and a `gzip -9` copy; nginx-light has no brotli, so br is set
#     beside gzip_static); plain reads also beside the service's own static route of the same size.
#     Without nginx the ceiling is the service's static route, and the table says so;
#   - the region view page (JSON, default page) and the whole regional CSV at AGENCIES/10 and
#     AGENCIES agencies: time of the first and second request and peak RSS (VmHWM) of a server
#     started afresh for each;
#   - RSS after reading every register of the large region, beside TOUCHPOINTS_CACHE_BYTES;
#   - the write path: create and patch a touchpoint at WRITE_CONNECTIONS (req/s, p99);
#   - import of 500 and 5,000 rows (an agency's exported XLSX into a fresh empty agency);
#   - publishing a 1,000-row register.
#
# Installs wrk and nginx-light when root (Debian), builds `--features bench` in release (the only
# build), generates the data set once into the database touchpoints_bench (each part is skipped
# when present), and runs everything on loopback: wrk stops by itself after DURATION seconds.
# Rerunnable: imports and writes add a few agencies/touchpoints of their own each run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

export AGENCIES="${AGENCIES:-1000}"
export SMALL_AGENCIES="${SMALL_AGENCIES:-$(((AGENCIES + 9) / 10))}"
export CONNECTIONS="${CONNECTIONS:-64}"
export WRITE_CONNECTIONS="${WRITE_CONNECTIONS:-16}"
export DURATION="${DURATION:-10}"
export BENCH_PORT="${BENCH_PORT:-18090}"
export BENCH_NGINX_PORT="${BENCH_NGINX_PORT:-18091}"
export CACHE_BYTES="${CACHE_BYTES:-$((64 * 1024 * 1024))}"
export POINTS=4                 # touchpoints a process: SIZES × 4 rows a register
export SIZES="10 50 200 1000"   # processes per agency for the read measurements
export IMPORT_SIZES="125 1250"  # 500 and 5,000 rows
export PUBLISH_SIZE=250         # 1,000 rows
export REGION_LARGE="Нагрузочный регион"
export REGION_SMALL="Нагрузочный регион (малый)"
export REGION_WRITE="Нагрузка: запись"
export REGION_IMPORT="Нагрузка: импорт"

ensure_libpq_dev
ensure_debian_packages "command -v wrk" wrk
# nginx is the ceiling; without it the table falls back to the service's static route (and says
# so). NO_NGINX=1 tries that fallback.
BENCH_NGINX="$(command -v nginx || true)"
if [[ -z "$BENCH_NGINX" && -x /usr/sbin/nginx ]]; then BENCH_NGINX=/usr/sbin/nginx; fi
if [[ -z "$BENCH_NGINX" && "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  say "installing nginx-light"
  if ! { { [[ -n "${TOUCHPOINTS_APT_UPDATED:-}" ]] || apt-get update >&2; } &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx-light >&2; }; then
    say "nginx-light could not be installed: the ceiling will be the service's own static route"
  fi
  BENCH_NGINX="$(command -v nginx || true)"
  if [[ -z "$BENCH_NGINX" && -x /usr/sbin/nginx ]]; then BENCH_NGINX=/usr/sbin/nginx; fi
fi
if [[ -n "${NO_NGINX:-}" ]]; then BENCH_NGINX=""; fi
export BENCH_NGINX

pg_env="$(bash "$ROOT/scripts/ensure-postgres.sh")" || { say "no PostgreSQL server"; exit 1; }
eval "$pg_env"
export BENCH_DB_URL="${DATABASE_URL%/*}/touchpoints_bench"

cargo build --release --features bench --bin touchpoints >&2
export BENCH_BIN="$ROOT/target/release/touchpoints"
export BENCH_LOG_DIR="$ROOT/target/bench"
mkdir -p "$BENCH_LOG_DIR"

generate() { # agencies processes region versions
  # (a secret only to keep the "every write answers 401" warning out of the way)
  DATABASE_URL="$BENCH_DB_URL" RUST_LOG=warn TOUCHPOINTS_JWT_SECRET=bench-data-generator-only \
    "$BENCH_BIN" bench-data --agencies "$1" --processes "$2" \
    --points "$POINTS" --region "$3" --versions "$4" >&2
}
say "generating the data set (once; each part is skipped when present)"
for n in $SIZES $IMPORT_SIZES $PUBLISH_SIZE; do generate 1 "$n" "Нагрузка: $n процессов" 2; done
generate 1 64 "$REGION_WRITE" 1
generate "$SMALL_AGENCIES" 50 "$REGION_SMALL" 1
generate "$AGENCIES" 50 "$REGION_LARGE" 1

python3 "$ROOT/scripts/bench/run.py" &
RUNNER=$!
# run.py stops the servers it started on its way out (SIGTERM included)
trap 'kill -TERM $RUNNER 2>/dev/null || true; wait $RUNNER 2>/dev/null || true' EXIT INT TERM
wait $RUNNER
trap - EXIT INT TERM
