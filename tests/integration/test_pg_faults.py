"""Faults: the server down at start, restarted between scrapes, frozen with
SIGSTOP, a wrong password, max_connections exhausted, a database dropped
while discovered, a database refusing us. Every scrape answers HTTP 200
within its deadline, pg_up says what happened, the exporter recovers by
itself and exits cleanly at the end (no leaks under the sanitizers)."""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Exporter, http_get, parse_text, wait_for  # noqa: E402
from pg import EXPORTER_PASSWORD, PgServer, raw_connect  # noqa: E402

srv = None
HDR = {"X-Prometheus-Scrape-Timeout-Seconds": "3"}


def setup_module():
    global srv
    try:
        srv = PgServer(settings={"max_connections": "12", "superuser_reserved_connections": "3"}).start()
    except BaseException:
        if srv:
            srv.cleanup()
        raise


def teardown_module():
    if srv:
        srv.cleanup()


def exporter(args=(), dsn=None, **kw):
    return Exporter("pg_exporter", list(args), env={"DATA_SOURCE_NAME": dsn or srv.dsn_uri()}, **kw)


def scrape(e, path="/metrics", headers=HDR):
    t0 = time.monotonic()
    m = e.scrape(path, headers=headers)
    return m, time.monotonic() - t0


def up(m):
    return m["pg_up"].value()


def test_server_down_at_start_then_recovers():
    srv.stop()
    try:
        with exporter() as e:
            m, dt = scrape(e)
            assert up(m) == 0 and dt < 2.5
            assert m["pg_exporter_last_scrape_error"].value() == 1
            assert "pg_scrape_collector_success" not in m  # as upstream: nothing collected
            assert "could not connect to PostgreSQL" in e.log
            m, dt = scrape(e)
            assert up(m) == 0 and dt < 2.5
            srv.start()
            # The next attempt after the (at most 2 s) backoff connects.
            wait_for(lambda: up(scrape(e)[0]) == 1, 10, interval=0.3, what="pg_up 1 after the server started")
            m, _ = scrape(e)
            assert m["pg_scrape_collector_success"].value(collector="settings") == 1
            assert m["pg_exporter_last_scrape_error"].value() == 0
            assert "connected to PostgreSQL" in e.log
            assert e.alive()
    finally:
        if not os.path.exists(os.path.join(srv.data, "postmaster.pid")):
            srv.start()


def test_restart_between_scrapes_recovers_on_the_next_scrape():
    with exporter() as e:
        m, _ = scrape(e)
        assert up(m) == 1
        q = "SELECT pid FROM pg_stat_activity WHERE application_name = 'pg_exporter'"
        pid_before = srv.sql(q).strip()
        srv.restart()
        m, dt = scrape(e)
        assert up(m) == 1, e.log
        assert m["pg_scrape_collector_success"].value(collector="stat_database") == 1
        pid_after = srv.sql(q).strip()
        assert pid_after and pid_after != pid_before
        # a fast shutdown while idle: one reconnect, no error logged as the server said goodbye
        m, _ = scrape(e)
        assert up(m) == 1 and srv.sql(q).strip() == pid_after


def test_frozen_server_answers_within_the_deadline():
    other = PgServer().start()
    try:
        with exporter() as e:
            assert up(scrape(e)[0]) == 1
            srv.freeze()
            try:
                for _ in range(2):  # the query in flight, then a reconnect attempt
                    m, dt = scrape(e)
                    assert up(m) == 0
                    assert dt < 3.0, f"scrape took {dt:.2f}s with a 3s timeout"
                    assert dt > 1.5  # it did wait for the server, up to the deadline
                assert m["pg_exporter_last_scrape_error"].value() == 1
                # Another target is not held up by the frozen one (probe while /metrics waits).
                results = {}

                def slow():
                    results["metrics"] = scrape(e)

                t = threading.Thread(target=slow)
                t.start()
                time.sleep(0.3)
                target = f"127.0.0.1:{other.port}/postgres%3Fsslmode%3Ddisable%26user%3Dexporter%26password%3D{EXPORTER_PASSWORD}"
                m2, dt2 = scrape(e, f"/probe?target={target}")
                assert up(m2) == 1 and dt2 < 1.5, (dt2, e.log)
                assert m2["pg_scrape_collector_success"].value(collector="stat_activity") == 1
                t.join()
                assert up(results["metrics"][0]) == 0
            finally:
                srv.thaw()
            wait_for(lambda: up(scrape(e)[0]) == 1, 10, interval=0.3, what="recovery after SIGCONT")
            assert e.alive()
            assert EXPORTER_PASSWORD not in e.log
    finally:
        other.cleanup()


def test_wrong_password():
    wrong = "WrongPass-Zz9"
    for dsn in (srv.dsn_uri(password=wrong), srv.dsn_kv(password=wrong)):
        with exporter(dsn=dsn) as e:
            r = e.get(headers=HDR)
            assert r.status == 200
            m, dt = scrape(e)
            assert up(m) == 0 and dt < 2.5
            assert "password authentication failed" in e.log
            assert wrong not in e.log and wrong not in r.text
            assert EXPORTER_PASSWORD not in e.log


def test_max_connections_exhausted():
    fillers = []
    with exporter() as early:
        assert up(scrape(early)[0]) == 1
        try:
            # Take every slot left for ordinary roles (3 stay reserved for superusers).
            for _ in range(20):
                try:
                    fillers.append(raw_connect(srv.port, "filler", "postgres"))
                except ConnectionError as err:
                    assert "too many clients" in str(err) or "remaining connection slots" in str(err), err
                    break
            else:
                raise AssertionError("max_connections was never reached")
            # The persistent connection made earlier keeps working.
            m, _ = scrape(early)
            assert up(m) == 1
            assert m["pg_scrape_collector_success"].value(collector="stat_activity") == 1
            # A new exporter cannot get in: pg_up 0, HTTP 200, one clear log line.
            with exporter() as late:
                m, dt = scrape(late)
                assert up(m) == 0 and dt < 2.5
                assert "remaining connection slots" in late.log or "too many clients" in late.log, late.log
                for s in fillers:
                    s.close()
                fillers.clear()
                wait_for(lambda: up(scrape(late)[0]) == 1, 10, interval=0.3,
                         what="pg_up 1 once connections were freed")
        finally:
            for s in fillers:
                s.close()


def test_database_dropped_while_discovered():
    srv.sql("CREATE DATABASE doomed")
    srv.sql("CREATE TABLE victim(a int); INSERT INTO victim VALUES (1);", db="doomed")
    # the inserting backend flushes its statistics as it exits, a moment after psql
    wait_for(lambda: srv.sql("SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = 'victim'",
                             db="doomed").strip() == "1", 10, what="victim's statistics")
    with exporter(["--auto-discover-databases"]) as e:
        m, _ = scrape(e)
        assert m["pg_stat_user_tables_n_tup_ins"].value(datname="doomed", relname="victim") == 1
        # DROP ... WITH (FORCE) terminates our connection to it.
        srv.sql("DROP DATABASE doomed WITH (FORCE)")
        for _ in range(2):
            m, _ = scrape(e)
            assert up(m) == 1
            assert m["pg_scrape_collector_success"].value(collector="stat_user_tables") == 1, e.log
            assert m["pg_scrape_collector_success"].value(collector="statio_user_tables") == 1
            fam = m.get("pg_stat_user_tables_seq_scan")
            assert not fam or not [s for s in fam.samples if s[1]["datname"] == "doomed"]
        n = srv.sql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pg_exporter'").strip()
        assert n == "1"  # the connection to the dropped database is gone


def test_database_refusing_connections_fails_only_the_table_collectors():
    srv.sql("CREATE DATABASE private; REVOKE CONNECT ON DATABASE private FROM PUBLIC;")
    srv.sql("CREATE TABLE hidden(a int);", db="private")
    srv.sql("CREATE DATABASE open; ")
    srv.sql("CREATE TABLE visible(a int);", db="open")
    try:
        with exporter(["--auto-discover-databases"]) as e:
            m, _ = scrape(e)
            assert up(m) == 1
            assert m["pg_scrape_collector_success"].value(collector="stat_user_tables") == 0
            assert m["pg_scrape_collector_success"].value(collector="settings") == 1
            # the other databases are still reported
            assert [s for s in m["pg_stat_user_tables_seq_scan"].samples if s[1]["datname"] == "open"]
            assert "permission denied for database" in e.log
            assert e.log.count("collector failed") == 2  # stat_user_tables, statio_user_tables, once each
            scrape(e)
            assert e.log.count("collector failed") == 2  # not repeated every scrape
            # excluding it makes the collectors whole again
        with exporter(["--auto-discover-databases", "--exclude-databases=private"]) as e:
            m, _ = scrape(e)
            assert m["pg_scrape_collector_success"].value(collector="stat_user_tables") == 1
    finally:
        srv.sql("DROP DATABASE private; DROP DATABASE open;")


def test_unreachable_host_and_bad_port():
    # nothing listens there: refused at once, pg_up 0, HTTP 200
    with exporter(dsn="postgresql://exporter:x@127.0.0.1:1/postgres?sslmode=disable") as e:
        m, dt = scrape(e)
        assert up(m) == 0 and dt < 1.0
        r = http_get(e.port, "/metrics")
        assert r.status == 200


def test_failing_query_does_not_take_the_pipeline_down():
    """From the second scrape on the queries are pipelined; one failing (here: a revoked
    privilege) must not make the others fail, and its recovery is seen."""
    with exporter() as e:
        srv.sql("REVOKE EXECUTE ON FUNCTION pg_ls_waldir() FROM pg_monitor")
        try:
            for _ in range(3):
                m, _ = scrape(e)
                assert up(m) == 1
                assert m["pg_scrape_collector_success"].value(collector="wal") == 0
                for c in ("settings", "stat_database", "stat_user_tables", "locks", "replication"):
                    assert m["pg_scrape_collector_success"].value(collector=c) == 1, (c, e.log)
                assert m["pg_settings_max_connections"].value() == 12
            assert "permission denied for function pg_ls_waldir" in e.log
        finally:
            srv.sql("GRANT EXECUTE ON FUNCTION pg_ls_waldir() TO pg_monitor")
        for _ in range(2):
            m, _ = scrape(e)
            assert m["pg_scrape_collector_success"].value(collector="wal") == 1
            assert m["pg_wal_segments"].value() >= 1


def test_settings_follow_a_configuration_reload():
    """pg_settings is read again when the server reloads its configuration."""
    with exporter() as e:
        assert scrape(e)[0]["pg_settings_work_mem_bytes"].value() == 4 * 1024 * 1024
        scrape(e)
        srv.sql("ALTER SYSTEM SET work_mem = '8MB'; SELECT pg_reload_conf();")
        try:
            wait_for(lambda: scrape(e)[0]["pg_settings_work_mem_bytes"].value() == 8 * 1024 * 1024, 10,
                     interval=0.2, what="the reloaded work_mem")
        finally:
            srv.sql("ALTER SYSTEM RESET work_mem; SELECT pg_reload_conf();")
        wait_for(lambda: scrape(e)[0]["pg_settings_work_mem_bytes"].value() == 4 * 1024 * 1024, 10,
                 interval=0.2, what="work_mem back")


def concurrent_scrapes(e, n=5, timeout="2"):
    """n scrapes at once, each with its own URL: identical requests in flight together would
    share one collection, and the point is n scrapes of one target taking turns."""
    results = [None] * n

    def one(i):
        t0 = time.monotonic()
        r = e.get(f"/metrics?scrape={i}", headers={"X-Prometheus-Scrape-Timeout-Seconds": timeout}, timeout=30)
        results[i] = (r, time.monotonic() - t0)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_frozen_server_concurrent_scrapes_keep_their_deadline():
    """A scrape with a longer timeout (Prometheus' default 10 s, a curl by hand) waits for a
    frozen server; five scrapes with a 2 s timeout arriving meanwhile each answer HTTP 200
    with pg_up 0 within 2.5 s instead of queueing behind it for the target's turn, and so
    does one with the same URL instead of waiting for its collection."""
    with exporter() as e:
        assert up(scrape(e)[0]) == 1
        srv.freeze()
        try:
            holder = threading.Thread(target=lambda: e.get(
                "/metrics", headers={"X-Prometheus-Scrape-Timeout-Seconds": "10"}, timeout=30))
            holder.start()
            time.sleep(0.3)
            for r, dt in concurrent_scrapes(e):
                assert r.status == 200, (r.status, r.text[:300])
                assert parse_text(r.text)["pg_up"].value() == 0
                assert dt < 2.5, f"a scrape with a 2s timeout took {dt:.2f}s"
            # nor does the same URL as the longer scrape wait for its collection
            m, dt = scrape(e, headers={"X-Prometheus-Scrape-Timeout-Seconds": "2"})
            assert up(m) == 0 and dt < 2.5, dt
        finally:
            srv.thaw()
        holder.join(30)
        wait_for(lambda: up(scrape(e)[0]) == 1, 10, interval=0.3, what="recovery after SIGCONT")
