"""clickhouse_exporter against a real ClickHouse 18.16 (Debian's clickhouse-server)
started for this module: MergeTree tables with inserts, a mutation done and one
stuck, a detached part, dictionaries; names with spaces, tabs and backslashes;
users with and without the right to send settings; flags, /probe, secrets."""

import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import BINDIR, ROOT, Skip, assert_promtool_ok, free_port, parse_text, wait_for  # noqa: E402
from clickhouse_harness import (EXPORTER_PASSWORD, PASSWORD, ClickHouseServer, FaultProxy, QueryError,  # noqa: E402
                                StandIn, ch_exporter, populate)

CH = None


def setup_module():
    global CH
    CH = ClickHouseServer(name="chx", tls=shutil.which("openssl") is not None)
    populate(CH)
    # a mutation that cannot finish: it stays pending with a part to do
    CH.query("CREATE TABLE default.stuck (id UInt64) ENGINE = MergeTree() ORDER BY id")
    CH.query("INSERT INTO default.stuck VALUES (1), (2)")
    CH.query("ALTER TABLE default.stuck DELETE WHERE throwIf(id = 2) = 0")


def teardown_module():
    if CH:
        CH.cleanup()


def exporter(*args, env=None, **kw):
    return ch_exporter([f"-scrape_uri={CH.uri}", *args], env=env, **kw)


def value(f, name, /, **labels):
    assert name in f, f"{name} missing; have {sorted(f)[:50]}"
    return f[name].value(**labels)


def server_parts():
    """(database, table) -> (bytes, count, rows) as the server itself reports its active parts."""
    out = {}
    text = CH.query("SELECT database, table, sum(bytes_on_disk), count(), sum(rows) FROM system.parts "
                    "WHERE active GROUP BY database, table FORMAT TSV")
    for line in text.splitlines():
        db, t, b, c, r = line.split("\t")
        t = t.replace("\\t", "\t").replace("\\\\", "\\")
        out[(db, t)] = (float(b), float(c), float(r))
    return out


def test_families_and_values():
    with exporter() as e:
        f = e.scrape()
        assert value(f, "clickhouse_up") == 1
        assert value(f, "clickhouse_exporter_scrape_failures_total") == 0
        assert f["clickhouse_exporter_scrape_failures_total"].type == "counter"
        assert value(f, "clickhouse_version_info", version="18.16.1") == 1
        # system.metrics as gauges, system.events as counters with _total
        assert f["clickhouse_query"].type == "gauge" and value(f, "clickhouse_query") >= 1
        assert f["clickhouse_query_total"].type == "counter"
        assert value(f, "clickhouse_insert_query_total") >= 5
        assert f["clickhouse_http_connection"].type == "gauge"
        # per-table active parts agree with the server, the detached partition excluded
        parts = server_parts()
        assert ("shop", "odd name\twith\\ tab") in parts and ("default", "with space") in parts
        for (db, t), (b, c, r) in parts.items():
            assert value(f, "clickhouse_table_parts_bytes", database=db, table=t) == b
            assert value(f, "clickhouse_table_parts_count", database=db, table=t) == c
            assert value(f, "clickhouse_table_parts_rows", database=db, table=t) == r
        assert parts[("shop", "orders")][2] == 2  # ids 1 and 3: 2 deleted, March detached
        for name in ("clickhouse_table_parts_bytes", "clickhouse_table_parts_count", "clickhouse_table_parts_rows"):
            assert f[name].type == "gauge" and f[name].label_names() == {"database", "table"}
        # mutations: one done, one stuck with a part to do; 18.16 records no failure reason
        assert value(f, "clickhouse_table_mutations", database="shop", table="orders") == 1
        assert value(f, "clickhouse_table_mutations_pending", database="shop", table="orders") == 0
        assert value(f, "clickhouse_table_mutations_pending", database="default", table="stuck") == 1
        assert value(f, "clickhouse_table_mutations_parts_to_do", database="default", table="stuck") == 1
        assert "clickhouse_table_mutations_failed" not in f
        # dictionaries: loaded and failed; no status column in 18.16
        assert value(f, "clickhouse_dictionary_element_count", name="colors") == 3
        assert value(f, "clickhouse_dictionary_bytes_allocated", name="colors") > 0
        assert value(f, "clickhouse_dictionary_failed", name="colors") == 0
        assert value(f, "clickhouse_dictionary_failed", name="broken") == 1
        assert "clickhouse_dictionary_status" not in f
        # tables 18.16 lacks: their families are absent, not faked, and their collectors say so
        for absent in ("clickhouse_free_space_in_bytes", "clickhouse_table_detached_parts", "clickhouse_errors_total"):
            assert absent not in f
        ok = f["clickhouse_scrape_collector_success"]
        for c in ("disks", "detached_parts", "errors"):
            assert ok.value(collector=c) == 0
        for c in ("version", "metrics", "asynchronous_metrics", "events", "parts", "replicas", "mutations",
                  "merges", "dictionaries"):
            assert ok.value(collector=c) == 1, c
        # the exporter's own metrics
        assert "process_cpu_seconds_total" in f and "clickhouse_exporter_build_info" in f
        assert e.log.count("collector failed") == 0


def test_promtool_parses():
    with exporter() as e:
        r = e.get("/metrics")
        assert r.status == 200
        # upstream's names: counters of system.events keep ClickHouse's words
        # (RWLockReadersWaitMilliseconds is listed once a reader has waited)
        assert_promtool_ok(r.text, allowed_lint=[r"non-histogram and non-summary metrics should not have \"_count\" suffix",
                                                 r"counter metrics should have \"_total\" suffix",
                                                 r"metric names should be written in 'snake_case'",
                                                 r"should not contain abbreviated units",
                                                 r"non-counter metrics should not have \"_total\" suffix",
                                                 # ClickHouse's *Milliseconds events show once they are
                                                 # non-zero (a reader waited on a lock: a loaded host)
                                                 r"use base unit \"seconds\" instead of \"(micro|milli)seconds\""])


def test_one_request_per_scrape():
    proxy = FaultProxy(CH.http_port, lambda n: None)
    try:
        with ch_exporter([f"-scrape_uri={proxy.uri}"]) as e:
            for i in range(4):
                assert value(e.scrape(), "clickhouse_up") == 1
            # the probe once, then one request per scrape
            assert proxy.requests == 5, proxy.requests
            assert e.log.count("probed ClickHouse") == 1
            # the statement is POSTed; the server's time limit follows the scrape's deadline
            assert all(l.startswith("POST /?") and "wait_end_of_query=1" in l for l in proxy.lines)
            # the reply held back in memory, not in a temporary file of the server
            assert all("buffer_size=2097152" in l for l in proxy.lines)
            assert "max_execution_time" not in proxy.lines[0]  # the probe
            e.get("/metrics", {"X-Prometheus-Scrape-Timeout-Seconds": "5"})
            assert "max_execution_time=4" in proxy.lines[-1], proxy.lines[-1]
            assert "max_execution_time=9" in proxy.lines[1]  # the default deadline, 10 s
    finally:
        proxy.close()


def test_collect_filter_narrows_the_query():
    proxy = FaultProxy(CH.http_port, lambda n: None)
    try:
        with ch_exporter([f"-scrape_uri={proxy.uri}"]) as e:
            f = e.scrape("/metrics?collect[]=parts")
            assert value(f, "clickhouse_up") == 1
            assert "clickhouse_table_parts_rows" in f
            assert "clickhouse_query" not in f and "clickhouse_dictionary_failed" not in f
            assert set(l["collector"] for _, l, _ in f["clickhouse_scrape_collector_success"].samples) == {"parts"}
            assert e.get("/metrics?collect[]=nope").status == 400
    finally:
        proxy.close()


def forwarding_stand_in():
    """A StandIn that passes every statement on to the real server (and records it)."""
    def answer(sql):
        try:
            return 200, CH.query(sql).encode()
        except QueryError as err:
            return err.status, err.text.encode()
    return StandIn(answer)


def test_sparse_sections_left_out_while_empty():
    # 18.16 here has no Keeper: system.replicas and system.replication_queue are empty and no
    # hint in system.metrics (ZooKeeperSession, ReadonlyReplica) points to them
    stand_in = forwarding_stand_in()
    try:
        with ch_exporter([f"-scrape_uri=http://127.0.0.1:{stand_in.port}/"]) as e:
            f = e.scrape()
            assert value(f, "clickhouse_up") == 1
            first = stand_in.requests[-1]
            assert "FROM system.replicas" in first and "FROM system.replication_queue" in first
            for _ in range(3):
                f = e.scrape()
                last = stand_in.requests[-1]
                assert "FROM system.replicas" not in last and "FROM system.replication_queue" not in last
                # sections with rows are asked at every scrape
                assert "FROM system.mutations" in last and "FROM system.dictionaries" in last
                assert "FROM system.parts" in last
                assert f["clickhouse_scrape_collector_success"].value(collector="replicas") == 1
                assert value(f, "clickhouse_table_mutations_pending", database="default", table="stuck") == 1
        # asked again once the recheck interval has passed
        with ch_exporter([f"-scrape_uri=http://127.0.0.1:{stand_in.port}/", "-recheck_interval=1s"]) as e:
            e.scrape()
            e.scrape()
            assert "FROM system.replicas" not in stand_in.requests[-1]
            time.sleep(1.2)
            e.scrape()
            assert "FROM system.replicas" in stand_in.requests[-1]
        # 0s: every section at every scrape
        with ch_exporter([f"-scrape_uri=http://127.0.0.1:{stand_in.port}/", "-recheck_interval=0s"]) as e:
            for _ in range(3):
                e.scrape()
                assert "FROM system.replicas" in stand_in.requests[-1]
    finally:
        stand_in.close()
    r = subprocess.run([os.path.join(BINDIR, "clickhouse_exporter"), "-recheck_interval=-1s"], capture_output=True,
                       text=True, timeout=10)
    assert r.returncode == 2 and "recheck_interval" in r.stderr


def test_user_that_may_set_settings():
    env = {"CLICKHOUSE_USER": "monitor", "CLICKHOUSE_PASSWORD": PASSWORD}
    with exporter(env=env) as e:
        f = e.scrape()
        assert value(f, "clickhouse_up") == 1
        assert "settings=sent" in e.log
        assert PASSWORD not in e.log


def test_readonly_user_gets_no_settings():
    # readonly=1 refuses any setting in the URL (Code 164): the probe sees it and sends none
    env = {"CLICKHOUSE_USER": "exporter", "CLICKHOUSE_PASSWORD": EXPORTER_PASSWORD}
    with exporter(env=env) as e:
        f = e.scrape()
        assert value(f, "clickhouse_up") == 1, e.log
        assert "readonly=1" in e.log
        assert value(f, "clickhouse_table_parts_rows", database="shop", table="visits") == 1000
        assert EXPORTER_PASSWORD not in e.log


def test_credentials_in_the_uri_query_string():
    uri = f"{CH.uri}?user=monitor&password={PASSWORD}&max_threads=1"
    with ch_exporter([f"-scrape_uri={uri}"]) as e:
        f = e.scrape()
        assert value(f, "clickhouse_up") == 1
        assert PASSWORD not in e.log
    bad = f"{CH.uri}?user=monitor&password=wrong-{PASSWORD}"
    with ch_exporter([f"-scrape_uri={bad}"]) as e:
        f = e.scrape()
        assert value(f, "clickhouse_up") == 0
        assert "Wrong password" in e.log and PASSWORD not in e.log


def test_wrong_password_never_shown():
    secret = "Sup3r-secret-value"
    env = {"CLICKHOUSE_USER": "monitor", "CLICKHOUSE_PASSWORD": secret}
    with exporter(env=env) as e:
        r = e.get("/metrics")
        assert r.status == 200 and secret not in r.text
        f = parse_text(r.text)
        assert value(f, "clickhouse_up") == 0
        assert value(f, "clickhouse_exporter_scrape_failures_total") == 1
        assert "Wrong password" in e.log
        assert secret not in e.log
        with open(f"/proc/{e.proc.pid}/environ", "rb") as envf:
            assert secret.encode() not in envf.read()
    out = subprocess.run([os.path.join(BINDIR, "clickhouse_exporter"), "--help"], env={**os.environ, **env},
                         capture_output=True, text=True)
    assert out.returncode == 0 and secret not in out.stdout + out.stderr
    assert "CLICKHOUSE_PASSWORD" in out.stdout


def test_probe_endpoint():
    env = {"CLICKHOUSE_USER": "monitor", "CLICKHOUSE_PASSWORD": PASSWORD}
    # answers as ClickHouse refusing the user would
    catcher = StandIn(lambda sql: (401, b"Code: 516. DB::Exception: Authentication failed\n"))
    try:
        with ch_exporter(["-scrape_uri=http://127.0.0.1:1/"], env=env) as e:
            assert e.get("/probe").status == 400
            assert e.get("/probe?target=ftp://x/").status == 400
            # a probe target gets no credentials unless -probe_credentials
            f = e.scrape(f"/probe?target=127.0.0.1:{catcher.port}")
            assert value(f, "clickhouse_up") == 0
            assert catcher.headers and "x-clickhouse-key" not in catcher.headers[-1]
            assert "process_cpu_seconds_total" not in f
            # the default user has no password here: the probe works without credentials
            f = e.scrape(f"/probe?target={CH.addr}")
            assert value(f, "clickhouse_up") == 1
            assert value(f, "clickhouse_table_parts_rows", database="shop", table="visits") == 1000
            f = e.scrape(f"/probe?target=http://{CH.addr}/")
            assert value(f, "clickhouse_up") == 1
            # the configured target is down meanwhile
            assert value(e.scrape(), "clickhouse_up") == 0
        with ch_exporter(["-scrape_uri=http://127.0.0.1:1/", "-probe_credentials"], env=env) as e:
            e.scrape(f"/probe?target=127.0.0.1:{catcher.port}")
            assert catcher.headers[-1].get("x-clickhouse-user") == "monitor"
            assert catcher.headers[-1].get("x-clickhouse-key") == PASSWORD
            assert PASSWORD not in e.log
    finally:
        catcher.close()


def test_upstream_flags():
    port = free_port()
    args = [os.path.join(BINDIR, "clickhouse_exporter"), f"-scrape_uri={CH.uri}",
            f"-telemetry.address=127.0.0.1:{port}", "-telemetry.endpoint=/ch", "-clickhouse_only", "-insecure=false"]
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        from harness import http_get
        r = wait_for(lambda: http_get(port, "/ch", timeout=5), 10, what="the exporter on -telemetry.address")
        assert r.status == 200
        f = parse_text(r.text)
        assert value(f, "clickhouse_up") == 1
        # -clickhouse_only: nothing about the exporter process itself
        assert "process_cpu_seconds_total" not in f and "clickhouse_exporter_build_info" not in f
        assert http_get(port, "/metrics").status == 404
    finally:
        p.terminate()
        assert p.wait(10) == 0
    # the listen address has upstream's name only: --web.listen-address is refused in one line, exit 2
    r = subprocess.run(args[:2] + ["--web.listen-address=127.0.0.1:1"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "web.listen-address" in r.stderr
    r = subprocess.run([args[0], "-telemetry.address=nohost"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    r = subprocess.run([args[0], "-telemetry.endpoint=nope"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    r = subprocess.run([args[0], "-ca_file=/nonexistent/ca.pem"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and "ca_file" in r.stderr


def test_tls_with_a_ca_file():
    if not CH.https_port:
        raise Skip("openssl is not installed: no certificate for the server")
    uri = f"-scrape_uri=https://127.0.0.1:{CH.https_port}/"
    with ch_exporter([uri, f"-ca_file={CH.cert}"]) as e:
        f = e.scrape()
        assert value(f, "clickhouse_up") == 1, e.log
        assert value(f, "clickhouse_table_parts_rows", database="shop", table="visits") == 1000
    # unlike upstream, the certificate is checked by default: a self-signed one fails
    with ch_exporter([uri]) as e:
        assert value(e.scrape(), "clickhouse_up") == 0
        assert "certificate" in e.log.lower()
    with ch_exporter([uri, "-insecure"]) as e:
        assert value(e.scrape(), "clickhouse_up") == 1
    # the probe endpoint takes https targets too, with the same CA file
    with ch_exporter(["-scrape_uri=http://127.0.0.1:1/", f"-ca_file={CH.cert}"]) as e:
        f = e.scrape(f"/probe?target=https://127.0.0.1:{CH.https_port}/")
        assert value(f, "clickhouse_up") == 1


def test_unusable_scrape_uri_is_a_backend_fault():
    for uri in ("ftp://127.0.0.1/", "http://"):
        with ch_exporter([f"-scrape_uri={uri}"]) as e:
            for _ in range(3):
                f = e.scrape()
                assert value(f, "clickhouse_up") == 0
            assert value(f, "clickhouse_exporter_scrape_failures_total") == 3
            assert e.log.count("scrape of ClickHouse failed") == 1


def test_man_page_lists_the_flags_of_help():
    import re
    out = subprocess.run([os.path.join(BINDIR, "clickhouse_exporter"), "--help"], capture_output=True, text=True,
                         timeout=10).stdout
    in_help = set(re.findall(r"^\s+--(?:\[no-\])?([a-z0-9._\-]+)", out, re.M)) - {"help", "version"}
    text = open(os.path.join(ROOT, "man", "clickhouse_exporter.1")).read()
    in_man = {m.replace("\\-", "-") for m in re.findall(r"^\.B \\-\\-(?:\[no\\-\])?([a-z0-9._\\-]+)", text, re.M)}
    assert in_help == in_man, f"only in --help: {in_help - in_man}; only in the man page: {in_man - in_help}"
    assert len(in_help) > 20
