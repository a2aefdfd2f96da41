#!/usr/bin/env python3
"""Benchmark: upstream redis_exporter (--upstream PATH: 1.88.0 built from
source, or Debian's 1.45.0 by default) and our redis_exporter side by side
against one redis-server, in one run.

Both run with upstream's defaults, so with the latency histograms on (1.88:
LATENCY HISTOGRAM each scrape, ours as well). For each exporter, in
alternating rounds, N sequential scrapes of /metrics; measured from /proc:
the exporter's CPU time per scrape, its resident memory (after the scrapes,
and the peak), the Redis server's CPU time per scrape, and scrapes per
second. Prints the figures and the ratios upstream/ours. --extra passes
more flags to both (e.g. --extra=-check-streams=db0=events).

    python3 bench/redis_bench.py [--upstream PATH] [--scrapes 400] [--rounds 3] [--keys 2000]

Not a test: timings depend on the machine; only the ratios are meaningful."""

import argparse
import http.client
import os
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from harness import Exporter  # noqa: E402
from redis_harness import RedisServer, fill_plain  # noqa: E402

DEBIAN = "/usr/bin/prometheus-redis-exporter"

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import cpu_seconds, private_kib, status_kib as rss_kib  # noqa: E402


def fill_commands(srv):
    """Calls of many commands, so that LATENCY HISTOGRAM and commandstats have a realistic size."""
    c = srv.client()
    for cmd in (("GET", "greeting"), ("INCR", "bench:counter"), ("LPUSH", "bench:list", "x"), ("LPOP", "bench:list"),
                ("SADD", "bench:set", "a"), ("SMEMBERS", "bench:set"), ("HSET", "bench:h", "f", "v"),
                ("HGETALL", "bench:h"), ("ZADD", "bench:z", 1, "m"), ("ZRANGE", "bench:z", 0, -1), ("EXISTS", "x"),
                ("MGET", "a", "b"), ("EXPIRE", "bench:counter", 1000), ("TTL", "bench:counter"), ("TYPE", "queue"),
                ("STRLEN", "greeting"), ("APPEND", "bench:s", "x"), ("DBSIZE",), ("PING",), ("ECHO", "x")):
        for _ in range(20):
            c.cmd(*cmd)
    c.close()


def run(e, redis_pid, n):
    conn = http.client.HTTPConnection("127.0.0.1", e.port, timeout=30)
    c0, r0, t0 = cpu_seconds(e.proc.pid), cpu_seconds(redis_pid), time.monotonic()
    for _ in range(n):
        conn.request("GET", "/metrics")
        r = conn.getresponse()
        body = r.read()
        assert r.status == 200 and b"redis_up 1" in body, body[:200]
    dt = time.monotonic() - t0
    c1, r1 = cpu_seconds(e.proc.pid), cpu_seconds(redis_pid)
    conn.close()
    return {"cpu": (c1 - c0) / n, "redis_cpu": (r1 - r0) / n, "rate": n / dt,
            "rss": rss_kib(e.proc.pid), "hwm": rss_kib(e.proc.pid, "VmHWM"), "uss": private_kib(e.proc.pid)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scrapes", type=int, default=400)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--keys", type=int, default=2000)
    ap.add_argument("--upstream", default=os.environ.get("REDIS_EXPORTER_UPSTREAM", DEBIAN),
                    help="upstream redis_exporter binary (default: Debian's 1.45.0)")
    ap.add_argument("--label", default="", help="name of upstream in the table (default: from --upstream)")
    ap.add_argument("--extra", action="append", default=[], help="a flag for both exporters (repeatable)")
    a = ap.parse_args()
    if not os.path.exists(a.upstream):
        sys.exit(f"{a.upstream} does not exist (give --upstream PATH)")
    label = a.label or ("upstream 1.45.0" if a.upstream == DEBIAN else "upstream")
    srv = RedisServer(name="bench")
    try:
        fill_plain(srv)
        c = srv.client()
        for i in range(a.keys):
            c.cmd("SET", f"bench:{i}", i)
        c.close()
        fill_commands(srv)
        redis_pid = srv.proc.pid
        args = [f"-redis.addr={srv.addr}", *a.extra]
        with Exporter("upstream redis_exporter", args, binary=a.upstream, listen_flag="-web.listen-address",
                      check_exit=False) as up, Exporter("redis_exporter", args) as ours:
            for e in (up, ours):  # warm up
                run(e, redis_pid, 20)
            res = {"upstream": [], "ours": []}
            for _ in range(a.rounds):
                res["upstream"].append(run(up, redis_pid, a.scrapes))
                res["ours"].append(run(ours, redis_pid, a.scrapes))
    finally:
        srv.cleanup()

    def avg(name, key):
        xs = [r[key] for r in res[name]]
        return sum(xs) / len(xs)

    rows = [("exporter CPU per scrape (ms)", "cpu", 1e3, True),
            ("Redis server CPU per scrape (ms)", "redis_cpu", 1e3, True),
            ("resident memory after the run (MiB)", "rss", 1 / 1024, True),
            ("peak resident memory (MiB)", "hwm", 1 / 1024, True),
            ("private memory, no shared libs (MiB)", "uss", 1 / 1024, True),
            ("scrapes per second (sequential)", "rate", 1, False)]
    print(f"{a.rounds} rounds x {a.scrapes} sequential scrapes of /metrics, one redis-server "
          f"({a.keys + 36} keys), {os.cpu_count()} CPUs; upstream: {a.upstream} {' '.join(a.extra)}")
    print(f"{'':40} {label:>16} {'ours':>12} {'ratio':>10}")
    for label, key, scale, lower_better in rows:
        u, o = avg("upstream", key) * scale, avg("ours", key) * scale
        ratio = (u / o if o else float("inf")) if lower_better else (o / u if u else float("inf"))
        word = "x less" if lower_better else "x more"
        print(f"{label:40} {u:16.3f} {o:12.3f} {ratio:8.1f}{word}")


if __name__ == "__main__":
    main()
