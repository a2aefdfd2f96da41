"""Hostile HTTP clients cannot lock scrapes out, and malformed requests get
the answers upstream's Go server gives (issue 11, points 1, 3, 4 and 5).
Exercised through node_exporter on fixture files; slow clients connect from
other loopback addresses (127.0.0.2...) so that per-address limits and the
scraper's own address can be told apart."""

import http.client
import os
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import FIXTURES, Exporter, wait_for  # noqa: E402

FIX = os.path.join(FIXTURES, "node")
ARGS = [f"--path.procfs={FIX}/proc", f"--path.sysfs={FIX}/sys", "--collector.disable-defaults",
        "--collector.loadavg"]
# The server's limits (common/httpconn.h).
LIMIT, PER_ADDRESS, REQUEST_TIMEOUT = 512, 64, 5


def connect(port, source="127.0.0.1", timeout=10.0):
    s = socket.socket()
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


def status_line(s, request, timeout=5.0):
    """Send request on s and return the first line of the answer (b"" if the
    connection closed without one, b"timeout" if nothing came in time)."""
    s.settimeout(timeout)
    try:
        s.sendall(request)
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        return b"timeout"
    except OSError as e:
        return repr(e).encode()
    return data.split(b"\r\n")[0]


def ask(port, request, timeout=5.0, source="127.0.0.1"):
    with connect(port, source) as s:
        return status_line(s, request, timeout)


def scrape_status(port, timeout=10.0):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/metrics")
        r = conn.getresponse()
        r.read()
        return r.status
    except (OSError, http.client.HTTPException) as e:
        return repr(e)
    finally:
        conn.close()


def closed_by_peer(s):
    """True if the server closed s (end of file or reset), without waiting."""
    s.setblocking(False)
    try:
        return s.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        s.setblocking(True)


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def close_all(socks):
    for s in socks:
        s.close()


def test_slow_clients_from_many_addresses_leave_room_for_scrapes():
    # 600 connections from ten addresses (under the per-address limit), each
    # sending a header byte now and then: every scrape must still be answered.
    with Exporter("node_exporter", ARGS) as e:
        socks = []
        try:
            for i in range(600):
                s = connect(e.port, f"127.0.0.{2 + i % 10}")
                s.sendall(b"G")
                socks.append(s)
            for _ in range(3):
                for s in socks:
                    try:
                        s.send(b"E")
                    except OSError:
                        pass
                assert scrape_status(e.port) == 200
                time.sleep(0.5)
        finally:
            close_all(socks)


def test_a_request_must_arrive_whole_within_seconds():
    # One byte every half second keeps an idle timeout away for ever; the
    # whole request must still arrive within REQUEST_TIMEOUT, or the
    # connection is closed. A keep-alive connection gets the same bound for
    # its next request, counted from that request's first byte.
    with Exporter("node_exporter", ARGS) as e:
        drip = connect(e.port, "127.0.0.2")
        kept = connect(e.port, "127.0.0.3")
        assert status_line(kept, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n") == b"HTTP/1.1 200 OK"
        kept.settimeout(1)
        try:
            while kept.recv(65536):
                pass
        except socket.timeout:
            pass
        time.sleep(REQUEST_TIMEOUT + 1)  # idle between requests: allowed
        assert not closed_by_peer(kept)
        t0 = time.monotonic()
        closed = {}
        request = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"y" * 100
        for i in range(len(request)):
            for name, s in (("new", drip), ("kept", kept)):
                if name in closed:
                    continue
                try:
                    s.send(request[i:i + 1])
                except OSError:
                    closed[name] = time.monotonic() - t0
                    continue
                if closed_by_peer(s):
                    closed[name] = time.monotonic() - t0
            if len(closed) == 2 or time.monotonic() - t0 > REQUEST_TIMEOUT + 6:
                break
            time.sleep(0.5)
        drip.close()
        kept.close()
        assert set(closed) == {"new", "kept"}, f"still open after {time.monotonic() - t0:.1f}s: {closed}"
        assert all(t < REQUEST_TIMEOUT + 3 for t in closed.values()), closed
        assert scrape_status(e.port) == 200


def test_connections_per_address_are_limited():
    # Idle connections beyond the per-address limit close the oldest of that
    # address; other addresses keep theirs.
    with Exporter("node_exporter", ARGS) as e:
        other = [connect(e.port, "127.0.0.3") for _ in range(5)]
        mine = [connect(e.port, "127.0.0.2") for _ in range(PER_ADDRESS + 20)]
        try:
            wait_for(lambda: sum(closed_by_peer(s) for s in mine[:20]) == 20, timeout=3,
                     what="the oldest connections of 127.0.0.2 to be closed")
            assert not any(closed_by_peer(s) for s in mine[20:])
            assert not any(closed_by_peer(s) for s in other)
            assert scrape_status(e.port) == 200
        finally:
            close_all(mine + other)


def fifo_exporter(extra=()):
    """node_exporter whose loadavg collector blocks until the FIFO is written."""
    d = tempfile.mkdtemp()
    fifo = os.path.join(d, "loadavg")
    os.mkfifo(fifo)
    e = Exporter("node_exporter", [f"--path.procfs={d}", "--collector.disable-defaults",
                                   "--collector.loadavg", *extra])
    return e, d, fifo


def release_fifo(fifo):
    """Answer the readers waiting on the FIFO (one write satisfies them all)."""
    try:
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        return  # nobody waiting
    os.write(fd, b"0.5 0.4 0.3 1/100 42\n")
    os.close(fd)


def all_busy_then(n, sources, probe_source):
    """n scrapes from sources (round robin), all waiting on a blocked
    collector; returns the first line of the answer to one more request
    from probe_source. Then the collector is released and every scrape must
    be answered 200."""
    e, d, fifo = fifo_exporter(["--web.max-requests=0"])
    busy = []
    try:
        with e:
            try:
                for i in range(n):
                    s = connect(e.port, sources[i % len(sources)])
                    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                    busy.append(s)
                time.sleep(1)
                probe = ask(e.port, b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n", source=probe_source)
            finally:
                release_fifo(fifo)
            assert all(status_line(s, b"", 20) == b"HTTP/1.1 200 OK" for s in busy)
            assert scrape_status(e.port) == 200
            return probe
    finally:
        close_all(busy)
        os.unlink(fifo)
        os.rmdir(d)


def test_503_when_every_connection_of_an_address_is_busy():
    # Nothing can make room for one more from that address: it is told so.
    assert all_busy_then(PER_ADDRESS, ["127.0.0.2"], "127.0.0.2") == b"HTTP/1.1 503 Service Unavailable"


def test_503_when_every_connection_is_busy():
    sources = [f"127.0.0.{2 + i}" for i in range(10)]
    assert all_busy_then(LIMIT, sources, "127.0.0.20") == b"HTTP/1.1 503 Service Unavailable"


def test_long_query_strings_get_an_answer():
    # Upstream accepts 1 MB of request head; we accept what libmicrohttpd's
    # 32 KiB per connection holds (about 190 arguments) and answer 414/431
    # beyond it, never a silent close (450 arguments, 8 kB, got one).
    with Exporter("node_exporter", ARGS) as e:
        query = "&".join(["collect[]=loadavg"] * 150)
        r = ask(e.port, f"GET /metrics?{query} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert r == b"HTTP/1.1 200 OK", r
        too_large = (b"HTTP/1.1 414 URI Too Long", b"HTTP/1.1 431 Request Header Fields Too Large")
        for query in ("&".join(["collect[]=loadavg"] * 450), "&".join(["collect[]=loadavg"] * 3000),
                      "a&" * 20000, "a=" + "b" * 100000, "a=" + "b" * (1 << 20)):
            r = ask(e.port, f"GET /metrics?{query} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            assert r in too_large, (len(query), r)
        # around the limit, with more or fewer headers and longer or shorter URLs: always an answer
        for headers in (0, 30):
            extra = "".join(f"X-H{i}: {'v' * 20}\r\n" for i in range(headers))
            for pad in (0, 12000):
                for n in range(150, 300, 10):
                    query = "&".join(["a"] * n) + ("&p=" + "z" * pad if pad else "")
                    r = ask(e.port, f"GET /metrics?{query} HTTP/1.1\r\nHost: x\r\n{extra}\r\n".encode())
                    assert r == b"HTTP/1.1 200 OK" or r in too_large, (headers, pad, n, r)
        assert scrape_status(e.port) == 200


def test_a_burst_of_connections_is_released_at_once():
    # After 600 connections come and go, their descriptors are freed without
    # waiting for another connection, and the next scrape is answered.
    with Exporter("node_exporter", ARGS) as e:
        assert scrape_status(e.port) == 200
        base = open_fds(e.proc.pid)
        socks = []
        for i in range(600):
            try:
                socks.append(connect(e.port, f"127.0.0.{2 + i % 10}"))
            except OSError:
                pass
        wait_for(lambda: open_fds(e.proc.pid) > base + 100, timeout=10, what="the connections to be accepted")
        close_all(socks)
        wait_for(lambda: open_fds(e.proc.pid) <= base + 2, timeout=5,
                 what=f"descriptors back to {base} (now {open_fds(e.proc.pid)})")
        assert scrape_status(e.port) == 200


def test_nul_bytes_do_not_cut_names_short():
    with Exporter("node_exporter", ARGS) as e:
        assert ask(e.port, b"GET /metrics%00 HTTP/1.1\r\nHost: x\r\n\r\n") == b"HTTP/1.1 404 Not Found"
        assert ask(e.port, b"GET /metrics%00.html HTTP/1.1\r\nHost: x\r\n\r\n") == b"HTTP/1.1 404 Not Found"
        r = e.get("/metrics?collect[]=loadavg%00evil")
        assert r.status == 400 and "missing collector" in r.text, (r.status, r.text)
        # ordinary escapes still decode
        assert e.get("/%6Detrics?collect%5B%5D=load%61vg").status == 200


def test_request_framing_as_go_answers_it():
    with Exporter("node_exporter", ARGS) as e:
        # a transfer coding we cannot decode: 501 at once, not a wait for the body
        t0 = time.monotonic()
        r = ask(e.port, b"POST /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nxyz")
        assert r == b"HTTP/1.1 501 Not Implemented", r
        assert time.monotonic() - t0 < 3
        r = ask(e.port, b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab")
        assert r == b"HTTP/1.1 400 Bad Request", r
        # the same length twice is fine
        r = ask(e.port, b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab")
        assert r == b"HTTP/1.1 200 OK", r
        # absolute-form target (RFC 9112, 3.2.2)
        r = ask(e.port, b"GET http://127.0.0.1/metrics?collect[]=loadavg HTTP/1.1\r\nHost: x\r\n\r\n")
        assert r == b"HTTP/1.1 200 OK", r
        assert ask(e.port, b"GET http://127.0.0.1/nope HTTP/1.1\r\nHost: x\r\n\r\n") == b"HTTP/1.1 404 Not Found"
