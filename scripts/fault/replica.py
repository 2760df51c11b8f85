#!/usr/bin/env python3
"""The public API on a real streaming replica: a private primary and a hot standby made with
pg_basebackup, the service started with TOUCHPOINTS_REPLICA_URL, and these checks:

  - public reads are served from the standby (its pg_stat_activity shows the service);
  - a version published through the primary is served at once, whatever the replication lag,
    and the standby has it moments later (the lag is printed);
  - with the standby stopped, public reads still answer 200 (from the primary), never 5xx;
  - with the standby back, reads go there again.

    python3 scripts/fault/replica.py [--binary target/debug/touchpoints]

Standard library only; stops by itself (about 25 s); prints `N passed, M failed`.
"""
import argparse, json, os, re, time, urllib.request

from pgcluster import ROOT, Cluster, Service, call, free_port, report, sql


def fallbacks(base):
    with urllib.request.urlopen(base + "/metrics", timeout=5) as r:
        m = re.search(r"^touchpoints_replica_fallbacks_total (\S+)$", r.read().decode(), re.M)
    return float(m.group(1)) if m else 0.0


def service_sessions(port):
    """Client sessions on the `touchpoints` database of the cluster at `port`."""
    return int(sql(port, "SELECT count(*) FROM pg_stat_activity WHERE datname = 'touchpoints' AND backend_type = 'client backend' AND pid <> pg_backend_pid()", "postgres"))


def publish_new_version(base, token, agency):
    s, rev = call(base, "POST", f"/api/v1/agencies/{agency}/revisions", token, {"reason": "channel_changed", "comment": "Проверка реплики"})
    assert s == 201, (s, rev)
    for part in rev["parts"]:
        for action in ("submit", "accept"):
            s, body = call(base, "POST", f"/api/v1/revisions/{rev['id']}/parts/{part['unit_id']}/{action}", token)
            assert s == 200, (action, s, body)
    s, body = call(base, "POST", f"/api/v1/revisions/{rev['id']}/approve", token)
    assert s == 200, (s, body)
    s, body = call(base, "POST", f"/api/v1/revisions/{rev['id']}/publish", token)
    assert s == 200, (s, body)
    return body["version"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, "target", "debug", "touchpoints"))
    args = ap.parse_args()

    primary = Cluster(free_port(), "replica-primary")
    standby = Cluster(free_port(), "replica-standby")
    primary.init("wal_level = replica\nmax_wal_senders = 4\n")
    primary.start()
    # the service's database exists before the copy, so the standby has it from the start
    sql(primary.port, "CREATE DATABASE touchpoints", "postgres")
    standby.init_standby_of(primary)
    standby.start()
    service = Service(args.binary, "replica-server.log", ["--demo"],
                      DATABASE_URL=f"postgres://postgres@127.0.0.1:{primary.port}/touchpoints",
                      TOUCHPOINTS_REPLICA_URL=f"postgres://postgres@127.0.0.1:{standby.port}/touchpoints")
    base = service.base
    checks, figures = [], {}
    try:
        service.wait_ready(30)
        admin = service.admin_token("replica-check")
        # the demo data reaches the standby by replication
        s, agencies = call(base, "GET", "/api/v1/agencies?limit=10", admin)
        assert s == 200 and agencies["total"] == 2, (s, agencies)
        for _ in range(100):
            if sql(standby.port, "SELECT count(*) FROM register_versions") == "2":
                break
            time.sleep(0.1)

        before = service_sessions(standby.port)
        statuses = {}
        for _ in range(20):
            s, page = call(base, "GET", "/api/v1/public/agencies")
            statuses[s] = statuses.get(s, 0) + 1
        figures["standby_sessions_before_public_reads"] = before
        figures["standby_sessions_after_public_reads"] = service_sessions(standby.port)
        checks.append(("public reads are served", statuses == {200: 20}))
        checks.append(("public reads go to the standby", figures["standby_sessions_after_public_reads"] > before))

        agency = agencies["items"][0]["id"]
        f0 = fallbacks(base)
        t0 = time.time()
        version = publish_new_version(base, admin, agency)
        s, current = call(base, "GET", f"/api/v1/public/agencies/{agency}/register")
        figures["served_after_publish_ms"] = round((time.time() - t0) * 1000)
        checks.append(("a new version is served at once", s == 200 and current.get("version") == version))
        replayed = None
        for _ in range(200):
            if sql(standby.port, f"SELECT count(*) FROM register_versions WHERE agency_id = '{agency}' AND number = {version}") == "1":
                replayed = round((time.time() - t0) * 1000)
                break
            time.sleep(0.01)
        figures["standby_has_it_after_ms"] = replayed
        figures["fallbacks_during_publication"] = fallbacks(base) - f0
        checks.append(("the standby replays the publication", replayed is not None))

        standby.stop()
        f1 = fallbacks(base)
        statuses, slowest = {}, 0.0
        for path in ["/api/v1/public/agencies", f"/api/v1/public/agencies/{agency}/register/versions", "/api/v1/public/changes"] * 5:
            t = time.time()
            s, _ = call(base, "GET", path)
            slowest = max(slowest, time.time() - t)
            statuses[s] = statuses.get(s, 0) + 1
        figures["statuses_with_standby_down"] = {str(k): v for k, v in statuses.items()}
        figures["fallbacks_with_standby_down"] = fallbacks(base) - f1
        figures["slowest_read_with_standby_down_ms"] = round(slowest * 1000)
        checks.append(("standby down: public reads still 200", statuses == {200: 15}))
        checks.append(("standby down: answered by the primary", figures["fallbacks_with_standby_down"] >= 15))
        # the first read pays the pool timeout (500 ms here) once; the others skip the replica
        checks.append(("standby down: no read waits more than the pool timeout once", slowest < 1.5))

        standby.start()
        time.sleep(5.5)  # the replica is skipped for 5 s after it failed (db::REPLICA_PAUSE)
        f2 = fallbacks(base)
        statuses = {}
        for _ in range(10):
            s, _ = call(base, "GET", "/api/v1/public/agencies")
            statuses[s] = statuses.get(s, 0) + 1
        figures["fallbacks_after_standby_back"] = fallbacks(base) - f2
        checks.append(("standby back: reads served", statuses == {200: 10}))
        checks.append(("standby back: reads go there again", service_sessions(standby.port) > 0 and figures["fallbacks_after_standby_back"] < 10))
        print(json.dumps(figures, indent=2, ensure_ascii=False))
    finally:
        service.stop()
        standby.destroy()
        primary.destroy()
    report(checks)


if __name__ == "__main__":
    main()
