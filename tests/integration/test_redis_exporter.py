"""redis_exporter against real redis-server instances started here: a plain
server with data in several databases, one with a password and an ACL user,
and a replica attached to a primary. Servers start once for the module."""

import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import BINDIR, Exporter, assert_promtool_ok, parse_text, wait_for  # noqa: E402
from redis_harness import RecordingServer, RedisServer, fill_plain, metric  # noqa: E402

EXE = os.path.join(BINDIR, "redis_exporter")
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PASSWORD = "s3cret-Pa55"
ACL_PASSWORD = "acl-Pa55-word"
MASTERAUTH = "m4sterauth-Pa55"

plain = auth = primary = replica = None


def setup_module():
    global plain, auth, primary, replica
    plain = RedisServer("--latency-monitor-threshold", "1", "--enable-debug-command", "yes",
                        "--slowlog-log-slower-than", "0", name="plain")
    fill_plain(plain)
    auth = RedisServer("--masterauth", MASTERAUTH, password=PASSWORD, name="auth")
    auth.cmd("ACL", "SETUSER", "monitor", "on", ">" + ACL_PASSWORD, "+@all", "~*")
    primary = RedisServer(name="primary")
    replica = RedisServer("--replicaof", "127.0.0.1", str(primary.port), name="replica")
    wait_for(lambda: replica.client().info("replication").get("master_link_status") == "up", 20,
             what="replica link up")


def teardown_module():
    for s in (plain, auth, primary, replica):
        if s:
            s.cleanup()


def exporter(*args, env=None, **kw):
    return Exporter("redis_exporter", list(args), env=env, **kw)


def test_plain_server_metrics():
    with exporter(f"--redis.addr={plain.addr}") as e:
        f = e.scrape()
        assert metric(f, "redis_up") == 1
        assert metric(f, "redis_db_keys", db="db0") == 28
        assert metric(f, "redis_db_keys", db="db1") == 5
        assert metric(f, "redis_db_keys_expiring", db="db1") == 5
        assert metric(f, "redis_db_keys", db="db3") == 1
        assert metric(f, "redis_db_keys", db="db2") == 0  # padded up to CONFIG's databases
        assert 900 < metric(f, "redis_db_avg_ttl_seconds", db="db1") <= 1004
        assert f["redis_db_keys"].type == "gauge"
        assert f["redis_commands_total"].type == "counter"
        assert metric(f, "redis_config_maxclients") == 10000
        assert metric(f, "redis_config_maxmemory") == 0
        assert metric(f, "redis_exporter_last_scrape_error", err="") == 0
        info = f["redis_instance_info"].samples[0][1]
        assert info["role"] == "master" and info["redis_version"].startswith("7.")
        assert info["tcp_port"] == str(plain.port)
        assert metric(f, "redis_scrape_collector_success", collector="info") == 1
        assert "process_resident_memory_bytes" in f
        assert "redis_exporter_build_info" in f
        # values equal what the server reports
        srv = plain.client().info()
        assert metric(f, "redis_connected_clients") >= 1
        assert metric(f, "redis_process_id") == int(srv["process_id"])
        assert metric(f, "redis_slowlog_length") > 0  # slowlog-log-slower-than 0 logs everything


def test_errorstats_latency_and_slowlog():
    c = plain.client()
    try:
        c.cmd("INCR", "greeting")
    except Exception:  # noqa: BLE001 - the error is the point
        pass
    c.cmd("DEBUG", "SLEEP", "0.005")
    c.close()
    with exporter(f"--redis.addr={plain.addr}") as e:
        f = e.scrape()
        assert metric(f, "redis_errors_total", err="ERR") >= 1
        assert metric(f, "redis_commands_failed_calls_total", cmd="incr") >= 1
        assert metric(f, "redis_latency_spike_duration_seconds", event_name="command") >= 0.001
        assert metric(f, "redis_latency_spike_last", event_name="command") > 1.6e9
        summ = f["redis_latency_percentiles_usec"]
        assert summ.type == "summary"
        qs = {l["quantile"] for n, l, v in summ.samples if l.get("cmd") == "incr" and "quantile" in l}
        assert qs == {"50", "99", "99.9"}
        assert metric(f, "redis_last_slow_execution_duration_seconds") >= 0


def test_latency_histograms_hz_and_replid():
    with exporter(f"--redis.addr={plain.addr}") as e:
        e.scrape()  # CONFIG GET and the rest have now run at least once
        f = e.scrape()
        srv = plain.client().info()
        h = f["redis_commands_latencies_usec"]
        assert h.type == "histogram"
        calls = int(srv["cmdstat_set"].split(",")[0].split("=")[1])
        usec = int(srv["cmdstat_set"].split(",")[1].split("=")[1])
        assert [v for n, l, v in h.samples if n.endswith("_count") and l["cmd"] == "set"] == [calls]
        # the sum is the command's microseconds of INFO commandstats
        assert [v for n, l, v in h.samples if n.endswith("_sum") and l["cmd"] == "set"] == [usec]
        buckets = [(float(l["le"]), v) for n, l, v in h.samples if n.endswith("_bucket") and l["cmd"] == "set"]
        assert buckets[-1] == (float("inf"), calls)
        assert all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:]))
        assert {l["cmd"] for n, l, v in h.samples} >= {"set", "info", "config|get"}
        assert metric(f, "redis_hz") == int(srv["hz"])
        assert metric(f, "redis_configured_hz") == int(srv["configured_hz"])
        assert f["redis_instance_info"].samples[0][1]["master_replid"] == srv["master_replid"]
        assert f["redis_expired_time_cap_reached_total"].type == "counter"
    # upstream's flag leaves out LATENCY LATEST too
    with exporter(f"--redis.addr={plain.addr}", "--exclude-latency-histogram-metrics") as e:
        f = e.scrape()
        assert metric(f, "redis_up") == 1
        assert "redis_commands_latencies_usec" not in f and "redis_latency_spike_last" not in f


def test_one_persistent_connection_and_one_round_trip():
    """Scrapes reuse one connection, and the commands of a scrape arrive in one read."""
    with exporter(f"--redis.addr={plain.addr}") as e:
        e.scrape()
        c = plain.client()
        before = c.info("stats")
        for _ in range(10):
            e.scrape()
        after = c.info("stats")
        clients = c.cmd("CLIENT", "LIST")
        c.close()
        assert int(after["total_connections_received"]) == int(before["total_connections_received"])
        # reads: 10 scrapes (one pipeline each) + the INFO of this test
        reads = int(after["total_reads_processed"]) - int(before["total_reads_processed"])
        assert reads <= 10 + 2, reads
        assert sum(1 for l in clients.splitlines() if "name=redis_exporter" in l) == 1


def test_check_keys_single_keys_count_keys():
    with exporter(f"--redis.addr={plain.addr}", "--check-keys=db0=user:1*,db0=queue,db0=visitors",
                  "--check-single-keys=db0=greeting,db0=counter,db0=board,db0=h,db0=events,db0=tags,db0=missing",
                  "--count-keys=db0=user:*,db1=session:*") as e:
        f = e.scrape()
        assert metric(f, "redis_key_size", db="db0", key="user:1") == 1
        assert metric(f, "redis_key_size", db="db0", key="user:12") == 2
        assert metric(f, "redis_key_value", db="db0", key="user:12") == 12
        assert metric(f, "redis_key_size", db="db0", key="queue") == 3
        assert metric(f, "redis_key_size", db="db0", key="visitors") == 5  # PFCOUNT, not STRLEN
        assert metric(f, "redis_key_size", db="db0", key="board") == 4
        assert metric(f, "redis_key_size", db="db0", key="h") == 2
        assert metric(f, "redis_key_size", db="db0", key="events") == 1
        assert metric(f, "redis_key_size", db="db0", key="tags") == 2
        # a key that does not exist has size 0, and no memory usage
        assert metric(f, "redis_key_size", db="db0", key="missing") == 0
        assert not [l for _, l, _ in f["redis_key_memory_usage_bytes"].samples if l["key"] == "missing"]
        assert metric(f, "redis_key_memory_usage_bytes", db="db0", key="queue") > 0
        assert metric(f, "redis_key_memory_usage_bytes", db="db0", key="greeting") == \
            plain.cmd("MEMORY", "USAGE", "greeting")
        assert metric(f, "redis_key_value", db="db0", key="counter") == 42.5
        assert metric(f, "redis_key_value_as_string", db="db0", key="greeting", val="hello world") == 1
        assert metric(f, "redis_keys_count", db="db0", key="user:*") == 20
        assert metric(f, "redis_keys_count", db="db1", key="session:*") == 5
        assert metric(f, "redis_scrape_collector_success", collector="keys") == 1
        # PFCOUNT is only sent to HyperLogLogs: no WRONGTYPE errors from the key checks
        errs = plain.client().info("errorstats")
        assert "errorstat_WRONGTYPE" not in errs
    with exporter(f"--redis.addr={plain.addr}", "--check-single-keys=db0=greeting,db0=counter",
                  "--disable-exporting-key-values") as e:
        f = e.scrape()
        assert "redis_key_value_as_string" not in f and "redis_key_value" not in f
        assert metric(f, "redis_key_size", db="db0", key="greeting") == 11


def test_skip_key_checks_on_master():
    args = ["--check-single-keys=db0=greeting", "--skip-checkkeys-for-role-master"]
    with exporter(f"--redis.addr={primary.addr}", *args) as e:
        assert "redis_key_size" not in e.scrape()
    primary.cmd("SET", "greeting", "hi")
    wait_for(lambda: replica.cmd("GET", "greeting") == "hi", 10, what="replication of a key")
    with exporter(f"--redis.addr={replica.addr}", *args) as e:
        assert metric(e.scrape(), "redis_key_size", db="db0", key="greeting") == 2


def test_client_list_and_namespace_and_single_dash_flags():
    with exporter(f"-redis.addr={plain.addr}", "-export-client-list", "-namespace=kv") as e:
        f = e.scrape()
        assert metric(f, "kv_up") == 1
        assert "redis_up" not in f
        det = f["kv_connected_client_info"]
        assert any(l["host"] == "127.0.0.1" and "port" not in l and l.get("name") == "redis_exporter"
                   for _, l, _ in det.samples)
        # the pipeline's earlier replies are queued when CLIENT LIST runs
        (queued,) = [v for _, l, v in f["kv_connected_client_output_list_length"].samples
                     if l["name"] == "redis_exporter"]
        assert queued >= 0
        assert metric(f, "kv_scrape_collector_success", collector="clients") == 1


def test_environment_variables():
    env = {"REDIS_ADDR": auth.addr, "REDIS_PASSWORD": PASSWORD, "REDIS_EXPORTER_NAMESPACE": "envns",
           "REDIS_EXPORTER_WEB_TELEMETRY_PATH": "/m2"}
    with exporter(env=env, ready_path="/m2") as e:
        f = e.scrape("/m2")
        assert metric(f, "envns_up") == 1
        assert PASSWORD not in e.get("/m2").text
        assert e.get("/metrics").status == 404
    # the command line wins over the environment
    with exporter(f"--redis.addr={plain.addr}", env={"REDIS_ADDR": "redis://127.0.0.1:1"}) as e:
        assert metric(e.scrape(), "redis_up") == 1


def test_password_and_acl_user():
    with exporter(f"--redis.addr={auth.addr}", f"--redis.password={PASSWORD}") as e:
        assert metric(e.scrape(), "redis_up") == 1
    with exporter(f"--redis.addr={auth.addr}", "--redis.user=monitor", f"--redis.password={ACL_PASSWORD}") as e:
        assert metric(e.scrape(), "redis_up") == 1
    with exporter(f"--redis.addr=redis://monitor:{ACL_PASSWORD}@127.0.0.1:{auth.port}") as e:
        r = e.get()
        assert metric(parse_text(r.text), "redis_up") == 1
        assert ACL_PASSWORD not in r.text and ACL_PASSWORD not in e.log
    with exporter(f"--redis.addr={auth.addr}") as e:  # no password: NOAUTH
        f = e.scrape()
        assert metric(f, "redis_up") == 0
        (err,) = [l["err"] for _, l, v in f["redis_exporter_last_scrape_error"].samples if v == 1]
        assert "NOAUTH" in err


def test_secrets_never_exported_or_logged():
    with exporter(f"--redis.addr={auth.addr}", f"--redis.password={PASSWORD}", "--include-config-metrics",
                  "--redact-config-metrics=false", "--debug") as e:
        r = e.get()
        f = parse_text(r.text)
        assert metric(f, "redis_up") == 1
        keys = {l["key"] for _, l, _ in f["redis_config_key_value"].samples}
        assert "maxmemory" in keys and "requirepass" not in keys and "masterauth" not in keys
        assert PASSWORD not in r.text and MASTERAUTH not in r.text
        help_out = subprocess.run([EXE, "--help"], capture_output=True, text=True,
                                  env={**os.environ, "REDIS_PASSWORD": PASSWORD}).stdout
        assert PASSWORD not in help_out
        log = e.log
    assert PASSWORD not in log and MASTERAUTH not in log


def test_replica_and_primary():
    with exporter(f"--redis.addr={primary.addr}") as e:
        f = e.scrape()
        assert metric(f, "redis_connected_slaves") == 1
        sl = f["redis_connected_slave_offset_bytes"].samples
        assert len(sl) == 1 and sl[0][1]["slave_ip"] == "127.0.0.1" and sl[0][1]["slave_state"] == "online"
        assert sl[0][1]["slave_port"] == str(replica.port)
        assert "redis_connected_slave_lag_seconds" in f
    with exporter(f"--redis.addr={replica.addr}") as e:
        f = e.scrape()
        lbl = {"master_host": "127.0.0.1", "master_port": str(primary.port)}
        assert metric(f, "redis_master_link_up", **lbl) == 1
        assert metric(f, "redis_slave_info", read_only="1", **lbl) == 1
        assert metric(f, "redis_master_sync_in_progress", **lbl) == 0
        assert "redis_slave_repl_offset" in f
        assert f["redis_instance_info"].samples[0][1]["role"] == "slave"


def test_multi_target_scrape_with_password_file():
    pwfile = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
    json.dump({f"redis://127.0.0.1:{auth.port}": PASSWORD}, pwfile)
    pwfile.close()
    rec = RecordingServer()
    try:
        with exporter("--redis.addr=", f"--redis.password-file={pwfile.name}",
                      "--redis.password=GLOBAL-secret-never-sent") as e:
            f = e.scrape(f"/scrape?target=127.0.0.1:{auth.port}")
            assert metric(f, "redis_up") == 1
            assert "process_resident_memory_bytes" not in f
            f = e.scrape(f"/scrape?target=redis://127.0.0.1:{plain.port}&check-single-keys=db3=only")
            assert metric(f, "redis_up") == 1
            assert metric(f, "redis_key_value", db="db3", key="only") == 1
            # a host named in a URL gets neither the global password nor another target's
            f = e.scrape(f"/scrape?target=127.0.0.1:{rec.port}")
            assert metric(f, "redis_up") == 0
            assert b"GLOBAL-secret" not in rec.received and PASSWORD.encode() not in rec.received
            assert b"AUTH" not in rec.received
            # a password in the target is dropped, not used
            f = e.scrape(f"/scrape?target=redis://:{PASSWORD}@127.0.0.1:{rec.port}")
            assert PASSWORD.encode() not in rec.received
            # /metrics with an empty --redis.addr scrapes nothing
            assert "redis_up" not in e.scrape()
            r = e.get("/scrape")
            assert r.status == 400 and "target" in r.text
            assert e.get("/scrape?target=http://127.0.0.1:1").status == 400
            f = e.scrape(f"/scrape?target=127.0.0.1:{plain.port}")
            assert metric(f, "redis_target_scrape_request_errors_total") == 2
    finally:
        rec.close()
        os.unlink(pwfile.name)
    with exporter(f"--redis.addr={plain.addr}", "--disable-scrape-endpoint") as e:
        assert e.get(f"/scrape?target=127.0.0.1:{plain.port}").status == 404
        assert metric(e.scrape(), "redis_up") == 1


def test_unix_socket():
    with exporter(f"--redis.addr=unix://{plain.socket_path}") as e:
        assert metric(e.scrape(), "redis_up") == 1


def test_bad_flags_exit_2_with_one_line():
    cases = [["--redis.addr=rediss://u:TopSecret@127.0.0.1:6379", "--tls-ca-cert-file=/nonexistent.crt"],
             ["--namespace=1bad"], ["--check-keys=a=b=c"], ["--connection-timeout=xyz"],
             ["--redis.password-file=/nonexistent.json"], ["--no-such-flag"]]
    for args in cases:
        r = subprocess.run([EXE, *args, "--web.listen-address=127.0.0.1:0"], capture_output=True, text=True,
                           timeout=10)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        assert len(lines) == 1, (args, r.stderr)
        assert "TopSecret" not in r.stderr


ALLOWED_LINT = [
    # upstream's names, kept for drop-in compatibility
    r"redis_(total_error_replies|unexpected_error_replies|total_reads_processed|total_writes_processed|"
    r"io_threaded_reads_processed|io_threaded_writes_processed|dump_payload_sanitizations|"
    r"storage_provider_read_hits|storage_provider_read_misses).*counter metrics should have \"_total\" suffix",
    r"redis_(rdb_last_bgsave_duration_sec|rdb_current_bgsave_duration_sec|aof_last_rewrite_duration_sec|"
    r"aof_current_rewrite_duration_sec).*",
    r"redis_(memory_used_vm_total|mem_clients_slaves|mem_clients_normal|module_fork_last_cow_size|"
    r"latest_fork_seconds).*",
    r"redis_(expired_time_cap_reached_total|migrate_cached_sockets_total|rdb_saves_total|cluster_messages_(sent|received)_total)"
    r".*non-counter metrics should not have \"_total\" suffix",
    r"redis_latency_percentiles_usec.*",
    r"redis_(current_eviction_exceeded_time_ms|expire_cycle_cpu_time_ms_total|eviction_exceeded_time_ms_total).*",
    r"redis_commands_duration_seconds_total.*",
    r"redis_connected_client_(channel|pattern_matching|shard_channel)_subscriptions_count non-histogram.*",
    r"redis_last_key_groups_scrape_duration_milliseconds use base unit.*",
    r"redis_key_group_count non-histogram.*",
]


def test_promtool_check_metrics():
    with exporter(f"--redis.addr={plain.addr}", "--check-single-keys=db0=greeting", "--export-client-list",
                  "--include-config-metrics", "--check-single-streams=db0=events", "--check-key-groups=^(user):") as e:
        e.scrape()
        problems = assert_promtool_ok(e.get().text, ALLOWED_LINT)
        # the list above is not stale: upstream-compatible names do trip the linter
        assert problems


def man_flags():
    text = open(os.path.join(ROOT, "man", "redis_exporter.1")).read()
    return set(re.findall(r"^\.B \\-\\-(?:\[no\\-\])?([a-z0-9.\\-]+)", text, re.M)), text


def test_man_page_and_help_agree():
    out = subprocess.run([EXE, "--help"], capture_output=True, text=True, timeout=10).stdout
    help_flags = set(re.findall(r"^\s+--(?:\[no-\])?([a-z0-9.\-]+)", out, re.M)) - {"help", "version"}
    man, text = man_flags()
    man = {m.replace("\\-", "-") for m in man} - {"help", "version"}
    assert help_flags == man, f"only in --help: {help_flags - man}; only in man: {man - help_flags}"
    for env in re.findall(r"\(\$([A-Z_]+)\)", out):
        assert env.replace("_", "\\_") in text or env in text, f"{env} not in the man page"
