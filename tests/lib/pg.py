"""A real PostgreSQL 15 for the pg_exporter tests: initdb into a private data
directory, start on a free loopback port (as the postgres user when running
as root), run SQL through psql, freeze/thaw, stop/restart.

Roles created by start():
  postgres  superuser, trust over 127.0.0.1 (used by the tests for setup)
  exporter  pg_monitor member with a password (scram), what the exporters use
  filler    plain login role with a password, used to exhaust connections
"""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from harness import Skip, free_port, wait_for

PGBIN = os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin")
EXPORTER_PASSWORD = "s3cr3t-Pa55word"
FILLER_PASSWORD = "filler-pw"


def _pg_user():
    """(uid, gid) to run the server as, or None to run as ourselves."""
    if os.getuid() != 0:
        return None
    try:
        pw = pwd.getpwnam("postgres")
    except KeyError:
        raise Skip("running as root and there is no postgres user to run PostgreSQL as")
    return pw.pw_uid, pw.pw_gid


def _demote(ids):
    def fn():
        os.setgid(ids[1])
        os.setgroups([])
        os.setuid(ids[0])
    return fn


class PgServer:
    """One PostgreSQL cluster. Use start()/stop(), or as a context manager."""

    def __init__(self, settings=None, hba_extra=(), primary=None, slot=None):
        if not os.path.exists(os.path.join(PGBIN, "postgres")):
            raise Skip(f"PostgreSQL is not installed in {PGBIN}")
        self.ids = _pg_user()
        self.port = free_port()
        self.tmp = tempfile.mkdtemp(prefix="pgtest-")
        self.data = os.path.join(self.tmp, "data")
        self.logfile = os.path.join(self.tmp, "server.log")
        self.settings = {
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.tmp}'",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "shared_buffers": "16MB",
            "max_connections": "30",
            "wal_level": "logical",
            "max_wal_senders": "5",
            "max_replication_slots": "5",
            "shared_preload_libraries": "'pg_stat_statements'",
            "track_io_timing": "on",
            "autovacuum_naptime": "1",
            "log_min_messages": "warning",
            "logging_collector": "off",
        }
        self.settings.update(settings or {})
        self.hba_extra = list(hba_extra)
        self.frozen = False
        try:
            if primary:
                self._basebackup(primary, slot)
            else:
                self._initdb()
        except BaseException:
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise

    @classmethod
    def standby(cls, primary, slot):
        """A streaming replica of primary (pg_basebackup -R) using the physical slot."""
        return cls(primary=primary, slot=slot)

    def _basebackup(self, primary, slot):
        if self.ids:
            os.chown(self.tmp, *self.ids)
        os.chmod(self.tmp, 0o700)
        self._run([os.path.join(PGBIN, "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port),
                   "-U", "postgres", "-D", self.data, "-R", "-S", slot, "-X", "stream", "-c", "fast", "--no-sync"],
                  timeout=120)
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write(f"unix_socket_directories = '{self.tmp}'\ncluster_name = 'standby'\n")
        self._roles_done = True

    # ---- lifecycle ----

    def _run(self, argv, check=True, **kw):
        kw.setdefault("capture_output", True)
        if self.ids:
            kw["preexec_fn"] = _demote(self.ids)
        r = subprocess.run(argv, **kw)
        if check and r.returncode != 0:
            raise AssertionError(f"{argv[0]} failed ({r.returncode}): {r.stdout!r} {r.stderr!r}")
        return r

    def _initdb(self):
        if self.ids:
            os.chown(self.tmp, *self.ids)
        os.chmod(self.tmp, 0o700)
        self._run([os.path.join(PGBIN, "initdb"), "-D", self.data, "-U", "postgres", "--auth=trust",
                   "-E", "UTF8", "--locale=C", "--no-sync"], timeout=120)
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            for k, v in self.settings.items():
                f.write(f"{k} = {v}\n")
        hba = [
            "local all all trust",
            "host replication postgres 127.0.0.1/32 trust",
            *self.hba_extra,
            "host all postgres 127.0.0.1/32 trust",
            "host all filler 127.0.0.1/32 trust",
            "host all all 127.0.0.1/32 scram-sha-256",
        ]
        with open(os.path.join(self.data, "pg_hba.conf"), "w") as f:
            f.write("\n".join(hba) + "\n")
        if self.ids:
            for p in ("postgresql.conf", "pg_hba.conf"):
                os.chown(os.path.join(self.data, p), *self.ids)

    def start(self, setup_roles=True):
        self._run([os.path.join(PGBIN, "pg_ctl"), "-D", self.data, "-l", self.logfile, "-w", "-t", "60",
                   "-o", f"-p {self.port}", "start"], timeout=90)
        if setup_roles and not getattr(self, "_roles_done", False):
            self.sql(f"""
                CREATE ROLE exporter LOGIN PASSWORD '{EXPORTER_PASSWORD}';
                GRANT pg_monitor TO exporter;
                CREATE ROLE filler LOGIN PASSWORD '{FILLER_PASSWORD}';
                CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
            """)
            self._roles_done = True
        return self

    def stop(self, mode="fast"):
        if self.frozen:
            self.thaw()
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            self._run([os.path.join(PGBIN, "pg_ctl"), "-D", self.data, "-m", mode, "-w", "-t", "60", "stop"],
                      check=False, timeout=90)

    def restart(self):
        self.stop()
        self.start()

    def cleanup(self):
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()
        return False

    # ---- processes ----

    def postmaster_pid(self):
        with open(os.path.join(self.data, "postmaster.pid")) as f:
            return int(f.readline())

    def pids(self):
        """The postmaster and all its children."""
        pm = self.postmaster_pid()
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pm)], capture_output=True, text=True).stdout
        return [pm] + [int(x) for x in out.split()]

    def freeze(self):
        """SIGSTOP the whole cluster: connections stay open, nothing answers."""
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGSTOP)
            except ProcessLookupError:
                pass  # a backend that exited since ps listed it
        self.frozen = True

    def thaw(self):
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        self.frozen = False

    # ---- SQL ----

    def psql_argv(self, db="postgres", user="postgres"):
        return [os.path.join(PGBIN, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                "-h", "127.0.0.1", "-p", str(self.port), "-U", user, "-d", db]

    def sql(self, text, db="postgres", user="postgres", check=True, password=None):
        """Run SQL with psql; returns stdout (unaligned, tuples only, '|' separated)."""
        env = dict(os.environ, PGCONNECT_TIMEOUT="10")
        if password is not None:
            env["PGPASSWORD"] = password
        r = subprocess.run(self.psql_argv(db, user), input=text, capture_output=True, text=True, env=env,
                           timeout=120)
        if check and r.returncode != 0:
            raise AssertionError(f"psql failed: {r.stderr}\nSQL: {text[:500]}")
        return r.stdout

    def session(self, db="postgres", user="postgres"):
        """A psql kept open on a pipe: send statements with .send(); close with .close()."""
        return Session(self.psql_argv(db, user))

    # ---- DSNs ----

    def dsn_uri(self, db="postgres", user="exporter", password=EXPORTER_PASSWORD, extra="sslmode=disable"):
        auth = f"{user}:{password}@" if password is not None else f"{user}@"
        q = f"?{extra}" if extra else ""
        return f"postgresql://{auth}127.0.0.1:{self.port}/{db}{q}"

    def dsn_kv(self, db="postgres", user="exporter", password=EXPORTER_PASSWORD):
        return f"host=127.0.0.1 port={self.port} dbname={db} user={user} password={password} sslmode=disable"

    def log(self):
        try:
            with open(self.logfile, errors="replace") as f:
                return f.read()
        except OSError:
            return ""


class Session:
    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, text=True)

    def send(self, text):
        self.proc.stdin.write(text if text.endswith("\n") else text + "\n")
        self.proc.stdin.flush()

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def raw_connect(port, user, db, password=None, timeout=5.0):
    """Open a bare protocol-3 connection (trust or cleartext/none auth only) and
    return the socket once the server is ready: holds one backend slot."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    params = f"user\0{user}\0database\0{db}\0\0".encode()
    body = (196608).to_bytes(4, "big") + params
    s.sendall((len(body) + 4).to_bytes(4, "big") + body)
    buf = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            raise ConnectionError("server closed the connection")
        buf += chunk
        while len(buf) >= 5:
            typ, ln = buf[0:1], int.from_bytes(buf[1:5], "big")
            if len(buf) < 1 + ln:
                break
            msg, buf = buf[5:1 + ln], buf[1 + ln:]
            if typ == b"E":
                raise ConnectionError(msg.decode(errors="replace"))
            if typ == b"Z":
                return s


def wait_until_accepting(server, timeout=30):
    wait_for(lambda: socket.create_connection(("127.0.0.1", server.port), timeout=0.5).close() or True,
             timeout, what="PostgreSQL to accept connections")
