#!/usr/bin/env python3
"""Soak: many scrapes of each exporter against its real backend, with the
exporter's resident memory and open descriptors watched for growth.

For each exporter in turn (one after another: the machine is shared), our
binary is started against a real server from the test harness (tests/lib:
PostgreSQL, Redis, ClickHouse, and the Kafka broker where that harness
exists; node and container read the host) and scraped --scrapes times by
--clients keep-alive clients plus one client that opens a new connection for
every request. The requests vary, so those paths are soaked too: plain text,
gzip, OpenMetrics, collect[]/exclude[] filters, /probe or /scrape of a live
target and of a down one (connection refused: <x>_up 0), and a request
answered 400. Every answer is checked (status, and a marker line such as
`pg_up 1`); one wrong answer fails the run.

The first 1% of the scrapes is the warm-up (pools, caches, malloc arenas and
the descriptor cache fill up). Then the clients stop, close their
connections, and once the exporter's descriptors have not changed for a
second the start figures are taken: VmRSS from /proc/PID/status and the
number of entries of /proc/PID/fd. The rest of the run is cut in
--checkpoints parts (20) with the same quiet pause after each, where the
figures are taken again; the last pause gives the end figures. Under load
they are sampled every --interval seconds too, for the maxima (in-flight
answers and connection threads swing RSS by a few MB under load, which is
why growth is judged on the quiet figures). Reported per exporter: RSS and
descriptors at the start (after warm-up), at the end, their maximum, and the
least-squares slope over the quiet figures of the second half of the run
(RSS in bytes per 1,000 scrapes, descriptors per 1,000 scrapes).

Flat means: RSS grew by at most --rss-growth KiB from start to end, its
slope over the second half is at most --rss-slope bytes per 1,000 scrapes,
and the descriptors at the end (clients gone) are at most --fd-growth more
than at the start. Not flat, a wrong answer, or an exporter that does not
exit 0 on SIGTERM: exit status 1.

    python3 bench/soak.py [--exporters node,pg,redis,clickhouse,container,kafka]
                          [--scrapes 100000] [--clients 4] [--checkpoints 20] [--interval 0.5]
                          [--samples DIR]

kafka is soaked when bin/kafka_exporter and the harness' broker
(tests/lib/kafka.py) exist, else skipped with a note."""

import argparse
import gzip
import http.client
import os
import re
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from harness import BINDIR, Exporter, Skip  # noqa: E402
from node_bench import mem_kb  # noqa: E402

ALL = ("node", "pg", "redis", "clickhouse", "container", "kafka")
GZIP = {"Accept-Encoding": "gzip"}
OPENMETRICS = {"Accept": "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
               "Accept-Encoding": "gzip"}  # what Prometheus sends
DOWN = "127.0.0.1:1"  # nothing listens there: connection refused


class Req:
    """One kind of request and what its answer must hold: a status, a string
    in the body, or the value of a backend exporter's <x>_up."""

    def __init__(self, path, headers=None, marker=None, status=200, up=None):
        self.path, self.headers, self.status = path, headers or {}, status
        self.marker = marker.encode() if marker else None
        # OpenMetrics writes 1.0 where the text format writes 1
        self.up = re.compile(rb"(?m)^%s (%d(\.0)?)$" % (up[0].encode(), up[1])) if up else None

    def check(self, r, body):
        """None if the answer is right, else what is wrong."""
        if r.status != self.status:
            return f"{self.path}: HTTP {r.status}, wanted {self.status}: {body[:200]!r}"
        if r.getheader("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        elif "gzip" in self.headers.get("Accept-Encoding", "") and self.status == 200:
            return f"{self.path}: gzip asked, not given"
        if self.marker and self.marker not in body:
            return f"{self.path}: no {self.marker!r} in the answer"
        if self.up and not self.up.search(body):
            got = re.findall(rb"(?m)^%s .*$" % self.up.pattern.split(b" ")[0][4:], body)
            return f"{self.path}: wanted {self.up.pattern!r}, got {got}"
        if "openmetrics" in self.headers.get("Accept", "") and self.status == 200 and not body.endswith(b"# EOF\n"):
            return f"{self.path}: OpenMetrics asked, answer does not end with # EOF"
        return None


def backend_mix(up, route, live, extra=()):
    """Requests of an exporter of a server: its own target, a live and a down
    one through the route, compressed and OpenMetrics answers."""
    live_q, down_q = urllib.parse.quote(live, safe=""), urllib.parse.quote(DOWN, safe="")
    return [Req("/metrics", up=(up, 1)),
            Req("/metrics", GZIP, up=(up, 1)),
            Req("/metrics", OPENMETRICS, up=(up, 1)),
            Req(f"{route}?target={live_q}", up=(up, 1)),
            Req(f"{route}?target={live_q}", OPENMETRICS, up=(up, 1)),
            Req(f"{route}?target={down_q}", up=(up, 0)),
            Req(route, status=400),
            *extra]


class Setup:
    """An exporter to soak: start() returns (Exporter, request mix); close() stops its backend."""

    def __init__(self):
        self.closers = []

    def close(self):
        for c in reversed(self.closers):
            c()


def node(s):
    mix = [Req("/metrics", marker="node_cpu_seconds_total"),
           Req("/metrics", GZIP, "node_cpu_seconds_total"),
           Req("/metrics", OPENMETRICS, "node_cpu_seconds_total"),
           Req("/metrics?collect[]=cpu&collect[]=meminfo", GZIP, "node_memory_MemTotal_bytes"),
           Req("/metrics?collect[]=loadavg", marker="node_load1"),
           Req("/metrics?exclude[]=cpu&exclude[]=netdev", OPENMETRICS, "node_memory_MemTotal_bytes"),
           Req("/metrics?collect[]=nosuch", status=400)]
    return Exporter("node_exporter"), mix


def pg(s):
    from pg import PgServer
    srv = PgServer()
    s.closers.append(srv.cleanup)
    srv.start()
    live = f"127.0.0.1:{srv.port}/postgres?sslmode=disable&user=postgres"
    e = Exporter("pg_exporter", env={"DATA_SOURCE_NAME": srv.dsn_uri()})
    return e, backend_mix("pg_up", "/probe", live)


def redis(s):
    from redis_harness import RedisServer, fill_plain
    srv = RedisServer(name="soak")
    s.closers.append(srv.cleanup)
    fill_plain(srv)
    e = Exporter("redis_exporter", [f"--redis.addr={srv.addr}"])
    return e, backend_mix("redis_up", "/scrape", srv.addr, [Req("/metrics?collect[]=info", GZIP, up=("redis_up", 1))])


def clickhouse(s):
    from clickhouse_harness import ClickHouseServer, ch_exporter, populate
    srv = ClickHouseServer(name="soak")
    s.closers.append(srv.cleanup)
    populate(srv)
    e = ch_exporter([f"-scrape_uri={srv.uri}"])
    return e, backend_mix("clickhouse_up", "/probe", srv.addr,
                          [Req("/metrics?collect[]=metrics&collect[]=events", GZIP, up=("clickhouse_up", 1))])


def container(s):
    mix = [Req("/metrics", marker="container_cpu_usage_seconds_total"),
           Req("/metrics", GZIP, "container_cpu_usage_seconds_total"),
           Req("/metrics", OPENMETRICS, "container_cpu_usage_seconds_total")]
    return Exporter("container_exporter", ["--docker=", "--podman="]), mix


def kafka(s):
    if not os.path.exists(os.path.join(BINDIR, "kafka_exporter")):
        raise Skip("bin/kafka_exporter is not built (kafka_exporter is not on this branch yet)")
    try:
        import kafka as kafka_harness
    except ImportError:
        raise Skip("no Kafka broker in the test harness (tests/lib/kafka.py)")
    broker = kafka_harness.shared_broker()
    e = Exporter("kafka_exporter", [f"--kafka.server={broker.bootstrap}"])
    mix = [Req("/metrics", marker="kafka_brokers 1"),
           Req("/metrics", GZIP, "kafka_brokers 1"),
           Req("/metrics", OPENMETRICS, "kafka_brokers 1")]
    return e, mix


STARTERS = {"node": node, "pg": pg, "redis": redis, "clickhouse": clickhouse, "container": container, "kafka": kafka}


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def settled(pid, quiet=1.0, timeout=10.0):
    """(RSS KiB, descriptors) once the count of descriptors has not changed for
    `quiet` seconds: the server closes a connection a little after its client."""
    n, since, deadline = fd_count(pid), time.monotonic(), time.monotonic() + timeout
    while time.monotonic() - since < quiet and time.monotonic() < deadline:
        time.sleep(0.1)
        m = fd_count(pid)
        if m != n:
            n, since = m, time.monotonic()
    return mem_kb(pid, "VmRSS"), n, mem_kb(pid, "RssAnon")


class Load:
    """Clients sharing one counter of scrapes: `keepalive` clients on kept
    connections and one that opens a connection per request."""

    def __init__(self, port, mix, keepalive):
        self.port, self.mix, self.keepalive = port, mix, keepalive
        self.done = 0
        self.errors = []
        self.lock = threading.Lock()

    def _next(self, limit):
        with self.lock:
            if self.done >= limit or len(self.errors) >= 5:
                return None
            self.done += 1
            return self.mix[self.done % len(self.mix)]

    def _client(self, limit, fresh):
        conn = None
        try:
            while (req := self._next(limit)) is not None:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                try:
                    conn.request("GET", req.path, headers=req.headers)
                    r = conn.getresponse()
                    body = r.read()
                    wrong = req.check(r, body)
                except (OSError, http.client.HTTPException) as e:
                    wrong = f"{req.path}: {e!r}"
                    conn.close()
                    conn = None
                if wrong:
                    with self.lock:
                        self.errors.append(wrong)
                if fresh and conn is not None:
                    conn.close()
                    conn = None
        finally:
            if conn is not None:
                conn.close()

    def run(self, limit):
        """Scrape until the counter reaches limit; every client's connection is closed on return."""
        threads = [threading.Thread(target=self._client, args=(limit, i == self.keepalive))
                   for i in range(self.keepalive + 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


def slope(points):
    """Least-squares slope of y over x."""
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else 0.0


def soak(name, a):
    s = Setup()
    try:
        e, mix = STARTERS[name](s)
        with e:
            pid = e.proc.pid
            load = Load(e.port, mix, a.clients)
            warm = max(1, a.scrapes // 100)
            t0 = time.monotonic()
            load.run(warm)
            quiet = [(load.done, *settled(pid))]  # with no client connected
            samples = list(quiet)  # under load too
            stop = threading.Event()

            def sample():
                while not stop.wait(a.interval):
                    samples.append((load.done, mem_kb(pid, "VmRSS"), fd_count(pid), mem_kb(pid, "RssAnon")))

            sampler = threading.Thread(target=sample)
            sampler.start()
            try:
                for k in range(1, a.checkpoints + 1):
                    load.run(warm + (a.scrapes - warm) * k // a.checkpoints)
                    quiet.append((load.done, *settled(pid)))
            finally:
                stop.set()
                sampler.join()
            secs = time.monotonic() - t0
        samples = sorted(samples + [(*p, "quiet") for p in quiet])
        half = warm + (a.scrapes - warm) / 2
        second = [p for p in quiet if p[0] >= half]
        (_, rss0, fd0, _), (_, rss1, fd1, _) = quiet[0], quiet[-1]
        r = {"name": name, "scrapes": load.done, "rate": load.done / secs, "errors": load.errors,
             "rss0": rss0, "rss1": rss1, "rssmax": max(p[1] for p in samples),
             "rss_slope": slope([(p[0], p[1] * 1024) for p in second]) * 1000,
             "fd0": fd0, "fd1": fd1, "fdmax": max(p[2] for p in samples),
             "fd_slope": slope([(p[0], p[2]) for p in second]) * 1000, "samples": samples}
        r["flat"] = (r["rss1"] - r["rss0"] <= a.rss_growth and r["rss_slope"] <= a.rss_slope
                     and r["fd1"] - r["fd0"] <= a.fd_growth)
        return r
    finally:
        s.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--exporters", default=",".join(ALL), help="comma-separated, of " + ",".join(ALL))
    ap.add_argument("--scrapes", type=int, default=100000, help="scrapes per exporter")
    ap.add_argument("--clients", type=int, default=4, help="keep-alive clients (plus one on new connections)")
    ap.add_argument("--interval", type=float, default=0.5, help="seconds between samples under load")
    ap.add_argument("--checkpoints", type=int, default=20,
                    help="pauses of the clients after warm-up, where RSS and descriptors are taken quiet")
    ap.add_argument("--rss-growth", type=int, default=1024, help="KiB of RSS growth still flat (start to end)")
    ap.add_argument("--rss-slope", type=float, default=2048,
                    help="bytes per 1,000 scrapes of RSS slope over the second half still flat")
    ap.add_argument("--fd-growth", type=int, default=2, help="descriptors more at the end still flat")
    ap.add_argument("--samples", metavar="DIR", help="write each exporter's samples to DIR/<exporter>.tsv "
                    "(scrapes done, VmRSS and RssAnon KiB, descriptors; quiet or under load)")
    a = ap.parse_args()
    names = [n for n in a.exporters.split(",") if n]
    bad = [n for n in names if n not in STARTERS]
    if bad:
        ap.error(f"unknown exporter {bad[0]} (of {','.join(ALL)})")
    print(f"{a.scrapes} scrapes per exporter, {a.clients} keep-alive clients + 1 on new connections, "
          f"{os.cpu_count()} CPUs; flat: RSS growth <= {a.rss_growth} KiB and slope <= {a.rss_slope:g} B/1k scrapes, "
          f"fd growth <= {a.fd_growth}", flush=True)
    results, failed = [], False
    for n in names:
        try:
            r = soak(n, a)
        except Skip as why:
            print(f"{n}: skipped: {why}", flush=True)
            continue
        results.append(r)
        for err in r["errors"]:
            print(f"{n}: wrong answer: {err}")
        ok = r["flat"] and not r["errors"]
        failed |= not ok
        print(f"{n}: {r['scrapes']} scrapes in {r['scrapes'] / r['rate']:.0f} s, {len(r['errors'])} wrong, "
              f"RSS {r['rss0']} -> {r['rss1']} KiB (max {r['rssmax']}, slope {r['rss_slope']:.0f} B/1k), "
              f"fds {r['fd0']} -> {r['fd1']} (max {r['fdmax']}): {'flat' if r['flat'] else 'NOT FLAT'}", flush=True)
        if a.samples:
            os.makedirs(a.samples, exist_ok=True)
            with open(os.path.join(a.samples, f"{n}.tsv"), "w") as f:
                f.write("scrapes\tVmRSS KiB\tfds\tRssAnon KiB\tquiet\n")
                f.writelines("\t".join(map(str, p)) + "\n" for p in r["samples"])
    print()
    print(f"{'exporter':11} {'scrapes':>8} {'/s':>5} {'RSS KiB: start':>15} {'end':>7} {'max':>7} "
          f"{'slope B/1k':>11} {'fds: start':>11} {'end':>4} {'max':>4} {'slope/1k':>9}  verdict")
    for r in results:
        verdict = ("flat" if r["flat"] else "NOT FLAT") + (", wrong answers" if r["errors"] else "")
        print(f"{r['name']:11} {r['scrapes']:8} {r['rate']:5.0f} {r['rss0']:15} {r['rss1']:7} {r['rssmax']:7} "
              f"{r['rss_slope']:11.0f} {r['fd0']:11} {r['fd1']:4} {r['fdmax']:4} {r['fd_slope']:9.3f}  {verdict}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
