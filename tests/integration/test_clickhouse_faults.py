"""Faults: clickhouse_exporter answers HTTP 200 with clickhouse_up 0 within the
scrape deadline, keeps serving, and recovers by itself: server down at start,
restarted, frozen with SIGSTOP, wrong password, an HTTP 500 in the middle of a
scrape, a reply cut mid-line (the last two from a proxy in front of the real
server). The sanitizer pass checks the exit status at SIGTERM (no leaks)."""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import free_port, parse_text, wait_for  # noqa: E402
from clickhouse_harness import ClickHouseServer, FaultProxy, PASSWORD, ch_exporter  # noqa: E402

DEADLINE = 2.0
HDR = {"X-Prometheus-Scrape-Timeout-Seconds": str(DEADLINE)}
CH = None


def setup_module():
    global CH
    CH = ClickHouseServer(name="chfault")
    CH.query("CREATE TABLE default.t (id UInt64) ENGINE = MergeTree() ORDER BY id")
    CH.query("INSERT INTO default.t SELECT number FROM system.numbers LIMIT 100")


def teardown_module():
    if CH:
        CH.cleanup()


def scrape(e, path="/metrics"):
    t0 = time.monotonic()
    r = e.get(path, HDR, timeout=30)
    took = time.monotonic() - t0
    assert r.status == 200, (r.status, r.text[:300])
    assert took < DEADLINE + 0.5, f"took {took:.2f}s for a {DEADLINE}s deadline"
    return parse_text(r.text)


def up(f):
    return f["clickhouse_up"].value()


def failures(f):
    return f["clickhouse_exporter_scrape_failures_total"].value()


def test_down_at_start_then_up():
    port = free_port()
    with ch_exporter([f"-scrape_uri=http://127.0.0.1:{port}/"]) as e:
        f = scrape(e)
        assert up(f) == 0 and failures(f) == 1
        assert "clickhouse_query" not in f
        assert "refused" in e.log.lower() or "connect" in e.log.lower()
        late = ClickHouseServer(name="chlate", http_port=port)
        try:
            # the backoff after a failure is at most 2s: the exporter comes back by itself
            wait_for(lambda: up(scrape(e)) == 1, 10, interval=0.2, what="clickhouse_up 1")
            assert "clickhouse_query" in scrape(e)
        finally:
            late.cleanup()
        assert e.log.count("scrape of ClickHouse failed") == 1  # logged once per change of state
        assert "ClickHouse answers again" in e.log
        assert e.alive()


def test_restarted_between_scrapes():
    # without system.events (whose Query count shows the restart), version() and uptime() are asked
    with ch_exporter([f"-scrape_uri={CH.uri}", "--no-collector.events"]) as e:
        assert up(scrape(e)) == 1
        time.sleep(1.1)  # uptime() counts whole seconds
        assert up(scrape(e)) == 1
        CH.restart()
        assert up(scrape(e)) == 1
        f = scrape(e)
        assert up(f) == 1 and "ClickHouse restarted" in e.log
        assert e.log.count("probed ClickHouse") == 2
    with ch_exporter([f"-scrape_uri={CH.uri}"]) as e:
        assert up(scrape(e)) == 1
        CH.restart()
        # the kept connection is dead: libcurl opens a new one within the same scrape
        f = scrape(e)
        assert up(f) == 1
        assert failures(f) == 0
        # the restart is noticed (system.events' Query count went down) and the server probed again
        f = scrape(e)
        assert up(f) == 1
        assert "ClickHouse restarted" in e.log
        assert e.log.count("probed ClickHouse") == 2
        CH.stop()
        f = scrape(e)
        assert up(f) == 0 and failures(f) == 1
        CH.start()
        wait_for(lambda: up(scrape(e)) == 1, 10, interval=0.2, what="recovery after the restart")
        assert e.alive()


def test_frozen_server():
    other = ClickHouseServer(name="chother")
    try:
        with ch_exporter([f"-scrape_uri={CH.uri}"]) as e:
            assert up(scrape(e)) == 1
            CH.freeze()
            try:
                frozen = {}

                def scrape_frozen():
                    t0 = time.monotonic()
                    frozen["f"] = scrape(e)
                    frozen["took"] = time.monotonic() - t0

                th = threading.Thread(target=scrape_frozen)
                th.start()
                time.sleep(0.3)
                # another target answers while the frozen one is being waited for
                t0 = time.monotonic()
                f = scrape(e, f"/probe?target={other.addr}")
                assert up(f) == 1 and time.monotonic() - t0 < 1.0
                th.join()
                assert up(frozen["f"]) == 0
                assert frozen["took"] >= DEADLINE - 0.5  # it did wait for the server, until the deadline
                # the next scrape of the frozen target ends in time too
                assert up(scrape(e)) == 0
            finally:
                CH.thaw()
            wait_for(lambda: up(scrape(e)) == 1, 15, interval=0.3, what="recovery after SIGCONT")
            assert "timed out" in e.log.lower() or "timeout" in e.log.lower()
    finally:
        other.cleanup()


def test_wrong_password():
    env = {"CLICKHOUSE_USER": "monitor", "CLICKHOUSE_PASSWORD": "not-" + PASSWORD}
    with ch_exporter([f"-scrape_uri={CH.uri}"], env=env) as e:
        for _ in range(3):
            f = scrape(e)
            assert up(f) == 0
            time.sleep(0.3)
        assert failures(f) == 3
        assert "Wrong password" in e.log
        assert e.log.count("scrape of ClickHouse failed") == 1
        assert PASSWORD not in e.log


def test_http_500_in_the_middle_of_a_scrape():
    # request 1 is the probe, request 2 the scrape's query: the server's answer to it is replaced by a 500
    proxy = FaultProxy(CH.http_port, lambda n: "500" if n == 2 else None)
    try:
        with ch_exporter([f"-scrape_uri={proxy.uri}"]) as e:
            f = scrape(e)
            assert up(f) == 0 and failures(f) == 1
            assert "HTTP status 500" in e.log and "proxy: internal error" in e.log
            assert "clickhouse_query" not in f
            wait_for(lambda: up(scrape(e)) == 1, 10, interval=0.2, what="recovery after the 500")
            assert proxy.requests >= 4  # probed again after the failure
    finally:
        proxy.close()


def test_reply_cut_mid_line():
    proxy = FaultProxy(CH.http_port, lambda n: "cut" if n == 2 else None)
    try:
        with ch_exporter([f"-scrape_uri={proxy.uri}"]) as e:
            f = scrape(e)
            assert up(f) == 0 and failures(f) == 1
            assert "clickhouse_table_parts_rows" not in f
            wait_for(lambda: up(scrape(e)) == 1, 10, interval=0.2, what="recovery after the cut reply")
    finally:
        proxy.close()


def test_hostile_reply_is_not_trusted():
    # a proxy that cuts the very first reply (the probe) too
    proxy = FaultProxy(CH.http_port, lambda n: "cut" if n == 1 else None)
    try:
        with ch_exporter([f"-scrape_uri={proxy.uri}"]) as e:
            assert up(scrape(e)) == 0
            wait_for(lambda: up(scrape(e)) == 1, 10, interval=0.2, what="recovery")
    finally:
        proxy.close()
