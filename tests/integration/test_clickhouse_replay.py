"""clickhouse_exporter end to end against the replies ClickHouse 26.9 gave to its
own queries (tests/fixtures/clickhouse/26.9, recorded with chdb): a small HTTP
server answers the probe and the scrape's statement with the recorded replies,
and refuses any other statement, so the exporter must send, for 26.9's
capabilities, exactly the statement 26.9 answered. Covers what the 18.16 server
cannot show: disks, detached parts, system.errors, dictionary status, failed
mutations and their reason in the log (once)."""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import FIXTURES, assert_promtool_ok, parse_text  # noqa: E402
from clickhouse_harness import StandIn, ch_exporter  # noqa: E402

FIX = os.path.join(FIXTURES, "clickhouse", "26.9")
FORMAT = " FORMAT TabSeparatedWithNamesAndTypes"


def fixture(*path):
    with open(os.path.join(FIX, *path), "rb") as f:
        return f.read()


UNKNOWN = (404, b"Code: 60. DB::Exception: not recorded. (UNKNOWN_TABLE)\n")


def recorded(sql):
    """The probe and the combined statement as 26.9 answered them; anything else is unknown."""
    for name in ("probe", "scrape"):
        if sql == fixture(name + ".sql").decode().strip():
            return 200, fixture(name + ".tsv")
    return UNKNOWN


def union_of_sections(sql):
    """Any UNION ALL of recorded sections, from sections/<key>.tsv (each recorded alone, with
    only its own columns), under the statement's columns: those named in its first branch."""
    branches = sql[: -len(FORMAT)].split(" UNION ALL ")
    names = re.findall(r" AS (\w+)", branches[0].split(" FROM ")[0])
    types = [b"Float64" if n.startswith("v") else b"String" for n in names]
    body = b"\t".join(n.encode() for n in names) + b"\n" + b"\t".join(types) + b"\n"
    for branch in branches:
        lines = [l for l in fixture("sections", branch.split("'")[1] + ".tsv").split(b"\n") if l]
        have = lines[0].decode().split("\t")
        for line in lines[2:]:
            fields = dict(zip(have, line.split(b"\t")))
            body += b"\t".join(fields.get(n, b"0" if n.startswith("v") else b"") for n in names) + b"\n"
    return 200, body


def by_section(sql):
    """The probe as recorded, any union of recorded sections; a statement reading
    system.errors is refused as for a missing grant (Code 497)."""
    if "system.columns" in sql:
        return recorded(sql)
    if "FROM system.errors" in sql:
        return 403, b"Code: 497. DB::Exception: default: Not enough privileges. (ACCESS_DENIED)\n"
    return union_of_sections(sql)


def recorded_or_sections(sql):
    """The recorded probe and statement; later statements as unions of the recorded sections."""
    status, body = recorded(sql)
    return (status, body) if status == 200 else union_of_sections(sql)


def test_scrape_of_a_26_9_server():
    r = StandIn(recorded_or_sections)
    try:
        with ch_exporter([f"-scrape_uri=http://127.0.0.1:{r.port}/"]) as e:
            page = e.get("/metrics").text
            f = parse_text(page)
            assert all(recorded(q) != UNKNOWN for q in r.requests), "a statement not as recorded"
            assert len(r.requests) == 2
            assert f["clickhouse_up"].value() == 1
            assert f["clickhouse_version_info"].value(version="26.9.2.1") == 1
            assert f["clickhouse_free_space_in_bytes"].type == "gauge"
            assert f["clickhouse_total_space_in_bytes"].value(disk="default") == 270553174016
            assert f["clickhouse_table_detached_parts"].value(database="shop", table="orders", reason="") == 1
            assert f["clickhouse_errors_total"].value(code="60", name="UNKNOWN_TABLE") == 2
            assert f["clickhouse_dictionary_status"].value(name="default.broken", status="FAILED") == 1
            assert f["clickhouse_table_mutations_failed"].value(database="default", table="stuck") == 1
            assert f["clickhouse_table_parts_rows"].value(database="shop", table="odd name\twith\\ tab") == 2
            ok = f["clickhouse_scrape_collector_success"]
            for c in ("disks", "detached_parts", "errors", "dictionaries", "mutations", "parts", "events"):
                assert ok.value(collector=c) == 1, c
            assert ok.value(collector="asynchronous_metrics") == 0  # chdb has none
            assert_promtool_ok(page, allowed_lint=[r"counter metrics should have \"_total\" suffix",
                                                   r"should not have \"_total\" suffix",
                                                   r"use base unit", r"snake_case", r"abbreviated units",
                                                   r"should not have \"_count\" suffix", r"should not include type"])
            f = e.scrape()
            assert f["clickhouse_up"].value() == 1 and len(r.requests) == 3
            # the sections that came back empty (no Keeper, no merge running) are left out now,
            # those with rows are asked again; their collectors still succeed
            for table in ("system.replicas", "system.replication_queue", "system.merges"):
                assert table not in r.requests[-1], table
            for table in ("system.mutations", "system.dictionaries", "system.detached_parts", "system.parts"):
                assert table in r.requests[-1], table
            for c in ("replicas", "merges", "mutations"):
                assert f["clickhouse_scrape_collector_success"].value(collector=c) == 1, c
            assert f["clickhouse_table_mutations_failed"].value(database="default", table="stuck") == 1
            # the failing mutation's reason, logged once for two scrapes
            assert e.log.count("mutation failing") == 1, e.log
            assert "throwIf" in e.log and "mutation_2.txt" in e.log
    finally:
        r.close()



def test_a_refused_table_is_left_out_not_the_scrape():
    r = StandIn(by_section)
    try:
        with ch_exporter([f"-scrape_uri=http://127.0.0.1:{r.port}/"]) as e:
            f = e.scrape()
            assert f["clickhouse_up"].value() == 1
            assert "clickhouse_errors_total" not in f
            assert f["clickhouse_scrape_collector_success"].value(collector="errors") == 0
            assert f["clickhouse_scrape_collector_success"].value(collector="parts") == 1
            assert f["clickhouse_table_parts_rows"].value(database="shop", table="visits") == 1000
            assert f["clickhouse_free_space_in_bytes"].value(disk="default") > 0
            first = len(r.requests)
            # probe, the combined statement, then each section alone once
            assert first > 3, r.requests
            f = e.scrape()
            assert f["clickhouse_up"].value() == 1
            assert f["clickhouse_scrape_collector_success"].value(collector="errors") == 0
            # from now on one request per scrape, without system.errors
            assert len(r.requests) == first + 1
            assert "system.errors" not in r.requests[-1] and "system.parts" in r.requests[-1]
            assert e.log.count("query refused by this server") == 1
            assert "ACCESS_DENIED" in e.log
    finally:
        r.close()
