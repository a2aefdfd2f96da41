"""Side by side on one server with postgres_exporter 0.20.1 (given by
$PG_EXPORTER_UPSTREAM; skipped without) and with Debian's
prometheus-postgres-exporter 0.11.1: the share of their families ours
exposes with the same type and labels, every difference explained
(tests/lib/pg_compare.py, README.md), and the values of what both compute
the same way agree."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Skip, parse_text  # noqa: E402
import pg_compare  # noqa: E402

srv = None
texts = None


def setup_module():
    global srv, texts
    srv = pg_compare.server().start()
    try:
        pg_compare.prepare(srv)
        texts = pg_compare.run(srv)
    except BaseException:
        teardown_module()
        raise


def teardown_module():
    if srv:
        srv.cleanup()


def test_family_share_and_documented_differences():
    res = pg_compare.compare(*texts)
    print(pg_compare.report(res).split("\ndifferences:")[0])
    assert not res["unexplained"], "undocumented differences:\n" + "\n".join(
        f"{r[0]}: {r[1]} upstream={r[3]} ours={r[4]}" for r in res["unexplained"])
    assert res["same_or_server_non_go"] / res["total_non_go"] >= 0.90
    # the families both versions label alike are really identical
    assert res["same"] >= 20
    # and every documented rule is still needed (no stale README entries)
    used = {r[2] for r in res["rows"] if r[2]}
    for _, reason in pg_compare.DOCUMENTED:
        if "nothing was ever archived" in reason:
            continue  # the test server archives; seen on servers that never did
        assert reason in used, f"documented difference not seen: {reason}"


def test_values_agree():
    up, ours = parse_text(texts[0]), parse_text(texts[1])
    settings = [n for n in up if n.startswith("pg_settings_")]
    assert len(settings) > 200
    for name in settings:
        uv = up[name].samples[0][2]
        ov = ours[name].samples[0][2]
        assert uv == ov, f"{name}: upstream {uv}, ours {ov}"
    for db in ("postgres", "template1"):
        u = next(v for n, l, v in up["pg_database_size_bytes"].samples if l["datname"] == db)
        o = next(v for n, l, v in ours["pg_database_size_bytes"].samples if l["datname"] == db)
        assert abs(u - o) <= 64 * 1024, (db, u, o)
    assert up["pg_up"].samples[0][2] == ours["pg_up"].samples[0][2] == 1
    ustatic = up["pg_static"].samples[0][1]
    ostatic = ours["pg_static"].samples[0][1]
    assert ustatic == ostatic, (ustatic, ostatic)
    for slot_fam in ("pg_replication_slots_active",):
        assert {l["slot_name"] for n, l, v in up[slot_fam].samples} == \
            {l["slot_name"] for n, l, v in ours[slot_fam].samples}
    u = up["pg_stat_archiver_archived_count"].samples[0][2]
    o = ours["pg_stat_archiver_archived_count"].samples[0][2]
    assert o >= u >= 1


def upstream_020():
    path = pg_compare.UPSTREAM_020
    if not path or not os.path.exists(path):
        raise Skip("set PG_EXPORTER_UPSTREAM to a postgres_exporter 0.20.1 binary to compare with it")
    return path


def check_020(flags, min_same):
    res = pg_compare.compare_020(*pg_compare.run_020(srv, upstream_020(), flags))
    print(pg_compare.report_020(res, " ".join(flags) or "with no flags"))
    assert not res["unexplained"], "undocumented differences:\n" + "\n".join(
        f"{r[0]}: {r[1]} 0.20.1={r[3]} ours={r[4]}" for r in res["unexplained"])
    assert res["same"] >= min_same * res["total"]
    assert res["values"] > 250 and not res["values_differ"], res["values_differ"][:10]
    return res


def test_same_families_and_values_as_0_20_1():
    check_020([], 0.99)


def test_example_queries_give_the_same_families_as_0_20_1():
    # with the collector whose families the example's pg_stat_user_tables repeats turned off, all the same
    res = check_020([f"--extend.query-path={pg_compare.QUERIES}", "--no-collector.stat_user_tables"], 0.99)
    names = {r[0] for r in res["rows"] if r[1] == "same"}
    assert {"pg_replication_lag", "pg_postmaster_start_time_seconds", "pg_process_idle_seconds",
            "pg_statio_user_tables_heap_blks_read", "pg_stat_user_tables_seq_scan",
            "pg_exporter_user_queries_load_error"} <= names
    # with it on, the families it shares with the queries keep the collector's labels (documented)
    check_020([f"--extend.query-path={pg_compare.QUERIES}"], 0.9)
