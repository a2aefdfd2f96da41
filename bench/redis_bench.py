#!/usr/bin/env python3
"""Benchmark: Debian's prometheus-redis-exporter (upstream 1.45.0) and our
redis_exporter side by side against one redis-server, in one run.

For each exporter, in alternating rounds, N sequential scrapes of /metrics;
measured from /proc: the exporter's CPU time per scrape, its resident memory
(after the scrapes, and the peak), the Redis server's CPU time per scrape,
and scrapes per second. Prints the figures and the ratios upstream/ours.

    python3 bench/redis_bench.py [--scrapes 400] [--rounds 3] [--keys 2000]

Not a test: timings depend on the machine; only the ratios are meaningful."""

import argparse
import http.client
import os
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from harness import Exporter  # noqa: E402
from redis_harness import UPSTREAM, RedisServer, fill_plain  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import cpu_seconds, private_kib, status_kib as rss_kib  # noqa: E402


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
    a = ap.parse_args()
    if not os.path.exists(UPSTREAM):
        sys.exit(f"{UPSTREAM} is not installed (Debian package prometheus-redis-exporter)")
    srv = RedisServer(name="bench")
    try:
        fill_plain(srv)
        c = srv.client()
        for i in range(a.keys):
            c.cmd("SET", f"bench:{i}", i)
        c.close()
        redis_pid = srv.proc.pid
        args = [f"-redis.addr={srv.addr}"]
        with Exporter("prometheus-redis-exporter", args, binary=UPSTREAM, listen_flag="-web.listen-address",
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
          f"({a.keys + 36} keys), {os.cpu_count()} CPUs")
    print(f"{'':40} {'upstream 1.45.0':>16} {'ours':>12} {'ratio':>10}")
    for label, key, scale, lower_better in rows:
        u, o = avg("upstream", key) * scale, avg("ours", key) * scale
        ratio = (u / o if o else float("inf")) if lower_better else (o / u if u else float("inf"))
        word = "x less" if lower_better else "x more"
        print(f"{label:40} {u:16.3f} {o:12.3f} {ratio:8.1f}{word}")


if __name__ == "__main__":
    main()
