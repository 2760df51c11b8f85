#!/usr/bin/env python3
"""Faults under load: restart PostgreSQL in the middle of a bounded mixed load and check that
the service answered 503 (not 500, not a hang) while the database was away, recovered on its
own, and that every write it acknowledged is in the database and none it refused is.

    python3 scripts/fault/restart_under_load.py [--binary target/debug/touchpoints] [--seconds 30]

Runs its own private PostgreSQL cluster (initdb in target/fault-pgdata, loopback only) so the
restart disturbs nothing else, and its own service on a free loopback port. Standard library
only; stops by itself. Prints the counts and `N passed, M failed` for its checks.
"""
import argparse, json, os, random, threading, time

from pgcluster import ROOT, Cluster, Service, call, free_port, report


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, "target", "debug", "touchpoints"))
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--threads", type=int, default=6)
    ap.add_argument("--down", type=float, default=4, help="seconds PostgreSQL stays stopped")
    args = ap.parse_args()

    pg = Cluster(free_port(), "fault-pgdata")
    pg.init()
    pg.start()
    service = Service(args.binary, "fault-server.log", DATABASE_URL=f"postgres://postgres@127.0.0.1:{pg.port}/touchpoints")
    base = service.base
    checks = []
    try:
        service.wait_ready(20)
        admin = service.admin_token("fault")
        s, agency = call(base, "POST", "/api/v1/agencies", admin, {"name": "Нагрузочное ведомство", "region": "Тест", "kind": "agency"})
        assert s == 201, (s, agency)
        s, dirs = call(base, "GET", "/api/v1/catalogs/directions")
        s, proc = call(base, "POST", f"/api/v1/agencies/{agency['id']}/processes", admin,
                       {"direction_id": dirs["items"][3]["id"], "name": "Приём обращений", "kind": "function", "client_type": "external"})
        assert s == 201, (s, proc)

        stats = {"acked": [], "refused": [], "unknown": [], "reads_ok": 0, "reads_503": 0, "status": {}}
        lock = threading.Lock()
        deadline = time.time() + args.seconds
        counter = iter(range(10**9))

        def worker(n):
            rnd = random.Random(n)
            while time.time() < deadline:
                if rnd.random() < 0.5:
                    with lock:
                        k = next(counter)
                    phone = f"+7999{n:02d}{k:05d}"
                    s, body = call(base, "POST", f"/api/v1/processes/{proc['id']}/points", admin,
                                   {"channel": "phone", "name": f"Телефон {n}-{k}", "contacts": [{"kind": "phone", "value": phone}], "needs": ["consultation"]})
                    with lock:
                        stats["status"][s] = stats["status"].get(s, 0) + 1
                        if s == 201:
                            stats["acked"].append((phone, body["id"]))
                        elif s is None:
                            stats["unknown"].append(phone)
                        else:
                            stats["refused"].append((phone, s))
                else:
                    s, _ = call(base, "GET", f"/api/v1/processes/{proc['id']}/points?limit=5", admin)
                    with lock:
                        stats["status"][s] = stats["status"].get(s, 0) + 1
                        if s == 200:
                            stats["reads_ok"] += 1
                        elif s == 503:
                            stats["reads_503"] += 1

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.threads)]
        for t in threads:
            t.start()
        time.sleep(args.seconds / 3)
        print(f"stopping PostgreSQL for {args.down}s", flush=True)
        t0 = time.time()
        pg.stop()
        time.sleep(args.down)
        pg.start()
        print(f"PostgreSQL back after {time.time() - t0:.1f}s", flush=True)
        recovered_at = None
        while time.time() < deadline:
            if call(base, "GET", "/ready")[0] == 200:
                recovered_at = time.time() - t0
                break
            time.sleep(0.05)
        for t in threads:
            t.join()

        # what the database holds now
        s, body = call(base, "GET", f"/api/v1/processes/{proc['id']}/points?limit=500", admin)
        stored, offset = set(), 0
        while True:
            s, page = call(base, "GET", f"/api/v1/processes/{proc['id']}/points?limit=500&offset={offset}", admin, timeout=30)
            assert s == 200, (s, page)
            stored |= {c["value"] for t in page["items"] for c in t["contacts"]}
            offset += 500
            if offset >= page["total"]:
                break
        lost = [p for p, _ in stats["acked"] if p not in stored]
        phantom = [p for p, _ in stats["refused"] if p in stored]
        unknown_stored = sum(1 for p in stats["unknown"] if p in stored)
        five_hundreds = sum(v for k, v in stats["status"].items() if k is not None and k >= 500 and k != 503)
        print(json.dumps({
            "writes_acknowledged": len(stats["acked"]),
            "writes_refused": len(stats["refused"]),
            "writes_without_answer": len(stats["unknown"]),
            "of_which_stored": unknown_stored,
            "reads_ok": stats["reads_ok"],
            "reads_503": stats["reads_503"],
            "statuses": {str(k): v for k, v in sorted(stats["status"].items(), key=lambda kv: str(kv[0]))},
            "ready_again_after_restart_s": recovered_at,
            "lost_acknowledged_writes": len(lost),
            "refused_writes_that_exist": len(phantom),
        }, indent=2))
        checks = [
            ("some writes were acknowledged", len(stats["acked"]) > 0),
            ("the outage was answered with 503", stats["status"].get(503, 0) > 0),
            ("no other 5xx", five_hundreds == 0),
            ("ready again within 15 s of the restart", recovered_at is not None and recovered_at < args.down + 15),
            ("no acknowledged write lost", not lost),
            ("no refused write stored", not phantom),
        ]
    finally:
        service.stop()
        pg.destroy()
    report(checks)


if __name__ == "__main__":
    main()
