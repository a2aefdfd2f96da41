"""Side by side with Debian's prometheus-redis-exporter (upstream 1.45.0) on
the same servers: the share of upstream's metric families that ours has with
the same type and label names (at least 95%), and equal values for the
gauges that hold still. The figures are printed."""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Exporter, Skip, wait_for  # noqa: E402
from redis_harness import UPSTREAM, RedisServer, fill_plain  # noqa: E402

primary = replica = None

# Families whose value moves with time or with the scraping itself.
VOLATILE = ("uptime", "cpu_", "memory_used", "allocator_", "mem_", "net_", "commands_", "connections_received",
            "connected_clients", "total_reads", "total_writes", "repl_offset", "repl_backlog_first",
            "repl_backlog_history", "last_io", "lag", "offset", "exporter_", "rss", "fragmentation", "keyspace_",
            "start_time", "latency", "slowlog", "last_slow", "client_recent", "expired_stale", "eventloop",
            "rdb_changes", "process_", "scrape", "errors_total", "error_replies", "instantaneous")


def setup_module():
    global primary, replica
    if not os.path.exists(UPSTREAM):
        raise Skip(f"{UPSTREAM} (Debian package prometheus-redis-exporter) is not installed")
    primary = RedisServer("--slowlog-log-slower-than", "0", name="cmp-primary")
    fill_plain(primary)
    replica = RedisServer("--replicaof", "127.0.0.1", str(primary.port), name="cmp-replica")
    wait_for(lambda: replica.client().info("replication").get("master_link_status") == "up", 20,
             what="replica link up")


def teardown_module():
    for s in (primary, replica):
        if s:
            s.cleanup()


def families(e):
    return {n: f for n, f in e.scrape().items() if f.samples}


def compare(server, extra=()):
    args = [f"-redis.addr={server.addr}", *extra]
    with Exporter("prometheus-redis-exporter", args, binary=UPSTREAM, listen_flag="-web.listen-address",
                  check_exit=False) as up, Exporter("redis_exporter", args) as ours:
        up1 = families(up)
        mine = families(ours)
        up2 = families(up)
    upstream = {n: f for n, f in up1.items() if not n.startswith("go_")}
    same = [n for n, f in upstream.items()
            if n in mine and mine[n].type == f.type and mine[n].label_names() == f.label_names()]
    missing = sorted(set(upstream) - set(mine))
    differ = sorted(n for n in upstream if n in mine and n not in same)
    share = len(same) / len(upstream)

    # gauges that hold still between two upstream scrapes must be equal in ours
    checked, unequal = 0, []
    for n, f in up1.items():
        if f.type != "gauge" or n not in mine or any(v in n for v in VOLATILE):
            continue
        a = {tuple(sorted(l.items())): v for _, l, v in f.samples}
        b = {tuple(sorted(l.items())): v for _, l, v in up2.get(n, f).samples}
        if a != b:
            continue
        ours_v = {tuple(sorted(l.items())): v for _, l, v in mine[n].samples}
        for k, v in a.items():
            checked += 1
            if ours_v.get(k) != v:
                unequal.append((n, dict(k), v, ours_v.get(k)))
    print(f"  {server.addr}: {len(same)}/{len(upstream)} upstream families (go_* excluded, "
          f"{len([n for n in up1 if n.startswith('go_')])} of them) present with the same type and labels: "
          f"{100 * share:.1f}%; missing {missing}; type/labels differ {differ}; "
          f"{checked} stable gauge series compared, {len(unequal)} unequal {unequal[:5]}")
    return share, missing, differ, checked, unequal


def test_primary_family_share_and_values():
    share, missing, differ, checked, unequal = compare(primary)
    assert share >= 0.95, (share, missing, differ)
    assert not differ, differ
    assert checked >= 40, checked
    assert not unequal, unequal


def test_replica_family_share_and_values():
    share, missing, differ, checked, unequal = compare(replica)
    assert share >= 0.95, (share, missing, differ)
    assert not differ, differ
    assert not unequal, unequal


def test_with_key_checks_and_client_list():
    extra = ["-check-keys=db0=user:1*", "-check-single-keys=db0=greeting,db0=queue", "-count-keys=db1=session:*",
             "-export-client-list"]
    share, missing, differ, checked, unequal = compare(primary, extra)
    assert share >= 0.95, (share, missing, differ)
    assert not differ, differ
    assert not unequal, unequal
