#!/usr/bin/env python3
"""node_exporter: upstream (Debian's prometheus-node-exporter) and ours side by
side on this host, in one run.

Both run with their default collectors on loopback ports. Scrapes are made in
interleaved rounds (a round of upstream, then a round of ours, repeated) over
keep-alive connections, so both see the same machine load. Reported per
exporter: CPU time of the exporter process per scrape (user+system, from
/proc/<pid>/stat), resident memory after the run (VmRSS) and its peak (VmHWM),
client-observed latency p50/p99 of sequential scrapes, and response size
(plain and gzip). CPU is split into user time and system time: the system
time is mostly the kernel generating the procfs/sysfs files both exporters
read (the floor no exporter can go below), the user time is the exporter's
own work. Resident memory is split too: the anonymous part is the
exporter's own heap and stacks, the rest is shared-library code (for ours
mostly libc and the TLS stack libmicrohttpd links). The last column is the
ratio upstream/ours. Absolute times depend on the machine; the ratios are
the result.

Usage: bench/node_bench.py [--rounds 10] [--per-round 200] [--upstream PATH] [--ours PATH]
       [--collectors-of-upstream-only]  (pass ours only the collectors upstream has)
"""

import argparse
import gzip
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from harness import free_port  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_times(pid):
    """User and system CPU seconds of the whole process (all threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / TICK, int(fields[12]) / TICK


def mem_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


class Target:
    def __init__(self, name, argv):
        self.name = name
        self.port = free_port()
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(argv + [f"--web.listen-address=127.0.0.1:{self.port}"],
                                     stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 20
        while True:
            try:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                self.fetch()
                break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise SystemExit(f"{name} did not start")
                time.sleep(0.1)
        self.latencies = []
        self.user = 0.0
        self.sys = 0.0
        self.scrapes = 0
        self.body = b""

    def fetch(self, accept_gzip=False):
        headers = {"Accept-Encoding": "gzip"} if accept_gzip else {}
        self.conn.request("GET", "/metrics", headers=headers)
        r = self.conn.getresponse()
        body = r.read()
        if r.status != 200:
            raise SystemExit(f"{self.name}: HTTP {r.status}")
        return body

    def round(self, n):
        u0, s0 = cpu_times(self.proc.pid)
        for _ in range(n):
            t0 = time.perf_counter()
            self.body = self.fetch()
            self.latencies.append(time.perf_counter() - t0)
        u1, s1 = cpu_times(self.proc.pid)
        self.user += u1 - u0
        self.sys += s1 - s0
        self.scrapes += n

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--per-round", type=int, default=200)
    ap.add_argument("--upstream", default="/usr/bin/prometheus-node-exporter")
    ap.add_argument("--ours", default=os.path.join(ROOT, "bin", "node_exporter"))
    ap.add_argument("--extra", action="append", default=[], help="extra flag for both")
    args = ap.parse_args()

    if not os.path.exists(args.upstream):
        raise SystemExit(f"{args.upstream} missing: apt-get install prometheus-node-exporter")
    up = Target("upstream", [args.upstream, *args.extra])
    ours = Target("ours", [args.ours, *args.extra])
    try:
        for t in (up, ours):  # warm-up: caches, descriptor cache, Go runtime
            for _ in range(20):
                t.fetch()
        for _ in range(args.rounds):
            up.round(args.per_round)
            ours.round(args.per_round)
        sizes = {}
        for t in (up, ours):
            plain = t.fetch()
            zipped = t.fetch(accept_gzip=True)
            sizes[t.name] = (len(plain), len(zipped), plain.count(b"\n# TYPE "), sum(
                1 for l in plain.split(b"\n") if l and not l.startswith(b"#")))
        rows = []
        for t in (up, ours):
            rows.append({
                "cpu_ms": 1000.0 * (t.user + t.sys) / t.scrapes,
                "user_ms": 1000.0 * t.user / t.scrapes,
                "sys_ms": 1000.0 * t.sys / t.scrapes,
                "anon_kb": mem_kb(t.proc.pid, "RssAnon"),
                "rss_kb": mem_kb(t.proc.pid, "VmRSS"),
                "hwm_kb": mem_kb(t.proc.pid, "VmHWM"),
                "p50_ms": 1000.0 * statistics.median(t.latencies),
                "p99_ms": 1000.0 * pct(t.latencies, 99),
                "bytes": sizes[t.name][0],
                "gzip_bytes": sizes[t.name][1],
                "families": sizes[t.name][2],
                "samples": sizes[t.name][3],
            })
    finally:
        up.stop()
        ours.stop()

    u, o = rows
    print(f"node_exporter benchmark: {up.scrapes} sequential scrapes each, {args.rounds} interleaved rounds")
    print(f"{'':28}{'upstream':>14}{'ours':>14}{'ratio':>10}")
    for key, label in (("cpu_ms", "CPU per scrape (ms)"), ("user_ms", "  user (ms)"), ("sys_ms", "  system (ms)"),
                       ("rss_kb", "resident memory (KiB)"), ("anon_kb", "  anonymous (KiB)"),
                       ("hwm_kb", "peak resident (KiB)"), ("p50_ms", "latency p50 (ms)"),
                       ("p99_ms", "latency p99 (ms)"), ("bytes", "response (bytes)"),
                       ("gzip_bytes", "response gzip (bytes)"), ("families", "families"),
                       ("samples", "samples")):
        ratio = u[key] / o[key] if o[key] else float("inf")
        print(f"{label:28}{u[key]:>14.3f}{o[key]:>14.3f}{ratio:>9.1f}x")


if __name__ == "__main__":
    main()
