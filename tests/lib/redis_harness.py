"""Real redis-server instances for the redis_exporter tests: each on a free
loopback port with its own directory, started once per test module and
stopped at its end. Also a minimal RESP client (stdlib only) and a TCP proxy
that cuts replies short."""

import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time

from harness import Skip, free_port, wait_for

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
UPSTREAM = os.environ.get("REDIS_EXPORTER_UPSTREAM", "/usr/bin/prometheus-redis-exporter")


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if not isinstance(a, bytes):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class RespError(Exception):
    pass


class Client:
    """A blocking RESP2 client for setting servers up in tests."""

    def __init__(self, port, password=None, user=None, host="127.0.0.1", timeout=10.0, tls=None):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        if tls:
            self.sock = tls.client_context().wrap_socket(self.sock, server_hostname="redis.test")
        self.buf = b""
        if password:
            self.cmd(*(["AUTH", user, password] if user else ["AUTH", password]))

    def close(self):
        self.sock.close()

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            raise RespError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n).decode("utf-8", "replace")
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RespError(f"bad reply {line!r}")

    def cmd(self, *args):
        self.sock.sendall(encode(*args))
        return self.read()

    def info(self, section="all"):
        text = self.cmd("INFO", section)
        out = {}
        for line in text.splitlines():
            if ":" in line and not line.startswith("#"):
                k, v = line.split(":", 1)
                out[k] = v
        return out


class TlsFiles:
    """Certificates made with openssl for one test module: a CA, a server
    certificate for redis.test and 127.0.0.1 signed by it, a client
    certificate signed by it, and a second CA that signed nothing of these."""

    def __init__(self):
        if not shutil.which("openssl"):
            raise Skip("openssl is not installed")
        self.dir = tempfile.mkdtemp(prefix="itest-tls-")
        self.ca, self.ca_key = self._ca("ca", "suite test CA")
        self.other_ca, _ = self._ca("other-ca", "another CA")
        self.server_cert, self.server_key = self._leaf("server", "redis.test",
                                                       "subjectAltName=DNS:redis.test,IP:127.0.0.1\n")
        self.client_cert, self.client_key = self._leaf("client", "exporter",
                                                       "extendedKeyUsage=clientAuth\n")

    def path(self, name):
        return os.path.join(self.dir, name)

    def _run(self, *args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=self.dir, timeout=60)

    def _ca(self, name, cn):
        self._run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.crt",
                  "-days", "3", "-subj", f"/CN={cn}")
        return self.path(f"{name}.crt"), self.path(f"{name}.key")

    def _leaf(self, name, cn, ext):
        with open(self.path(f"{name}.ext"), "w") as f:
            f.write(ext)
        self._run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
                  "-subj", f"/CN={cn}")
        self._run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                  "-out", f"{name}.crt", "-days", "3", "-extfile", f"{name}.ext")
        return self.path(f"{name}.crt"), self.path(f"{name}.key")

    def client_context(self):
        ctx = ssl.create_default_context(cafile=self.ca)
        ctx.load_cert_chain(self.client_cert, self.client_key)
        return ctx

    def server_args(self, port, auth_clients="no"):
        """redis-server arguments for a TLS-only server on port."""
        return ["--port", "0", "--tls-port", str(port), "--tls-cert-file", self.server_cert,
                "--tls-key-file", self.server_key, "--tls-ca-cert-file", self.ca,
                "--tls-auth-clients", auth_clients]

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class RedisServer:
    """redis-server on a free port in its own directory; with tls (TlsFiles),
    TLS-only on that port, client certificates required if auth_clients is
    "yes"."""

    def __init__(self, *extra, password=None, name="redis", port=None, tls=None, auth_clients="no"):
        if not os.path.exists(REDIS_SERVER):
            raise Skip("redis-server is not installed")
        self.tls = tls
        self.auth_clients = auth_clients
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix=f"itest-{name}-")
        self.password = password
        self.extra = list(extra)
        self.proc = None
        self.log = os.path.join(self.dir, "redis.log")
        self.start()

    def argv(self):
        port = self.tls.server_args(self.port, self.auth_clients) if self.tls else ["--port", str(self.port)]
        a = [REDIS_SERVER, *port, "--bind", "127.0.0.1", "--dir", self.dir,
             "--save", "", "--appendonly", "no", "--logfile", self.log, "--daemonize", "no",
             "--unixsocket", os.path.join(self.dir, "redis.sock"), "--unixsocketperm", "700"]
        if self.password:
            a += ["--requirepass", self.password]
        return a + self.extra

    @property
    def socket_path(self):
        return os.path.join(self.dir, "redis.sock")

    def start(self):
        self.proc = subprocess.Popen(self.argv(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self._ready, 20, what=f"redis-server on {self.port}")

    def _ready(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"redis-server exited: {open(self.log).read()[-2000:]}")
        try:
            c = self.client()
            c.cmd("PING")
            c.close()
            return True
        except (OSError, ConnectionError, RespError):
            return False

    def client(self, **kw):
        if "password" not in kw:
            kw["password"] = self.password
        return Client(self.port, tls=self.tls, **kw)

    def cmd(self, *args):
        c = self.client()
        try:
            return c.cmd(*args)
        finally:
            c.close()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def restart(self):
        self.stop()
        self.start()

    def pause(self):
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def addr(self):
        return f"{'rediss' if self.tls else 'redis'}://127.0.0.1:{self.port}"


class Sentinel(RedisServer):
    """redis-server --sentinel on a free port, monitoring each (name, server) of masters with quorum 1."""

    def __init__(self, masters, name="sentinel"):
        self.masters = masters
        super().__init__(name=name)

    def argv(self):
        conf = os.path.join(self.dir, "sentinel.conf")
        with open(conf, "w") as f:
            for name, srv in self.masters:
                f.write(f"sentinel monitor {name} 127.0.0.1 {srv.port} 1\n")
                f.write(f"sentinel down-after-milliseconds {name} 60000\n")
        return [REDIS_SERVER, conf, "--sentinel", "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", self.dir, "--logfile", self.log, "--daemonize", "no"]


def fill_plain(srv):
    """Data in several databases: db0, db1, db3 with expiring keys and all types."""
    c = srv.client()
    c.cmd("SELECT", 0)
    for i in range(20):
        c.cmd("SET", f"user:{i}", i)
    c.cmd("SET", "greeting", "hello world")
    c.cmd("SET", "counter", "42.5")
    c.cmd("RPUSH", "queue", "a", "b", "c")
    c.cmd("SADD", "tags", "x", "y")
    c.cmd("ZADD", "board", 1, "p1", 2, "p2", 3, "p3", 4, "p4")
    c.cmd("HSET", "h", "f1", "1", "f2", "2")
    c.cmd("XADD", "events", "*", "k", "v")
    c.cmd("PFADD", "visitors", "a", "b", "c", "d", "e")
    c.cmd("SELECT", 1)
    for i in range(5):
        c.cmd("SET", f"session:{i}", "x", "EX", 1000 + i)
    c.cmd("SELECT", 3)
    c.cmd("SET", "only", "1")
    c.close()


def start_cluster(n=3):
    """n masters with cluster-enabled, slots split between them, meeting each other."""
    # The bus port is given explicitly: the default (port + 10000) may not exist.
    buses = [free_port() for _ in range(n)]
    nodes = [RedisServer("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                         "--cluster-node-timeout", "2000", "--cluster-port", str(buses[i]),
                         name=f"cluster{i}") for i in range(n)]
    try:
        per = 16384 // n
        for i, node in enumerate(nodes):
            lo, hi = i * per, (16383 if i == n - 1 else (i + 1) * per - 1)
            node.cmd("CLUSTER", "ADDSLOTSRANGE", lo, hi)
        for i, node in enumerate(nodes[1:], 1):
            nodes[0].cmd("CLUSTER", "MEET", "127.0.0.1", node.port, buses[i])

        def ok():
            return all("cluster_state:ok" in node.cmd("CLUSTER", "INFO") and
                       "cluster_known_nodes:%d" % n in node.cmd("CLUSTER", "INFO") for node in nodes)
        wait_for(ok, 30, 0.2, what="cluster state ok")
    except Exception:
        for node in nodes:
            node.cleanup()
        raise
    return nodes


class CutProxy:
    """A TCP proxy to a Redis server that forwards requests in full but only
    the first `keep` bytes of what the server sends back, then closes both
    sides: a reply cut in the middle."""

    def __init__(self, target_port, keep):
        self.target_port = target_port
        self.keep = keep
        self.port = free_port()
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", self.port))
        self.lsock.listen(16)
        self.lsock.settimeout(0.2)
        self.stopping = False
        self.connections = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping:
            try:
                client, _ = self.lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._pipe, args=(client,), daemon=True).start()

    def _pipe(self, client):
        try:
            server = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
        except OSError:
            client.close()
            return
        client.settimeout(5)
        server.settimeout(5)
        sent = 0
        try:
            while sent < self.keep:
                data = client.recv(65536)
                if not data:
                    break
                server.sendall(data)
                # Collect whatever the server answers for a moment, forward only up to `keep` bytes.
                got = b""
                server.settimeout(0.3)
                try:
                    while True:
                        chunk = server.recv(65536)
                        if not chunk:
                            break
                        got += chunk
                except socket.timeout:
                    pass
                part = got[: self.keep - sent]
                client.sendall(part)
                sent += len(part)
        except OSError:
            pass
        finally:
            client.close()
            server.close()

    def close(self):
        self.stopping = True
        self.lsock.close()
        self.thread.join(2)


class RecordingServer:
    """A fake Redis that records every byte it receives and answers each
    command with an error: shows what an exporter sends to a host named in
    a /scrape URL."""

    def __init__(self):
        self.port = free_port()
        self.received = b""
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", self.port))
        self.lsock.listen(16)
        self.lsock.settimeout(0.2)
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping:
            try:
                c, _ = self.lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            c.settimeout(1)
            try:
                while True:
                    data = c.recv(65536)
                    if not data:
                        break
                    self.received += data
                    n = data.count(b"*")
                    c.sendall(b"-NOAUTH Authentication required.\r\n" * max(n, 1))
            except OSError:
                pass
            finally:
                c.close()

    def close(self):
        self.stopping = True
        self.lsock.close()
        self.thread.join(2)


def metric(fams, name, **labels):
    fam = fams.get(name)
    assert fam is not None, f"{name} missing"
    return fam.value(**labels)
