"""Helpers for integration tests: start real binaries on free loopback ports,
scrape them over HTTP, parse the exposition, run promtool."""

import gzip
import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINDIR = os.path.abspath(os.environ.get("BINDIR", os.path.join(ROOT, "bin")))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
SANITIZED = os.environ.get("SANITIZED", "") == "1"


class Skip(Exception):
    """Raised by a test that cannot run here; reported, not counted as passed."""


def upstream_binary(var, what):
    """The upstream binary that $var names, to run beside ours. Skip when the
    variable is unset; a path that is not there is an error, not a skip."""
    path = os.environ.get(var)
    if not path:
        raise Skip(f"set {var} to {what} to compare with it")
    assert os.access(path, os.X_OK), f"${var}={path} is not an executable"
    return path


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, timeout=10.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            r = pred()
            if r:
                return r
        except Exception as e:  # noqa: BLE001 - keep polling until the deadline
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}" + (f": {last}" if last else ""))


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self):
        return self.body.decode("utf-8")

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None


def http_get(port, path="/metrics", headers=None, method="GET", timeout=15.0, host="127.0.0.1"):
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        body = r.read()
        if r.getheader("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        return Response(r.status, r.getheaders(), body)
    finally:
        conn.close()


def tls_scrape(port, path="/metrics"):
    """(DER certificate the server shows, status line of a GET of path) over
    TLS, the certificate not verified: which one is served is the question."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        with ctx.wrap_socket(s) as t:
            der = t.getpeercert(binary_form=True)
            t.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            return der, t.recv(100).split(b"\r\n")[0]


def der_certificate(path):
    """The DER form of the PEM certificate file at path."""
    with open(path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


class Process:
    """A program under test, with its stderr kept in a temporary file."""

    def __init__(self, argv, env=None, cwd=None):
        self.argv = argv
        self.tmp = tempfile.mkdtemp(prefix="itest-")
        self.logpath = os.path.join(self.tmp, "stderr.log")
        self._log = open(self.logpath, "wb")
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=self._log, env=full_env, cwd=cwd)

    @property
    def log(self):
        if not self._log.closed:
            self._log.flush()
        with open(self.logpath, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def alive(self):
        return self.proc.poll() is None

    def wait_listening(self, port, timeout=20.0, what=None):
        """Wait until port on 127.0.0.1 accepts connections; fail at once if the program exits."""
        def listening():
            if not self.alive():
                raise AssertionError(f"{self.argv[0]} exited with {self.proc.returncode}:\n{self.log}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return True
            except OSError:
                return False
        wait_for(listening, timeout, what=what or f"{os.path.basename(self.argv[0])} to listen")

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"{self.argv[0]} did not exit within {timeout}s of {sig}")
        self._log.close()
        return self.proc.returncode

    def cleanup(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if not self._log.closed:
            self._log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


class Exporter(Process):
    """One of our exporters (or an upstream one, with binary=path) listening on a free port.

    Use as a context manager; on exit it is stopped with SIGTERM and must exit 0
    (under the sanitizers this also proves there was no leak)."""

    def __init__(self, name, args=(), env=None, binary=None, port=None, listen_flag="--web.listen-address",
                 ready_path="/metrics", check_exit=True, wait=True, cwd=None):
        self.name = name
        self.port = port or free_port()
        self.check_exit = check_exit
        exe = binary or os.path.join(BINDIR, name)
        if not os.path.exists(exe):
            raise Skip(f"{exe} is not built")
        super().__init__([exe, f"{listen_flag}=127.0.0.1:{self.port}", *args], env=env, cwd=cwd)
        if wait:
            self.wait_ready(ready_path)

    def wait_ready(self, path="/metrics", timeout=20.0):
        self.wait_listening(self.port, timeout, what=f"{self.name} to listen")

    def get(self, path="/metrics", headers=None, **kw):
        return http_get(self.port, path, headers, **kw)

    def scrape(self, path="/metrics", headers=None, **kw):
        r = self.get(path, headers, **kw)
        assert r.status == 200, f"{path}: HTTP {r.status}: {r.body[:500]!r}\n{self.log}"
        return parse_text(r.text)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            rc = self.stop()
            if exc_type is None and self.check_exit:
                assert rc == 0, f"{self.name} exited with {rc} after SIGTERM:\n{self.log[-4000:]}"
        finally:
            self.cleanup()
        return False


class Family:
    def __init__(self, name):
        self.name = name
        self.type = "untyped"
        self.help = None
        self.samples = []  # (sample name, labels dict, value float)

    def label_names(self):
        names = set()
        for _, labels, _ in self.samples:
            names.update(k for k in labels if k not in ("le", "quantile"))
        return names

    def value(self, **labels):
        """Value of the single sample whose labels include the given ones."""
        found = [v for n, l, v in self.samples if n == self.name and all(l.get(k) == x for k, x in labels.items())]
        if len(found) != 1:
            raise AssertionError(f"{self.name}{labels}: {len(found)} matching samples")
        return found[0]

    def __repr__(self):
        return f"Family({self.name}, {self.type}, {len(self.samples)} samples)"


_SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(\s+\S+)?$')
_LABEL_RE = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?')


def parse_value(s):
    if s in ("+Inf", "Inf"):
        return float("inf")
    if s == "-Inf":
        return float("-inf")
    return float(s)


def unescape(s):
    return s.replace("\\\\", "\0").replace('\\"', '"').replace("\\n", "\n").replace("\0", "\\")


def parse_labels(s):
    labels = {}
    body = s[1:-1]
    pos = 0
    while pos < len(body):
        m = _LABEL_RE.match(body, pos)
        if not m:
            raise ValueError(f"bad labels {s!r}")
        labels[m.group(1)] = unescape(m.group(2))
        pos = m.end()
    return labels


def family_of(sample_name, families, types):
    if sample_name in families:
        return families[sample_name]
    for suffix in ("_bucket", "_sum", "_count", "_total", "_info", "_created"):
        if sample_name.endswith(suffix):
            base = sample_name[: -len(suffix)]
            if base in families:
                return families[base]
    return None


def parse_text(text):
    """Parse text 0.0.4 (or OpenMetrics) into {family name: Family}."""
    families = {}
    # Not splitlines(): it also splits on \x1c-\x1e, which label values may hold.
    for line in text.split("\n"):
        if not line:
            continue
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            parts = line.split(" ", 3)
            name = parts[2]
            fam = families.setdefault(name, Family(name))
            if parts[1] == "TYPE":
                fam.type = parts[3]
            else:
                fam.help = parts[3] if len(parts) > 3 else ""
            continue
        if line.startswith("#"):
            continue
        m = _SAMPLE_RE.match(line)
        if not m:
            raise ValueError(f"unparsable line {line!r}")
        name, labels, value = m.group(1), m.group(2), m.group(3)
        fam = family_of(name, families, None)
        if fam is None:
            fam = families.setdefault(name, Family(name))
        fam.samples.append((name, parse_labels(labels) if labels else {}, parse_value(value)))
    return families


def promtool():
    for p in ("/usr/bin/promtool", shutil.which("promtool") or ""):
        if p and os.path.exists(p):
            return p
    raise Skip("promtool (Debian package prometheus) is not installed")


def promtool_check(text):
    """Run `promtool check metrics`; returns (exit code, output)."""
    r = subprocess.run([promtool(), "check", "metrics"], input=text.encode(), capture_output=True, timeout=60)
    return r.returncode, (r.stdout + r.stderr).decode()


def assert_promtool_ok(text, allowed_lint=()):
    """promtool must parse the page (exit 1 = parse error fails); lint findings
    (exit 3) must each match one of the allowed regexes."""
    rc, out = promtool_check(text)
    assert rc in (0, 3), f"promtool could not parse the page (rc={rc}):\n{out}"
    problems = [l for l in out.splitlines() if l.strip()]
    unexpected = [p for p in problems if not any(re.search(a, p) for a in allowed_lint)]
    assert not unexpected, "promtool lint findings not on the allow-list:\n" + "\n".join(unexpected)
    return problems
