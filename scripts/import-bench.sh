#!/usr/bin/env bash
# Timing of the bulk import (issue 13, "Bulk import"):
#
#     scripts/import-bench.sh                 # release build, 1250 processes × 4 touchpoints
#     PROFILE=debug PROCESSES=250 scripts/import-bench.sh
#
# Starts the service on loopback against the database touchpoints_import_bench, generates the
# official form as CSV (PROCESSES processes of 4 touchpoints each) and imports it into a fresh
# agency, downloads that agency's working copy as the official XLSX (the service's own export:
# PROCESSES × 4 rows), then imports that XLSX into another fresh agency: first with dry_run=true,
# then for real, and prints the time of each request (as the client sees it) and the report's
# counts. Each run adds two agencies to the bench database; nothing else is touched.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

PROFILE="${PROFILE:-release}"
PROCESSES="${PROCESSES:-1250}"
PORT="${IMPORT_BENCH_PORT:-18091}"
SECRET="import-bench-secret-not-for-production-use"

ensure_libpq_dev
pg_env="$(bash "$ROOT/scripts/ensure-postgres.sh")" || { say "no PostgreSQL server"; exit 1; }
eval "$pg_env"
DB_URL="${DATABASE_URL%/*}/touchpoints_import_bench"

if [[ -n "${IMPORT_BENCH_BIN:-}" ]]; then
  BIN="$IMPORT_BENCH_BIN" # an already built binary (e.g. scripts/bench.sh's --features bench build)
else
  if [[ "$PROFILE" == "release" ]]; then
    cargo build --release --bin touchpoints >&2
  else
    cargo build --bin touchpoints >&2
  fi
  BIN="$ROOT/target/$PROFILE/touchpoints"
fi

DATABASE_URL="$DB_URL" TOUCHPOINTS_BIND="127.0.0.1:$PORT" TOUCHPOINTS_JWT_SECRET="$SECRET" RUST_LOG="warn,touchpoints::import=info" \
  "$BIN" serve > "$ROOT/target/import-bench-server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break; sleep 0.1; done
TOKEN="$(TOUCHPOINTS_JWT_SECRET="$SECRET" "$BIN" token --sub import-bench --name "Import bench" --role admin)"

python3 - "http://127.0.0.1:$PORT" "$TOKEN" "$PROCESSES" "$PROFILE" <<'PY'
import json, sys, time, urllib.request

base, token, processes, profile = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

def call(method, path, body=None, content_type="application/json"):
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=600) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()

def agency_with_revision(name):
    s, a = call("POST", "/api/v1/agencies", {"name": name, "region": "Республика Дагестан",
                                             "kind": "ministry", "website": "www.example.ru"})
    assert s == 201, a
    a = json.loads(a)["id"]
    s, r = call("POST", f"/api/v1/agencies/{a}/revisions", {"reason": "yearly_revision"})
    assert s == 201, r
    return a, json.loads(r)["id"]

def form(n):
    lines = ["№;Направление деятельности;Наименование конкретного процесса;Точка взаимодействия;"
             "Осуществляемое взаимодействие с клиентом;Особенности взаимодействия с клиентом",
             "1;2;3;4;5;6"]
    k = 0
    for i in range(n):
        phone = f"+7(8722) {50 + i // 100}-{i % 100:02}-17"
        rows = [
            (f"Направление деятельности номер {i % 7}", f"Процесс номер {i}",
             f"Телефон: {phone}", "Получение консультации", "Офлайн-точка"),
            ("", "", f"Электронная почта: process{i}@example.ru", "Подача обращения", "Цифровая точка"),
            ("", "", f"Официальный сайт: www.process{i}.ru", "Получение информации", "Цифровая точка"),
            ("", "", f"Личный приём в кабинете {i}", "Получение консультации", "Офлайн-точка"),
        ]
        for r in rows:
            k += 1
            lines.append(";".join((str(k),) + r))
    return ("\n".join(lines) + "\n").encode()

def timed_import(revision, body, content_type, dry_run):
    t = time.perf_counter()
    s, report = call("POST", f"/api/v1/revisions/{revision}/import?dry_run={str(dry_run).lower()}",
                     body, content_type)
    elapsed = time.perf_counter() - t
    report = json.loads(report)
    assert s == 200, (s, str(report)[:2000])
    return elapsed, report

stamp = time.strftime("%Y%m%d-%H%M%S")
_, source_rev = agency_with_revision(f"Импорт: источник {stamp}")
source = source_rev
csv = form(processes)
t, rep = timed_import(source, csv, "text/csv", False)
print(f"CSV, {processes * 4} rows ({len(csv)} bytes), real import into an empty agency: {t:.3f} s "
      f"(created {rep['created']}, rejected {rep['rejected']})")
s, _ = call("GET", "/api/v1/agencies")  # warm-up of nothing in particular
a_source = None
s, rev = call("GET", f"/api/v1/revisions/{source}")
a_source = json.loads(rev)["agency_id"]
s, xlsx = call("GET", f"/api/v1/agencies/{a_source}/register?format=xlsx")
assert s == 200, xlsx[:500]
print(f"XLSX: the working copy exported by the service, {len(xlsx)} bytes")

_, target = agency_with_revision(f"Импорт: приёмник {stamp}")
t_dry, dry = timed_import(target, xlsx, XLSX, True)
t_real, real = timed_import(target, xlsx, XLSX, False)
rows = len(real["rows"])
print(f"XLSX, {rows} rows, dry run:     {t_dry:.3f} s (created {dry['created']}, merged {dry['merged']}, "
      f"unchanged {dry['unchanged']}, rejected {dry['rejected']}, written {dry['written']})")
print(f"XLSX, {rows} rows, real import: {t_real:.3f} s (created {real['created']}, merged {real['merged']}, "
      f"unchanged {real['unchanged']}, rejected {real['rejected']}, written {real['written']})")
t_again, again = timed_import(target, xlsx, XLSX, False)
print(f"XLSX, {rows} rows, imported again (every row unchanged): {t_again:.3f} s "
      f"(unchanged {again['unchanged']})")
print(f"profile: {profile}")
PY
# the server's own account of each import: load, decide (parse of rows, checks) and write times
grep -a "import applied" "$ROOT/target/import-bench-server.log" | sed 's/\x1b\[[0-9;]*m//g' | sed 's/^.*import applied/import applied/' >&2 || true
