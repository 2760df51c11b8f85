"""Shared by the fault scripts: a private PostgreSQL cluster, the service, free ports, plain
HTTP calls, the PASS/FAIL report.
Standard library only."""
import json, os, pwd, shutil, socket, subprocess, sys, time, urllib.error, urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def pg_bin(name):
    base = "/usr/lib/postgresql"
    versions = sorted(os.listdir(base), key=lambda v: int(v)) if os.path.isdir(base) else []
    for v in reversed(versions):
        p = os.path.join(base, v, "bin", name)
        if os.path.exists(p):
            return p
    p = shutil.which(name)
    if not p:
        sys.exit(f"{name} not found: install postgresql (apt-get install postgresql)")
    return p


def as_postgres(cmd, **kw):
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    return subprocess.run(cmd, check=True, **kw)


class Cluster:
    """A private PostgreSQL cluster in target/<name> (loopback only, trust auth, no fsync)."""

    def __init__(self, port, name):
        self.port = port
        self.data = os.path.join(ROOT, "target", name)
        if os.geteuid() == 0 and not os.access(os.path.dirname(self.data), os.W_OK | os.X_OK):
            self.data = f"/var/tmp/touchpoints-{name}"

    def _make_dir(self):
        shutil.rmtree(self.data, ignore_errors=True)
        os.makedirs(self.data)
        os.chmod(self.data, 0o700)  # PostgreSQL refuses a data directory others can read
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.data, pw.pw_uid, pw.pw_gid)
            # postgres must be able to reach the directory
            p = os.path.dirname(self.data)
            while p != "/":
                os.chmod(p, os.stat(p).st_mode | 0o001)
                p = os.path.dirname(p)

    def _listen_here(self, extra=""):
        with open(os.path.join(self.data, "postgresql.auto.conf"), "a") as f:
            f.write(f"listen_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = '{self.data}'\nfsync = off\n{extra}")

    def init(self, extra_conf=""):
        """A new cluster; `extra_conf` is appended to postgresql.auto.conf."""
        self._make_dir()
        as_postgres([pg_bin("initdb"), "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync"], stdout=subprocess.DEVNULL)
        self._listen_here(extra_conf)

    def init_standby_of(self, primary):
        """A hot standby streaming from `primary` (pg_basebackup -R: standby.signal and primary_conninfo)."""
        self._make_dir()
        as_postgres([pg_bin("pg_basebackup"), "-D", self.data, "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres", "-R", "-X", "stream", "--no-sync"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._listen_here()

    def ctl(self, *args):
        as_postgres([pg_bin("pg_ctl"), "-D", self.data, "-l", os.path.join(self.data, "log"), "-w", *args], stdout=subprocess.DEVNULL)

    def start(self):
        self.ctl("start")

    def stop(self):
        self.ctl("stop", "-m", "fast")

    def destroy(self):
        try:
            self.stop()
        except Exception:
            pass
        shutil.rmtree(self.data, ignore_errors=True)


def call(base, method, path, token=None, body=None, timeout=5):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")
    except Exception as e:  # timeouts, refused connections
        return None, str(e)


def sql(port, query, database="touchpoints"):
    """One value from a query on the cluster at `port` (psql, trust auth)."""
    out = subprocess.run([pg_bin("psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", database, "-Atc", query],
                         capture_output=True, text=True, check=True).stdout.strip()
    return out


class Service:
    """The touchpoints binary serving on a free loopback port (`serve` + `serve_args`), with
    `env` on top of the environment; its output goes to target/<log_name>."""

    def __init__(self, binary, log_name, serve_args=(), **env):
        self.binary = binary
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.env = dict(os.environ, TOUCHPOINTS_BIND=f"127.0.0.1:{port}", TOUCHPOINTS_JWT_SECRET="fault-scripts-secret-0123456789",
                        TOUCHPOINTS_POOL_TIMEOUT_MS="500", RUST_LOG="warn", **env)
        self.log = open(os.path.join(ROOT, "target", log_name), "w")
        self.proc = subprocess.Popen([binary, "serve", *serve_args], env=self.env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, seconds=30):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if call(self.base, "GET", "/ready")[0] == 200:
                return
            time.sleep(0.1)
        sys.exit(f"the service was not ready within {seconds} s; see {self.log.name}")

    def admin_token(self, sub):
        return subprocess.run([self.binary, "token", "--sub", sub, "--role", "admin"], env=self.env, capture_output=True, text=True, check=True).stdout.strip()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def report(checks):
    """Prints PASS/FAIL per (name, ok) and `N passed, M failed`; exits non-zero on any failure."""
    failed = [name for name, ok in checks if not ok]
    for name, ok in checks:
        print(("PASS " if ok else "FAIL ") + name)
    print(f"{len(checks) - len(failed)} passed, {len(failed)} failed")
    sys.exit(1 if failed or not checks else 0)
