#!/usr/bin/env bash
# Fails (printing the diff) when src/schema.rs is not what `diesel print-schema` prints for a
# database migrated with the service's own migrations. Installs diesel_cli when missing.
# Regenerate with: DATABASE_URL=<a migrated scratch database> diesel print-schema > src/schema.rs
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

DIESEL_VERSION=2.3.14
DIESEL="$(command -v diesel || true)"
[[ -z "$DIESEL" && -x "$HOME/.cargo/bin/diesel" ]] && DIESEL="$HOME/.cargo/bin/diesel"
if [[ -z "$DIESEL" ]] || ! "$DIESEL" --version | grep -q "$DIESEL_VERSION"; then
  say "installing diesel_cli $DIESEL_VERSION"
  ensure_libpq_dev
  cargo install diesel_cli --version "$DIESEL_VERSION" --no-default-features --features postgres --locked
  DIESEL="$HOME/.cargo/bin/diesel"
fi

pg_env="$(bash scripts/ensure-postgres.sh)" && eval "$pg_env"
SCRATCH="touchpoints_schema_check_$$"
export DATABASE_URL="${DATABASE_URL%/*}/$SCRATCH"
ADMIN_URL="${DATABASE_URL%/*}/postgres"
drop() { psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS \"$SCRATCH\"" >/dev/null 2>&1 || true; }
trap drop EXIT

# the service creates the database and runs its migrations
cargo run -q --bin touchpoints -- migrate >/dev/null 2>&1 || {
  say "migrating $SCRATCH failed:"
  cargo run -q --bin touchpoints -- migrate
  exit 1
}

printed="$(mktemp)"
trap 'drop; rm -f "$printed"' EXIT
"$DIESEL" print-schema --database-url "$DATABASE_URL" --config-file diesel.toml >"$printed"
if ! diff -u src/schema.rs "$printed"; then
  say "src/schema.rs differs from what diesel print-schema prints for the migrations (diff above);"
  say "regenerate it: diesel print-schema --database-url <migrated database> > src/schema.rs"
  exit 1
fi
say "src/schema.rs matches the migrations"
