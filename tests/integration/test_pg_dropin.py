"""pg_exporter where deployments of upstream would put it: the Helm chart's
rendered arguments, custom queries (upstream's example queries.yaml), a
comma-separated DATA_SOURCE_NAME, malformed data sources, and /probe's
bounded pool of connections. One real PostgreSQL 15."""

import hashlib
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import ROOT, Exporter, free_port, http_get, wait_for  # noqa: E402
from pg import EXPORTER_PASSWORD, PgServer  # noqa: E402

DATA = os.path.join(ROOT, "tests", "data")
EXAMPLE = os.path.join(DATA, "postgres_exporter-queries.yaml")
srv = None
idle = None
tmp = None


def setup_module():
    global srv, idle, tmp
    try:
        srv = PgServer().start()
        srv.sql("""
            CREATE TABLE t1(a int PRIMARY KEY);
            INSERT INTO t1 SELECT g FROM generate_series(1, 10) g;
            CREATE DATABASE db2;
        """)
        srv.sql("CREATE TABLE only_in_db2(a int);", db="db2")
        idle = srv.session()  # an idle session for the example's pg_process_idle histogram
        idle.send("SELECT 1;")
        tmp = tempfile.mkdtemp(prefix="pgdropin-")
    except BaseException:
        teardown_module()
        raise


def teardown_module():
    if idle:
        idle.close()
    if srv:
        srv.cleanup()
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)


def exporter(args=(), dsn=None, **kw):
    env = {"DATA_SOURCE_NAME": dsn if dsn is not None else srv.dsn_uri()}
    env.update(kw.pop("env", {}))
    return Exporter("pg_exporter", list(args), env=env, cwd=tmp, **kw)


def write(name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def labels(fam):
    return fam.label_names()


# ---- the Helm chart ----

def test_helm_chart_with_only_a_data_source_starts_and_serves():
    with open(os.path.join(DATA, "helm-prometheus-postgres-exporter-8.2.0.json")) as f:
        chart = json.load(f)
    port = free_port()
    args = [a.replace(":9187", f":{port}") for a in chart["args"]]
    env = {k: v.replace("HOST:5432", f"127.0.0.1:{srv.port}").replace("PASSWORD", "unused-with-trust")
           for k, v in chart["env"]}
    env["DATA_SOURCE_NAME"] = ""
    # the chart passes --web.listen-address itself: the harness's flag comes first and loses
    with Exporter("pg_exporter", args, env=env, port=free_port(), cwd=tmp, wait=False) as e:
        wait_for(lambda: http_get(port, chart["readinessProbe"]["path"]).status == 200, 20,
                 what="the chart's readiness probe")
        assert http_get(port, chart["livenessProbe"]["path"]).status == 200
        r = http_get(port, "/metrics")
        assert r.status == 200
        assert "\npg_up 1\n" in r.text, r.text[-2000:]
        assert "postgres_exporter_config_last_reload_successful 0" in r.text
        assert "Error loading config" in e.log and "/etc/postgres_exporter.yml" in e.log


# ---- malformed data sources ----

MALFORMED = [
    ("unterminated quote", f"host=127.0.0.1 port=%d password='{EXPORTER_PASSWORD}"),
    ("unknown key", f"host=127.0.0.1 port=%d password={EXPORTER_PASSWORD} nonsense=1"),
    ("[::1 without ]", f"postgresql://exporter:{EXPORTER_PASSWORD}@[::1:%d/postgres"),
    ("%ZZ", f"postgresql://exporter:{EXPORTER_PASSWORD}@127.0.0.1:%d/postgres?sslmode=%%ZZ"),
]


def test_malformed_data_source_runs_with_pg_up_0_and_says_why():
    for what, dsn in MALFORMED:
        with exporter(dsn=dsn % srv.port) as e:
            for _ in range(2):
                m = e.scrape()
                assert m["pg_up"].value() == 0, what
                assert m["pg_exporter_last_scrape_error"].value() == 1, what
            assert e.get("/").status == 200
            assert "could not parse the data source name" in e.log, (what, e.log)
            assert EXPORTER_PASSWORD not in e.log, what
        # the same through DATA_SOURCE_URI
    with exporter(dsn="", env={"DATA_SOURCE_URI": f"[::1:{srv.port}/postgres", "DATA_SOURCE_USER": "exporter",
                               "DATA_SOURCE_PASS": EXPORTER_PASSWORD}) as e:
        assert e.scrape()["pg_up"].value() == 0
        assert "DATA_SOURCE_URI" in e.log and EXPORTER_PASSWORD not in e.log


# ---- /probe holds a bounded number of connections ----

def exporter_connections():
    return int(srv.sql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pg_exporter'"))


def probe(e, i):
    # distinct targets naming the same server, as a hostile client could
    target = f"127.0.0.1:{srv.port}/postgres%3Fsslmode%3Ddisable%26user%3Dpostgres%26connect_timeout%3D{10 + i}"
    m = e.scrape(f"/probe?target={target}")
    assert m["pg_up"].value() == 1


def test_probe_targets_are_bounded_by_default():
    with exporter(dsn="") as e:
        for i in range(14):
            probe(e, i)
        # 10 kept (the default), the others replaced: a server with
        # max_connections=100 keeps 87 of its 97 non-superuser slots
        assert exporter_connections() == 10


def test_probe_pool_size_and_idle_time_are_flags():
    with exporter(["--probe.max-targets=3", "--probe.idle-timeout=1s"], dsn="") as e:
        for i in range(5):
            probe(e, i)
        assert exporter_connections() == 3
        time.sleep(1.5)
        probe(e, 99)  # the idle ones are forgotten when the pool is next used
        wait_for(lambda: exporter_connections() == 1, 5, what="idle probe connections to close")


# ---- a comma-separated DATA_SOURCE_NAME ----

def test_comma_separated_data_source_name_as_upstream():
    first = srv.dsn_uri()
    second = f"postgresql://exporter:{EXPORTER_PASSWORD}@localhost:{srv.port}/db2?sslmode=disable"
    queries = write("multi.yaml", "multi_q:\n  query: \"SELECT current_database() AS db, 1 AS one\"\n"
                                  "  metrics:\n    - db: {usage: LABEL}\n    - one: {usage: GAUGE}\n")
    with exporter([f"--extend.query-path={queries}"], dsn=f"{first},{second}") as e:
        m = e.scrape()
        assert m["pg_up"].value() == 1
        assert m["pg_exporter_last_scrape_error"].value() == 0
        servers = {l["server"] for _, l, _ in m["pg_static"].samples}
        assert servers == {f"127.0.0.1:{srv.port}", f"localhost:{srv.port}"}
        assert {l["server"] for _, l, _ in m["pg_stat_database_conflicts_confl_lock"].samples} == servers
        assert {(l["server"], l["db"]) for _, l, _ in m["multi_q_one"].samples} == \
            {(f"127.0.0.1:{srv.port}", "postgres"), (f"localhost:{srv.port}", "db2")}
        # the collectors run on the first data source only
        tables = {l["relname"] for _, l, _ in m["pg_stat_user_tables_seq_scan"].samples}
        assert "t1" in tables and "only_in_db2" not in tables
    # one data source down: still up, with the error
    down = f"postgresql://exporter:x@127.0.0.1:{free_port()}/postgres?sslmode=disable"
    with exporter(dsn=f"{first},{down}") as e:
        m = e.scrape()
        assert m["pg_up"].value() == 1 and m["pg_exporter_last_scrape_error"].value() == 1
        assert "pg_database_size_bytes" in m
    # the first down, another up: up, but no collector answers (upstream's too)
    with exporter(dsn=f"{down},{second}") as e:
        m = e.scrape()
        assert m["pg_up"].value() == 1 and m["pg_exporter_last_scrape_error"].value() == 1
        assert "pg_database_size_bytes" not in m
        assert {l["server"] for _, l, _ in m["pg_static"].samples} == {f"localhost:{srv.port}"}
    # all down, or unparsable: pg_up 0
    with exporter(dsn=f"{down},host=x nonsense=1") as e:
        m = e.scrape()
        assert m["pg_up"].value() == 0
        assert "could not parse" in e.log


# ---- custom queries (--extend.query-path) ----

def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_upstream_example_queries():
    server = f"127.0.0.1:{srv.port}"
    with exporter([f"--extend.query-path={EXAMPLE}"]) as e:
        m = e.scrape()
        assert m["pg_exporter_user_queries_load_error"].value(filename=EXAMPLE, hashsum=sha256(EXAMPLE)) == 0
        assert m["pg_replication_lag"].type == "gauge" and labels(m["pg_replication_lag"]) == {"server"}
        assert m["pg_replication_lag"].value(server=server) == 0
        start = m["pg_postmaster_start_time_seconds"].value(server=server)
        assert abs(start - time.time()) < 3600
        f = m["pg_statio_user_tables_heap_blks_read"]
        assert f.type == "counter" and labels(f) == {"datname", "schemaname", "relname", "server"}
        f = m["pg_process_idle_seconds"]
        assert f.type == "histogram" and labels(f) == {"application_name", "server"}
        assert any(n.endswith("_bucket") and l.get("le") == "+Inf" for n, l, _ in f.samples)
        assert m["pg_up"].value() == 1 and m["pg_exporter_last_scrape_error"].value() == 0
        # a family the stat_user_tables collector also exports stays the collector's
        assert labels(m["pg_stat_user_tables_seq_scan"]) == {"datname", "schemaname", "relname"}
    with exporter([f"--extend.query-path={EXAMPLE}", "--no-collector.stat_user_tables"]) as e:
        m = e.scrape()
        f = m["pg_stat_user_tables_seq_scan"]
        assert f.type == "counter" and labels(f) == {"datname", "schemaname", "relname", "server"}
        assert f.value(relname="t1") >= 0
        assert f.help == "Number of sequential scans initiated on this table"


def test_custom_query_errors_are_reported_as_upstream():
    bad = write("bad.yaml", "q:\n  query: SELECT 1\n  master: \"true\"\n")
    missing = os.path.join(tmp, "missing.yaml")
    for path, hashsum in ((bad, sha256(bad)), (missing, "")):
        with exporter([f"--extend.query-path={path}"]) as e:
            m = e.scrape()
            assert m["pg_exporter_user_queries_load_error"].value(filename=path, hashsum=hashsum) == 1
            assert m["pg_up"].value() == 1
            assert "Failed to reload user queries" in e.log
    # before any connection there is nothing to report, as upstream
    with exporter([f"--extend.query-path={bad}"], dsn=f"postgresql://x@127.0.0.1:{free_port()}/x") as e:
        assert "pg_exporter_user_queries_load_error" not in e.scrape()
    mixed = write("mixed.yaml", """
good:
  query: "SELECT 'a' AS l, 2 AS v, 'x' AS text_col, NULL::int AS n, now() AS ts, true AS b, 3 AS d"
  metrics:
    - l: {usage: LABEL}
    - v: {usage: COUNTER, description: "a counter"}
    - text_col: {usage: GAUGE}
    - d: {usage: DURATION}
    - b: {usage: MISSPELT}
failing:
  query: "SELECT no_such_column"
  metrics:
    - no_such_column: {usage: GAUGE}
""")
    with exporter([f"--extend.query-path={mixed}"]) as e:
        m = e.scrape()
        assert m["good_v"].type == "counter" and m["good_v"].value(l="a", server=f"127.0.0.1:{srv.port}") == 2
        assert m["good_d_milliseconds"].type == "gauge" and m["good_d_milliseconds"].value(l="a") == 3
        assert m["good_n"].type == "untyped" and m["good_n"].value(l="a") != m["good_n"].value(l="a")  # NaN
        assert abs(m["good_ts"].value(l="a") - time.time()) < 600
        assert "good_text_col" not in m and "good_b" not in m
        assert m["pg_up"].value() == 1 and m["pg_exporter_last_scrape_error"].value() == 1
        errors = lambda: [l for l in e.log.splitlines() if "no_such_column" in l and "level=error" in l]  # noqa: E731
        assert len(errors()) == 1
        e.scrape()
        assert len(errors()) == 1  # logged once while it lasts


def test_cache_seconds():
    q = write("cache.yaml", """
cached:
  query: "SELECT extract(epoch from clock_timestamp()) AS t"
  cache_seconds: 60
  metrics:
    - t: {usage: GAUGE}
fresh:
  query: "SELECT extract(epoch from clock_timestamp()) AS t"
  metrics:
    - t: {usage: GAUGE}
""")
    with exporter([f"--extend.query-path={q}"]) as e:
        a = e.scrape()
        time.sleep(0.05)
        b = e.scrape()
        assert a["cached_t"].value() == b["cached_t"].value()
        assert a["fresh_t"].value() != b["fresh_t"].value()
