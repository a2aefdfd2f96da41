"""Faults: redis_exporter must answer HTTP 200 with redis_up 0 within the
scrape deadline, never exit, never leak (the sanitizer pass checks the exit
status at SIGTERM), and recover by itself."""

import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Exporter, free_port, parse_text  # noqa: E402
from redis_harness import CutProxy, RedisServer, metric  # noqa: E402

PASSWORD = "fault-Pa55"
TIMEOUT_HDR = {"X-Prometheus-Scrape-Timeout-Seconds": "2"}


def scrape_timed(e, path="/metrics", headers=None):
    t0 = time.monotonic()
    r = e.get(path, headers or TIMEOUT_HDR, timeout=30)
    took = time.monotonic() - t0
    assert r.status == 200, (r.status, r.text[:300])
    return parse_text(r.text), took


def last_error(f):
    (err,) = [l["err"] for _, l, v in f["redis_exporter_last_scrape_error"].samples if v == 1]
    return err


def test_down_at_start_then_up():
    port = free_port()
    with Exporter("redis_exporter", [f"--redis.addr=redis://127.0.0.1:{port}"]) as e:
        f, took = scrape_timed(e)
        assert metric(f, "redis_up") == 0
        assert "refused" in last_error(f).lower()
        assert "redis_db_keys" not in f
        assert metric(f, "redis_exporter_scrapes_total") == 1
        assert "redis_exporter_last_scrape_connect_time_seconds" in f
        srv = RedisServer(port=port, name="late")
        try:
            f, _ = scrape_timed(e)
            assert metric(f, "redis_up") == 1
            assert metric(f, "redis_exporter_last_scrape_error", err="") == 0
        finally:
            srv.cleanup()
        assert e.log.count("scrape of Redis failed") == 1  # logged once per state change
        assert "Redis answers again" in e.log


def test_restarted_between_scrapes():
    srv = RedisServer(name="restart")
    try:
        with Exporter("redis_exporter", [f"--redis.addr={srv.addr}"]) as e:
            f, _ = scrape_timed(e)
            assert metric(f, "redis_up") == 1
            pid1 = metric(f, "redis_process_id")
            srv.restart()
            f, _ = scrape_timed(e)  # the stale connection is replaced within the same scrape
            assert metric(f, "redis_up") == 1
            assert metric(f, "redis_process_id") != pid1
            srv.stop()
            f, _ = scrape_timed(e)
            assert metric(f, "redis_up") == 0
            srv.start()
            f, _ = scrape_timed(e)
            assert metric(f, "redis_up") == 1
            assert e.alive()
    finally:
        srv.cleanup()


def test_frozen_server_answers_within_deadline():
    srv = RedisServer(name="frozen")
    other = RedisServer(name="other")
    try:
        with Exporter("redis_exporter", [f"--redis.addr={srv.addr}", "--connection-timeout=15s"]) as e:
            f, _ = scrape_timed(e)
            assert metric(f, "redis_up") == 1
            srv.pause()
            try:
                # an established connection, then a new one to a server that accepts but never answers
                for _ in range(2):
                    f, took = scrape_timed(e)
                    assert metric(f, "redis_up") == 0
                    assert "timeout" in last_error(f)
                    assert took < 2.0, took
                # a frozen target does not hold up another one
                results = {}

                def other_scrape():
                    results["other"] = scrape_timed(e, f"/scrape?target=127.0.0.1:{other.port}")

                th = threading.Thread(target=other_scrape)
                t0 = time.monotonic()
                frozen = threading.Thread(target=lambda: results.setdefault("frozen", scrape_timed(e)))
                frozen.start()
                time.sleep(0.1)
                th.start()
                th.join(10)
                assert metric(results["other"][0], "redis_up") == 1
                assert results["other"][1] < 1.0, results["other"][1]
                frozen.join(10)
                assert time.monotonic() - t0 < 3
            finally:
                srv.resume()
            f, _ = scrape_timed(e)
            assert metric(f, "redis_up") == 1
    finally:
        srv.cleanup()
        other.cleanup()


def test_wrong_password():
    srv = RedisServer(password=PASSWORD, name="wrongpw")
    try:
        with Exporter("redis_exporter", [f"--redis.addr={srv.addr}", "--redis.password=not-the-Pa55"]) as e:
            f, _ = scrape_timed(e)
            assert metric(f, "redis_up") == 0
            assert "WRONGPASS" in last_error(f)
            text = e.get().text
            assert "not-the-Pa55" not in text and PASSWORD not in text
            log = e.log
        assert "not-the-Pa55" not in log
    finally:
        srv.cleanup()


def test_maxclients_reached():
    srv = RedisServer("--maxclients", "2", name="maxclients")
    fillers = []
    try:
        for _ in range(2):
            fillers.append(srv.client())
            fillers[-1].cmd("PING")
        with Exporter("redis_exporter", [f"--redis.addr={srv.addr}"]) as e:
            f, _ = scrape_timed(e)
            assert metric(f, "redis_up") == 0
            assert "max number of clients" in last_error(f)
            fillers.pop().close()
            time.sleep(0.2)
            f, _ = scrape_timed(e)
            assert metric(f, "redis_up") == 1
            # with the exporter connected, more clients do not take its connection away
            fillers.append(srv.client())
            f, _ = scrape_timed(e)
            assert metric(f, "redis_up") == 1
    finally:
        for c in fillers:
            c.close()
        srv.cleanup()


def test_reply_cut_in_the_middle():
    srv = RedisServer(name="cut")
    try:
        for keep in (1, 9, 64, 700, 3000, 6000):
            proxy = CutProxy(srv.port, keep)
            try:
                with Exporter("redis_exporter", [f"--redis.addr=redis://127.0.0.1:{proxy.port}",
                                                 "--no-set-client-name"]) as e:
                    for _ in range(2):
                        f, took = scrape_timed(e)
                        assert metric(f, "redis_up") == 0, keep
                        assert took < 2.0
                    assert e.alive()
            finally:
                proxy.close()
    finally:
        srv.cleanup()


def test_not_a_redis_server():
    """Garbage instead of RESP: a protocol error, not a crash."""
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(8)
    port = lsock.getsockname()[1]
    stop = threading.Event()

    def serve():
        lsock.settimeout(0.2)
        while not stop.is_set():
            try:
                c, _ = lsock.accept()
            except OSError:
                continue
            try:
                c.recv(65536)
                c.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n*99999999999999999999\r\n$-7\r\n" + bytes(range(256)))
                time.sleep(0.1)
            except OSError:
                pass
            c.close()

    th = threading.Thread(target=serve, daemon=True)
    th.start()
    try:
        with Exporter("redis_exporter", [f"--redis.addr=redis://127.0.0.1:{port}"]) as e:
            for _ in range(3):
                f, _ = scrape_timed(e)
                assert metric(f, "redis_up") == 0
                assert "protocol error" in last_error(f)
    finally:
        stop.set()
        th.join(2)
        lsock.close()


def test_frozen_server_concurrent_scrapes_keep_their_deadline():
    """A scrape with a longer timeout waits for a frozen server; five scrapes with a 2 s
    timeout arriving meanwhile (each with its own URL: identical requests in flight together
    share one collection) each answer HTTP 200 with redis_up 0 within 2.5 s instead of
    queueing behind it for the target's turn, and so does one with the same URL instead of
    waiting for its collection."""
    srv = RedisServer(name="frozen5")
    try:
        with Exporter("redis_exporter", [f"--redis.addr={srv.addr}"]) as e:
            f, _ = scrape_timed(e)
            assert metric(f, "redis_up") == 1
            srv.pause()
            try:
                holder = threading.Thread(target=lambda: e.get(
                    "/metrics", {"X-Prometheus-Scrape-Timeout-Seconds": "10"}, timeout=30))
                holder.start()
                time.sleep(0.3)
                results = [None] * 5

                def one(i):
                    results[i] = scrape_timed(e, f"/metrics?scrape={i}")

                threads = [threading.Thread(target=one, args=(i,)) for i in range(5)]
                for th in threads:
                    th.start()
                for th in threads:
                    th.join(30)
                for f, took in results:
                    assert metric(f, "redis_up") == 0
                    assert took < 2.5, took
                # nor does the same URL as the longer scrape wait for its collection
                f, took = scrape_timed(e)
                assert metric(f, "redis_up") == 0 and took < 2.5, took
            finally:
                srv.resume()
            holder.join(30)
            f, _ = scrape_timed(e)
            assert metric(f, "redis_up") == 1
    finally:
        srv.cleanup()


def test_malformed_address_runs_down_with_the_reason_logged():
    # upstream starts with any --redis.addr and reports redis_up 0 (issue 11, point 6)
    for addr, why in (("redis://u:TopSecret@h:notaport", "port"), ("http://127.0.0.1:6379", "scheme"),
                      ("redis://127.0.0.1:6379/notadb", "database")):
        with Exporter("redis_exporter", [f"--redis.addr={addr}"]) as e:
            f, _ = scrape_timed(e)
            assert metric(f, "redis_up") == 0, addr
            assert why in last_error(f), (addr, last_error(f))
            assert metric(f, "redis_exporter_scrapes_total") == 1
            f, _ = scrape_timed(e)
            assert metric(f, "redis_up") == 0
            assert why in e.log and "level=error" in e.log, e.log
            assert "TopSecret" not in e.log and "TopSecret" not in e.get().text
    with Exporter("redis_exporter", ["--redis.addr=", "--redis.password-file=/nonexistent.json"],
                  check_exit=False, wait=False) as e:
        e.proc.wait(10)
        assert e.proc.returncode == 2  # a bad file is still a configuration error
