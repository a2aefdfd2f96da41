"""clickhouse_exporter beside upstream's Go exporter (built from
ClickHouse/clickhouse_exporter at a1d3eea; $CLICKHOUSE_UPSTREAM or
/tmp/upstream/bin/clickhouse_exporter, skipped when absent) on the same
ClickHouse 18.16: every family upstream exposes is in ours with the same type
and labels, the stable values agree. Also where upstream fails and we do not:
a table name with a space, and the newest upstream's system.disks on 18.16."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Skip  # noqa: E402
from clickhouse_harness import ClickHouseServer, populate, upstream_binary  # noqa: E402
import clickhouse_compare  # noqa: E402


def test_side_by_side_with_upstream_a1d3eea():
    binary = upstream_binary()
    nfams, matched, mismatches, checks, misses = clickhouse_compare.run(binary)
    assert nfams > 100  # metrics, asynchronous metrics, events, parts, process
    assert not mismatches, mismatches
    assert matched == nfams
    assert checks >= 7 and not misses, misses


def test_where_upstream_fails():
    binary = upstream_binary()
    ch = ClickHouseServer(name="chcmp2")
    try:
        populate(ch, odd_names=True)
        with clickhouse_compare.upstream_exporter(binary, ch) as u, clickhouse_compare.ours(ch) as o:
            # a table called "with space": upstream's whitespace split fails its whole scrape
            assert u.scrape()["clickhouse_up"].value() == 0
            f = o.scrape()
            assert f["clickhouse_up"].value() == 1
            assert f["clickhouse_table_parts_rows"].value(database="default", table="with space") == 1
        master = os.path.join(os.path.dirname(binary), "clickhouse_exporter-master")
        if not os.path.exists(master):
            raise Skip(f"{master} not built: the newest upstream was not compared")
        ch.query("DROP TABLE default.`with space`")
        ch.query("DROP TABLE shop.`odd name\twith\\\\ tab`")
        with clickhouse_compare.upstream_exporter(master, ch) as u:
            # its system.disks query fails on 18.16 (Code 60): every scrape is down
            assert u.scrape()["clickhouse_up"].value() == 0
            assert u.scrape()["clickhouse_up"].value() == 0
    finally:
        ch.cleanup()
