#!/usr/bin/env python3
"""container_exporter beside cAdvisor (v0.60.5 built from source) on this host, in one run.

Both programs are started here, with one and the same command line:
cAdvisor's flags as its DaemonSet passes them, i.e. its defaults, on loopback
(tests/lib/cadvisor.py). Nothing else is needed to reproduce the figures:

    bench/container_bench.py --upstream /tmp/upstream/bin/cadvisor --runs 5

Part 1, both exporters over the host's cgroups plus a few test cgroups (a CPU
burner under a quota, a memory holder, idle ones), --runs times with fresh
processes each time:
  * idle CPU: CPU time of each process over --idle seconds while nobody scrapes
    (cAdvisor's housekeeping runs anyway; ours must use none),
  * CPU per scrape: scrapes in interleaved rounds over keep-alive connections;
    the CPU time of a round minus what the process burns idle in that time,
    divided by the scrapes (user+system from /proc/<pid>/stat),
  * CPU per scrape interval (--intervals, 15 and 30 s): one scrape plus the
    idle CPU of the interval, which is what an operator pays,
  * resident memory (VmRSS, RssAnon) after the scrapes,
and the ratios, per run, then as the median and the range over the runs.
--gzip scrapes with Accept-Encoding: gzip, as Prometheus does.
Part 2, ours alone: scrape time (client-observed, median of --scale-scrapes)
and CPU per scrape with 1,000 and then 5,000 extra cgroups created in the
real hierarchies (every v1 hierarchy the exporter walks, and the cgroup2
mount), the growth per cgroup, and a scrape with a 0.1 s deadline at 5,000;
also --runs times, as the median and range of the runs' medians.
Every test cgroup is removed at the end, also on failure or Ctrl-C.
Absolute numbers depend on the machine and its load; the ratios are the result.

Usage: bench/container_bench.py --upstream /tmp/upstream/bin/cadvisor [--ours bin/container_exporter]
       [--runs 1] [--rounds 5] [--idle 10] [--intervals 15,30] [--gzip]
       [--scale 1000,5000] [--no-scale]
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
import cadvisor  # noqa: E402
import cgroups  # noqa: E402
import harness  # noqa: E402
import node_bench  # noqa: E402
from harness import free_port  # noqa: E402
from node_bench import cpu_times, mem_kb  # noqa: E402

TOP = f"/ce-bench-{os.getpid()}"
TARGET_CPU, TARGET_RSS = 50, 5


def cpu_seconds(pid):
    return sum(cpu_times(pid))


class Target(node_bench.Target):
    """node_bench's target (keep-alive scrapes, CPU split in user and system)
    started with cAdvisor's command line (tests/lib/cadvisor.py)."""

    def __init__(self, name, binary, gzip=False):
        self.name = name
        self.port = free_port()
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cadvisor.argv(binary, self.port), stdout=self.log, stderr=self.log)
        harness.wait_for(lambda: self._listening(), 30, what=f"{name} to listen")
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        self.headers = {"Accept-Encoding": "gzip"} if gzip else {}
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
        self.conn.request("GET", "/metrics", headers=self.headers if headers is None else headers)
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
        body = t.fetch({})
        lat.append(time.perf_counter() - t0)
    cpu = (cpu_seconds(t.proc.pid) - c0) / n
    return statistics.median(lat), max(lat), cpu, body


def ratio(a, b):
    return a / b if b > 0 else float("inf")


def spread(values, fmt):
    """'median [min-max]' of the values."""
    med = statistics.median(values)
    if len(values) == 1:
        return fmt.format(med)
    return f"{fmt.format(med)} [{fmt.format(min(values))}-{fmt.format(max(values))}]"


def part1_run(args):
    """One run of part 1: (cAdvisor's row, ours, cgroups reported)."""
    uid = f"{TOP}/p1"
    procs = []
    try:
        burn, hold, procs = cgroups.burner_and_holder(uid, 20000, 256 << 20, 32 << 20)
        for i in range(8):
            cgroups.Cgroup(f"{uid}/idle{i}")
        up = Target("cAdvisor", args.upstream, args.gzip)
        targets = [up]
        ours = Target("ours", args.ours, args.gzip)
        targets.append(ours)
        try:
            # cAdvisor finds new cgroups by inotify and samples them in the background.
            deadline = time.monotonic() + 60
            while f'id="{hold.path}"'.encode() not in up.fetch({}):
                if time.monotonic() > deadline:
                    raise SystemExit("cAdvisor did not report the test cgroups")
                time.sleep(0.5)
            for t in targets:  # warm-up: caches, kept descriptors, Go runtime
                for _ in range(10):
                    t.fetch()
            seen = len({l.split(b'id="')[1].split(b'"')[0] for l in ours.fetch({}).split(b"\n")
                        if l.startswith(b"container_last_seen{")})
            idle = {t.name: t.idle(args.idle) for t in targets}
            for _ in range(args.rounds):
                up.round(args.per_round_upstream)
                ours.round(args.per_round_ours)
            rows = []
            for t in targets:
                rate = idle[t.name] / args.idle
                per = (t.cpu - rate * t.wall) / t.scrapes
                row = {
                    "idle_ms_s": 1000 * rate,
                    "cpu_ms": 1000 * per,
                    "cpu_raw_ms": 1000 * t.cpu / t.scrapes,
                    "user_ms": 1000 * t.user / t.scrapes,
                    "sys_ms": 1000 * t.sys / t.scrapes,
                    "rss_kb": mem_kb(t.proc.pid, "VmRSS"),
                    "anon_kb": mem_kb(t.proc.pid, "RssAnon"),
                    "bytes": len(t.fetch()),
                }
                for iv in args.intervals:
                    row[f"interval_{iv:g}"] = 1000 * (per + rate * iv)
                rows.append(row)
        finally:
            for t in targets:
                t.stop()
        return rows[0], rows[1], seen
    finally:
        for p in procs:
            p.kill()
            p.wait()
        cgroups.remove_tree(uid)


def part1(args):
    runs = []
    for r in range(args.runs):
        u, o, seen = part1_run(args)
        runs.append((u, o))
        print(f"  run {r + 1}/{args.runs}: {seen} cgroups; CPU per scrape cAdvisor {u['cpu_ms']:.3f} ms, "
              f"ours {o['cpu_ms']:.3f} ms: {ratio(u['cpu_ms'], o['cpu_ms']):.1f}x less; "
              f"RSS {ratio(u['rss_kb'], o['rss_kb']):.1f}x less", flush=True)
    keys = [("idle_ms_s", "idle CPU (ms per s)", False),
            ("cpu_ms", "CPU per scrape, net of idle (ms)", True),
            ("cpu_raw_ms", "CPU per scrape, gross (ms)", True),
            ("user_ms", "  of which user (ms)", True),
            ("sys_ms", "  of which system (ms)", True)]
    keys += [(f"interval_{iv:g}", f"CPU per {iv:g} s interval, idle incl. (ms)", True) for iv in args.intervals]
    keys += [("rss_kb", "resident memory (KiB)", True), ("anon_kb", "  anonymous (KiB)", True),
             ("bytes", "response (bytes)", True)]
    n = len(runs)
    print(f"Part 1: cAdvisor and container_exporter on one command line ({' '.join(cadvisor.FLAGS)} "
          f"-listen_ip -port), {args.rounds} interleaved rounds of {args.per_round_upstream} and "
          f"{args.per_round_ours} scrapes{', gzip' if args.gzip else ''}, idle over {args.idle:g} s; "
          f"{'median [range] of ' + str(n) + ' runs' if n > 1 else 'one run'}")
    print(f"{'':44}{'cAdvisor':>24}{'ours':>24}{'ratio (cAdvisor/ours)':>26}")
    for key, label, with_ratio in keys:
        us = [u[key] for u, _ in runs]
        os_ = [o[key] for _, o in runs]
        rs = [ratio(u[key], o[key]) for u, o in runs]
        fmt = "{:.0f}" if key in ("rss_kb", "anon_kb", "bytes") else "{:.3f}"
        rtext = spread(rs, "{:.1f}x") if with_ratio and all(r != float("inf") for r in rs) else \
            ("no CPU at all" if key == "idle_ms_s" and max(os_) == 0 else "")
        print(f"{label:44}{spread(us, fmt):>24}{spread(os_, fmt):>24}{rtext:>26}")
    cpu_r = statistics.median(ratio(u["cpu_ms"], o["cpu_ms"]) for u, o in runs)
    rss_r = statistics.median(ratio(u["rss_kb"], o["rss_kb"]) for u, o in runs)
    idle_max = max(o["idle_ms_s"] for _, o in runs)
    print(f"CPU per scrape: ours uses {cpu_r:.1f}x less than cAdvisor (median of {n}); target {TARGET_CPU}x")
    for iv in args.intervals:
        r = statistics.median(ratio(u[f"interval_{iv:g}"], o[f"interval_{iv:g}"]) for u, o in runs)
        print(f"CPU per {iv:g} s scrape interval, idle included: {r:.1f}x less")
    verdicts = [(f"CPU per scrape >= {TARGET_CPU}x less", cpu_r >= TARGET_CPU),
                (f"RSS >= {TARGET_RSS}x less", rss_r >= TARGET_RSS),
                ("no CPU while nobody scrapes", idle_max == 0)]
    for what, ok in verdicts:
        print(f"  {'holds' if ok else 'DOES NOT HOLD'}: {what}")
    return all(ok for _, ok in verdicts)


def part2_run(args):
    ours = Target("ours", args.ours)
    rows = []
    created = 0
    base = f"{TOP}/scale"
    try:
        for _ in range(5):
            ours.fetch({})
        rows.append((0, scrape_times(ours, args.scale_scrapes)))
        for n in args.scale:
            create_many(base, n - created, created)
            created = n
            for _ in range(3):
                ours.fetch({})
            rows.append((n, scrape_times(ours, args.scale_scrapes)))
        # The deadline bounds the scrape: a 0.1 s scrape timeout at the largest size.
        t0 = time.perf_counter()
        body = ours.fetch({"X-Prometheus-Scrape-Timeout-Seconds": "0.1"})
        late = time.perf_counter() - t0
        truncated = b"\ncontainer_scrape_error 1\n" in b"\n" + body
    finally:
        ours.stop()
        cgroups.remove_tree(base)
    return rows, late, truncated


def part2(args):
    runs = []
    for r in range(args.runs):
        runs.append(part2_run(args))
        rows = runs[-1][0]
        print(f"  run {r + 1}/{args.runs}: " + ", ".join(
            f"{n} cgroups {1000 * p50:.0f} ms" for n, (p50, _, _, _) in rows), flush=True)
    print(f"Part 2: container_exporter alone, extra empty cgroups in the {len(cgroups.hierarchies())} "
          f"hierarchies (median of {args.scale_scrapes} scrapes per run"
          f"{', median [range] of ' + str(len(runs)) + ' runs' if len(runs) > 1 else ''})")
    print(f"{'extra cgroups':>14}{'series':>10}{'scrape p50 (ms)':>22}{'slowest (ms)':>14}"
          f"{'CPU/scrape (ms)':>22}{'ms per 1000':>13}")
    sizes = [n for n, _ in runs[0][0]]
    p50s = {n: [dict(rows)[n][0] for rows, _, _ in runs] for n in sizes}
    for n in sizes:
        series = sum(1 for l in dict(runs[0][0])[n][3].split(b"\n") if l and not l.startswith(b"#"))
        worst = max(dict(rows)[n][1] for rows, _, _ in runs)
        cpus = [dict(rows)[n][2] for rows, _, _ in runs]
        per = [1000 * (dict(rows)[n][0] - dict(rows)[0][0]) / n * 1000 for rows, _, _ in runs] if n else [0]
        print(f"{n:>14}{series:>10}{spread([1000 * x for x in p50s[n]], '{:.1f}'):>22}{1000 * worst:>14.1f}"
              f"{spread([1000 * c for c in cpus], '{:.1f}'):>22}{statistics.median(per):>13.1f}")
    ok = True
    if len(sizes) >= 3:
        n1, n2 = sizes[-2], sizes[-1]
        b0, a, b = (statistics.median(p50s[k]) for k in (0, n1, n2))
        growth = (b - b0) / (a - b0) if a > b0 else float("inf")
        print(f"  scrape time growth {n1} -> {n2} cgroups: x{growth:.2f} (linear: x{n2 / n1:.2f})")
        ok &= growth < 1.5 * n2 / n1
    worst = statistics.median(p50s[sizes[-1]])
    print(f"  {'holds' if worst < 1 else 'DOES NOT HOLD'}: under one second at {sizes[-1]} cgroups "
          f"(median {1000 * worst:.0f} ms)")
    for rows, late, truncated in runs:
        print(f"  a scrape with a 0.1 s deadline at {sizes[-1]} cgroups took {1000 * late:.0f} ms"
              f"{', cut short (container_scrape_error 1)' if truncated else ', complete'}")
    return ok and worst < 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--upstream", help="cAdvisor binary (part 1 is skipped without it)")
    ap.add_argument("--ours", default=os.path.join(ROOT, "bin", "container_exporter"))
    ap.add_argument("--runs", type=int, default=1, help="fresh processes and cgroups each run")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--per-round-upstream", type=int, default=40)
    ap.add_argument("--per-round-ours", type=int, default=400)
    ap.add_argument("--idle", type=float, default=10)
    ap.add_argument("--intervals", default="15,30",
                    help="scrape intervals (s) for the 'CPU per interval' rows: one scrape plus the idle CPU")
    ap.add_argument("--gzip", action="store_true", help="scrape with Accept-Encoding: gzip, as Prometheus does")
    ap.add_argument("--scale", default="1000,5000")
    ap.add_argument("--scale-scrapes", type=int, default=15)
    ap.add_argument("--no-scale", action="store_true")
    args = ap.parse_args()
    args.scale = [int(x) for x in args.scale.split(",") if x]
    args.intervals = [float(x) for x in args.intervals.split(",") if x]
    why = cgroups.usable()
    if why:
        raise SystemExit(f"cannot create cgroups here: {why}")
    if args.upstream and cadvisor.executable(args.upstream):
        raise SystemExit(cadvisor.executable(args.upstream))
    ok = True
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    try:
        if args.upstream:
            ok &= part1(args)
        if not args.no_scale:
            ok &= part2(args)
    finally:
        cgroups.remove_tree(TOP)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
