#!/usr/bin/env python3
"""Benchmark: upstream's clickhouse_exporter (Go, built from
ClickHouse/clickhouse_exporter at a1d3eea, the last commit that works on
18.16) and ours side by side against one ClickHouse 18.16, in one run.

Both scrape the same server in alternating rounds of N sequential scrapes over
a kept HTTP connection. Measured from /proc: each exporter's CPU time per
scrape (user and system), its resident memory after the rounds, the
ClickHouse server's CPU time per scrape while that exporter was scraping
(minus the server's idle rate, measured between rounds), and the median
scrape time. "ours" runs every collector (replicas, mutations, merges,
dictionaries... besides upstream's families); "ours, upstream's families only"
asks only for those (collect[]=metrics&...), the like-for-like comparison.

Three servers' worth, one after the other on the same server:
1. nothing beyond upstream's families to report: MergeTree tables with parts,
   no mutation, no dictionary, no replica (ours then leaves those queries
   out, see -recheck_interval);
2. the same with --tables more MergeTree tables (1,000 by default), one part
   each;
3. then with a mutation (system.mutations has rows: ours asks it at every
   scrape, and 18.16 walks every table for it).

    python3 bench/clickhouse_bench.py --upstream /tmp/upstream/bin/clickhouse_exporter
        [--rounds 5] [--scrapes 200] [--tables 1000]

Not a test: absolute figures depend on the machine; the ratios are the result."""

import argparse
import http.client
import os
import statistics
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from harness import Exporter  # noqa: E402
from clickhouse_harness import ClickHouseServer, ch_exporter, populate  # noqa: E402

HZ = os.sysconf("SC_CLK_TCK")


def proc_times(pid):
    """(user, system) CPU seconds of a whole process, exited threads included."""
    stat = open(f"/proc/{pid}/stat").read()
    rest = stat[stat.rindex(")") + 2:].split()
    return int(rest[11]) / HZ, int(rest[12]) / HZ


def status_kib(pid, field):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


# upstream's families only: the like-for-like comparison (ours also reads replicas, mutations...)
UPSTREAM_SET = "/metrics?" + "&".join(f"collect[]={c}" for c in ("metrics", "asynchronous_metrics", "events", "parts",
                                                                   "disks"))


class Side:
    def __init__(self, name, exporter, marker, path="/metrics"):
        self.name, self.e, self.marker, self.path = name, exporter, marker, path
        self.user = self.system = self.server = 0.0
        self.scrapes = 0
        self.latencies = []
        self.size = 0
        self.conn = http.client.HTTPConnection("127.0.0.1", exporter.port, timeout=60)

    def round(self, server_pid, n):
        u0, s0 = proc_times(self.e.proc.pid)
        su, ss = proc_times(server_pid)
        w0 = time.monotonic()
        for _ in range(n):
            t0 = time.monotonic()
            self.conn.request("GET", self.path)
            r = self.conn.getresponse()
            body = r.read()
            self.latencies.append(time.monotonic() - t0)
            if r.status != 200 or self.marker not in body:
                raise SystemExit(f"{self.name}: bad scrape: HTTP {r.status} {body[-300:]!r}")
            self.size = len(body)
        wall = time.monotonic() - w0
        u1, s1 = proc_times(self.e.proc.pid)
        tu, ts = proc_times(server_pid)
        self.user += u1 - u0
        self.system += s1 - s0
        self.server += (tu + ts) - (su + ss)
        self.scrapes += n
        return wall

    def figures(self, idle_rate, wall):
        n = self.scrapes
        return {
            "cpu": (self.user + self.system) / n * 1e3,
            "user": self.user / n * 1e3,
            "system": self.system / n * 1e3,
            "server": max(0.0, self.server - idle_rate * wall) / n * 1e3,
            "rss": status_kib(self.e.proc.pid, "VmRSS") / 1024,
            "anon": status_kib(self.e.proc.pid, "RssAnon") / 1024,
            "p50": statistics.median(self.latencies) * 1e3,
            "size": self.size / 1024,
        }


def idle_rate(pid, seconds=1.0):
    u0, s0 = proc_times(pid)
    time.sleep(seconds)
    u1, s1 = proc_times(pid)
    return ((u1 + s1) - (u0 + s0)) / seconds


def measure(ch, upstream, rounds, scrapes, extra=()):
    up = Exporter("upstream", [f"-scrape_uri={ch.uri}", *extra], binary=upstream, listen_flag="-telemetry.address",
                  check_exit=False)
    ours = ch_exporter([f"-scrape_uri={ch.uri}", *extra])
    try:
        sides = [Side("upstream", up, b"clickhouse_up 1"), Side("ours", ours, b"clickhouse_up 1"),
                 Side("ours/upstream's set", ours, b"clickhouse_up 1", UPSTREAM_SET)]
        for s in sides:  # warm up: connections, probe, Go's first allocations
            s.round(ch.pid(), 5)
            s.user = s.system = s.server = 0.0
            s.scrapes = 0
            s.latencies = []
        walls = {s.name: 0.0 for s in sides}
        idle, idle_n = 0.0, 0
        for _ in range(rounds):
            for s in sides:
                walls[s.name] += s.round(ch.pid(), scrapes)
            idle += idle_rate(ch.pid(), 0.5)
            idle_n += 1
        rate = idle / idle_n
        return {s.name: s.figures(rate, walls[s.name]) for s in sides}, rate
    finally:
        up.stop()
        up.cleanup()
        ours.stop()
        ours.cleanup()


def table(results, keys):
    u, o, s = results["upstream"], results["ours"], results["ours/upstream's set"]
    print("| | upstream a1d3eea | ours | ours, upstream's families only | upstream / ours | upstream / ours (same families) |")
    print("|---|---|---|---|---|---|")

    def ratio(a, b):
        return f"{a / b:.1f}x" if b > 0 else "n/a"
    for key, label, unit in keys:
        print(f"| {label} | {u[key]:.2f} {unit} | {o[key]:.2f} {unit} | {s[key]:.2f} {unit} | {ratio(u[key], o[key])} "
              f"| {ratio(u[key], s[key])} |")


def add_tables(ch, n):
    """n MergeTree tables with one part each (statements in batches over HTTP)."""
    ch.query("CREATE DATABASE IF NOT EXISTS bench")
    for i in range(n):
        ch.query(f"CREATE TABLE bench.t{i:05d} (id UInt64, v String) ENGINE = MergeTree() ORDER BY id")
        ch.query(f"INSERT INTO bench.t{i:05d} VALUES ({i}, 'x')")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--upstream", required=True, help="upstream clickhouse_exporter binary (a1d3eea)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--scrapes", type=int, default=200, help="scrapes per exporter per round")
    ap.add_argument("--tables", type=int, default=1000)
    ap.add_argument("--clickhouse-only", action="store_true",
                    help="run both with -clickhouse_only (no process_* or Go runtime families)")
    ap.add_argument("--wait-async", action="store_true",
                    help="wait until 18.16 fills system.asynchronous_metrics (a minute after start)")
    a = ap.parse_args()
    if not os.path.exists(a.upstream):
        raise SystemExit(f"{a.upstream}: not found")
    ch = ClickHouseServer(name="chbench", dictionaries=False)
    try:
        populate(ch, odd_names=False, mutation=False, dictionaries=False)
        if a.wait_async:
            import clickhouse_compare
            clickhouse_compare.wait_async(ch)
        keys = [("cpu", "exporter CPU per scrape", "ms"), ("user", "of which user", "ms"),
                ("system", "of which system", "ms"), ("server", "ClickHouse CPU per scrape", "ms"),
                ("rss", "exporter resident memory", "MiB"), ("anon", "of which anonymous", "MiB"),
                ("p50", "scrape time (median)", "ms"), ("size", "page size", "KiB")]
        extra = ["-clickhouse_only"] if a.clickhouse_only else []
        res, rate = measure(ch, a.upstream, a.rounds, a.scrapes, extra)
        print(f"\nClickHouse 18.16 with nothing beyond upstream's families to report, {a.rounds} rounds x "
              f"{a.scrapes} scrapes each{' (-clickhouse_only)' * bool(extra)} "
              f"(server idle: {rate * 1e3:.1f} ms CPU/s, subtracted)\n")
        table(res, keys)
        if a.tables:
            t0 = time.monotonic()
            add_tables(ch, a.tables)
            print(f"\n{a.tables} more tables created in {time.monotonic() - t0:.0f}s")
            rounds, scrapes = max(2, a.rounds // 2 + 1), max(20, a.scrapes // 4)
            res, rate = measure(ch, a.upstream, rounds, scrapes, extra)
            print(f"\nwith {a.tables} more MergeTree tables (one part each), {rounds} rounds x {scrapes} scrapes:\n")
            table(res, keys)
        ch.query("ALTER TABLE shop.orders DELETE WHERE id = 2")
        rounds, scrapes = (max(2, a.rounds // 2 + 1), max(20, a.scrapes // 4)) if a.tables else (a.rounds, a.scrapes)
        res, rate = measure(ch, a.upstream, rounds, scrapes, extra)
        print("\nthe same with a mutation (system.mutations has rows: ours asks it at every scrape):\n")
        table(res, keys)
    finally:
        ch.cleanup()


if __name__ == "__main__":
    main()
