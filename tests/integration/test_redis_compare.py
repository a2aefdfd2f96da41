"""Side by side with upstream redis_exporter 1.88.0 on the same servers: the
share of upstream's metric families that ours has with the same type and
label names (at least 99%), and equal values for the gauges that hold still
between two upstream scrapes. Setups: a primary with data in several
databases, its replica, key checks with the client list, streams, key
groups, a Lua script, a Sentinel of the primary, and a TLS-only server
wanting a client certificate (rediss://, CA file, client key pair). The figures are printed.

Upstream is never part of the tree: give its binary (built from source) in
REDIS_EXPORTER_UPSTREAM, default /tmp/upstream/bin/redis_exporter; the module
is skipped without it."""

import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Exporter, Skip, wait_for  # noqa: E402
from redis_harness import RedisServer, Sentinel, TlsFiles, fill_plain  # noqa: E402

UPSTREAM = os.environ.get("REDIS_EXPORTER_UPSTREAM", "/tmp/upstream/bin/redis_exporter")
FLAGS = os.path.join(os.path.dirname(__file__), "..", "data", "redis_exporter-1.88.0.flags")

primary = replica = tls_srv = tls = None
script_path = None

# Families whose value moves with time or with the scraping itself.
VOLATILE = ("uptime", "cpu_", "memory_used", "allocator_", "mem_", "net_", "commands_", "connections_received",
            "connected_clients", "total_reads", "total_writes", "repl_offset", "repl_backlog_first",
            "repl_backlog_history", "last_io", "lag", "offset", "exporter_", "rss", "fragmentation", "keyspace_",
            "start_time", "latency", "slowlog", "last_slow", "client_recent", "expired_stale", "eventloop",
            "rdb_changes", "process_", "scrape", "errors_total", "error_replies", "instantaneous", "connected_client_",
            "consumer_idle", "last_key_groups", "number_of_cached_scripts", "key_memory_usage")

SCRIPT = """
local out = {}
out[#out + 1] = "users"
out[#out + 1] = tostring(#redis.call("KEYS", "user:*"))
out[#out + 1] = "queue_length"
out[#out + 1] = tostring(redis.call("LLEN", "queue"))
return out
"""


def setup_module():
    global primary, replica, tls_srv, tls, script_path
    if not os.path.exists(UPSTREAM):
        raise Skip(f"no upstream redis_exporter at {UPSTREAM} (set REDIS_EXPORTER_UPSTREAM)")
    # A build from source says "<<< filled in by build >>>" for its version: know 1.88.0 by its flags.
    out = subprocess.run([UPSTREAM, "--help"], capture_output=True, text=True, timeout=10)
    theirs = set(re.findall(r"^  -([a-z0-9.\-]+)", out.stdout + out.stderr, re.M))
    want = {l.split("\t")[0] for l in open(FLAGS) if l.strip() and not l.startswith("#")}
    if theirs != want:
        raise Skip(f"{UPSTREAM} is not redis_exporter 1.88.0 (its flags differ: {sorted(theirs ^ want)[:6]})")
    primary = RedisServer("--slowlog-log-slower-than", "0", name="cmp-primary")
    fill_streams(primary)
    replica = RedisServer("--replicaof", "127.0.0.1", str(primary.port), name="cmp-replica")
    wait_for(lambda: replica.client().info("replication").get("master_link_status") == "up", 20,
             what="replica link up")
    tls = TlsFiles()
    tls_srv = RedisServer(tls=tls, auth_clients="yes", name="cmp-tls")
    fill_streams(tls_srv)
    fd, script_path = tempfile.mkstemp(suffix=".lua")
    with os.fdopen(fd, "w") as f:
        f.write(SCRIPT)


def fill_streams(srv):
    fill_plain(srv)
    c = srv.client()
    c.cmd("SELECT", 0)
    for i in range(5):
        c.cmd("XADD", "orders", f"{1700000000000 + i}-0", "n", i)
    c.cmd("XGROUP", "CREATE", "orders", "billing", "0")
    c.cmd("XGROUP", "CREATE", "orders", "shipping", "$")
    c.cmd("XREADGROUP", "GROUP", "billing", "worker1", "COUNT", "2", "STREAMS", "orders", ">")
    c.cmd("XREADGROUP", "GROUP", "billing", "worker2", "COUNT", "1", "STREAMS", "orders", ">")
    c.cmd("SELECT", 2)
    c.cmd("XADD", "audit", "1700000001000-0", "who", "me")
    c.close()


def teardown_module():
    for s in (primary, replica, tls_srv):
        if s:
            s.cleanup()
    if tls:
        tls.cleanup()
    if script_path:
        os.unlink(script_path)


def families(e):
    return {n: f for n, f in e.scrape().items() if f.samples}


def compare(server, extra=(), min_share=0.99):
    args = [f"-redis.addr={server.addr}", *extra]
    with Exporter("upstream redis_exporter", args, binary=UPSTREAM, listen_flag="-web.listen-address",
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
    print(f"  {server.addr} {' '.join(extra)}: {len(same)}/{len(upstream)} upstream families "
          f"(go_* excluded) with the same type and labels: {100 * share:.1f}%; missing {missing}; "
          f"type/labels differ {differ}; {checked} stable gauge series compared, {len(unequal)} unequal "
          f"{unequal[:5]}")
    assert share >= min_share, (share, missing, differ)
    assert not differ, differ
    assert not unequal, unequal
    assert up1["redis_up"].value() == 1 and mine["redis_up"].value() == 1
    return upstream, mine, checked


def test_primary():
    _, _, checked = compare(primary)
    assert checked >= 40, checked


def test_replica():
    compare(replica)
    compare(replica, ["-append-instance-role-label"])


def test_key_checks_and_client_list():
    compare(primary, ["-check-keys=db0=user:1*", "-check-single-keys=db0=greeting,db0=queue,db0=missing",
                      "-count-keys=db1=session:*", "-export-client-list"])


def test_streams():
    up, mine, _ = compare(primary, ["-check-streams=db0=ord*,db0=events", "-check-single-streams=db2=audit"])
    assert "redis_stream_group_consumer_messages_pending" in up
    assert mine["redis_stream_length"].value(db="db2", stream="audit") == 1
    up, mine, _ = compare(primary, ["-check-single-streams=db0=orders", "-streams-exclude-consumer-metrics"])
    assert "redis_stream_group_consumer_messages_pending" not in mine


def test_key_groups():
    up, mine, _ = compare(primary, ["-check-key-groups=^(user):,^(session):,^(\\w+)$"])
    assert mine["redis_key_group_count"].value(db="db0", key_group="user") == 20
    # two groups per database at most: the others are summed as "overflow"
    compare(primary, ["-check-key-groups=^(\\w+)", "-max-distinct-key-groups=2"])


def test_lua_script():
    up, mine, _ = compare(primary, [f"-script={script_path}"])
    assert mine["redis_script_values"].value(key="users", filename=script_path) == 20


def test_module():
    so = "/usr/lib/redis/modules/redisearch.so"
    if not os.path.exists(so):
        raise Skip(f"{so} (Debian package redis-redisearch) is not installed")
    mod = RedisServer("--loadmodule", so, name="cmp-module")
    try:
        up, mine, _ = compare(mod, ["-include-modules-metrics", "-include-search-indexes-metrics"])
        assert "redis_module_info" in up
    finally:
        mod.cleanup()


def test_sentinel():
    sentinels = [Sentinel([("mymaster", primary)], name=f"cmp-sentinel{i}") for i in range(2)]
    try:
        wait_for(lambda: len(sentinels[0].cmd("SENTINEL", "SENTINELS", "mymaster")) == 1 and
                 len(sentinels[0].cmd("SENTINEL", "REPLICAS", "mymaster")) == 1, 30, 0.2, what="Sentinels meeting")
        up, mine, _ = compare(sentinels[0], ["-include-sentinel-peer-info", "-include-config-metrics"])
        assert "redis_sentinel_peer_info" in up and "redis_sentinel_master_ckquorum_status" in up
    finally:
        for s in sentinels:
            s.cleanup()


def test_tls_only_server_with_client_certificate():
    compare(tls_srv, [f"-tls-ca-cert-file={tls.ca}", f"-tls-client-cert-file={tls.client_cert}",
                      f"-tls-client-key-file={tls.client_key}", "-check-streams=db0=orders"])
