"""A real ClickHouse server (Debian's clickhouse-server, 18.16 on bookworm) for
the clickhouse_exporter tests: a plain process on loopback with free ports, its
own configuration, data and log directories under /tmp, started once per test
module and stopped at its end. Users: `default` (no password), `monitor`
(password, may change settings), `exporter` (password, readonly=1 profile).
A file dictionary `colors` loads, `broken` fails (its file is missing).

Also a small HTTP proxy for faults in front of it (HTTP 500 on chosen
requests, replies cut mid-line) and an `upstream` helper (the Go exporter
given with --upstream or $CLICKHOUSE_UPSTREAM)."""

import http.client
import http.server
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse

from harness import Exporter, Skip, free_port, wait_for

CLICKHOUSE_SERVER = "/usr/sbin/clickhouse-server"
PASSWORD = "m0nitor-Pa55"
EXPORTER_PASSWORD = "r3adonly-Pa55"

CONFIG = """<?xml version="1.0"?>
<yandex>
    <logger>
        <level>information</level>
        <log>{dir}/log/server.log</log>
        <errorlog>{dir}/log/server.err.log</errorlog>
        <size>100M</size>
        <count>1</count>
    </logger>
    <http_port>{http_port}</http_port>
    <tcp_port>{tcp_port}</tcp_port>{tls}
    <listen_host>127.0.0.1</listen_host>
    <max_connections>256</max_connections>
    <keep_alive_timeout>{keep_alive}</keep_alive_timeout>
    <max_concurrent_queries>50</max_concurrent_queries>
    <uncompressed_cache_size>134217728</uncompressed_cache_size>
    <mark_cache_size>134217728</mark_cache_size>
    <path>{dir}/data/</path>
    <tmp_path>{dir}/tmp/</tmp_path>
    <user_files_path>{dir}/user_files/</user_files_path>
    <format_schema_path>{dir}/format_schemas/</format_schema_path>
    <users_config>{dir}/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
    <dictionaries_config>{dir}/*_dictionary.xml</dictionaries_config>
    <dictionaries_lazy_load>true</dictionaries_lazy_load>
    <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
    <max_session_timeout>3600</max_session_timeout>
    <default_session_timeout>60</default_session_timeout>
</yandex>
"""

USERS = """<?xml version="1.0"?>
<yandex>
    <profiles>
        <default><max_memory_usage>2000000000</max_memory_usage></default>
        <readonly><readonly>1</readonly></readonly>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
        <monitor>
            <password>{password}</password>
            <networks><ip>127.0.0.1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </monitor>
        <exporter>
            <password>{exporter_password}</password>
            <networks><ip>127.0.0.1</ip></networks>
            <profile>readonly</profile>
            <quota>default</quota>
        </exporter>
    </users>
    <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
        <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
"""

DICTIONARIES = """<?xml version="1.0"?>
<dictionaries>
    <dictionary>
        <name>colors</name>
        <source><file><path>{dir}/user_files/colors.tsv</path><format>TabSeparated</format></file></source>
        <lifetime>300</lifetime>
        <layout><flat/></layout>
        <structure>
            <id><name>id</name></id>
            <attribute><name>name</name><type>String</type><null_value></null_value></attribute>
        </structure>
    </dictionary>
    <dictionary>
        <name>broken</name>
        <source><file><path>{dir}/user_files/missing.tsv</path><format>TabSeparated</format></file></source>
        <lifetime>300</lifetime>
        <layout><flat/></layout>
        <structure>
            <id><name>id</name></id>
            <attribute><name>name</name><type>String</type><null_value></null_value></attribute>
        </structure>
    </dictionary>
</dictionaries>
"""


class QueryError(Exception):
    def __init__(self, status, text):
        super().__init__(f"HTTP {status}: {text.strip()[:300]}")
        self.status = status
        self.text = text


class ClickHouseServer:
    """clickhouse-server on free loopback ports in its own directory under /tmp."""

    def __init__(self, name="ch", keep_alive=3, http_port=None, tls=False, dictionaries=True):
        if not os.path.exists(CLICKHOUSE_SERVER):
            raise Skip("clickhouse-server is not installed (scripts/install-deps test)")
        self.dir = tempfile.mkdtemp(prefix=f"itest-{name}-", dir="/tmp")
        self.http_port = http_port or free_port()
        self.tcp_port = free_port()
        self.https_port = None
        tls_config = ""
        if tls:
            self.https_port = free_port()
            self.cert = os.path.join(self.dir, "server.crt")
            key = os.path.join(self.dir, "server.key")
            # a self-signed certificate for 127.0.0.1: the exporter needs it as its CA file
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                            "-keyout", key, "-out", self.cert], check=True, capture_output=True)
            tls_config = f"""
    <https_port>{self.https_port}</https_port>
    <openSSL><server>
        <certificateFile>{self.cert}</certificateFile>
        <privateKeyFile>{key}</privateKeyFile>
        <verificationMode>none</verificationMode>
        <loadDefaultCAFile>false</loadDefaultCAFile>
        <disableProtocols>sslv2,sslv3</disableProtocols>
    </server></openSSL>"""
        self.keep_alive = keep_alive
        self.proc = None
        for sub in ("data", "tmp", "user_files", "format_schemas", "log"):
            os.makedirs(os.path.join(self.dir, sub))
        fmt = dict(dir=self.dir, http_port=self.http_port, tcp_port=self.tcp_port, keep_alive=keep_alive, tls=tls_config,
                   password=PASSWORD, exporter_password=EXPORTER_PASSWORD)
        with open(os.path.join(self.dir, "config.xml"), "w") as f:
            f.write(CONFIG.format(**fmt))
        with open(os.path.join(self.dir, "users.xml"), "w") as f:
            f.write(USERS.format(**fmt))
        if dictionaries:
            with open(os.path.join(self.dir, "test_dictionary.xml"), "w") as f:
                f.write(DICTIONARIES.format(**fmt))
        with open(os.path.join(self.dir, "user_files", "colors.tsv"), "w") as f:
            f.write("1\tred\n2\tgreen\n3\tblue\n")
        try:
            self.start()
        except BaseException:
            self.cleanup()  # no server and no directory left behind
            raise

    @property
    def uri(self):
        return f"http://127.0.0.1:{self.http_port}/"

    @property
    def addr(self):
        return f"127.0.0.1:{self.http_port}"

    def start(self):
        self.log = open(os.path.join(self.dir, "log", "stdout.log"), "ab")
        self.proc = subprocess.Popen(
            [CLICKHOUSE_SERVER, f"--config-file={self.dir}/config.xml"],
            stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL, cwd=self.dir)
        wait_for(self._ready, 60, interval=0.1, what=f"clickhouse-server on {self.http_port}")

    def _ready(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"clickhouse-server exited with {self.proc.returncode}: {self.errors()}")
        try:
            return self.query("SELECT 1").strip() == "1"
        except (OSError, QueryError, http.client.HTTPException):
            return False

    def errors(self):
        try:
            with open(os.path.join(self.dir, "log", "server.err.log"), errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def query(self, sql, user=None, password=None, timeout=30.0, **settings):
        """Run sql over HTTP (POST); returns the body, raises QueryError."""
        params = urllib.parse.urlencode(settings)
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=timeout)
        headers = {}
        if user:
            headers["X-ClickHouse-User"] = user
            headers["X-ClickHouse-Key"] = password or ""
        try:
            conn.request("POST", "/?" + params, body=sql.encode(), headers=headers)
            r = conn.getresponse()
            body = r.read().decode("utf-8", "replace")
            if r.status != 200:
                raise QueryError(r.status, body)
            return body
        finally:
            conn.close()

    def pid(self):
        return self.proc.pid

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()

    def restart(self):
        self.stop()
        self.start()

    def freeze(self):
        os.kill(self.proc.pid, signal.SIGSTOP)

    def thaw(self):
        os.kill(self.proc.pid, signal.SIGCONT)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def populate(ch, odd_names=True, mutation=True, dictionaries=True):
    """MergeTree tables with inserts (two parts in one), a mutation, a detached
    part, the dictionaries loaded; with odd_names also tables whose names have
    a space, a tab and a backslash (upstream's parser fails on those). Without
    mutation and dictionaries (a server started without them), nothing but
    tables and parts: nothing beyond upstream's families to report."""
    ch.query("CREATE DATABASE IF NOT EXISTS shop")
    ch.query("CREATE TABLE shop.orders (day Date, id UInt64, amount Float64) "
             "ENGINE = MergeTree() PARTITION BY toYYYYMM(day) ORDER BY id")
    ch.query("INSERT INTO shop.orders VALUES ('2024-01-05', 1, 10), ('2024-01-06', 2, 20), ('2024-02-01', 3, 30)")
    ch.query("INSERT INTO shop.orders VALUES ('2024-03-01', 4, 40)")
    ch.query("CREATE TABLE shop.visits (day Date, id UInt64) ENGINE = MergeTree() PARTITION BY toYYYYMM(day) ORDER BY id")
    ch.query("INSERT INTO shop.visits SELECT toDate('2024-01-01') + number % 60, number FROM system.numbers LIMIT 1000")
    if odd_names:
        ch.query("CREATE TABLE shop.`odd name\twith\\\\ tab` (id UInt64) ENGINE = MergeTree() ORDER BY id")
        ch.query("INSERT INTO shop.`odd name\twith\\\\ tab` VALUES (1), (2)")
        ch.query("CREATE TABLE default.`with space` (id UInt64) ENGINE = MergeTree() ORDER BY id")
        ch.query("INSERT INTO default.`with space` VALUES (7)")
    if mutation:
        # a mutation (18.16 runs it in the background; it leaves a row in system.mutations)
        ch.query("ALTER TABLE shop.orders DELETE WHERE id = 2")
        wait_for(lambda: ch.query("SELECT min(is_done) FROM system.mutations WHERE table = 'orders'").strip() == "1",
                 30, what="the mutation to finish")
    # a detached part: the March partition of orders
    ch.query("ALTER TABLE shop.orders DETACH PARTITION 202403")
    if dictionaries:
        ch.query("SELECT dictGetString('colors', 'name', toUInt64(1))")
        try:
            ch.query("SELECT dictGetString('broken', 'name', toUInt64(1))")
        except QueryError:
            pass  # expected: its file is missing


# ---- faults in front of the real server ----

class FaultProxy:
    """A TCP proxy in front of ClickHouse's HTTP port that passes requests through
    and, on the requests chosen by `plan` (a callable of the request number
    starting at 1, returning None, "500" or "cut"), answers HTTP 500 itself or
    forwards only the reply's head and the first part of its body, cut in the
    middle of a line, then closes."""

    def __init__(self, backend_port, plan):
        self.backend_port = backend_port
        self.plan = plan
        self.port = free_port()
        self.requests = 0
        self.lines = []  # request lines ("POST /?... HTTP/1.1"), in order
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(16)
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def uri(self):
        return f"http://127.0.0.1:{self.port}/"

    def close(self):
        self.stopped = True
        self.sock.close()

    def _accept(self):
        while not self.stopped:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    @staticmethod
    def _read_request(c, buf):
        while b"\r\n\r\n" not in buf:
            chunk = c.recv(65536)
            if not chunk:
                return None, b""
            buf += chunk
        head, rest = buf.split(b"\r\n\r\n", 1)
        length = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v.strip())
        while len(rest) < length:
            chunk = c.recv(65536)
            if not chunk:
                return None, b""
            rest += chunk
        return head + b"\r\n\r\n" + rest[:length], rest[length:]

    def _serve(self, c):
        buf = b""
        try:
            while True:
                req, buf = self._read_request(c, buf)
                if req is None:
                    return
                with self.lock:
                    self.requests += 1
                    n = self.requests
                    self.lines.append(req.split(b"\r\n", 1)[0].decode("latin-1"))
                action = self.plan(n)
                if action == "500":
                    body = b"proxy: internal error\n"
                    c.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\n"
                              b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
                    continue
                b = socket.create_connection(("127.0.0.1", self.backend_port), timeout=30)
                # One request per backend connection: the reply ends when the backend closes.
                b.sendall(req.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1))
                reply = b""
                while True:
                    chunk = b.recv(65536)
                    if not chunk:
                        break
                    reply += chunk
                b.close()
                if action == "cut":
                    head, body = reply.split(b"\r\n\r\n", 1)
                    # keep the head, then half of the body's first chunk: mid-line
                    c.sendall(head + b"\r\n\r\n" + body[: max(1, len(body) // 2)])
                    return
                c.sendall(reply)
                if b"connection: close" in reply.split(b"\r\n\r\n", 1)[0].lower():
                    return
        except OSError:
            pass
        finally:
            c.close()


class StandIn:
    """An HTTP server in ClickHouse's place: records each POSTed statement (requests) and its
    headers (lower-cased names); answer(sql) gives the (status, body) to send back."""

    def __init__(self, answer):
        self.requests = []
        self.headers = []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                sql = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode().strip()
                outer.requests.append(sql)
                outer.headers.append({k.lower(): v for k, v in self.headers.items()})
                status, body = answer(sql)
                self.send_response(status)
                self.send_header("Content-Type", "text/tab-separated-values; charset=UTF-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), H)
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


def ch_exporter(args=(), **kw):
    """Our clickhouse_exporter on a free port, given as upstream names it (-telemetry.address)."""
    return Exporter("clickhouse_exporter", args, listen_flag="-telemetry.address", **kw)


def upstream_binary(default_name="clickhouse_exporter"):
    """The upstream Go exporter: $CLICKHOUSE_UPSTREAM, else /tmp/upstream/bin/<name>; Skip if absent."""
    path = os.environ.get("CLICKHOUSE_UPSTREAM") or os.path.join("/tmp/upstream/bin", default_name)
    if not os.path.exists(path):
        raise Skip(f"upstream clickhouse_exporter not found ({path}); set CLICKHOUSE_UPSTREAM")
    return path


def wait_port(port, timeout=20.0):
    def ok():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            return False
    wait_for(ok, timeout, what=f"port {port}")


def scrape_ch(exporter, path="/metrics", timeout_hdr=None):
    headers = {"X-Prometheus-Scrape-Timeout-Seconds": str(timeout_hdr)} if timeout_hdr else None
    t0 = time.monotonic()
    r = exporter.get(path, headers, timeout=60)
    return r, time.monotonic() - t0
