"""redis_exporter's streams, key groups, Lua scripts, module and RDB size
metrics against a real redis-server, JSON logs from the first line on, and
secrets given as flags wiped from the process's command line."""

import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import BINDIR, Exporter  # noqa: E402
from redis_harness import RedisServer, fill_plain, metric  # noqa: E402

EXE = os.path.join(BINDIR, "redis_exporter")
srv = None
tmp = None


def setup_module():
    global srv, tmp
    tmp = tempfile.mkdtemp(prefix="itest-redis-features-")
    srv = RedisServer("--dbfilename", "features.rdb", name="features")
    fill_plain(srv)
    c = srv.client()
    for i in range(4):
        c.cmd("XADD", "orders", f"{1700000000000 + i}-{i}", "n", i)
    c.cmd("XGROUP", "CREATE", "orders", "billing", "0")
    c.cmd("XGROUP", "CREATE", "orders", "empty", "$")
    c.cmd("XREADGROUP", "GROUP", "billing", "w1", "COUNT", "3", "STREAMS", "orders", ">")
    c.cmd("XACK", "orders", "billing", "1700000000000-0")
    c.cmd("SELECT", 4)
    c.cmd("XADD", "audit", "*", "a", "b")
    for i in range(7):
        c.cmd("SET", f"cache:{i}", "v" * (10 * i))
    c.close()


def teardown_module():
    if srv:
        srv.cleanup()


def script(body):
    fd, path = tempfile.mkstemp(suffix=".lua", dir=tmp)
    with os.fdopen(fd, "w") as f:
        f.write(body)
    return path


def exporter(*args, env=None):
    return Exporter("redis_exporter", [f"--redis.addr={srv.addr}", *args], env=env)


def test_streams_groups_and_consumers():
    with exporter("--check-streams=db0=ord*,db0=nosuch*", "--check-single-streams=db4=audit") as e:
        f = e.scrape()
        assert metric(f, "redis_stream_length", db="db0", stream="orders") == 4
        assert metric(f, "redis_stream_groups", db="db0", stream="orders") == 2
        assert metric(f, "redis_stream_entries_added_total", db="db0", stream="orders") == 4
        assert f["redis_stream_entries_added_total"].type == "counter"
        assert metric(f, "redis_stream_first_entry_id", db="db0", stream="orders") == 1700000000000
        assert metric(f, "redis_stream_last_generated_id", db="db0", stream="orders") == 1700000000003
        assert metric(f, "redis_stream_group_messages_pending", db="db0", stream="orders", group="billing") == 2
        assert metric(f, "redis_stream_group_last_delivered_id", db="db0", stream="orders",
                      group="billing") == 1700000000002
        assert metric(f, "redis_stream_group_consumers", db="db0", stream="orders", group="empty") == 0
        assert metric(f, "redis_stream_group_consumer_messages_pending", db="db0", stream="orders",
                      group="billing", consumer="w1") == 2
        assert metric(f, "redis_stream_group_consumer_idle_seconds", db="db0", stream="orders",
                      group="billing", consumer="w1") >= 0
        assert metric(f, "redis_stream_length", db="db4", stream="audit") == 1
        assert metric(f, "redis_scrape_collector_success", collector="streams") == 1
    with exporter("--check-single-streams=db0=orders", "--streams-exclude-consumer-metrics") as e:
        f = e.scrape()
        assert metric(f, "redis_stream_group_lag", db="db0", stream="orders", group="billing") == 1
        assert "redis_stream_group_consumer_messages_pending" not in f
        # per request on /scrape, and a key that is not a stream: left out, the collector says why
        f = e.scrape(f"/scrape?target={srv.addr}&check-single-streams=db0=greeting,db4=audit")
        assert metric(f, "redis_up") == 1
        assert metric(f, "redis_stream_length", db="db4", stream="audit") == 1
        assert not [l for _, l, _ in f["redis_stream_length"].samples if l["stream"] == "greeting"]
        assert metric(f, "redis_scrape_collector_success", collector="streams") == 0
        assert "WRONGTYPE" in e.log


def test_key_groups_and_overflow():
    with exporter("--check-key-groups=^(cache):,^(user):,\"^(sess)ion:\"", "--check-keys-batch-size=3") as e:
        f = e.scrape()
        assert metric(f, "redis_key_group_count", db="db0", key_group="user") == 20
        assert metric(f, "redis_key_group_count", db="db1", key_group="sess") == 5
        assert metric(f, "redis_key_group_count", db="db4", key_group="cache") == 7
        assert metric(f, "redis_key_group_count", db="db4", key_group="unclassified") == 1
        c = srv.client()
        c.cmd("SELECT", 4)
        usage = sum(c.cmd("MEMORY", "USAGE", f"cache:{i}") for i in range(7))
        c.close()
        assert metric(f, "redis_key_group_memory_usage_bytes", db="db4", key_group="cache") == usage
        assert metric(f, "redis_number_of_distinct_key_groups", db="db4") == 2
        assert metric(f, "redis_number_of_distinct_key_groups", db="db2") == 0
        assert metric(f, "redis_last_key_groups_scrape_duration_milliseconds") >= 0
    # each key its own group, at most two by name per database: the rest is "overflow"
    with exporter("--check-key-groups=^(cache:%d)$", "--max-distinct-key-groups=2") as e:
        f = e.scrape()
        groups = {l["key_group"]: v for _, l, v in f["redis_key_group_count"].samples if l["db"] == "db4"}
        # the two using the most memory (ties: fewer keys, then the name) by name, the rest summed
        c = srv.client()
        c.cmd("SELECT", 4)
        usage = {("unclassified" if k == "audit" else k): c.cmd("MEMORY", "USAGE", k) for k in c.cmd("KEYS", "*")}
        c.close()
        top = sorted(usage, key=lambda g: (-usage[g], g))[:2]
        assert groups == {top[0]: 1, top[1]: 1, "overflow": 6}, (groups, usage)
        mem = {l["key_group"]: v for _, l, v in f["redis_key_group_memory_usage_bytes"].samples if l["db"] == "db4"}
        assert mem["overflow"] == sum(v for g, v in usage.items() if g not in top)
        assert metric(f, "redis_number_of_distinct_key_groups", db="db4") == 8
    # a pattern Lua refuses fails the collector, not the scrape
    with exporter("--check-key-groups=%") as e:
        f = e.scrape()
        assert metric(f, "redis_up") == 1
        assert metric(f, "redis_scrape_collector_success", collector="keygroups") == 0
    r = subprocess.run([EXE, f"--redis.addr={srv.addr}", '--check-key-groups=a"b', "--web.listen-address=127.0.0.1:0"],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_lua_scripts():
    good = script('return {"answer", "42", "keys_db0", tostring(redis.call("DBSIZE")), "answer", "43"}')
    empty = script("return {}")
    with exporter(f"--script={good},{empty}") as e:
        f = e.scrape()
        assert metric(f, "redis_up") == 1
        # a key given twice: the last value counts, as upstream's map
        assert metric(f, "redis_script_values", key="answer", filename=good) == 43
        # scripts run in the address's database
        assert metric(f, "redis_script_values", key="keys_db0", filename=good) == srv.cmd("DBSIZE")
        assert metric(f, "redis_script_result", filename=good) == 1
        assert metric(f, "redis_script_result", filename=empty) == 2
    bad = script('return {"x", "not a number"}')
    with exporter(f"--script={good},{bad}") as e:
        f = e.scrape()
        # a failed script fails the scrape, as upstream; the other metrics are still served
        assert metric(f, "redis_up") == 0
        assert metric(f, "redis_script_result", filename=bad) == 0
        assert metric(f, "redis_script_result", filename=good) == 1
        assert metric(f, "redis_db_keys", db="db0") == srv.cmd("DBSIZE")
        err = [l["err"] for _, l, v in f["redis_exporter_last_scrape_error"].samples if v == 1][0]
        assert "not a number" in err, err
    writes = script('redis.call("SET", "written", "1") return {"ok", "1"}')
    with exporter(f"--script={writes}", "--lua-script-read-only") as e:
        f = e.scrape()
        assert metric(f, "redis_up") == 0  # EVAL_RO refuses writes
        assert srv.cmd("EXISTS", "written") == 0
    r = subprocess.run([EXE, f"--redis.addr={srv.addr}", f"--script={tmp}/missing.lua",
                        "--web.listen-address=127.0.0.1:0"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and "missing.lua" in r.stderr, r.stderr


def test_modules_and_rdb_size():
    with exporter("--include-modules-metrics", "--include-rdb-file-size-metric") as e:
        f = e.scrape()
        # Debian's redis-server has no module loaded: INFO MODULES is asked and answers nothing
        assert metric(f, "redis_scrape_collector_success", collector="modules") == 1
        assert "redis_module_info" not in f
        rdb = os.path.join(srv.dir, "features.rdb")
        if not os.path.exists(rdb):
            assert metric(f, "redis_rdb_current_size_bytes") == 0
        srv.cmd("SAVE")
        f = e.scrape()
        assert metric(f, "redis_rdb_current_size_bytes") == os.stat(rdb).st_size > 0
    with exporter() as e:
        assert "redis_rdb_current_size_bytes" not in e.scrape()


def test_json_logs_from_the_first_line():
    for args, env in ((["--log-format=json"], None), ([], {"REDIS_EXPORTER_LOG_FORMAT": "json"}),
                      (["--log.format=json"], None)):
        with exporter("--redis.password=Secret-in-argv", *args, env=env) as e:
            e.scrape()
            time.sleep(0.1)
            lines = [l for l in e.log.splitlines() if l.strip()]
        assert len(lines) >= 3, lines
        for line in lines:
            rec = json.loads(line)  # every line, "starting" included
            assert {"time", "level", "msg"} <= set(rec), line
        assert json.loads(lines[0])["msg"] == "starting"


def test_secret_flags_wiped_from_the_command_line():
    args = ["--redis.password=TopSecret-1", "--basic-auth-username=u", "--basic-auth-password", "TopSecret-2"]
    with exporter(*args) as e:
        cmdline = open(f"/proc/{e.proc.pid}/cmdline", "rb").read()
        assert b"TopSecret" not in cmdline, cmdline
        assert b"--redis.password=xxxx" in cmdline and b"--basic-auth-username=u" in cmdline
        out = subprocess.run(["ps", "-o", "args=", "-p", str(e.proc.pid)], capture_output=True, text=True).stdout
        assert "TopSecret" not in out, out
        # the secrets still work, and the log says the variables are safer
        assert "--redis.password" in e.log and "REDIS_PASSWORD" in e.log and "level=warn" in e.log
        assert "TopSecret" not in e.log
    with exporter(env={"REDIS_PASSWORD": "FromEnv"}) as e:
        assert "secret was given on the command line" not in e.log


def test_refused_setting_from_the_environment_is_named_by_the_variable():
    env = dict(os.environ, REDIS_EXPORTER_CLUSTER_DISCOVER_HOSTNAMES="true")
    r = subprocess.run([EXE, f"--redis.addr={srv.addr}", "--web.listen-address=127.0.0.1:0"], env=env,
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 2, r.stderr
    assert "$REDIS_EXPORTER_CLUSTER_DISCOVER_HOSTNAMES" in r.stderr, r.stderr


def test_sentinel_masters_quorum_and_peers():
    from redis_harness import Sentinel
    replica = RedisServer("--replicaof", "127.0.0.1", str(srv.port), name="features-replica")
    sentinels = [Sentinel([("mymaster", srv)], name=f"sentinel{i}") for i in range(2)]
    try:
        # the Sentinels find each other (hello messages every 2 s) and the replica
        def settled():
            s = sentinels[0].cmd("SENTINEL", "SENTINELS", "mymaster")
            r = sentinels[0].cmd("SENTINEL", "REPLICAS", "mymaster")
            return len(s) == 1 and len(r) == 1
        from harness import wait_for
        wait_for(settled, 30, 0.2, what="Sentinels meeting")
        with Exporter("redis_exporter", [f"--redis.addr=redis://127.0.0.1:{sentinels[0].port}",
                                         "--include-sentinel-peer-info", "--include-config-metrics"]) as e:
            f = e.scrape()
            assert metric(f, "redis_up") == 1
            addr = f"127.0.0.1:{srv.port}"
            lbl = {"master_name": "mymaster", "master_address": addr}
            assert metric(f, "redis_sentinel_masters") == 1
            assert metric(f, "redis_sentinel_master_ok_sentinels", **lbl) == 2
            assert metric(f, "redis_sentinel_master_ok_slaves", **lbl) == 1
            assert metric(f, "redis_sentinel_master_setting_ckquorum", **lbl) == 1
            assert metric(f, "redis_sentinel_master_setting_down_after_milliseconds", **lbl) == 60000
            assert metric(f, "redis_sentinel_master_last_ok_ping_reply_seconds", **lbl) < 60
            (ck,) = f["redis_sentinel_master_ckquorum_status"].samples
            assert ck[2] == 1 and ck[1]["message"].startswith("OK"), ck
            (peer,) = f["redis_sentinel_peer_info"].samples
            assert peer[1]["port"] == str(sentinels[1].port) and peer[1]["master_address"] == addr, peer
            assert "redis_sentinel_config_key_value" in f
            assert metric(f, "redis_scrape_collector_success", collector="sentinel") == 1
        with Exporter("redis_exporter", [f"--redis.addr=redis://127.0.0.1:{sentinels[0].port}"]) as e:
            f = e.scrape()
            assert "redis_sentinel_peer_info" not in f and "redis_sentinel_config_key_value" not in f
        # a plain server is no Sentinel: nothing asked
        with exporter() as e:
            assert "redis_sentinel_master_ok_sentinels" not in e.scrape()
    finally:
        for s in sentinels + [replica]:
            s.cleanup()


REDISEARCH = "/usr/lib/redis/modules/redisearch.so"


def test_module_info_and_search_indexes_with_a_real_module():
    from harness import Skip
    if not os.path.exists(REDISEARCH):
        raise Skip(f"{REDISEARCH} (Debian package redis-redisearch) is not installed")
    mod = RedisServer("--loadmodule", REDISEARCH, name="module")
    try:
        with Exporter("redis_exporter", [f"--redis.addr={mod.addr}", "--include-modules-metrics",
                                         "--include-search-indexes-metrics"]) as e:
            f = e.scrape()
            assert metric(f, "redis_up") == 1
            (mi,) = f["redis_module_info"].samples
            assert mi[1] == {"name": "ft", "ver": "10200", "api": "1", "filters": "0", "usedby": "[]",
                             "using": "[]"} and mi[2] == 1, mi
            assert metric(f, "redis_scrape_collector_success", collector="modules") == 1
            # RediSearch 1.2 has no FT._LIST (2.0 and later): the collector says so, the scrape goes on
            assert metric(f, "redis_scrape_collector_success", collector="search") == 0
            assert "FT._LIST" in e.log
        with Exporter("redis_exporter", [f"--redis.addr={mod.addr}"]) as e:
            f = e.scrape()
            assert "redis_module_info" not in f
            assert metric(f, "redis_scrape_collector_success", collector="search") == 1
    finally:
        mod.cleanup()
    r = subprocess.run([EXE, f"--redis.addr={srv.addr}", "--include-search-indexes-metrics",
                        "--check-search-indexes=(", "--web.listen-address=127.0.0.1:0"],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and "check-search-indexes" in r.stderr, r.stderr


def test_is_tile38_against_redis():
    # Redis has no SERVER EXT: the tile38 collector says so, the scrape goes on (no Tile38 server here;
    # its fields are unit-tested on a reply of Tile38's shape)
    with exporter("--is-tile38") as e:
        f = e.scrape()
        assert metric(f, "redis_up") == 1
        assert metric(f, "redis_scrape_collector_success", collector="tile38") == 0
        assert "SERVER EXT" in e.log
    with exporter() as e:
        assert metric(e.scrape(), "redis_scrape_collector_success", collector="tile38") == 1


def test_instance_role_label():
    replica = RedisServer("--replicaof", "127.0.0.1", str(srv.port), name="role-replica")
    try:
        with Exporter("redis_exporter", [f"--redis.addr={replica.addr}", "--append-instance-role-label"]) as e:
            f = e.scrape()
            assert metric(f, "redis_up", instance_role="slave") == 1
            assert metric(f, "redis_db_keys", db="db0", instance_role="slave") >= 0
            assert metric(f, "redis_exporter_last_scrape_error", err="", instance_role="slave") == 0
            assert all(l.get("instance_role") == "slave" for _, l, _ in f["redis_commands_total"].samples)
            # the exporter's own counters and times of connecting have no role, as upstream
            assert "instance_role" not in f["redis_exporter_scrapes_total"].label_names()
            assert "instance_role" not in f["redis_exporter_last_scrape_connect_time_seconds"].label_names()
            replica.stop()
            f = e.scrape()
            # down: the role of the latest scrape that knew it
            assert metric(f, "redis_up", instance_role="slave") == 0
    finally:
        replica.cleanup()
