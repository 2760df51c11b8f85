#!/usr/bin/env python3
"""The measuring half of scripts/bench.sh (which installs, builds and generates the data first).

Starts the service (and nginx, the ceiling) on loopback, measures with wrk and curl-like
requests, and prints one Markdown table. Every server it starts is stopped on the way out.
Only the standard library: http.client for single requests, wrk for load.

Environment (set by bench.sh): BENCH_BIN, BENCH_DB_URL, BENCH_PORT, BENCH_NGINX_PORT,
CONNECTIONS, WRITE_CONNECTIONS, DURATION, CACHE_BYTES, REGION_LARGE, REGION_SMALL,
REGION_WRITE, REGION_IMPORT, SIZES, IMPORT_SIZES, PUBLISH_SIZE, BENCH_NGINX (path or empty).
"""

import csv
import gzip
import http.client
import io
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

ENV = os.environ
BIN = ENV["BENCH_BIN"]
DB_URL = ENV["BENCH_DB_URL"]
PORT = int(ENV.get("BENCH_PORT", "18090"))
NGINX_PORT = int(ENV.get("BENCH_NGINX_PORT", "18091"))
CONNECTIONS = int(ENV.get("CONNECTIONS", "64"))
WRITE_CONNECTIONS = int(ENV.get("WRITE_CONNECTIONS", "16"))
DURATION = int(ENV.get("DURATION", "10"))
CACHE_BYTES = ENV.get("CACHE_BYTES", str(64 * 1024 * 1024))
REGION_LARGE = ENV["REGION_LARGE"]
REGION_SMALL = ENV["REGION_SMALL"]
REGION_WRITE = ENV["REGION_WRITE"]
REGION_IMPORT = ENV["REGION_IMPORT"]
SIZES = [int(s) for s in ENV.get("SIZES", "10 50 200 1000").split()]
IMPORT_SIZES = [int(s) for s in ENV.get("IMPORT_SIZES", "125 1250").split()]
PUBLISH_SIZE = int(ENV.get("PUBLISH_SIZE", "250"))
POINTS = int(ENV.get("POINTS", "4"))
NGINX = ENV.get("BENCH_NGINX", "")
LOG_DIR = ENV.get("BENCH_LOG_DIR", tempfile.gettempdir())
NGINX_DIR = ENV.get("BENCH_NGINX_DIR", "/tmp/touchpoints-bench-nginx")
SECRET = secrets.token_hex(24)
HOST = "127.0.0.1"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def say(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


def region_label(n):
    return f"Нагрузка: {n} процессов"


# ---------------------------------------------------------------- HTTP, one request at a time


class Response:
    def __init__(self, status, headers, body, seconds):
        self.status, self.headers, self.body, self.seconds = status, headers, body, seconds

    def json(self):
        return json.loads(self.body)


def request(port, method, path, headers=None, body=None, timeout=600):
    """One request on a fresh connection; the body as sent on the wire (no decoding)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    started = time.perf_counter()
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    seconds = time.perf_counter() - started
    conn.close()
    return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, data, seconds)


def ok(r, what, statuses=(200,)):
    if r.status not in statuses:
        raise SystemExit(f"bench: {what}: HTTP {r.status}: {r.body[:300]!r}")
    return r


# ---------------------------------------------------------------- the service


class Server:
    def __init__(self, name):
        self.name = name
        self.proc = None

    def start(self):
        env = dict(ENV)
        env.update(
            DATABASE_URL=DB_URL,
            TOUCHPOINTS_BIND=f"{HOST}:{PORT}",
            TOUCHPOINTS_BENCH_ROUTES="1",
            TOUCHPOINTS_JWT_SECRET=SECRET,
            TOUCHPOINTS_CACHE_BYTES=CACHE_BYTES,
            # warn: a log line per request would be measured too
            RUST_LOG="warn",
            TOUCHPOINTS_POOL_SIZE=ENV.get("TOUCHPOINTS_POOL_SIZE", "8"),
        )
        log = open(os.path.join(LOG_DIR, f"bench-server-{self.name}.log"), "wb")
        self.proc = subprocess.Popen([BIN, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
        for _ in range(300):
            if self.proc.poll() is not None:
                raise SystemExit(f"bench: the server exited ({self.proc.returncode}); see {log.name}")
            try:
                if request(PORT, "GET", "/health", timeout=2).status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise SystemExit("bench: the server did not answer /health within 30 s")

    def memory(self):
        """(VmRSS, VmHWM) in bytes, read from /proc."""
        fields = {}
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM"):
                    fields[k] = int(v.split()[0]) * 1024
        return fields["VmRSS"], fields["VmHWM"]

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


# ---------------------------------------------------------------- nginx, the ceiling


class Nginx:
    """nginx-light on loopback, serving files its workers can read: plain with sendfile, gzip
    from a pre-compressed copy (gzip_static)."""

    def __init__(self):
        self.proc = None
        self.www = os.path.join(NGINX_DIR, "www")
        shutil.rmtree(NGINX_DIR, ignore_errors=True)
        for d in (NGINX_DIR, self.www, os.path.join(NGINX_DIR, "tmp")):
            os.makedirs(d, exist_ok=True)
            os.chmod(d, 0o755)

    def put(self, name, body):
        """Writes NAME (plain) and NAME.gz (gzip -9, as a pre-compressed copy would be made);
        returns the .gz size."""
        path = os.path.join(self.www, name)
        with open(path, "wb") as f:
            f.write(body)
        gz = gzip.compress(body, compresslevel=9, mtime=0)
        with open(path + ".gz", "wb") as f:
            f.write(gz)
        os.chmod(path, 0o644)
        os.chmod(path + ".gz", 0o644)
        return len(gz)

    def start(self):
        tmp = os.path.join(NGINX_DIR, "tmp")
        user = ""
        if os.geteuid() == 0:
            try:
                import pwd

                pwd.getpwnam("www-data")
                user = "user www-data;"
            except KeyError:
                user = "user nobody;"
        conf = f"""{user}
worker_processes auto;
daemon off;
pid {NGINX_DIR}/nginx.pid;
error_log {NGINX_DIR}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_requests 1000000;
    keepalive_timeout 75s;
    gzip off;
    gzip_static on;
    types {{ application/json json; text/csv csv; text/html html; }}
    default_type application/octet-stream;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        # reuseport: each worker accepts its own share of the connections (without it all 64
        # may land on one worker, and the ceiling halves from run to run)
        listen {HOST}:{NGINX_PORT} reuseport;
        root {self.www};
        location / {{ }}
    }}
}}
"""
        conf_path = os.path.join(NGINX_DIR, "nginx.conf")
        with open(conf_path, "w") as f:
            f.write(conf)
        log = open(os.path.join(NGINX_DIR, "stderr.log"), "wb")
        self.proc = subprocess.Popen(
            [NGINX, "-p", NGINX_DIR, "-c", conf_path, "-e", os.path.join(NGINX_DIR, "error.log")],
            stdout=log,
            stderr=subprocess.STDOUT,
            # nginx reads $NGINX as a list of inherited sockets
            env={k: v for k, v in ENV.items() if k != "NGINX"},
        )
        for _ in range(100):
            if self.proc.poll() is not None:
                raise SystemExit(f"bench: nginx exited; see {NGINX_DIR}/error.log")
            try:
                request(NGINX_PORT, "GET", "/", timeout=2)
                return self
            except OSError:
                time.sleep(0.1)
        raise SystemExit("bench: nginx did not answer")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: the workers go too
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


# ---------------------------------------------------------------- wrk


def to_ms(value, unit):
    v = float(value)
    return {"us": v / 1000, "ms": v, "s": v * 1000, "m": v * 60000}[unit]


def wrk(port, path, connections, headers=(), script=None, args=()):
    # a 5 MB body at 64 connections takes more than wrk's default 2 s timeout on a busy machine
    cmd = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{DURATION}s", "--timeout", "10s", "--latency"]
    for h in headers:
        cmd += ["-H", h]
    if script:
        cmd += ["-s", script]
    cmd.append(f"http://{HOST}:{port}{path}")
    if args:
        cmd += ["--", *args]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m:
        raise SystemExit(f"bench: cannot read wrk's output:\n{out}")

    def pct(p):
        m = re.search(r"\s%s%%\s+([\d.]+)(us|ms|s|m)\b" % p, out)
        return to_ms(m.group(1), m.group(2)) if m else float("nan")

    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": float(m.group(1)),
        "p50": pct(50),
        "p99": pct(99),
        "bad": int(bad.group(1)) if bad else 0,
        "errors": sum(int(x) for x in errs.groups()) if errs else 0,
    }


# ---------------------------------------------------------------- the table

ROWS = []


def fmt(x, digits=0):
    if x is None:
        return "—"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def mb(b):
    return f"{b / 1048576:.0f}" if b is not None else "—"


def share_goal(minimum, p99=False):
    """A read goal: at least MINIMUM % of the ceiling's requests/s (and p99 < 10 ms at 64
    connections, the goal's load)."""

    def check(svc, ceil, **_):
        if not (svc and ceil and ceil["rps"]):
            return None
        met = 100 * svc["rps"] / ceil["rps"] >= minimum
        text = f"≥ {minimum}%"
        if p99:
            text += ", p99 < 10 ms"
            if CONNECTIONS != 64:
                text += " (at 64 connections: not this run)"
            else:
                met = met and svc["p99"] < 10
        return f"{text}: {'met' if met else 'missed'}"

    return check


def plain_goal(framework):
    """The plain-read goal: ≥ 70% of nginx's sendfile or, where the framework's own static route
    (FRAMEWORK) stays below 70% of nginx, ≥ 90% of that route."""

    def check(svc, ceil, **_):
        if not (svc and ceil and ceil["rps"] and framework and framework["rps"]):
            return None
        if svc["rps"] >= 0.7 * ceil["rps"]:
            return "≥ 70% of nginx: met"
        if framework["rps"] < 0.7 * ceil["rps"]:
            met = svc["rps"] >= 0.9 * framework["rps"]
            return f"framework below 70% of nginx, so ≥ 90% of its static route: {'met' if met else 'missed'}"
        return "≥ 70% of nginx: missed"

    return check


def goal_limits(max_seconds=None, max_rss_mb=None):
    def check(seconds=None, rss=None, **_):
        parts, met = [], True
        if max_seconds is not None:
            parts.append(f"< {max_seconds} s")
            met = met and seconds is not None and seconds < max_seconds
        if max_rss_mb is not None:
            parts.append(f"peak RSS < {max_rss_mb} MB")
            met = met and rss is not None and rss < max_rss_mb * 1048576
        return f"{', '.join(parts)}: {'met' if met else 'missed'}"

    return check


def row(what, size=None, svc=None, ceil_name=None, ceil_size=None, ceil=None, seconds=None,
        rss=None, note="", goal=None):
    notes = [note] if note else []
    for who, m in (("service", svc), ("ceiling", ceil)):
        if m and (m["bad"] or m["errors"]):
            notes.append(f"{who}: {m['bad']} non-2xx, {m['errors']} socket errors")
    share = f"{100 * svc['rps'] / ceil['rps']:.0f}%" if svc and ceil and ceil["rps"] else "—"
    ROWS.append([
        what,
        fmt(size),
        fmt(svc["rps"]) if svc else "—",
        fmt(svc["p99"], 2) if svc else "—",
        fmt(seconds, 3) if seconds is not None else "—",
        mb(rss),
        ceil_name or "—",
        fmt(ceil_size),
        fmt(ceil["rps"]) if ceil else "—",
        fmt(ceil["p99"], 2) if ceil else "—",
        share,
        (goal(svc=svc, ceil=ceil, seconds=seconds, rss=rss) or "—") if goal else "—",
        "; ".join(notes),
    ])
    say("row:", " | ".join(ROWS[-1]))


# ---------------------------------------------------------------- data set look-ups


def quote(s):
    return urllib.parse.quote(s, safe="")


def agencies_of(region):
    out, offset = [], 0
    while True:
        r = ok(request(PORT, "GET", f"/api/v1/public/agencies?region={quote(region)}&limit=500&offset={offset}"),
               f"agencies of {region}")
        items = r.json()["items"]
        out += [a["id"] for a in items]
        if len(items) < 500:
            return out
        offset += 500


def one_agency(region):
    ids = agencies_of(region)
    if not ids:
        raise SystemExit(f"bench: no agency in region {region!r}; did bench-data run?")
    return ids[0]


def token():
    env = dict(ENV, TOUCHPOINTS_JWT_SECRET=SECRET)
    return subprocess.run(
        [BIN, "token", "--sub", "bench", "--name", "Нагрузочный тест", "--role", "admin", "--hours", "2"],
        env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()


# ---------------------------------------------------------------- the measurements


def fetch_variant(port, path, encoding):
    headers = {"Accept-Encoding": encoding} if encoding else {}
    return ok(request(port, "GET", path, headers), f"GET {path} ({encoding or 'identity'})")


def read_rows(nginx):
    """Reads at each register size, plain/gzip/br, current and archived, beside the ceiling."""
    # (what, path, file name at nginx, whether the read goals apply: the registers do;
    # the region view and the region's statistics are measured beside the same ceiling, with
    # no goal of their own)
    targets = []
    for n in SIZES:
        agency = one_agency(region_label(n))
        base = f"/api/v1/public/agencies/{agency}/register"
        targets.append((f"register, {n} processes ({n * POINTS} rows), current", base, f"r{n}-current", True))
        versions = ok(request(PORT, "GET", base + "/versions"), "versions").json()
        items = versions["items"] if isinstance(versions, dict) else versions
        numbers = sorted(v["number"] for v in items)
        if len(numbers) >= 2:
            targets.append((f"register, {n} processes, archived version {numbers[0]}",
                            f"{base}/versions/{numbers[0]}", f"r{n}-v{numbers[0]}", True))
    targets.append((f"region view page (default page), {len(agencies_of(REGION_LARGE))} agencies",
                    f"/api/v1/public/regions/{quote(REGION_LARGE)}/register", "region-page", False))
    targets.append((f"region stats (default page, from cache), {len(agencies_of(REGION_LARGE))} agencies",
                    f"/api/v1/public/regions/{quote(REGION_LARGE)}/stats", "region-stats", False))

    gz_header = "Accept-Encoding: gzip"
    for what, path, key, goals in targets:
        def goal_share(minimum, p99=False, goals=goals):
            return share_goal(minimum, p99) if goals else None
        plain = fetch_variant(PORT, path, None)  # also warms the cache
        if "content-encoding" in plain.headers:
            raise SystemExit(f"bench: {path} is encoded without Accept-Encoding")
        size = len(plain.body)
        gz = fetch_variant(PORT, path, "gzip")
        br = fetch_variant(PORT, path, "br")
        ceil_gz_size = None
        if nginx:
            ceil_gz_size = nginx.put(f"{key}.json", plain.body)
            n_plain = fetch_variant(NGINX_PORT, f"/{key}.json", None)
            n_gz = fetch_variant(NGINX_PORT, f"/{key}.json", "gzip")
            if len(n_plain.body) != size or n_plain.body != plain.body:
                raise SystemExit(f"bench: nginx serves {len(n_plain.body)} bytes for {key}, not {size}")
            if n_gz.headers.get("content-encoding") != "gzip" or len(n_gz.body) != ceil_gz_size:
                raise SystemExit(f"bench: nginx's gzip_static did not serve {key}.json.gz")
        # plain: beside nginx's sendfile and the framework's own static route of the same size
        svc = wrk(PORT, path, CONNECTIONS)
        if nginx:
            ceil = wrk(NGINX_PORT, f"/{key}.json", CONNECTIONS)
            framework = static_route(size)
            row(f"{what}, plain", size, svc, "nginx sendfile", size, ceil,
                goal=goal_share(70) and plain_goal(framework))
            row("  same, beside the service's own static route", size, svc, "service static route", size,
                framework, note="the plain goal (row above): ≥ 70% of nginx, or ≥ 90% of this route "
                "where the framework itself stays below 70% of nginx")
        else:
            row(f"{what}, plain", size, svc, "service static route", size, static_route(size),
                goal=goal_share(90), note="nginx could not be had: the ceiling is the service's own static route")
        # gzip, as browsers and portals ask
        note = f"a gzip -6 copy would be {len(gzip.compress(plain.body, compresslevel=6, mtime=0))} B"
        if gz.headers.get("content-encoding") != "gzip":
            note = "the service sent no Content-Encoding: gzip; " + note
        svc = wrk(PORT, path, CONNECTIONS, [gz_header])
        if nginx:
            row(f"{what}, gzip", len(gz.body), svc, "nginx gzip_static (gzip -9)", ceil_gz_size,
                wrk(NGINX_PORT, f"/{key}.json", CONNECTIONS, [gz_header]), note=note,
                goal=goal_share(70, p99=True))
        else:
            row(f"{what}, gzip", len(gz.body), svc, note=note + "; no nginx: no gzip ceiling")
        framework_row(len(gz.body), svc)
        # brotli: nginx-light has no brotli module, so the ceiling is its gzip_static
        note = "ceiling: nginx-light has no brotli, so its gzip_static"
        if br.headers.get("content-encoding") != "br":
            note = f"the service sent no Content-Encoding: br ({br.headers.get('content-encoding', 'identity')}); " + note
        svc = wrk(PORT, path, CONNECTIONS, ["Accept-Encoding: br"])
        if nginx:
            row(f"{what}, br", len(br.body), svc, "nginx gzip_static (gzip -9)", ceil_gz_size,
                wrk(NGINX_PORT, f"/{key}.json", CONNECTIONS, [gz_header]), note=note,
                goal=goal_share(70, p99=True))
        else:
            row(f"{what}, br", len(br.body), svc, note="no nginx: no ceiling")
        framework_row(len(br.body), svc)


def static_route(size):
    """wrk on the service's own static route sending SIZE bytes (asked without Accept-Encoding,
    so nothing is compressed on the way), once it is seen to send exactly that."""
    static_path = f"/bench/static/{size}"
    st = fetch_variant(PORT, static_path, None)
    if len(st.body) != size or "content-encoding" in st.headers:
        raise SystemExit(f"bench: the static route served {len(st.body)} bytes, not {size}")
    return wrk(PORT, static_path, CONNECTIONS)


def framework_row(size, svc):
    """The framework's own ceiling for a compressed read: the static route sending as many bytes
    as the compressed body, to tell the framework's cost from the service's."""
    row("  same, beside the service's own static route of that size", size, svc, "service static route",
        size, static_route(size),
        note="not the goal's ceiling: what the framework itself serves at the compressed size")


def cold_rows():
    """The region view page and the whole regional CSV, each on a freshly started server: time
    of the first (cold) request and of a second one, and the server's peak RSS (VmHWM)."""
    for region in (REGION_SMALL, REGION_LARGE):
        for what, query in (("region view page (default page, JSON)", ""), ("regional CSV, whole", "?format=csv")):
            server = Server("cold").start()
            try:
                _, base_hwm = server.memory()
                path = f"/api/v1/public/regions/{quote(region)}/register{query}"
                first = ok(request(PORT, "GET", path, {"Accept-Encoding": "gzip"}), what)
                _, hwm = server.memory()
                second = ok(request(PORT, "GET", path, {"Accept-Encoding": "gzip"}), what)
                _, hwm2 = server.memory()
                plain = ok(request(PORT, "GET", path), what)
                if query:
                    rows = sum(1 for _ in csv.reader(io.StringIO(plain.body.decode("utf-8-sig")), delimiter=";")) - 1
                    info = f"{rows} rows"
                else:
                    doc = plain.json()
                    info = f"{doc['total']} rows in all, {len(doc['rows'])} on the page"
                agencies = len(agencies_of(region))
                csv_goal = goal_limits(3, 100) if query and rows >= 200_000 else None
                row(f"{what}, {agencies} agencies, cold", len(plain.body), seconds=first.seconds, rss=hwm,
                    goal=csv_goal,
                    note=f"{info}; gzip on the wire {len(first.body)} B"
                    f" ({first.headers.get('content-encoding', 'identity')}); RSS at start {mb(base_hwm)} MB")
                row("  same, second request", len(plain.body), seconds=second.seconds, rss=hwm2)
            finally:
                server.stop()


def memory_row():
    """Reads every register of the large region on a fresh server: RSS beside the cache size."""
    server = Server("memory").start()
    try:
        ids = agencies_of(REGION_LARGE)
        conn = http.client.HTTPConnection(HOST, PORT, timeout=60)
        started = time.perf_counter()
        total = 0
        for enc in ("gzip", "br", None):
            for a in ids:
                conn.request("GET", f"/api/v1/public/agencies/{a}/register",
                             headers={"Accept-Encoding": enc} if enc else {})
                r = conn.getresponse()
                total += len(r.read())
                if r.status != 200:
                    raise SystemExit(f"bench: register of {a}: HTTP {r.status}")
        conn.close()
        rss, hwm = server.memory()
        row(f"every register of the region read (gzip, br, plain), {len(ids)} agencies",
            total, seconds=time.perf_counter() - started, rss=rss,
            note=f"TOUCHPOINTS_CACHE_BYTES={int(CACHE_BYTES) / 1048576:.0f} MB; peak RSS {mb(hwm)} MB")
    finally:
        server.stop()


def write_rows(auth):
    agency = one_agency(REGION_WRITE)
    h = {"Authorization": f"Bearer {auth}", "Content-Type": "application/json"}
    processes = ok(request(PORT, "GET", f"/api/v1/agencies/{agency}/processes?limit=500", h), "processes").json()["items"]
    pids = [p["id"] for p in processes]
    points = []
    for pid in pids:
        r = ok(request(PORT, "GET", f"/api/v1/processes/{pid}/points?limit=500", h), "points").json()
        points += r["items"]
    sample = points[0]
    # the first edit would open a revision; open it before the load so no request races for it
    r = request(PORT, "POST", f"/api/v1/agencies/{agency}/revisions", h,
                json.dumps({"reason": "other", "comment": "Нагрузочный тест записи"}))
    ok(r, "open the revision for writes", (201, 409))
    nonce = secrets.token_hex(4)
    lua = os.path.join(LOG_DIR, "bench-write.lua")
    lua_list = lambda xs: "{" + ",".join(f'"{x}"' for x in xs) + "}"  # noqa: E731
    with open(lua, "w") as f:
        f.write(f"""
local processes = {lua_list(pids)}
local points = {lua_list(p["id"] for p in points)}
local auth = "Bearer {auth}"
local channel = "{sample["channel"]}"
local needs = '{json.dumps(sample.get("needs") or [])}'
local counter, id = 0, 0
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
function init(args) mode = args[1] end
function request()
  counter = counter + 1
  local headers = {{["Authorization"] = auth, ["Content-Type"] = "application/json"}}
  if mode == "create" then
    local p = processes[(counter * 7 + tid) % #processes + 1]
    local body = '{{"channel":"' .. channel .. '","name":"Нагрузка {nonce} ' .. tid .. '-' .. counter .. '","needs":' .. needs .. '}}'
    return wrk.format("POST", "/api/v1/processes/" .. p .. "/points", headers, body)
  else
    local t = points[(counter * 2 + tid) % #points + 1]
    local body = '{{"interaction":"Изменено нагрузкой {nonce} ' .. tid .. '-' .. counter .. '"}}'
    return wrk.format("PATCH", "/api/v1/points/" .. t, headers, body)
  end
end
""")
    for mode, what in (("create", "create a touchpoint (POST)"), ("patch", "patch a touchpoint (PATCH)")):
        m = wrk(PORT, "/", WRITE_CONNECTIONS, script=lua, args=[mode])
        row(f"write path: {what}, {WRITE_CONNECTIONS} connections", svc=m,
            note=f"one agency, {len(pids)} processes; p50 {m['p50']:.2f} ms"
            + (f"; {len(points)} touchpoints patched in turn" if mode == "patch" else ""))


def fresh_revision(h, name):
    """A new empty agency of the import region and a revision open on it."""
    agency = ok(request(PORT, "POST", "/api/v1/agencies", h,
                        json.dumps({"name": name, "region": REGION_IMPORT, "kind": "ministry"})),
                "create an agency", (201,)).json()["id"]
    revision = ok(request(PORT, "POST", f"/api/v1/agencies/{agency}/revisions", h,
                          json.dumps({"reason": "yearly_revision"})), "open a revision", (201,)).json()
    return agency, revision["id"]


def import_file(h, source_region, name, dry_run_first=False):
    """Exports the source agency's current register as XLSX and imports it into a fresh agency
    (first with dry_run=true, when asked: the same work without the commit)."""
    src = one_agency(source_region)
    xlsx = ok(request(PORT, "GET", f"/api/v1/public/agencies/{src}/register?format=xlsx"), "export XLSX").body
    agency, rev = fresh_revision(h, name)
    headers = {"Authorization": h["Authorization"], "Content-Type": XLSX}
    dry = None
    if dry_run_first:
        dry = ok(request(PORT, "POST", f"/api/v1/revisions/{rev}/import?dry_run=true", headers, xlsx), "dry run")
    r = ok(request(PORT, "POST", f"/api/v1/revisions/{rev}/import", headers, xlsx), "import")
    return xlsx, agency, rev, r, dry


def settle_database():
    """VACUUM (ANALYZE) and CHECKPOINT the bench database, so that the timed imports do not
    share the machine with the autovacuum and checkpoint the write load has just set off."""
    for sql in ("VACUUM (ANALYZE)", "CHECKPOINT"):
        try:
            done = subprocess.run(["psql", "-q", "-X", "-v", "ON_ERROR_STOP=1", "-d", DB_URL, "-c", sql],
                                  capture_output=True, text=True)
        except OSError as e:  # no psql where the server was found elsewhere
            say(f"{sql} not run: {e}")
            return
        if done.returncode != 0:
            # (CHECKPOINT needs a superuser or pg_checkpoint; the imports are measured anyway)
            say(f"{sql} failed: {done.stderr.strip()}")


def import_rows(h):
    settle_database()
    nonce = secrets.token_hex(3)
    for n in IMPORT_SIZES:
        xlsx, _, _, r, dry = import_file(h, region_label(n), f"Импорт {n * POINTS} строк, прогон {nonce}", True)
        rep = r.json()
        dry_rep = dry.json()
        row(f"import of {n * POINTS} rows, dry_run=true (nothing written)", len(xlsx), seconds=dry.seconds,
            note=f"would create {dry_rep['created']}, rejected {dry_rep['rejected']}; written: {dry_rep['written']}")
        row(f"import of {n * POINTS} rows (XLSX of {n} processes) into an empty agency", len(xlsx),
            seconds=r.seconds, goal=goal_limits(1) if n * POINTS >= 5000 else None,
            note=f"created {rep['created']}, merged {rep['merged']}, unchanged {rep['unchanged']}, "
            f"rejected {rep['rejected']}; written: {rep['written']}; the database vacuumed and "
            f"checkpointed after the write load, before the imports")


def publish_row(h):
    rows = PUBLISH_SIZE * POINTS
    _, _, rev, r, _ = import_file(h, region_label(PUBLISH_SIZE), f"Публикация {rows} строк, прогон {secrets.token_hex(3)}")
    revision = ok(request(PORT, "GET", f"/api/v1/revisions/{rev}", h), "revision").json()
    for part in revision["parts"]:
        unit = quote(part["unit_id"])
        ok(request(PORT, "POST", f"/api/v1/revisions/{rev}/parts/{unit}/submit", h), "submit")
        ok(request(PORT, "POST", f"/api/v1/revisions/{rev}/parts/{unit}/accept", h), "accept")
    ok(request(PORT, "POST", f"/api/v1/revisions/{rev}/approve", h), "approve")
    p = ok(request(PORT, "POST", f"/api/v1/revisions/{rev}/publish", h), "publish")
    row(f"publish a register of {rows} rows", seconds=p.seconds,
        note=f"{r.json()['created']} rows imported, {len(revision['parts'])} part(s); version {p.json()['version']}")


def main():
    say("nginx:", NGINX or "not to be had; the service's own static route is the ceiling")
    started = time.time()
    nginx = Nginx().start() if NGINX else None
    server = Server("reads")
    try:
        server.start()
        say("reads at each register size")
        read_rows(nginx)
        if nginx:
            nginx.stop()
            nginx = None
        h = {"Authorization": f"Bearer {token()}", "Content-Type": "application/json"}
        say("write path")
        write_rows(h["Authorization"].removeprefix("Bearer "))
        say("import and publication")
        import_rows(h)
        publish_row(h)
    finally:
        server.stop()
        if nginx:
            nginx.stop()
    say("cold region page and CSV, each on a fresh server")
    cold_rows()
    say("memory after reading every register")
    memory_row()

    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    print()
    print(f"Machine: {os.cpu_count()} cores, {cpu}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))}; "
          f"load average at the end {os.getloadavg()[0]:.2f}. wrk -t2 -d{DURATION}s --latency on loopback: "
          f"reads at {CONNECTIONS} connections, writes at {WRITE_CONNECTIONS}; {POINTS} touchpoints a process; "
          f"server: release build (--features bench), default workers, RUST_LOG=warn, "
          f"TOUCHPOINTS_CACHE_BYTES={CACHE_BYTES}; RSS: the peak (VmHWM) of a server started afresh for "
          f"that row, except the memory row (VmRSS after the reads); ceiling: "
          + ("nginx-light (sendfile on, gzip_static on with a gzip -9 copy, worker_processes auto, access_log off)"
             if NGINX else "the service's own static route (nginx could not be had)") + ".")
    print()
    head = ["measurement", "body bytes", "req/s", "p99 ms", "time s", "RSS MB", "ceiling", "ceiling bytes",
            "ceiling req/s", "ceiling p99 ms", "% of ceiling", "goal", "notes"]
    print("| " + " | ".join(head) + " |")
    print("|---|" + "---:|" * 10 + "---|---|")
    for r in ROWS:
        print("| " + " | ".join(c.replace("|", "/") for c in r) + " |")


if __name__ == "__main__":
    # SIGTERM (e.g. the shell's trap) unwinds through the finally blocks that stop the servers
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    main()
