"""Shared by the fault scripts: a private PostgreSQL cluster, free ports, plain HTTP calls.
Standard library only."""
import json, os, pwd, shutil, socket, subprocess, sys, urllib.error, urllib.request

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
