"""pg_exporter against a real PostgreSQL 15 (and a streaming standby of it)
started by the harness, with tables, replication slots, activity, a held
lock and a running VACUUM created here so every collector has something to
report."""

import os
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Exporter, assert_promtool_ok, wait_for  # noqa: E402
from pg import EXPORTER_PASSWORD, PgServer  # noqa: E402

srv = standby = locker = vacuumer = None

DEFAULT_COLLECTORS = ["database", "locks", "replication", "replication_slots", "roles", "settings",
                      "stat_activity", "stat_archiver", "stat_bgwriter", "stat_database",
                      "stat_progress_vacuum", "stat_replication", "stat_user_tables",
                      "statio_user_tables", "wal"]
OPTIONAL_COLLECTORS = ["buffercache_summary", "database_wraparound", "long_running_transactions",
                       "postmaster", "process_idle", "stat_activity_autovacuum", "stat_checkpointer",
                       "stat_statements", "stat_wal_receiver", "statio_user_indexes", "xlog_location"]


def setup_module():
    try:
        _setup()
    except BaseException:
        teardown_module()  # the runner does not tear down after a failed setup
        raise


def _setup():
    global srv, standby, locker, vacuumer
    srv = PgServer().start()
    srv.sql("""
        CREATE TABLE t1(a int PRIMARY KEY, b text);
        INSERT INTO t1 SELECT g, 'x' FROM generate_series(1, 1000) g;
        CREATE SCHEMA app;
        CREATE TABLE app.orders(id serial PRIMARY KEY, v int);
        INSERT INTO app.orders(v) SELECT g FROM generate_series(1, 50) g;
        CREATE TABLE locked_t(a int);
        CREATE INDEX ON locked_t(a);
        CREATE TABLE vac_t(a int, pad text) WITH (autovacuum_enabled = false);
        INSERT INTO vac_t SELECT g, repeat('y', 200) FROM generate_series(1, 20000) g;
        DELETE FROM vac_t WHERE a % 2 = 0;
        ANALYZE t1;
        SELECT pg_create_physical_replication_slot('standby_slot');
        SELECT pg_create_logical_replication_slot('logical_slot', 'test_decoding');
        CREATE DATABASE db2;
        CREATE DATABASE db3;
    """)
    srv.sql("CREATE TABLE other(a int); INSERT INTO other VALUES (1), (2);", db="db2")
    srv.sql("CREATE TABLE third(a int);", db="db3")
    for _ in range(3):
        srv.sql("SELECT count(*) FROM t1 WHERE b = 'x'")
    standby = PgServer.standby(srv, "standby_slot").start()
    # an idle-in-transaction session holding ACCESS EXCLUSIVE on locked_t
    locker = srv.session()
    locker.send("BEGIN; LOCK TABLE locked_t IN ACCESS EXCLUSIVE MODE; SELECT 1;")
    # a VACUUM slowed down enough to be seen in progress
    vacuumer = srv.session()
    vacuumer.send("SET vacuum_cost_delay = 100; SET vacuum_cost_limit = 1; VACUUM vac_t;")
    wait_for(lambda: srv.sql("SELECT count(*) FROM pg_stat_progress_vacuum").strip() == "1", 20,
             what="VACUUM to show in pg_stat_progress_vacuum")
    # Backends flush their table statistics when they exit, a moment after psql did.
    wait_for(lambda: srv.sql("SELECT n_live_tup FROM pg_stat_user_tables WHERE relname = 't1'").strip() == "1000"
             and srv.sql("SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = 'orders'").strip() == "50"
             and srv.sql("SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = 'other'", db="db2").strip() == "2",
             10, what="the table statistics of the setup")
    wait_for(lambda: srv.sql("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'").strip() == "1",
             30, what="the standby to stream")
    wait_for(lambda: srv.sql("SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' "
                             "AND relation = 'locked_t'::regclass AND granted").strip() == "1",
             10, what="the lock to be held")


def teardown_module():
    for s in (locker, vacuumer):
        if s:
            s.close()
    if srv:
        srv.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'VACUUM%'", check=False)
    for s in (standby, srv):
        if s:
            s.cleanup()


def env(**kw):
    e = {"DATA_SOURCE_NAME": srv.dsn_uri()}
    e.update(kw)
    return e


def exporter(args=(), **kw):
    return Exporter("pg_exporter", list(args), env=kw.pop("env", None) or env(), **kw)


def value(m, name, **labels):
    assert name in m, f"{name} missing"
    return m[name].value(**labels)


def test_default_collectors_report_what_the_test_created():
    with exporter() as e:
        first = e.scrape()
        # From the second scrape on, the queries go out pipelined and settings come from the
        # cache: the page must not change shape.
        m = e.scrape()
        assert {n: (f.type, f.label_names()) for n, f in first.items() if f.samples and "scrape" not in n} == \
            {n: (f.type, f.label_names()) for n, f in m.items() if f.samples and "scrape" not in n}
        assert value(m, "pg_up") == 1
        for c in DEFAULT_COLLECTORS:
            assert value(m, "pg_scrape_collector_success", collector=c) == 1, f"{c} failed:\n{e.log}"
        for c in OPTIONAL_COLLECTORS:
            assert not [s for s in m["pg_scrape_collector_success"].samples if s[1]["collector"] == c]
        # database
        for db in ("postgres", "db2", "db3", "template1"):
            assert value(m, "pg_database_size_bytes", datname=db) > 1e6
            assert value(m, "pg_database_connection_limit", datname=db) == -1
        # locks: the session holding ACCESS EXCLUSIVE on locked_t
        assert value(m, "pg_locks_count", datname="postgres", mode="accessexclusivelock") >= 1
        assert value(m, "pg_locks_count", datname="db3", mode="sireadlock") == 0
        # stat_activity: the idle-in-transaction session, zero-filled states
        idle_tx = [v for n, l, v in m["pg_stat_activity_count"].samples
                   if l["state"] == "idle in transaction" and l["datname"] == "postgres"
                   and l["application_name"] == "psql"]
        assert idle_tx == [1], m["pg_stat_activity_count"].samples
        assert set(m["pg_stat_activity_count"].label_names()) == {
            "datname", "state", "usename", "application_name", "backend_type", "wait_event_type", "wait_event"}
        assert value(m, "pg_stat_activity_count", datname="db3", state="disabled") == 0
        tx = [v for n, l, v in m["pg_stat_activity_max_tx_duration"].samples
              if l["state"] == "idle in transaction" and l["application_name"] == "psql"]
        assert tx and tx[0] > 0
        # replication: a primary
        assert value(m, "pg_replication_is_replica") == 0
        assert value(m, "pg_replication_lag_seconds") == 0
        # slots: the standby's physical slot is active, the logical one is not
        assert value(m, "pg_replication_slots_active", slot_name="standby_slot", database="") == 1
        assert value(m, "pg_replication_slots_active", slot_name="logical_slot", database="postgres") == 0
        assert value(m, "pg_replication_slots_slot_is_active", slot_name="standby_slot", slot_type="physical") == 1
        assert value(m, "pg_replication_slots_wal_status", slot_name="logical_slot", slot_type="logical",
                     wal_status="reserved") == 1
        assert value(m, "pg_replication_slots_pg_wal_lsn_diff", slot_name="logical_slot", database="postgres") >= 0
        assert value(m, "pg_replication_slots_slot_current_wal_lsn", slot_name="logical_slot",
                     slot_type="logical") > 0
        # stat_replication: the standby's WAL sender, joined to its slot
        samples = m["pg_stat_replication_pg_wal_lsn_diff"].samples
        assert len(samples) == 1 and samples[0][1]["slot_name"] == "standby_slot", samples
        assert samples[0][1]["state"] == "streaming" and samples[0][1]["client_addr"] == "127.0.0.1/32"
        assert value(m, "pg_stat_replication_pg_current_wal_lsn_bytes", slot_name="standby_slot") > 0
        # roles, settings
        assert value(m, "pg_roles_connection_limit", rolname="exporter") == -1
        assert value(m, "pg_settings_max_connections") == 30
        assert value(m, "pg_settings_shared_buffers_bytes") == 16 * 1024 * 1024
        assert value(m, "pg_settings_fsync") == 0
        assert value(m, "pg_settings_track_io_timing") == 1
        assert value(m, "pg_settings_autovacuum_naptime_seconds") == 1
        assert value(m, "pg_settings_pg_stat_statements_max") == 5000
        assert m["pg_settings_max_connections"].type == "gauge"
        # archiver, bgwriter, stat_database
        assert value(m, "pg_stat_archiver_archived_count") == 0
        assert m["pg_stat_archiver_archived_count"].type == "counter"
        assert "pg_stat_archiver_last_archive_age" not in m or not m["pg_stat_archiver_last_archive_age"].samples
        assert value(m, "pg_stat_bgwriter_buffers_alloc_total") > 0
        assert m["pg_stat_bgwriter_checkpoints_timed_total"].type == "counter"
        assert value(m, "pg_stat_database_xact_commit", datname="postgres") > 10
        assert value(m, "pg_stat_database_numbackends", datname="postgres") >= 3
        assert value(m, "pg_stat_database_active_time_seconds_total", datname="postgres") > 0
        assert not [s for s in m["pg_stat_database_xact_commit"].samples if s[1]["datname"] == ""]
        # legacy conflicts carry `server`, pg_static the version
        assert value(m, "pg_stat_database_conflicts_confl_lock", datname="postgres",
                     server=f"127.0.0.1:{srv.port}") == 0
        version = srv.sql("SELECT version()").strip()
        short = srv.sql("SHOW server_version").split()[0]
        assert value(m, "pg_static", version=version, short_version=f"{short}.0",
                     server=f"127.0.0.1:{srv.port}") == 1
        # progress of the slowed VACUUM
        assert value(m, "pg_stat_progress_vacuum_phase", datname="postgres", relname="vac_t",
                     phase="scanning heap") == 1
        assert value(m, "pg_stat_progress_vacuum_heap_blks", datname="postgres", relname="vac_t") > 100
        # tables of the connected database only (no discovery): t1 counted exactly
        assert value(m, "pg_stat_user_tables_n_live_tup", datname="postgres", schemaname="public", relname="t1") == 1000
        assert value(m, "pg_stat_user_tables_n_tup_ins", datname="postgres", schemaname="app", relname="orders") == 50
        assert value(m, "pg_stat_user_tables_last_analyze", relname="t1") > 1.7e9
        assert value(m, "pg_stat_user_tables_index_size_bytes", relname="t1") >= 16384
        assert value(m, "pg_stat_user_tables_table_size_bytes", relname="t1") > 8192
        assert value(m, "pg_statio_user_tables_heap_blocks_hit", relname="t1") > 0
        assert not [s for s in m["pg_stat_user_tables_seq_scan"].samples if s[1]["datname"] != "postgres"]
        # wal
        assert value(m, "pg_wal_segments") >= 1
        assert value(m, "pg_wal_size_bytes") >= 16 * 1024 * 1024
        # the exporter's own families
        assert value(m, "pg_exporter_last_scrape_error") == 0
        assert value(m, "pg_exporter_scrapes_total") == 2
        assert m["pg_exporter_scrapes_total"].type == "counter"
        assert "postgres_exporter_build_info" in m and "process_cpu_seconds_total" in m
        assert EXPORTER_PASSWORD not in e.get().text + e.log


def test_locked_table_does_not_hold_the_scrape():
    """locked_t is ACCESS EXCLUSIVE locked: its sizes are left out, the rest is there, quickly."""
    with exporter() as e:
        t0 = time.monotonic()
        m = e.scrape()
        assert time.monotonic() - t0 < 2.0
        assert value(m, "pg_scrape_collector_success", collector="stat_user_tables") == 1
        assert value(m, "pg_stat_user_tables_seq_scan", relname="locked_t") >= 0
        for fam in ("pg_stat_user_tables_table_size_bytes", "pg_stat_user_tables_index_size_bytes"):
            assert not [s for s in m[fam].samples if s[1]["relname"] == "locked_t"]
            assert [s for s in m[fam].samples if s[1]["relname"] == "t1"]


def test_optional_collectors():
    args = ["--collector." + c for c in OPTIONAL_COLLECTORS] + ["--collector.stat_statements.include_query",
                                                               "--collector.stat_statements.limit=50"]
    with exporter(args) as e:
        e.scrape()
        m = e.scrape()
        for c in DEFAULT_COLLECTORS + OPTIONAL_COLLECTORS:
            assert value(m, "pg_scrape_collector_success", collector=c) == 1, f"{c}:\n{e.log}"
        calls = [s for s in m["pg_stat_statements_calls_total"].samples]
        assert 0 < len(calls) <= 50
        assert set(m["pg_stat_statements_calls_total"].label_names()) == {"user", "datname", "queryid"}
        assert [v for n, l, v in calls if l["user"] == "exporter"], calls
        assert m["pg_stat_statements_seconds_total"].type == "counter"
        assert m["pg_stat_statements_query_id"].samples
        qids = [l["queryid"] for n, l, v in m["pg_stat_statements_query_id"].samples]
        assert len(qids) == len(set(qids))
        start = srv.sql("SELECT extract(epoch FROM pg_postmaster_start_time())").strip()
        assert abs(value(m, "pg_postmaster_start_time_seconds") - float(start)) < 1
        assert value(m, "pg_database_wraparound_age_datfrozenxid_seconds", datname="postgres") > 0
        assert value(m, "pg_database_wraparound_age_datminmxid_seconds", datname="postgres") >= 0
        assert value(m, "pg_long_running_transactions") >= 2  # the locker and the VACUUM
        assert value(m, "pg_long_running_transactions_oldest_timestamp_seconds") > 0
        assert m["pg_process_idle_seconds"].type == "histogram"
        idle = [l for n, l, v in m["pg_process_idle_seconds"].samples if n.endswith("_count")]
        assert {"state": "idle in transaction", "application_name": "psql"} in idle
        assert value(m, "pg_statio_user_indexes_idx_blks_hit_total", relname="t1", indexrelname="t1_pkey") >= 0
        # version-gated on PostgreSQL 15: succeed with nothing, as upstream
        for fam in ("pg_stat_checkpointer_num_timed_total", "pg_buffercache_summary_buffers_used",
                    "pg_xlog_location_bytes"):
            assert fam not in m or not m[fam].samples
        # stat_wal_receiver on a primary: no receiver, no series
        assert "pg_stat_wal_receiver_received_tli" not in m


def test_standby():
    e_env = {"DATA_SOURCE_NAME": standby.dsn_uri()}
    with Exporter("pg_exporter", ["--collector.stat_wal_receiver"], env=e_env) as e:
        m = e.scrape()
        assert value(m, "pg_up") == 1
        assert value(m, "pg_replication_is_replica") == 1
        assert value(m, "pg_scrape_collector_success", collector="stat_wal_receiver") == 1
        labels = {"upstream_host": "127.0.0.1", "slot_name": "standby_slot", "status": "streaming"}
        assert value(m, "pg_stat_wal_receiver_received_tli", **labels) == 1
        assert value(m, "pg_stat_wal_receiver_flushed_lsn", **labels) > 0
        assert m["pg_stat_wal_receiver_flushed_lsn"].type == "counter"
        assert value(m, "pg_stat_wal_receiver_last_msg_receipt_time", **labels) > 1.7e9
        # replication collectors work on a replica too
        for c in ("replication", "replication_slots", "stat_replication", "wal"):
            assert value(m, "pg_scrape_collector_success", collector=c) == 1, c


def test_auto_discover_databases():
    with exporter(["--auto-discover-databases", "--exclude-databases=db3"]) as e:
        e.scrape()
        m = e.scrape()
        assert value(m, "pg_scrape_collector_success", collector="stat_user_tables") == 1
        assert value(m, "pg_stat_user_tables_n_tup_ins", datname="db2", schemaname="public", relname="other") == 2
        assert value(m, "pg_statio_user_tables_heap_blocks_read", datname="db2", relname="other") >= 0
        assert value(m, "pg_stat_user_tables_n_live_tup", datname="postgres", relname="t1") == 1000
        dbs = {l["datname"] for n, l, v in m["pg_stat_user_tables_seq_scan"].samples}
        assert dbs == {"postgres", "db2"}, dbs
        # --exclude-databases also applies to the database collector, as upstream
        assert not [s for s in m["pg_database_size_bytes"].samples if s[1]["datname"] == "db3"]
        # one persistent connection per database, reused
        pids = srv.sql("SELECT datname, pid FROM pg_stat_activity WHERE application_name = 'pg_exporter' "
                       "ORDER BY datname")
        e.scrape()
        assert srv.sql("SELECT datname, pid FROM pg_stat_activity WHERE application_name = 'pg_exporter' "
                       "ORDER BY datname") == pids
        assert [l.split("|")[0] for l in pids.split()] == ["db2", "postgres"]
    with exporter(["--auto-discover-databases", "--include-databases=db3"]) as e:
        m = e.scrape()
        dbs = {l["datname"] for n, l, v in m["pg_stat_user_tables_seq_scan"].samples}
        assert dbs == {"postgres", "db3"}, dbs


def test_promtool_accepts_the_page():
    args = ["--collector." + c for c in OPTIONAL_COLLECTORS] + ["--auto-discover-databases"]
    with exporter(args) as e:
        text = e.get().text
        # Names and units are upstream's; promtool's lint about them is expected.
        problems = assert_promtool_ok(text, allowed_lint=[
            r"counter metrics should have \"_total\" suffix",
            r"metric names should not contain abbreviated units",
            r"use base unit \"seconds\" instead of",
            r"non-histogram and non-summary metrics should not have \"_count\" suffix",
            r"non-counter metrics should not have \"_total\" suffix",
            r"non-histogram and non-summary metrics should not have \"_sum\" suffix",
            r"no help text",
        ])
        assert isinstance(problems, list)
        om = e.get(headers={"Accept": "application/openmetrics-text;version=1.0.0"}).text
        assert om.endswith("# EOF\n")


def test_connection_is_persistent_and_named():
    with exporter() as e:
        e.scrape()
        q = ("SELECT pid, backend_start FROM pg_stat_activity WHERE application_name = 'pg_exporter' "
             "AND datname = 'postgres'")
        first = srv.sql(q)
        assert len(first.strip().split("\n")) == 1, first
        for _ in range(5):
            e.scrape()
        assert srv.sql(q) == first  # same backend, same start time: no reconnection
        # The session's statement_timeout/lock_timeout (set from the scrape deadline) do not
        # leak into pg_settings: the server's values are reported, as upstream sees them.
        m = e.scrape(headers={"X-Prometheus-Scrape-Timeout-Seconds": "4"})
        assert value(m, "pg_settings_statement_timeout_seconds") == 0
        assert value(m, "pg_settings_lock_timeout_seconds") == 0
        srv.sql("ALTER ROLE exporter SET statement_timeout = '42s'")
        try:
            with exporter() as e2:
                assert value(e2.scrape(), "pg_settings_statement_timeout_seconds") == 42
        finally:
            srv.sql("ALTER ROLE exporter RESET statement_timeout")


def test_concurrent_scrapes_share_one_connection():
    with exporter() as e:
        results = []

        def scrape():
            results.append(e.get().status)

        threads = [threading.Thread(target=scrape) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results == [200] * 8
        n = srv.sql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pg_exporter'").strip()
        assert n == "1"


def test_probe_with_auth_module():
    cfg = tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False)
    cfg.write(f"""auth_modules:
  mon:
    type: userpass
    userpass:
      username: exporter
      password: {EXPORTER_PASSWORD}
    options:
      sslmode: disable
  nopass:
    type: userpass
    userpass:
      username: exporter
""")
    cfg.close()
    try:
        with Exporter("pg_exporter", [f"--config.file={cfg.name}"], env={"DATA_SOURCE_NAME": ""}) as e:
            m = e.scrape()
            assert value(m, "postgres_exporter_config_last_reload_successful") == 1
            assert value(m, "postgres_exporter_config_last_reload_success_timestamp_seconds") > 1.7e9
            target = f"127.0.0.1:{srv.port}/postgres"
            m = e.scrape(f"/probe?target={target}&auth_module=mon")
            assert value(m, "pg_up") == 1
            assert value(m, "pg_scrape_collector_success", collector="settings") == 1
            assert value(m, "pg_static", server=f"127.0.0.1:{srv.port}") == 1
            assert "process_cpu_seconds_total" not in m and "postgres_exporter_build_info" not in m
            # key=value and URI targets work too
            m = e.scrape(f"/probe?target=host%3D127.0.0.1%20port%3D{srv.port}%20dbname%3Ddb2&auth_module=mon")
            assert value(m, "pg_up") == 1
            # the probe connection is kept between probes
            q = "SELECT pid FROM pg_stat_activity WHERE application_name = 'pg_exporter' AND datname = 'postgres'"
            pid = srv.sql(q)
            e.scrape(f"/probe?target={target}&auth_module=mon")
            assert srv.sql(q) == pid and len(pid.split()) == 1
            # upstream's 400s
            r = e.get(f"/probe?target={target}&auth_module=nopass")
            assert r.status == 400 and "has no username or password" in r.text
            r = e.get(f"/probe?target={target}&auth_module=missing")
            assert r.status == 400 and "auth_module missing not found" in r.text
            # without a module the target's own credentials are used
            m = e.scrape(f"/probe?target=127.0.0.1:{srv.port}/postgres%3Fsslmode%3Ddisable")
            assert value(m, "pg_up") == 0  # no user/password: refused by scram
            assert EXPORTER_PASSWORD not in e.log
    finally:
        os.unlink(cfg.name)


def test_environment_variants_and_legacy_flags():
    pw = tempfile.NamedTemporaryFile("w", delete=False)
    pw.write(f"  {EXPORTER_PASSWORD}\n")
    pw.close()
    try:
        variants = [
            {"DATA_SOURCE_URI": f"127.0.0.1:{srv.port}/postgres?sslmode=disable",
             "DATA_SOURCE_USER": "exporter", "DATA_SOURCE_PASS": EXPORTER_PASSWORD},
            {"DATA_SOURCE_URI": f"127.0.0.1:{srv.port}/postgres?sslmode=disable",
             "DATA_SOURCE_USER": "exporter", "DATA_SOURCE_PASS_FILE": pw.name},
            {"DATA_SOURCE_NAME": srv.dsn_kv()},
        ]
        for v in variants:
            full = {"DATA_SOURCE_NAME": ""}
            full.update(v)
            with Exporter("pg_exporter", ["--collector.disable-defaults"], env=full) as e:
                m = e.scrape()
                assert value(m, "pg_up") == 1, (v, e.log)
                assert "pg_scrape_collector_success" not in m
        extra = {"PG_EXPORTER_DISABLE_DEFAULT_METRICS": "true", "PG_EXPORTER_CONSTANT_LABELS": "env=test, team=db"}
        with exporter(["--collector.disable-defaults"], env=env(**extra)) as e:
            m = e.scrape()
            assert value(m, "pg_up", env="test", team="db") == 1
            assert value(m, "pg_exporter_scrapes_total", env="test", team="db") == 1
            assert "pg_static" not in m and "pg_stat_database_conflicts_confl_lock" not in m
        with exporter(["--collector.disable-defaults", "--metric-prefix=pgx", "--constantLabels=c=1"]) as e:
            m = e.scrape()
            assert value(m, "pgx_stat_database_conflicts_confl_lock", datname="postgres", c="1") == 0
            assert value(m, "pg_static", c="1") == 1
            assert "pg_stat_database_conflicts_confl_lock" not in m
    finally:
        os.unlink(pw.name)
