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

say() { echo "dev.sh: $*" >&2; }

# diesel links against libpq; Debian ships the linker files in libpq-dev.
ensure_libpq_dev() {
  command -v dpkg-query >/dev/null 2>&1 || return 0 # not Debian-like: trust the toolchain
  if dpkg-query -W -f='${Status}' libpq-dev 2>/dev/null | grep -q 'install ok installed'; then
    return 0
  fi
  if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "installing libpq-dev"
    apt-get update >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libpq-dev >&2
    export TOUCHPOINTS_APT_UPDATED=1 # ensure-postgres.sh need not update again
  else
    say "libpq-dev is missing (needed to link diesel). Install it with:"
    say "  sudo apt-get install libpq-dev"
    exit 1
  fi
}

command -v cargo >/dev/null 2>&1 || {
  say "cargo not found; install Rust from https://rustup.rs"
  exit 1
}
ensure_libpq_dev

pg_env="$(bash "$ROOT/scripts/ensure-postgres.sh")" || {
  say "no PostgreSQL server available (see messages above)"
  exit 1
}
eval "$pg_env"
say "DATABASE_URL=$DATABASE_URL"
say "serving on http://${TOUCHPOINTS_BIND:-127.0.0.1:8080}"

exec cargo run --bin touchpoints -- serve --demo "$@"
