#!/usr/bin/env python3
"""container_exporter beside cAdvisor (v0.60.5 built from source) on this host, in one run.

Part 1, both exporters on loopback over the host's cgroups plus a few test
cgroups (a CPU burner under a quota, a memory holder, idle ones):
  * idle CPU: CPU time of each process over --idle seconds while nobody scrapes
    (cAdvisor's housekeeping runs anyway; ours must use none),
  * CPU per scrape: scrapes in interleaved rounds over keep-alive connections;
    the CPU time of a round minus what the process burns idle in that time,
    divided by the scrapes (user+system from /proc/<pid>/stat), and what one
    scrape interval (--interval, 15 s) costs in all: one scrape plus the idle
    CPU of the interval,
  * resident memory (VmRSS, RssAnon) after the scrapes, and the ratios.
Part 2, ours alone: scrape time (client-observed, median of --scale-scrapes)
and CPU per scrape with 1,000 and then 5,000 extra cgroups created in the
real hierarchies (every v1 hierarchy the exporter walks, and the cgroup2
mount), the growth per cgroup, and a scrape with a 0.1 s deadline at 5,000.
Every test cgroup is removed at the end, also on failure or Ctrl-C.
Absolute numbers depend on the machine and its load; the ratios are the result.

Usage: bench/container_bench.py --upstream /tmp/upstream/bin/cadvisor [--ours bin/container_exporter]
       [--rounds 5] [--idle 10] [--scale 1000,5000] [--no-scale]
"""

import argparse
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import cgroups  # noqa: E402
import harness  # noqa: E402
import node_bench  # noqa: E402
from harness import free_port  # noqa: E402
from node_bench import cpu_times, mem_kb  # noqa: E402

TOP = f"/ce-bench-{os.getpid()}"


def cpu_seconds(pid):
    return sum(cpu_times(pid))


class Target(node_bench.Target):
    """node_bench's target (keep-alive scrapes, CPU split in user and system)
    started with its own arguments (cAdvisor takes -listen_ip and -port)."""

    def __init__(self, name, argv, port):
        self.name = name
        self.port = port
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=self.log)
        harness.wait_for(lambda: self._listening(), 30, what=f"{name} to listen")
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.latencies = []
        self.user = self.sys = self.wall = 0.0
        self.scrapes = 0

    def _listening(self):
        if self.proc.poll() is not None:
            self.log.seek(0)
            raise SystemExit(f"{self.name} did not start: {self.log.read()[-2000:]!r}")
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            return True
        except OSError:
            return False

    @property
    def cpu(self):
        return self.user + self.sys

    def fetch(self, headers=None):
        self.conn.request("GET", "/metrics", headers=headers or {})
        r = self.conn.getresponse()
        body = r.read()
        if r.status != 200:
            raise SystemExit(f"{self.name}: HTTP {r.status}")
        return body

    def round(self, n):
        t0 = time.monotonic()
        super().round(n)
        self.wall += time.monotonic() - t0

    def idle(self, seconds):
        c0 = cpu_seconds(self.proc.pid)
        time.sleep(seconds)
        return cpu_seconds(self.proc.pid) - c0

    def stop(self):
        if self.proc.poll() is None:
            super().stop()


def create_many(parent, n, start=0):
    """n empty cgroups parent/c<i> in every hierarchy (mkdir only)."""
    for name, (d, v2) in cgroups.hierarchies().items():
        base = d + parent
        os.makedirs(base, exist_ok=True)
        for i in range(start, start + n):
            os.mkdir(os.path.join(base, f"c{i:05d}"))


def scrape_times(t, n):
    lat = []
    c0 = cpu_seconds(t.proc.pid)
    for _ in range(n):
        t0 = time.perf_counter()
        body = t.fetch()
        lat.append(time.perf_counter() - t0)
    cpu = (cpu_seconds(t.proc.pid) - c0) / n
    return statistics.median(lat), max(lat), cpu, body


def part1(args, procs):
    burn, hold, started = cgroups.burner_and_holder(TOP, 20000, 256 << 20, 32 << 20)
    procs.extend(started)
    for i in range(8):
        cgroups.Cgroup(f"{TOP}/idle{i}")

    uport, oport = free_port(), free_port()
    targets = []
    up = Target("cAdvisor", [args.upstream, "-listen_ip=127.0.0.1", f"-port={uport}", "-logtostderr"], uport)
    targets.append(up)
    ours = Target("ours", [args.ours, f"--web.listen-address=127.0.0.1:{oport}", "--docker=", "--podman="], oport)
    targets.append(ours)
    try:
        # cAdvisor finds new cgroups by inotify and samples them in the background.
        deadline = time.monotonic() + 60
        while f'id="{hold.path}"'.encode() not in up.fetch():
            if time.monotonic() > deadline:
                raise SystemExit("cAdvisor did not report the test cgroups")
            time.sleep(0.5)
        for t in targets:  # warm-up: caches, kept descriptors, Go runtime
            for _ in range(10):
                t.fetch()
        cgroups_seen = len({l.split(b'id="')[1].split(b'"')[0] for l in ours.fetch().split(b"\n")
                            if l.startswith(b"container_last_seen{")})
        idle = {t.name: t.idle(args.idle) for t in targets}
        for _ in range(args.rounds):
            up.round(args.per_round_upstream)
            ours.round(args.per_round_ours)
        rows = []
        for t in targets:
            rate = idle[t.name] / args.idle
            per = (t.cpu - rate * t.wall) / t.scrapes
            rows.append({
                "idle_ms_s": 1000 * rate,
                "cpu_ms": 1000 * per,
                "cpu_raw_ms": 1000 * t.cpu / t.scrapes,
                "user_ms": 1000 * t.user / t.scrapes,
                "sys_ms": 1000 * t.sys / t.scrapes,
                "interval_ms": 1000 * (per + rate * args.interval),
                "rss_kb": mem_kb(t.proc.pid, "VmRSS"),
                "anon_kb": mem_kb(t.proc.pid, "RssAnon"),
                "bytes": len(t.fetch()),
            })
    finally:
        for t in targets:
            t.stop()
    u, o = rows
    print(f"Part 1: {cgroups_seen} cgroups reported; {up.scrapes} cAdvisor and {ours.scrapes} container_exporter "
          f"scrapes in {args.rounds} interleaved rounds; idle measured over {args.idle:g} s")
    print(f"{'':34}{'cAdvisor':>14}{'ours':>14}{'ratio':>10}")
    for key, label in (("idle_ms_s", "idle CPU (ms per s)"), ("cpu_ms", "CPU per scrape, net of idle (ms)"),
                       ("cpu_raw_ms", "CPU per scrape, gross (ms)"), ("user_ms", "  of which user (ms)"),
                       ("sys_ms", "  of which system (ms)"),
                       ("interval_ms", f"CPU per {args.interval:g} s scrape interval (ms)"),
                       ("rss_kb", "resident memory (KiB)"),
                       ("anon_kb", "  anonymous (KiB)"), ("bytes", "response (bytes)")):
        ratio = u[key] / o[key] if o[key] else float("inf")
        print(f"{label:34}{u[key]:>14.3f}{o[key]:>14.3f}{ratio:>9.1f}x")
    cpu_ratio = u["cpu_ms"] / o["cpu_ms"] if o["cpu_ms"] > 0 else float("inf")
    rss_ratio = u["rss_kb"] / o["rss_kb"]
    verdicts = [("CPU per scrape >= 50x less", cpu_ratio >= 50), ("RSS >= 5x less", rss_ratio >= 5),
                ("no CPU while nobody scrapes", o["idle_ms_s"] == 0)]
    for what, ok in verdicts:
        print(f"  {'holds' if ok else 'DOES NOT HOLD'}: {what}")
    return all(ok for _, ok in verdicts)


def part2(args):
    oport = free_port()
    ours = Target("ours", [args.ours, f"--web.listen-address=127.0.0.1:{oport}", "--docker=", "--podman="], oport)
    rows = []
    created = 0
    try:
        for _ in range(5):
            ours.fetch()
        base = scrape_times(ours, args.scale_scrapes)
        rows.append((0, base))
        for n in args.scale:
            t0 = time.monotonic()
            create_many(f"{TOP}/scale", n - created, created)
            made = time.monotonic() - t0
            created = n
            for _ in range(3):
                ours.fetch()
            r = scrape_times(ours, args.scale_scrapes)
            rows.append((n, r))
            print(f"  created {n} cgroups x {len(cgroups.hierarchies())} hierarchies ({made:.1f} s)")
        # The deadline bounds the scrape: a 0.1 s scrape timeout at the largest size.
        t0 = time.perf_counter()
        body = ours.fetch({"X-Prometheus-Scrape-Timeout-Seconds": "0.1"})
        late = time.perf_counter() - t0
        truncated = b"\ncontainer_scrape_error 1\n" in b"\n" + body
    finally:
        ours.stop()
    print(f"Part 2: container_exporter alone, extra empty cgroups in the real hierarchies "
          f"(median of {args.scale_scrapes} scrapes)")
    print(f"{'extra cgroups':>14}{'series':>10}{'scrape p50 (ms)':>17}{'max (ms)':>10}{'CPU/scrape (ms)':>17}"
          f"{'ms per 1000':>13}")
    b0 = rows[0][1][0]
    for n, (p50, mx, cpu, body) in rows:
        series = sum(1 for l in body.split(b"\n") if l and not l.startswith(b"#"))
        per = 1000 * (p50 - b0) / n * 1000 if n else 0
        print(f"{n:>14}{series:>10}{1000 * p50:>17.1f}{1000 * mx:>10.1f}{1000 * cpu:>17.1f}{per:>13.1f}")
    ok = True
    if len(rows) >= 3:
        (n1, r1), (n2, r2) = rows[-2], rows[-1]
        growth = (r2[0] - b0) / (r1[0] - b0) if r1[0] > b0 else float("inf")
        print(f"  scrape time growth {n1} -> {n2} cgroups: x{growth:.2f} (linear: x{n2 / n1:.2f})")
        ok &= growth < 1.5 * n2 / n1
    worst = rows[-1][1][0]
    print(f"  {'holds' if worst < 1 else 'DOES NOT HOLD'}: under one second at {rows[-1][0]} cgroups "
          f"({1000 * worst:.0f} ms)")
    print(f"  a scrape with a 0.1 s deadline at {rows[-1][0]} cgroups took {1000 * late:.0f} ms"
          f"{', cut short (container_scrape_error 1)' if truncated else ', complete'}")
    return ok and worst < 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", help="cAdvisor binary (part 1 is skipped without it)")
    ap.add_argument("--ours", default=os.path.join(ROOT, "bin", "container_exporter"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--per-round-upstream", type=int, default=40)
    ap.add_argument("--per-round-ours", type=int, default=400)
    ap.add_argument("--idle", type=float, default=10)
    ap.add_argument("--interval", type=float, default=15,
                    help="scrape interval for the 'CPU per scrape interval' row (idle CPU + one scrape)")
    ap.add_argument("--scale", default="1000,5000")
    ap.add_argument("--scale-scrapes", type=int, default=15)
    ap.add_argument("--no-scale", action="store_true")
    args = ap.parse_args()
    args.scale = [int(x) for x in args.scale.split(",") if x]
    why = cgroups.usable()
    if why:
        raise SystemExit(f"cannot create cgroups here: {why}")
    if args.upstream and not os.access(args.upstream, os.X_OK):
        raise SystemExit(f"{args.upstream} is not an executable")
    procs = []
    ok = True
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    try:
        if args.upstream:
            ok &= part1(args, procs)
        for p in procs:
            p.kill()
            p.wait()
        procs.clear()
        if not args.no_scale:
            ok &= part2(args)
    finally:
        for p in procs:
            p.kill()
            p.wait()
        cgroups.remove_tree(TOP)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
