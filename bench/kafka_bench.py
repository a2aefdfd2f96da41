#!/usr/bin/env python3
"""Benchmark of kafka_exporter on a real single-node Kafka broker (the test
suite's, started here and stopped at the end).

  --upstream PATH   upstream kafka_exporter 1.9.0 and ours side by side on the
                    same topics and groups, in alternating rounds of N
                    sequential scrapes: exporter CPU per scrape, broker CPU per
                    scrape (its idle CPU subtracted), wall time per scrape,
                    resident memory; ratios upstream/ours.
  --scale G1,G2,..  ours alone at G groups x 100 partitions (10 topics of 100
                    partitions, each group committed on one topic): wall time,
                    CPU and broker CPU per scrape, RSS, and the per-group costs,
                    which stay flat if the costs grow linearly.
  --lag-seconds     the two ways of finding kafka_consumergroup_lag_seconds,
                    interpolation and the record's timestamp, against a steady
                    producer and groups advancing behind it: their difference
                    (the timestamp method reads the true age) and their costs.

Not a test: timings depend on the machine; only ratios and trends mean anything.
    python3 bench/kafka_bench.py --upstream /tmp/upstream/bin/kafka_exporter
    python3 bench/kafka_bench.py --scale 100,250,500,1000
    python3 bench/kafka_bench.py --lag-seconds"""

import argparse
import http.client
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("KAFKA_TEST_HEAP", "512m")
import kafka  # noqa: E402
from benchlib import cpu_seconds, idle_rate, private_kib, status_kib  # noqa: E402
from harness import Exporter, parse_text  # noqa: E402


def scrape(port, timeout=120):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request("GET", "/metrics", headers={"X-Prometheus-Scrape-Timeout-Seconds": str(timeout)})
    r = conn.getresponse()
    body = r.read()
    conn.close()
    assert r.status == 200, body[:300]
    return body.decode()


def measure(x, broker_pid, n, broker_idle):
    """n sequential scrapes of exporter x: per-scrape figures."""
    c0, b0, t0 = cpu_seconds(x.proc.pid), cpu_seconds(broker_pid), time.monotonic()
    for _ in range(n):
        scrape(x.port)
    dt = time.monotonic() - t0
    c1, b1 = cpu_seconds(x.proc.pid), cpu_seconds(broker_pid)
    return {"cpu_ms": (c1 - c0) / n * 1000, "broker_ms": max(0.0, (b1 - b0) - broker_idle * dt) / n * 1000,
            "wall_ms": dt / n * 1000, "rss_mib": status_kib(x.proc.pid) / 1024,
            "hwm_mib": status_kib(x.proc.pid, "VmHWM") / 1024, "uss_mib": private_kib(x.proc.pid) / 1024}


def setup_topics(client, prefix, topics, partitions, groups, records=100):
    names = [f"{prefix}-t{i}" for i in range(topics)]
    for i in range(0, topics, 32):
        client.create(*[(t, partitions) for t in names[i:i + 32]])
    for t in names:
        for p in range(partitions):
            client.produce(t, p, records)
    for g in range(groups):
        client.ctl("groups", f"{prefix}-g", g, 1, names[g % topics], partitions, records // 2, timeout=600)
    return names


def side_by_side(a, broker, client):
    names = setup_topics(client, "sbs", a.topics, a.partitions, a.groups)
    # Groups with a live member (Stable, described every scrape), besides the idle ones.
    members = [client.kcat_member(f"sbs-active-{i}", names[i % len(names)]) for i in range(a.active)]
    args = [f"--kafka.server={broker.bootstrap}", "--topic.filter=^sbs-", "--group.filter=^sbs-"]
    try:
        run_side_by_side(a, broker, args, members)
    finally:
        for m in members:
            m.terminate()
            m.wait(20)


def run_side_by_side(a, broker, args, members):
    with Exporter("kafka_exporter", args, binary=a.upstream, check_exit=False) as up, \
            Exporter("kafka_exporter", args) as ours:
        # Wait until every live member has joined and committed (they show as Stable with lag 0).
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            page = scrape(ours.port)
            if sum(1 for l in page.splitlines() if l.startswith('kafka_consumergroup_lag{consumergroup="sbs-active')
                   and l.endswith(" 0")) >= len(members) * a.partitions:
                break
            time.sleep(1)
        for x in (up, ours):
            for _ in range(3):
                scrape(x.port)
        series = {n: sum(1 for l in scrape(x.port).splitlines() if l.startswith("kafka_")) for n, x in
                  (("upstream", up), ("ours", ours))}
        res = {"upstream": [], "ours": []}
        for r in range(a.rounds):
            base = idle_rate(broker.pid)
            for name, x in (("upstream", up), ("ours", ours)) if r % 2 == 0 else (("ours", ours), ("upstream", up)):
                res[name].append(measure(x, broker.pid, a.scrapes, base))
    print(f"\nside by side: {a.topics} topics x {a.partitions} partitions, {a.groups} idle groups and "
          f"{a.active} with a live member; "
          f"{a.rounds} rounds x {a.scrapes} scrapes each; kafka_ series: {series}")
    keys = ("cpu_ms", "broker_ms", "wall_ms", "rss_mib", "hwm_mib", "uss_mib")
    print(f"{'':10}" + "".join(f"{k:>12}" for k in keys))
    avg = {n: {k: statistics.mean(m[k] for m in v) for k in keys} for n, v in res.items()}
    for n in ("upstream", "ours"):
        print(f"{n:10}" + "".join(f"{avg[n][k]:12.2f}" for k in keys))
    print(f"{'ratio':10}" + "".join(f"{avg['upstream'][k] / max(avg['ours'][k], 1e-9):12.1f}" for k in keys))


def scale(a, broker, client):
    steps = [int(s) for s in a.scale.split(",")]
    topics = [f"scale-t{i}" for i in range(10)]
    client.create(*[(t, 100) for t in topics])
    for t in topics:
        for p in range(100):
            client.produce(t, p, 20)
    print("\nscale: ours alone, groups x 100 partitions (10 topics of 100 partitions)")
    print(f"{'groups':>7}{'offsets':>9}{'wall_ms':>10}{'cpu_ms':>9}{'broker_ms':>10}{'rss_mib':>9}"
          f"{'wall/grp':>10}{'cpu/grp':>9}{'setup_s':>9}")
    done = 0
    args = [f"--kafka.server={broker.bootstrap}", "--topic.filter=^scale-", "--group.filter=^scale-",
            "--group.workers=64"]
    with Exporter("kafka_exporter", args) as x:
        for g in steps:
            t0 = time.monotonic()
            # Commit the new groups from 4 threads at once (one kafka_testctl per group).
            per = -(-(g - done) // 4)
            threads = [threading.Thread(target=commit_range, args=(client, first, min(per, g - first), topics))
                       for first in range(done, g, per)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            setup = time.monotonic() - t0
            done = g
            for _ in range(2):
                scrape(x.port)
            page = scrape(x.port)
            offsets = sum(1 for l in page.splitlines() if l.startswith("kafka_consumergroup_current_offset{"))
            assert "kafka_up 1" in page, "incomplete scrape"
            m = measure(x, broker.pid, a.scale_scrapes, idle_rate(broker.pid, 2))
            print(f"{g:7d}{offsets:9d}{m['wall_ms']:10.1f}{m['cpu_ms']:9.2f}{m['broker_ms']:10.1f}"
                  f"{m['rss_mib']:9.1f}{m['wall_ms'] / g:10.3f}{m['cpu_ms'] / g:9.4f}{setup:9.1f}", flush=True)


def commit_range(client, first, count, topics):
    for g in range(first, first + count):
        client.ctl("groups", "scale-g", g, 1, topics[g % len(topics)], 100, 10, timeout=600)


def lag_seconds(a, broker, client):
    t = "lagsec"
    parts = 10
    client.create((t, parts))
    groups = [f"lagsec-g{i}" for i in range(10)]
    # A steady producer: records spread evenly in time over the partitions, stamped when written.
    producer = subprocess.Popen([kafka.TESTCTL, "-b", broker.bootstrap, "-X", "linger.ms=0", "stream", t, str(parts),
                                 str(int(a.rate)), "3600"], stderr=subprocess.DEVNULL)
    try:
        time.sleep(3)
        args = [f"--kafka.server={broker.bootstrap}", "--topic.filter=^lagsec", "--group.filter=^lagsec",
                "--consumergroup.status-window=1m"]
        with Exporter("kafka_exporter", [*args, "--consumergroup.lag-seconds=interpolation"]) as ip, \
                Exporter("kafka_exporter", [*args, "--consumergroup.lag-seconds=timestamp"]) as ts:
            def ends():
                f = parse_text(scrape(ip.port))
                return {int(l["partition"]): int(v) for _, l, v in
                        f["kafka_topic_partition_current_offset"].samples}

            def advance():
                # Group i stays about i * 2 s of production behind the end, moving each step.
                e = ends()
                for i, g in enumerate(groups):
                    behind = int(a.rate / parts * 2 * i)
                    client.commit(g, {(t, p): max(0, e[p] - behind) for p in e})
            # Warm-up: the interpolation needs a history; both read a few times.
            for _ in range(5):
                advance()
                scrape(ip.port)
                scrape(ts.port)
                time.sleep(a.interval)
            errors = []
            for _ in range(a.steps):
                advance()
                t0 = time.monotonic()
                fi = parse_text(scrape(ip.port))
                t1 = time.monotonic()
                ft = parse_text(scrape(ts.port))
                # Each exporter reads its clock with the end offsets, early in its scrape (before any
                # record is fetched): the timestamp exporter's ages are later by the gap between starts.
                shift = t1 - t0
                vi = {(l["consumergroup"], l["partition"]): v for _, l, v in
                      fi["kafka_consumergroup_lag_seconds"].samples}
                vt = {(l["consumergroup"], l["partition"]): v for _, l, v in
                      ft["kafka_consumergroup_lag_seconds"].samples}
                for k in vi.keys() & vt.keys():
                    if vt[k] > 0:
                        errors.append(abs(vi[k] - (vt[k] - shift)))
                time.sleep(a.interval)
            errors.sort()
            q = lambda p: errors[min(len(errors) - 1, int(p * len(errors)))]  # noqa: E731
            print(f"\nlag in seconds: producer {a.rate}/s over {parts} partitions, 10 groups 0-18 s behind, "
                  f"scrapes every {a.interval}s; interpolation vs the record's timestamp over {len(errors)} "
                  f"series: median {q(0.5):.3f}s, p90 {q(0.9):.3f}s, max {errors[-1]:.3f}s")
            # Costs: each exporter alone, the groups moving between scrapes (no timestamp cache hits).
            print(f"{'method':>14}{'cpu_ms':>9}{'broker_ms':>10}{'wall_ms':>9}{'rss_mib':>9}")
            for name, x in (("interpolation", ip), ("timestamp", ts), ("interpolation", ip), ("timestamp", ts)):
                base = idle_rate(broker.pid, 3)  # the producer's load included
                c0, b0, w0 = cpu_seconds(x.proc.pid), cpu_seconds(broker.pid), time.monotonic()
                cpu_commit = 0.0
                for _ in range(a.cost_scrapes):
                    advance()
                    s0 = time.monotonic()
                    scrape(x.port)
                    cpu_commit += time.monotonic() - s0
                dt = time.monotonic() - w0
                c1, b1 = cpu_seconds(x.proc.pid), cpu_seconds(broker.pid)
                n = a.cost_scrapes
                print(f"{name:>14}{(c1 - c0) / n * 1000:9.2f}{max(0, (b1 - b0) - base * dt) / n * 1000:10.1f}"
                      f"{cpu_commit / n * 1000:9.1f}{status_kib(x.proc.pid) / 1024:9.1f}")
            print("(broker_ms includes the commits of advance() between scrapes, the same for both methods)")
    finally:
        producer.terminate()
        producer.wait(10)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream")
    ap.add_argument("--scrapes", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--topics", type=int, default=10)
    ap.add_argument("--partitions", type=int, default=10)
    ap.add_argument("--groups", type=int, default=20)
    ap.add_argument("--active", type=int, default=5, help="groups with a live kcat member (side by side)")
    ap.add_argument("--scale")
    ap.add_argument("--scale-scrapes", type=int, default=5)
    ap.add_argument("--lag-seconds", action="store_true")
    ap.add_argument("--rate", type=float, default=100, help="records per second (--lag-seconds)")
    ap.add_argument("--interval", type=float, default=2.0, help="seconds between scrapes (--lag-seconds)")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--cost-scrapes", type=int, default=20)
    a = ap.parse_args()
    if not (a.upstream or a.scale or a.lag_seconds):
        ap.error("give --upstream PATH, --scale G1,G2,... and/or --lag-seconds")
    session = tempfile.mkdtemp(prefix="kafka-bench-")
    os.environ["TEST_SESSION_DIR"] = session
    try:
        broker = kafka.shared_broker()
        client = kafka.Client(broker)
        print(f"broker: Kafka {kafka.KAFKA_VERSION}, heap {kafka.HEAP}, pid {broker.pid}, "
              f"idle CPU {idle_rate(broker.pid) * 1000:.1f} ms/s")
        if a.upstream:
            side_by_side(a, broker, client)
        if a.lag_seconds:
            lag_seconds(a, broker, client)
        if a.scale:
            scale(a, broker, client)
    finally:
        kafka.stop_session(session)
        shutil.rmtree(session, ignore_errors=True)


if __name__ == "__main__":
    main()
