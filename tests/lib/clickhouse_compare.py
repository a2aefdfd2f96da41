#!/usr/bin/env python3
"""clickhouse_exporter beside upstream's Go exporter on the same ClickHouse 18.16.

For every family upstream exposes (its Go runtime families aside), is it in
ours with the same type and label names? Do the stable values agree (the
active parts of every table, clickhouse_up)? Prints the figures.

    python3 tests/lib/clickhouse_compare.py --upstream /tmp/upstream/bin/clickhouse_exporter

Upstream is built from ClickHouse/clickhouse_exporter at a1d3eea, the last
commit before its system.disks query (which fails on 18.16). The server is
populated without table names holding spaces (upstream's parser fails the
whole scrape on those); system.asynchronous_metrics of 18.16 is filled a
minute after start, so the comparison waits for it (--no-wait-async skips).
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Exporter, wait_for  # noqa: E402
from clickhouse_harness import ClickHouseServer, ch_exporter, populate  # noqa: E402

STABLE = ("clickhouse_table_parts_bytes", "clickhouse_table_parts_count", "clickhouse_table_parts_rows",
          "clickhouse_up")


def upstream_exporter(binary, ch):
    return Exporter("upstream", [f"-scrape_uri={ch.uri}"], binary=binary, listen_flag="-telemetry.address",
                    check_exit=False)  # Go dies of SIGTERM


def ours(ch, *args):
    return ch_exporter([f"-scrape_uri={ch.uri}", *args])


def wait_async(ch, timeout=90):
    wait_for(lambda: int(ch.query("SELECT count() FROM system.asynchronous_metrics").strip()) > 0, timeout,
             interval=1.0, what="18.16 to fill system.asynchronous_metrics")


def compare(up_fams, our_fams):
    """Returns (report lines, number of upstream families, number matched, mismatches, value checks, value misses)."""
    fams = {n: f for n, f in up_fams.items() if not n.startswith("go_") and f.samples}
    matched, mismatches = 0, []
    for name, uf in sorted(fams.items()):
        of = our_fams.get(name)
        if of is None or not of.samples:
            mismatches.append(f"{name}: missing in ours")
        elif of.type != uf.type:
            mismatches.append(f"{name}: type {uf.type} upstream, {of.type} ours")
        elif of.label_names() != uf.label_names():
            mismatches.append(f"{name}: labels {sorted(uf.label_names())} upstream, {sorted(of.label_names())} ours")
        else:
            matched += 1
    checks, misses = 0, []
    for name in STABLE:
        if name not in fams:
            continue
        ours_by = {tuple(sorted(l.items())): v for _, l, v in our_fams[name].samples} if name in our_fams else {}
        for _, labels, v in fams[name].samples:
            checks += 1
            got = ours_by.get(tuple(sorted(labels.items())))
            if got != v:
                misses.append(f"{name}{labels}: upstream {v}, ours {got}")
    return fams, matched, mismatches, checks, misses


def run(binary, wait=True, out=print):
    ch = ClickHouseServer(name="chcmp")
    try:
        populate(ch, odd_names=False)
        if wait:
            wait_async(ch)
        with upstream_exporter(binary, ch) as u, ours(ch) as o:
            uf = u.scrape()
            of = o.scrape()
            uf = u.scrape()  # upstream's registration already scraped once: take a second, later page
            fams, matched, mismatches, checks, misses = compare(uf, of)
        only_ours = sorted(n for n in of if n not in uf and of[n].samples)
        out(f"upstream {os.path.basename(binary)} on ClickHouse 18.16.1: {len(fams)} families (go_* aside)")
        out(f"  in ours with the same type and labels: {matched}/{len(fams)}")
        for m in mismatches:
            out(f"  DIFFERENT {m}")
        out(f"  stable values (table parts, up) equal: {checks - len(misses)}/{checks}")
        for m in misses:
            out(f"  VALUE {m}")
        out(f"  families only in ours: {len(only_ours)} (e.g. {', '.join(only_ours[:6])})")
        return len(fams), matched, mismatches, checks, misses
    finally:
        ch.cleanup()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--upstream", required=True, help="upstream clickhouse_exporter binary (a1d3eea)")
    ap.add_argument("--no-wait-async", action="store_true", help="do not wait for asynchronous_metrics")
    a = ap.parse_args()
    t0 = time.monotonic()
    _, matched, mismatches, _, misses = run(a.upstream, wait=not a.no_wait_async)
    print(f"({time.monotonic() - t0:.0f}s)")
    sys.exit(1 if mismatches or misses else 0)


if __name__ == "__main__":
    main()
