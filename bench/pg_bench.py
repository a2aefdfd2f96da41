#!/usr/bin/env python3
"""pg_exporter: upstream (postgres_exporter 0.20.1 given with --upstream PATH,
and Debian's prometheus-postgres-exporter 0.11.1 when installed) and ours
side by side against one PostgreSQL 15, in one run.

A private server is started (tests/lib/pg.py; autovacuum off so the
background stays quiet). The exporters run at the same time, all connected
to it as the same pg_monitor role; scrapes go to one exporter at a time in
interleaved rounds (upstream, ours, ours with upstream's collector set,
repeated), so all see the same load. Per exporter:

  exporter CPU per scrape   user+system time of the exporter process (/proc/<pid>/stat)
  server CPU per scrape     user+system time of the whole cluster: every postgres
                            process plus the postmaster's reaped children (so
                            backends that exit, as with connection churn, count)
  backend CPU per scrape    user+system time of the backends serving that exporter
                            (found in pg_stat_activity by application_name)
  RSS                       VmRSS after the run, and the peak VmHWM
  scrape time               client-observed wall time, median

Then the same with 1,000 and 10,000 tables in the database, fewer scrapes.
"ours" runs 0.20's default collectors, a superset of 0.11.1's (it adds
table statistics among others); "ours/0.11-set" runs only the collectors
matching 0.11.1's families, which is the like-for-like comparison. The ratio
columns are upstream / ours. Absolute times depend on the machine; the
ratios are the result. Ratio columns are upstream / ours (above 1: ours
does less).

--upstream PATH is a postgres_exporter 0.20.1 binary (the release ours
replaces; Debian does not ship it): its column and the ratio 0.20.1 / ours.
--debian PATH is 0.11.1 (default /usr/bin/prometheus-postgres-exporter,
left out when absent). --queries FILE runs every exporter with
--extend.query-path=FILE (e.g. tests/data/postgres_exporter-queries.yaml).

Usage: bench/pg_bench.py [--rounds 5] [--per-round 60] [--tables 1000,10000]
                         [--table-scrapes 10] [--upstream PATH] [--debian PATH]
                         [--ours PATH] [--queries FILE]
"""

import argparse
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
from pg import PgServer  # noqa: E402

sys.path.insert(0, HERE)
from benchlib import TICK, stat_fields, status_kib as mem_kb  # noqa: E402
import benchlib  # noqa: E402

UPSTREAM_SET = ["database", "locks", "replication_slots", "settings", "stat_activity", "stat_archiver",
                "stat_bgwriter", "stat_database", "stat_replication"]


def cpu_seconds(pid):
    """A backend that exited since it was listed counts 0."""
    return benchlib.cpu_seconds(pid, gone=0.0)


def children(ppid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if int(stat_fields(int(d))[1]) == ppid:
                    out.append(int(d))
            except (OSError, IndexError):
                pass
    return out


def cluster_cpu(pm):
    """CPU seconds of the whole cluster, including children already reaped."""
    f = stat_fields(pm)
    total = (int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])) / TICK
    return total + sum(cpu_seconds(p) for p in children(pm))


class Target:
    def __init__(self, name, argv, env, app):
        self.name = name
        self.app = app  # application_name its backends show
        self.port = free_port()
        self.log = tempfile.TemporaryFile()
        full = dict(os.environ)
        full.update(env)
        self.proc = subprocess.Popen(argv + [f"--web.listen-address=127.0.0.1:{self.port}"],
                                     stdout=self.log, stderr=self.log, env=full)
        deadline = time.monotonic() + 20
        while True:
            try:
                self.fetch()
                break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.log.seek(0)
                    raise SystemExit(f"{name} did not start: {self.log.read()[-2000:]!r}")
                time.sleep(0.1)
        self.reset()

    def reset(self):
        self.lat, self.cpu, self.server, self.backend, self.n, self.size = [], 0.0, 0.0, 0.0, 0, 0

    def fetch(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            conn.request("GET", "/metrics")
            r = conn.getresponse()
            body = r.read()
        finally:
            conn.close()
        if r.status != 200:
            raise SystemExit(f"{self.name}: HTTP {r.status}")
        return body

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def backend_pids(srv, app):
    q = ("SELECT pid FROM pg_stat_activity WHERE usename = 'exporter' AND application_name = "
         f"'{app}'")
    return [int(x) for x in srv.sql(q).split()]


def measure(srv, pm, t, scrapes):
    backends = backend_pids(srv, t.app)
    b0 = sum(cpu_seconds(p) for p in backends)
    c0, s0 = cpu_seconds(t.proc.pid), cluster_cpu(pm)
    for _ in range(scrapes):
        t0 = time.monotonic()
        body = t.fetch()
        t.lat.append(time.monotonic() - t0)
    t.cpu += cpu_seconds(t.proc.pid) - c0
    t.server += cluster_cpu(pm) - s0
    t.backend += sum(cpu_seconds(p) for p in backends) - b0
    t.n += scrapes
    t.size = len(body)


def fmt_ms(s):
    return f"{s * 1000:.2f} ms"


def ratio(a, b):
    return f"{a / b:.1f}x" if b > 0 else "n/a"


# Ratio columns: (numerator, denominator) by target name.
RATIOS = [("upstream 0.20.1", "ours"), ("upstream 0.11.1", "ours"), ("upstream 0.11.1", "ours/0.11-set")]


def table(rows, targets):
    by = {t.name: t for t in targets}
    ratios = [(a, b) for a, b in RATIOS if a in by and b in by]
    head = ["", *(t.name for t in targets), *(f"{a} / {b}" for a, b in ratios)]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for label, getter, show in rows:
        vals = {t.name: getter(t) for t in targets}
        print("| " + " | ".join([label, *(show(vals[t.name]) for t in targets),
                                 *(ratio(vals[a], vals[b]) for a, b in ratios)]) + " |")


def create_tables(srv, have, want):
    step = 500
    for lo in range(have + 1, want + 1, step):
        hi = min(want, lo + step - 1)
        srv.sql(f"DO $$ BEGIN FOR i IN {lo}..{hi} LOOP EXECUTE format("
                "'CREATE TABLE bench_t%s (id int PRIMARY KEY, v text)', i); END LOOP; END $$;")
    srv.sql("ANALYZE")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--per-round", type=int, default=60)
    ap.add_argument("--tables", default="1000,10000")
    ap.add_argument("--table-scrapes", type=int, default=10)
    ap.add_argument("--upstream", default="", help="postgres_exporter 0.20.1 binary")
    ap.add_argument("--upstream-020", dest="upstream", help=argparse.SUPPRESS)
    ap.add_argument("--debian", default="/usr/bin/prometheus-postgres-exporter")
    ap.add_argument("--ours", default=os.path.join(ROOT, "bin", "pg_exporter"))
    ap.add_argument("--queries", default="", help="run every exporter with --extend.query-path=FILE")
    args = ap.parse_args()
    for p in [args.ours] + ([args.upstream] if args.upstream else []):
        if not os.path.exists(p):
            raise SystemExit(f"{p} not found (build ours with make)")
    extra = [f"--extend.query-path={os.path.abspath(args.queries)}"] if args.queries else []

    srv = PgServer(settings={"autovacuum": "off", "max_connections": "100", "shared_buffers": "128MB"}).start()
    targets = []
    try:
        pm = srv.postmaster_pid()
        def env(app):
            # each exporter's backends carry their own application_name, to tell them apart
            return {"DATA_SOURCE_NAME": srv.dsn_uri(extra=f"sslmode=disable&application_name={app}")}
        if args.upstream:
            targets.append(Target("upstream 0.20.1", [args.upstream, *extra], env("up020"), "up020"))
        targets.append(Target("ours", [args.ours, *extra], env("pgx_default"), "pgx_default"))
        if os.path.exists(args.debian):
            targets.append(Target("upstream 0.11.1", [args.debian, *extra], env("up011"), "up011"))
            targets.append(Target("ours/0.11-set", [args.ours, *extra, "--collector.disable-defaults"] +
                                  [f"--collector.{c}" for c in UPSTREAM_SET], env("pgx_set"), "pgx_set"))
        for t in targets:  # warm up: connections, prepared statements, caches
            for _ in range(5):
                t.fetch()
            t.reset()
        print(f"PostgreSQL {srv.sql('SHOW server_version').strip()}, {args.rounds} rounds x "
              f"{args.per_round} scrapes per exporter, {os.cpu_count()} CPUs\n")
        for _ in range(args.rounds):
            for t in targets:
                measure(srv, pm, t, args.per_round)
        rows = [
            ("exporter CPU per scrape", lambda t: t.cpu / t.n, fmt_ms),
            ("server CPU per scrape (cluster)", lambda t: t.server / t.n, fmt_ms),
            ("server CPU per scrape (its backends)", lambda t: t.backend / t.n, fmt_ms),
            ("RSS after run", lambda t: mem_kb(t.proc.pid, "VmRSS") / 1024, lambda v: f"{v:.1f} MiB"),
            ("  of which anonymous (heap, stacks)", lambda t: mem_kb(t.proc.pid, "RssAnon") / 1024,
             lambda v: f"{v:.1f} MiB"),
            ("  of which file-backed (code of the binary and libraries)",
             lambda t: mem_kb(t.proc.pid, "RssFile") / 1024, lambda v: f"{v:.1f} MiB"),
            ("peak RSS", lambda t: mem_kb(t.proc.pid, "VmHWM") / 1024, lambda v: f"{v:.1f} MiB"),
            ("scrape time (median)", lambda t: statistics.median(t.lat), fmt_ms),
            ("page size", lambda t: t.size / 1024, lambda v: f"{v:.0f} KiB"),
        ]
        table(rows, targets)

        have = 0
        for n in [int(x) for x in args.tables.split(",") if x]:
            create_tables(srv, have, n)
            have = n
            for t in targets:
                t.fetch()
                t.reset()
            for t in targets:
                measure(srv, pm, t, args.table_scrapes)
            print(f"\nwith {n} tables ({args.table_scrapes} scrapes each)\n")
            table([
                ("scrape time (median)", lambda t: statistics.median(t.lat), fmt_ms),
                ("exporter CPU per scrape", lambda t: t.cpu / t.n, fmt_ms),
                ("server CPU per scrape (cluster)", lambda t: t.server / t.n, fmt_ms),
                ("peak RSS", lambda t: mem_kb(t.proc.pid, "VmHWM") / 1024, lambda v: f"{v:.1f} MiB"),
                ("anonymous RSS", lambda t: mem_kb(t.proc.pid, "RssAnon") / 1024, lambda v: f"{v:.1f} MiB"),
                ("page size", lambda t: t.size / 1024, lambda v: f"{v:.0f} KiB"),
            ], targets)
    finally:
        for t in targets:
            t.stop()
        srv.cleanup()


if __name__ == "__main__":
    main()
