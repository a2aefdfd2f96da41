"""Start and stop: SIGTERM lets scrapes under way finish (issue 11, point 2),
and --web.systemd-socket takes the listening sockets systemd passes
(issue 13), for every exporter."""

import fcntl
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import BINDIR, FIXTURES, Process, Skip, free_port  # noqa: E402

FIX = os.path.join(FIXTURES, "node")


def get(port, path="/metrics", headers=None, timeout=30.0):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read().decode("utf-8", "replace"), r.getheader("Connection")
    finally:
        conn.close()


def in_thread(fn):
    out = {}

    def run():
        try:
            out["result"] = fn()
        except Exception as e:  # noqa: BLE001 - reported by the caller
            out["result"] = e
    t = threading.Thread(target=run)
    t.start()
    return t, out


def start(name, args, port=None):
    exe = os.path.join(BINDIR, name)
    if not os.path.exists(exe):
        raise Skip(f"{exe} is not built")
    p = Process([exe, *args])
    if port:
        p.wait_listening(port)
    return p


def test_sigterm_lets_a_scrape_in_flight_finish():
    d = tempfile.mkdtemp()
    fifo = os.path.join(d, "loadavg")
    os.mkfifo(fifo)
    port = free_port()
    p = start("node_exporter", [f"--web.listen-address=127.0.0.1:{port}", f"--path.procfs={d}",
                                "--collector.disable-defaults", "--collector.loadavg"], port)
    try:
        idle = socket.create_connection(("127.0.0.1", port))  # keep-alive, between requests
        t, out = in_thread(lambda: get(port))
        time.sleep(0.5)  # the scrape now waits on the FIFO
        p.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        # no longer accepting, idle connections closed
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
            raise AssertionError("a new connection was accepted after SIGTERM")
        except ConnectionRefusedError:
            pass
        idle.settimeout(3)
        assert idle.recv(1) == b""
        with open(fifo, "w") as f:
            f.write("0.5 0.4 0.3 1/100 42\n")
        t.join(20)
        status, body, connection = out["result"]
        assert status == 200 and "node_load1 0.5\n" in body
        assert connection == "close"
        assert p.proc.wait(15) == 0, p.log
    finally:
        p.cleanup()
        os.unlink(fifo)
        os.rmdir(d)


def test_sigterm_with_a_hanging_backend_exits_0_after_the_scrape_deadline():
    # A Redis that accepts and never answers: the scrape ends at its deadline
    # (13 s, beyond the old fixed 10 s grace) with redis_up 0, then exit 0.
    hang = socket.socket()
    hang.bind(("127.0.0.1", 0))
    hang.listen(16)
    port = free_port()
    p = start("redis_exporter", [f"--web.listen-address=127.0.0.1:{port}",
                                 f"--redis.addr=redis://127.0.0.1:{hang.getsockname()[1]}"], port)
    try:
        t0 = time.monotonic()
        t, out = in_thread(lambda: get(port, headers={"X-Prometheus-Scrape-Timeout-Seconds": "13"}))
        time.sleep(1)
        p.proc.send_signal(signal.SIGTERM)
        t.join(30)
        status, body, _ = out["result"]
        assert status == 200 and "redis_up 0\n" in body, (status, body[:300])
        assert p.proc.wait(20) == 0, p.log[-2000:]
        assert time.monotonic() - t0 > 11  # it did wait for the scrape
    finally:
        p.cleanup()
        hang.close()


def activated(name, args, n=1):
    """Start name as systemd does with socket activation: listening sockets
    bound by us on descriptors 3.., LISTEN_FDS=n and LISTEN_PID set to the
    program's own pid by a small exec wrapper (bash: descriptors above 9).
    Returns (process, ports, log path)."""
    exe = os.path.join(BINDIR, name)
    if not os.path.exists(exe):
        raise Skip(f"{exe} is not built")
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        socks.append(s)
    # Copies above 100 cannot collide with 3, 4...; the wrapper moves them
    # there and closes them.
    high = [fcntl.fcntl(s.fileno(), fcntl.F_DUPFD, 100) for s in socks]
    script = 'LISTEN_PID=$$ exec "$@"' + "".join(f" {3 + i}<&{fd} {fd}<&-" for i, fd in enumerate(high))
    env = dict(os.environ, LISTEN_FDS=str(n))
    tmp = tempfile.mkdtemp(prefix="itest-")
    log = open(os.path.join(tmp, "stderr.log"), "wb")
    proc = subprocess.Popen(["bash", "-c", script, "bash", exe, *args], env=env, stdout=log, stderr=log,
                            pass_fds=high)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    for fd in high:
        os.close(fd)
    return proc, ports, os.path.join(tmp, "stderr.log")


def test_systemd_socket_activation_for_every_exporter():
    cases = [
        ("node_exporter", [f"--path.procfs={FIX}/proc", "--collector.disable-defaults", "--collector.loadavg"],
         "node_load1"),
        ("pg_exporter", [], "pg_up"),
        ("redis_exporter", ["--redis.addr=redis://127.0.0.1:1"], "redis_up"),
    ]
    for name, args, family in cases:
        # --web.listen-address is ignored, as upstream does
        proc, ports, log = activated(name, ["--web.systemd-socket", "--web.listen-address=127.0.0.1:1", *args], n=2)
        try:
            for port in ports:
                status, body, _ = get(port)
                assert status == 200 and family in body, (name, status, body[:300])
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(15) == 0, open(log).read()[-2000:]
            assert "systemd" in open(log).read()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_systemd_socket_without_sockets_is_refused():
    exe = os.path.join(BINDIR, "node_exporter")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LISTEN_")}
    r = subprocess.run([exe, "--web.systemd-socket"], capture_output=True, text=True, timeout=20, env=env)
    assert r.returncode == 2
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "LISTEN_FDS" in lines[0], r.stderr
    # sockets meant for another process
    r = subprocess.run([exe, "--web.systemd-socket"], capture_output=True, text=True, timeout=20,
                       env=dict(env, LISTEN_FDS="1", LISTEN_PID="1"))
    assert r.returncode == 2 and "not this one" in r.stderr, r.stderr
