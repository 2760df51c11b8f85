#!/usr/bin/env bash
# Make sure a PostgreSQL server is reachable and print ONE line on stdout:
#
#     export DATABASE_URL=<url>
#
# Everything else goes to stderr, so callers can do
#
#     pg_env="$(scripts/ensure-postgres.sh)" && eval "$pg_env"
#
# (Plain `eval "$(scripts/ensure-postgres.sh)"` works too, but then a failure of
# this script is not seen by `set -e` in the caller.)
#
# Strategy, first one that works wins:
#   a) DATABASE_URL (default postgres://postgres@127.0.0.1:5432/touchpoints)
#      already answers                                  -> print it
#   b) a Debian cluster (pg_lsclusters) serves that port -> start it, print URL
#   c) PostgreSQL server binaries exist                  -> start a private
#      cluster in ${TOUCHPOINTS_PGDATA:-<repo>/target/pgdata} on
#      127.0.0.1:${TOUCHPOINTS_PGPORT:-55432} (trust auth), print its URL
#   d) root with apt-get -> apt-get install postgresql, then b) / c)
#   e) print what to install and exit 1
#
# Idempotent: running it again reuses whatever is already running.
# The app creates its database itself; this script only needs a server.
set -euo pipefail

# Keep the real stdout on fd 3 for the single result line; everything else,
# including the output of every command we run, goes to stderr. A server this script starts
# (pg_ctlcluster, pg_ctl, apt-get's postinst) must not inherit fd 3: while it held the caller's
# $(...) pipe, the caller waited for an EOF that never came (`3>&-` on each of them).
exec 3>&1 1>&2

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEFAULT_URL="postgres://postgres@127.0.0.1:5432/touchpoints"
READY_TIMEOUT="${TOUCHPOINTS_PG_READY_TIMEOUT:-30}" # seconds
PRIVATE_PORT="${TOUCHPOINTS_PGPORT:-55432}"

if [[ -n "${DATABASE_URL:-}" ]]; then
  URL_EXPLICIT=1
  REQUESTED_URL="$DATABASE_URL"
else
  URL_EXPLICIT=0
  REQUESTED_URL="$DEFAULT_URL"
fi

log() { echo "ensure-postgres: $*" >&2; }
is_root() { [[ "$(id -u)" -eq 0 ]]; }

emit() {
  printf 'export DATABASE_URL=%q\n' "$1" >&3
  exit 0
}

# --- URL helpers (postgres://[user[:pass]@]host[:port][/db][?query]) ---------

url_authority() { # "user:pass@host:port"
  local rest="${1#*://}"
  printf '%s' "${rest%%[/?]*}"
}
url_host() {
  local hp
  hp="$(url_authority "$1")"
  hp="${hp##*@}"
  if [[ "$hp" == \[* ]]; then # [ipv6]:port
    hp="${hp#\[}"
    printf '%s' "${hp%%]*}"
  else
    printf '%s' "${hp%%:*}"
  fi
}
url_port() {
  local hp
  hp="$(url_authority "$1")"
  hp="${hp##*@}"
  hp="${hp##*]}" # drop an [ipv6] part
  if [[ "$hp" == *:* && -n "${hp##*:}" ]]; then
    printf '%s' "${hp##*:}"
  else
    printf '5432'
  fi
}
url_dbname() {
  local rest="${1#*://}" path
  rest="${rest%%\?*}"
  if [[ "$rest" == */* ]]; then path="${rest#*/}"; else path=""; fi
  printf '%s' "${path:-touchpoints}"
}
url_with_port() { # same URL with another port
  local url="$1" port="$2" scheme rest auth tail userinfo="" host
  scheme="${url%%://*}"
  rest="${url#*://}"
  auth="${rest%%[/?]*}"
  tail="${rest:${#auth}}"
  [[ "$auth" == *@* ]] && userinfo="${auth%@*}@"
  host="$(url_host "$url")"
  [[ "$host" == *:* ]] && host="[$host]"
  printf '%s://%s%s:%s%s' "$scheme" "$userinfo" "${host:-127.0.0.1}" "$port" "$tail"
}
is_local_host() {
  case "$1" in "" | localhost | 127.* | ::1 | /*) return 0 ;; *) return 1 ;; esac
}

# --- probing -------------------------------------------------------------------

# Path of /usr/lib/postgresql/<highest version>/bin/$1, or nothing.
newest_pg_binary() {
  local f
  f="$(printf '%s\n' /usr/lib/postgresql/*/bin/"$1" | sort -V | tail -n 1)"
  [[ -x "$f" ]] && printf '%s' "$f"
  return 0
}

PG_ISREADY=""
find_pg_isready() {
  PG_ISREADY="$(command -v pg_isready 2>/dev/null || true)"
  if [[ -z "$PG_ISREADY" ]]; then
    PG_ISREADY="$(newest_pg_binary pg_isready)"
  fi
}

# Exit status: 0 = accepting connections, 1 = up but not ready yet (starting,
# shutting down), 2 = nothing answers.
probe() {
  local url="$1" rc=0
  if [[ -n "$PG_ISREADY" ]]; then
    "$PG_ISREADY" -q -t 3 -d "$url" >/dev/null 2>&1 || rc=$?
    case "$rc" in 0) return 0 ;; 1) return 1 ;; *) return 2 ;; esac
  fi
  # No pg_isready: a successful TCP connect is the best we can do.
  local host port
  host="$(url_host "$url")"
  port="$(url_port "$url")"
  [[ -z "$host" || "$host" == /* ]] && host=127.0.0.1
  # shellcheck disable=SC2016 # $0/$1 are expanded by the inner bash
  if timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null; then
    return 0
  fi
  return 2
}

# Poll until the server at $1 accepts connections (bounded by READY_TIMEOUT).
wait_ready() {
  local url="$1" deadline=$((SECONDS + READY_TIMEOUT))
  while ((SECONDS < deadline)); do
    probe "$url" && return 0
    sleep 0.5
  done
  probe "$url"
}

# --- b) Debian clusters (postgresql-common) ---------------------------------

try_debian_cluster() {
  command -v pg_lsclusters >/dev/null 2>&1 || return 1
  local host port name cport status rest
  local pick_ver pick_name pick_port pick_status pick_owner
  host="$(url_host "$REQUESTED_URL")"
  port="$(url_port "$REQUESTED_URL")"
  is_local_host "$host" || return 1

  local -a clusters
  mapfile -t clusters < <(pg_lsclusters --no-header 2>/dev/null | sort -k1,1V -k2,2 || true)
  local line pick=""
  for line in "${clusters[@]}"; do
    read -r _ _ cport _ <<<"$line"
    [[ "$cport" == "$port" ]] && { pick="$line"; break; }
  done
  if [[ -z "$pick" && "$URL_EXPLICIT" == 0 && ${#clusters[@]} -gt 0 ]]; then
    # Default URL but no cluster on its port: take any local cluster,
    # preferring running ones, then "main", then the newest version; the
    # printed URL carries its port.
    local score best=-1
    for line in "${clusters[@]}"; do
      read -r _ name _ status _ <<<"$line"
      score=0
      [[ "$status" == online* ]] && score=$((score + 2))
      [[ "$name" == main ]] && score=$((score + 1))
      if ((score >= best)); then best=$score pick="$line"; fi
    done
  fi
  [[ -n "$pick" ]] || return 1
  read -r pick_ver pick_name pick_port pick_status pick_owner rest <<<"$pick"

  local url
  url="$(url_with_port "$REQUESTED_URL" "$pick_port")"

  if [[ "$pick_status" != online* ]]; then
    log "starting Debian cluster $pick_ver/$pick_name (port $pick_port)"
    local -a start=(pg_ctlcluster --skip-systemctl-redirect "$pick_ver" "$pick_name" start)
    if is_root || [[ "$(id -un)" == "$pick_owner" ]]; then
      "${start[@]}" 3>&- || log "pg_ctlcluster failed (see /var/log/postgresql/postgresql-$pick_ver-$pick_name.log)"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo -n "${start[@]}" 3>&- || log "pg_ctlcluster failed"
    else
      log "cluster $pick_ver/$pick_name is down and I am not root; start it with:"
      log "  sudo pg_ctlcluster $pick_ver $pick_name start"
      return 1
    fi
  fi

  if wait_ready "$url"; then
    log "using Debian cluster $pick_ver/$pick_name on port $pick_port"
    REQUESTED_URL="$url"
    return 0
  fi
  log "Debian cluster $pick_ver/$pick_name did not become ready within ${READY_TIMEOUT}s"
  return 1
}

# --- c) private cluster ----------------------------------------------------------

PG_BINDIR=""
find_server_binaries() {
  local initdb
  initdb="$(newest_pg_binary initdb)"
  if [[ -z "$initdb" ]]; then
    initdb="$(command -v initdb 2>/dev/null || true)"
    [[ -n "$initdb" ]] && initdb="$(readlink -f "$initdb")"
  fi
  [[ -n "$initdb" ]] || return 1
  PG_BINDIR="$(dirname "$initdb")"
  [[ -x "$PG_BINDIR/pg_ctl" && -x "$PG_BINDIR/postgres" ]]
}

# initdb and pg_ctl refuse to run as root: as root, run them as `postgres`.
as_pg() {
  if is_root; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

ensure_postgres_user() {
  id -u postgres >/dev/null 2>&1 && return 0
  log "creating system user 'postgres'"
  if command -v useradd >/dev/null 2>&1; then
    useradd --system --user-group --home-dir /var/lib/postgresql --no-create-home \
      --shell /usr/sbin/nologin postgres
  else
    adduser --system --group --home /var/lib/postgresql --no-create-home postgres
  fi
}

# Create (as root: owned by postgres) the data directory; fails if the server
# user cannot write there.
prepare_datadir() {
  local dir="$1"
  mkdir -p "$dir" || return 1
  if is_root; then
    [[ "$(stat -c %U "$dir")" == postgres ]] || chown -R postgres:postgres "$dir" || return 1
  fi
  chmod 700 "$dir" || return 1
  as_pg test -w "$dir" -a -x "$dir"
}

try_private_cluster() {
  find_server_binaries || return 10
  [[ -n "$PG_ISREADY" ]] || PG_ISREADY="$PG_BINDIR/pg_isready"

  local pgdata="${TOUCHPOINTS_PGDATA:-$REPO_ROOT/target/pgdata}"
  [[ "$pgdata" == /* ]] || pgdata="$PWD/$pgdata"
  local port="$PRIVATE_PORT"
  local dbname url
  dbname="$(url_dbname "$REQUESTED_URL")"
  url="postgres://postgres@127.0.0.1:$port/$dbname"

  if is_root; then
    ensure_postgres_user || return 1
  fi
  if ! prepare_datadir "$pgdata"; then
    if [[ -z "${TOUCHPOINTS_PGDATA:-}" ]] && is_root; then
      # e.g. the repo lives under /root, which `postgres` cannot traverse.
      rmdir "$pgdata" 2>/dev/null || true
      pgdata="/var/tmp/touchpoints-pgdata-$(printf '%s' "$REPO_ROOT" | cksum | cut -d' ' -f1)"
      log "user postgres cannot use $REPO_ROOT/target/pgdata; using $pgdata instead"
      prepare_datadir "$pgdata" || { log "cannot prepare $pgdata"; return 1; }
    else
      log "cannot create/write data directory $pgdata (set TOUCHPOINTS_PGDATA elsewhere)"
      is_root && log "(as root the server runs as user 'postgres', which needs access to all its parent directories)"
      return 1
    fi
  fi

  # pg_ctl status: 0 = running, 3 = not running, 4 = no cluster there yet
  local status=4
  if [[ -f "$pgdata/PG_VERSION" ]]; then
    status=0
    as_pg "$PG_BINDIR/pg_ctl" -D "$pgdata" status >/dev/null 2>&1 || status=$?
  fi

  if [[ "$status" -eq 0 ]]; then
    # Trust the running postmaster's port over TOUCHPOINTS_PGPORT.
    local running_port
    running_port="$(sed -n 4p "$pgdata/postmaster.pid" 2>/dev/null || true)"
    if [[ "$running_port" =~ ^[0-9]+$ && "$running_port" != "$port" ]]; then
      port="$running_port"
      url="postgres://postgres@127.0.0.1:$port/$dbname"
    fi
    log "private cluster in $pgdata is already running on port $port"
  elif probe "postgres://postgres@127.0.0.1:$port/postgres"; then
    # Typically another checkout's private cluster: just as good for dev/tests.
    log "port $port already serves another PostgreSQL server; using it"
    log "(set TOUCHPOINTS_PGPORT to run this checkout's own cluster instead)"
  else
    if [[ "$status" -eq 4 ]]; then
      if [[ -n "$(ls -A "$pgdata")" ]]; then
        log "$pgdata is not empty but holds no PostgreSQL cluster; remove it or set TOUCHPOINTS_PGDATA"
        return 1
      fi
      log "initialising private cluster in $pgdata ($("$PG_BINDIR/postgres" --version))"
      local out
      if ! out="$(as_pg "$PG_BINDIR/initdb" -D "$pgdata" -U postgres --auth=trust \
        --encoding=UTF8 --no-locale 2>&1)"; then
        printf '%s\n' "$out" >&2
        log "initdb failed"
        return 1
      fi
      echo "include_if_exists = 'touchpoints.conf'" |
        as_pg tee -a "$pgdata/postgresql.conf" >/dev/null || return 1
    fi

    # (Re)written on every start, so a changed TOUCHPOINTS_PGPORT applies.
    local sockdir="$pgdata"
    # Unix socket paths are limited to ~107 bytes; TCP alone is enough for us.
    ((${#pgdata} + 20 < 100)) || sockdir=""
    as_pg tee "$pgdata/touchpoints.conf" >/dev/null <<EOF || return 1
# Written by scripts/ensure-postgres.sh on every start; edit that script instead.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sockdir'
# Throwaway development/test data: trade durability for speed.
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    log "starting private cluster in $pgdata on 127.0.0.1:$port (log: $pgdata/server.log)"
    if ! as_pg "$PG_BINDIR/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" \
      -w -t "$READY_TIMEOUT" start >&2 3>&-; then
      log "pg_ctl start failed; last lines of $pgdata/server.log:"
      tail -n 20 "$pgdata/server.log" >&2 || true
      return 1
    fi
  fi

  if wait_ready "$url"; then
    emit_url="$url"
    return 0
  fi
  log "private cluster did not accept connections on 127.0.0.1:$port within ${READY_TIMEOUT}s"
  tail -n 20 "$pgdata/server.log" >&2 || true
  return 1
}

# --- d) install ------------------------------------------------------------------

try_install() {
  is_root && command -v apt-get >/dev/null 2>&1 || return 1
  log "no PostgreSQL server found; installing it with apt-get"
  if [[ -z "${TOUCHPOINTS_APT_UPDATED:-}" ]]; then
    apt-get update >&2 || return 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2 3>&- || return 1
  find_pg_isready
}

# --- e) give up --------------------------------------------------------------

give_up() {
  log "no PostgreSQL server is reachable at $REQUESTED_URL and none could be started."
  log "Install one:"
  log "  sudo apt-get install postgresql        # Debian/Ubuntu; then re-run"
  log "or run one in Docker (from the repo root):"
  log "  docker compose up -d db"
  log "  export DATABASE_URL=postgres://postgres:postgres@127.0.0.1:55433/touchpoints"
  exit 1
}

# --- main ------------------------------------------------------------------------

emit_url=""
find_pg_isready

# a) already reachable (waiting a bit if it is just starting up)
rc=0
probe "$REQUESTED_URL" || rc=$?
if [[ "$rc" -eq 0 ]] || { [[ "$rc" -eq 1 ]] && wait_ready "$REQUESTED_URL"; }; then
  emit "$REQUESTED_URL"
fi
log "nothing answers at $(url_host "$REQUESTED_URL"):$(url_port "$REQUESTED_URL")"

for attempt in 1 2; do
  # b)
  if try_debian_cluster; then
    emit "$REQUESTED_URL"
  fi
  # c)
  rc=0
  try_private_cluster || rc=$?
  if [[ "$rc" -eq 0 ]]; then
    [[ "$URL_EXPLICIT" == 0 ]] || log "DATABASE_URL was unreachable; using the private cluster instead"
    emit "$emit_url"
  elif [[ "$rc" -ne 10 ]]; then
    exit 1 # server binaries exist but the cluster failed; messages above
  fi
  # d) install, then try b) and c) once more
  if [[ "$attempt" -eq 2 ]] || ! try_install; then
    break
  fi
done

give_up
