"""End to end: a real Prometheus (Debian's) scrapes every exporter of the tree
against real backends, evaluates packaging/prometheus/rules, and every query
of every dashboard (packaging/grafana/dashboards) and every alert expression
must parse and return series. Alerts that need a fault get one:

  node        a second node_exporter on a procfs/rootfs of our own (upstream's
              fixture tree; MemAvailable 1%, a frozen /proc/stat, a 1 MiB tmpfs
              filled, mounted in its private mount namespace): memory
              pressure, CPU saturation, disk almost full; its loadavg garbled
              once it worked: a failing collector; a bad .prom file: textfile
              error; a third node_exporter killed: exporter down.
  pg          a primary with a streaming standby: replay paused on the standby
              while the primary commits (replication lag); the primary stopped
              (backend down, scrape errors).
  redis       a replica paused (replica lag); maxmemory lowered to just above
              the data (memory almost full); a second server stopped
              (backend down, scrape errors).
  kafka       a group 1500 messages behind that commits nothing (lag, stalled);
              an exporter pointed at a closed port (cluster unreachable: the
              suite's broker is shared by other modules and stays up).
  clickhouse  the server stopped (backend down, failed scrapes).
  container   a cgroup under a CPU quota with a busy loop (throttling), one
              under a memory limit with a process exceeding it (OOM kill).

Exporters not in the tree (or whose harness is missing) are skipped with a
message naming them; their queries are checked as soon as they are there.
Run once, in the normal build's pass."""

import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import BINDIR, FIXTURES, ROOT, SANITIZED, Exporter, Process, Skip, free_port, wait_for  # noqa: E402
from prometheus_server import Prometheus, PromQLError  # noqa: E402

PKG = os.path.join(ROOT, "packaging")
sys.path.insert(0, PKG)
import generate  # noqa: E402

CONF = {e.name: e for e in generate.load()}
RULES = sorted(glob.glob(os.path.join(PKG, "prometheus", "rules", "*.rules.yml")))
# Alerts that no fault here can raise, with the reason; their expressions
# must still parse.
NOT_DRIVEN = {
    "ClickHouseReplicationLag": "needs replicated tables (ZooKeeper), which the test server does not have",
}

S = {}           # what setup_module started, by role
SKIPPED = {}     # exporter: why it is not covered in this run
CLEANUP = []     # callables, run in reverse order


def built(name):
    return os.access(os.path.join(BINDIR, name), os.X_OK) and os.path.exists(os.path.join(ROOT, name, "main.c"))


def alerts():
    """{alert name: (expression, exporter short name)} of the rule files."""
    out = {}
    for path in RULES:
        short = os.path.basename(path).split(".")[0]
        text = open(path).read()
        for m in re.finditer(r"- alert: (\w+)\n\s+expr: (\|\n((?:\s{10}.*\n)+)|(.*)\n)", text):
            expr = (m.group(3) or m.group(4)).strip()
            out[m.group(1)] = (" ".join(expr.split()), short)
    return out


def dashboard_queries(name):
    d = json.load(open(os.path.join(PKG, "grafana", "dashboards", f"{name}.json")))
    return [(p["title"], t["expr"].replace("$instance", ".*").replace("$__rate_interval", "30s"))
            for p in d["panels"] for t in p["targets"]]


# ---- set-up ----

def exporter(name, args=(), env=None):
    e = Exporter(name, list(args), env=env, listen_flag=CONF[name].listen_flag)
    CLEANUP.append(lambda: (e.stop(), e.cleanup()))
    return e


def start_node():
    textdir = tempfile.mkdtemp(prefix="e2e-textfile-")
    CLEANUP.append(lambda: shutil.rmtree(textdir, ignore_errors=True))
    S["textdir"] = textdir
    S["node"] = exporter("node_exporter", [f"--collector.textfile.directory={textdir}"])
    S["node_doomed"] = exporter("node_exporter", ["--collector.disable-defaults", "--collector.loadavg"])

    # A host of our own making: upstream's fixture procfs with 1% of memory
    # available and /proc/stat frozen (no idle time passes), one tmpfs of
    # 1 MiB filled to the brim as its only mount.
    tmp = tempfile.mkdtemp(prefix="e2e-host-")
    CLEANUP.append(lambda: shutil.rmtree(tmp, ignore_errors=True))
    proc = os.path.join(tmp, "proc")
    shutil.copytree(os.path.join(FIXTURES, "node", "proc"), proc, symlinks=True)
    meminfo = open(os.path.join(proc, "meminfo")).read()
    total = int(re.search(r"^MemTotal:\s+(\d+) kB", meminfo, re.M).group(1))
    # (the fixture's kernel predates MemAvailable)
    meminfo = re.sub(r"^MemAvailable:.*\n", "", meminfo, flags=re.M)
    meminfo = re.sub(r"^(MemFree:.*\n)", rf"\1MemAvailable:   {total // 100} kB\n", meminfo, flags=re.M)
    with open(os.path.join(proc, "meminfo"), "w") as f:
        f.write(meminfo)
    with open(os.path.join(proc, "1", "mountinfo"), "w") as f:
        f.write("30 1 0:40 / /full rw,relatime shared:9 - tmpfs tmpfs rw,size=1024k\n")
    root = os.path.join(tmp, "root")
    os.makedirs(os.path.join(root, "full"))
    port = free_port()
    script = (f"mount -t tmpfs -o size=1m tmpfs {root}/full && "
              f"(dd if=/dev/zero of={root}/full/fill bs=4k count=256 2>/dev/null; true) && exec \"$@\"")
    p = Process(["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh",
                 os.path.join(BINDIR, "node_exporter"), f"--web.listen-address=127.0.0.1:{port}",
                 f"--path.procfs={proc}", f"--path.sysfs={FIXTURES}/node/sys", f"--path.rootfs={root}",
                 "--no-collector.textfile"])
    CLEANUP.append(lambda: (p.stop(), p.cleanup()))
    p.port = port
    S["node_fake"] = p
    S["fake_proc"] = proc
    return [S["node"].port, S["node_doomed"].port, port]


def start_pg():
    from pg import PgServer
    primary = PgServer().start()
    CLEANUP.append(primary.cleanup)
    primary.sql("SELECT pg_create_physical_replication_slot('e2e_slot'); CREATE TABLE e2e(v int);")
    standby = PgServer.standby(primary, "e2e_slot").start()
    CLEANUP.append(standby.cleanup)
    S["pg_primary"], S["pg_standby"] = primary, standby
    S["pg"] = exporter("pg_exporter", env={"DATA_SOURCE_NAME": primary.dsn_uri()})
    S["pg_std"] = exporter("pg_exporter", env={"DATA_SOURCE_NAME": standby.dsn_uri()})
    primary.sql("INSERT INTO e2e VALUES (1)")  # the last commit the standby replays
    wait_for(lambda: standby.sql("SELECT count(*) FROM e2e").strip() == "1", 30, what="the standby to replay")
    return [S["pg"].port, S["pg_std"].port]


def start_redis():
    from redis_harness import RedisServer
    master = RedisServer(name="e2e-master")
    CLEANUP.append(master.cleanup)
    replica = RedisServer("--replicaof", "127.0.0.1", str(master.port), name="e2e-replica")
    CLEANUP.append(replica.cleanup)
    doomed = RedisServer(name="e2e-doomed")
    CLEANUP.append(doomed.cleanup)
    wait_for(lambda: "connected_slaves:1" in master.cmd("INFO", "replication"), 20, what="the replica")
    for i in range(50):
        master.cmd("SET", f"key{i}", "x" * 100)
    S["redis_master"], S["redis_replica"], S["redis_doomed"] = master, replica, doomed
    S["redis"] = exporter("redis_exporter", ["--redis.addr", master.addr])
    S["redis_d"] = exporter("redis_exporter", ["--redis.addr", doomed.addr])
    return [S["redis"].port, S["redis_d"].port]


def start_kafka():
    import kafka
    broker = kafka.shared_broker()
    client = kafka.Client(broker)
    topic, group = kafka.unique("e2e-orders"), kafka.unique("e2e-billing")
    client.create((topic, 1))
    client.produce(topic, 0, 1500)
    client.commit(group, {(topic, 0): 0})
    S["kafka_topic"], S["kafka_group"] = topic, group
    S["kafka"] = exporter("kafka_exporter", [f"--kafka.server={broker.bootstrap}"])
    S["kafka_dead"] = exporter("kafka_exporter", [f"--kafka.server=127.0.0.1:{free_port()}"])
    return [S["kafka"].port, S["kafka_dead"].port]


def start_clickhouse():
    from clickhouse_harness import ClickHouseServer, populate
    ch = ClickHouseServer(name="e2e-ch")
    CLEANUP.append(ch.cleanup)
    populate(ch, odd_names=False)
    S["ch_server"] = ch
    S["clickhouse"] = exporter("clickhouse_exporter", [f"--scrape_uri={ch.uri}"])
    return [S["clickhouse"].port]


def start_container():
    import cgroups
    why = cgroups.usable()
    if why:
        raise Skip(f"cannot make cgroups here: {why}")
    top = f"/promc-e2e-{os.getpid()}"
    CLEANUP.append(lambda: cgroups.remove_tree(top))
    # A busy loop under 10% of a CPU; an empty cgroup with a 32 MiB limit,
    # scraped before a process exceeds it (test_alerts_container).
    burn = cgroups.Cgroup(f"{top}/burn")
    burn.set_cpu_quota(10000, 100000)
    p = cgroups.spawn(cgroups.BURN)
    CLEANUP.append(p.kill)
    burn.add(p.pid)
    S["cg_oom"] = cgroups.Cgroup(f"{top}/oom")
    S["cg_oom"].set_memory_limit(32 << 20)
    S["container"] = exporter("container_exporter", ["--docker=", f"--raw_cgroup_prefix_whitelist={top}"])
    return [S["container"].port]


STARTERS = {
    "node_exporter": (start_node, None),
    "pg_exporter": (start_pg, "pg"),
    "redis_exporter": (start_redis, "redis_harness"),
    "kafka_exporter": (start_kafka, "kafka"),
    "clickhouse_exporter": (start_clickhouse, "clickhouse_harness"),
    "container_exporter": (start_container, "cgroups"),
}


def setup_module():
    if SANITIZED:
        raise Skip("run once, in the normal build's pass")
    try:
        start_all()
    except BaseException:
        teardown_module()  # the runner does not call it when set-up fails
        raise


def start_all():
    jobs = []
    for name, e in CONF.items():
        start, harness = STARTERS[name]
        if not built(name):
            SKIPPED[name] = f"{name} is not in the tree yet (or not built)"
            continue
        if harness and not os.path.exists(os.path.join(ROOT, "tests", "lib", harness + ".py")):
            SKIPPED[name] = f"tests/lib/{harness}.py (its backend's harness) is not in the tree yet"
            continue
        try:
            ports = start()
        except Skip as why:
            SKIPPED[name] = str(why)
            continue
        jobs.append((e.short, [f"127.0.0.1:{p}" for p in ports], "/metrics"))
    if not jobs:
        raise Skip("no exporter could be started: " + "; ".join(SKIPPED.values()))
    S["prom"] = prom = Prometheus(jobs, rule_files=RULES)
    CLEANUP.append(prom.close)
    want = sum(len(t) for _, t, _ in jobs)

    def all_up():
        t = prom.targets()
        return len(t) == want and all(x["health"] == "up" for x in t)
    try:
        wait_for(all_up, timeout=60, interval=0.5, what="every target to be scraped")
    except AssertionError:
        raise AssertionError(f"targets: {json.dumps(prom.targets(), indent=1)[:4000]}\n{prom.proc.log[-3000:]}")
    time.sleep(3)  # a few scrapes, for rates
    if SKIPPED:
        print("not covered in this run: " + "; ".join(f"{k}: {v}" for k, v in SKIPPED.items()))


def teardown_module():
    while CLEANUP:
        try:
            CLEANUP.pop()()
        except Exception as exc:  # noqa: BLE001 - clean up the rest anyway
            print(f"cleanup: {exc}")


def covered(name):
    if name in SKIPPED:
        raise Skip(SKIPPED[name])


def query(q):
    return S["prom"].query(q)


def wait_series(exprs, timeout=60):
    """Poll every expression until each returns series; the ones that never do."""
    pending = dict(exprs)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for name, expr in list(pending.items()):
            if query(expr):
                del pending[name]
        time.sleep(0.5)
    return pending


# ---- the rules ----

def test_every_rule_is_loaded_and_evaluates():
    time.sleep(2)  # an evaluation or two
    got = {r["name"]: r for g in S["prom"].rules() for r in g["rules"]}
    assert set(alerts()) <= set(got), set(alerts()) - set(got)
    bad = {n: r.get("lastError") for n, r in got.items() if r.get("health") != "ok"}
    assert not bad, bad


def test_every_alert_expression_parses():
    for name, (expr, _) in alerts().items():
        try:
            query(expr)
        except PromQLError as e:
            raise AssertionError(f"{name}: {expr}: {e}")


def test_alerts_quiet_while_all_is_well():
    quiet = ["ExporterDown", "PostgresDown", "PostgresReplicationLag", "RedisDown", "RedisReplicationLag",
             "RedisMemoryAlmostFull", "NodeTextfileScrapeError", "ClickHouseDown", "ClickHouseScrapeErrors"]
    rules = alerts()
    loud = {n: query(rules[n][0]) for n in quiet if n in rules}
    loud = {n: r for n, r in loud.items() if r}
    assert not loud, loud


# ---- the dashboards ----

def check_dashboard(name):
    covered(name)
    if name == "redis_exporter":  # hits and misses for the hit ratio's rate
        for i in range(20):
            S["redis_master"].cmd("GET", f"key{i}")
            S["redis_master"].cmd("GET", f"missing{i}")
        time.sleep(3)
    empty, broken = [], []
    for title, expr in dashboard_queries(name):
        try:
            if not wait_series({title: expr}, timeout=10):
                continue
            empty.append(f"{title}: {expr}")
        except PromQLError as e:
            broken.append(f"{title}: {expr}: {e}")
    assert not broken, "queries that do not parse:\n" + "\n".join(broken)
    assert not empty, "queries without series:\n" + "\n".join(empty)


def test_dashboard_node():
    check_dashboard("node_exporter")


def test_dashboard_pg():
    check_dashboard("pg_exporter")


def test_dashboard_redis():
    check_dashboard("redis_exporter")


def test_dashboard_kafka():
    check_dashboard("kafka_exporter")


def test_dashboard_clickhouse():
    check_dashboard("clickhouse_exporter")


def test_dashboard_container():
    check_dashboard("container_exporter")


# ---- the alerts, under faults ----

def expect_alerts(short, timeout=60):
    rules = {n: e for n, (e, s) in alerts().items() if s == short and n not in NOT_DRIVEN}
    assert rules, short
    missing = wait_series(rules, timeout)
    assert not missing, f"alert expressions without series under their fault: {missing}"


def test_alerts_node():
    covered("node_exporter")
    with open(os.path.join(S["textdir"], "bad.prom"), "w") as f:
        f.write("this is { not the text format\n")
    with open(os.path.join(S["fake_proc"], "loadavg"), "w") as f:
        f.write("garbage\n")
    expect_alerts("node")


def test_alert_exporter_down():
    covered("node_exporter")
    S["node_doomed"].proc.send_signal(signal.SIGKILL)
    expect_alerts("exporters")


def test_alerts_pg():
    covered("pg_exporter")
    primary, standby = S["pg_primary"], S["pg_standby"]
    standby.sql("SELECT pg_wal_replay_pause()")
    primary.sql("INSERT INTO e2e VALUES (2)")  # received, not replayed: the lag grows from the last replay
    wait_for(lambda: query('pg_replication_lag_seconds{job="pg"} > 0'), 30, what="the standby to lag")
    primary.stop()
    expect_alerts("pg", timeout=90)


def test_alerts_redis():
    covered("redis_exporter")
    master = S["redis_master"]
    used = int(re.search(r"used_memory:(\d+)", master.cmd("INFO", "memory")).group(1))
    master.cmd("CONFIG", "SET", "maxmemory-policy", "noeviction")
    master.cmd("CONFIG", "SET", "maxmemory", str(int(used / 0.95)))
    S["redis_replica"].pause()
    S["redis_doomed"].stop()
    try:
        expect_alerts("redis", timeout=90)
    finally:
        S["redis_replica"].resume()


def test_alerts_kafka():
    covered("kafka_exporter")
    expect_alerts("kafka")


def test_alerts_clickhouse():
    covered("clickhouse_exporter")
    S["ch_server"].stop()
    expect_alerts("clickhouse")


def test_alerts_container():
    covered("container_exporter")
    import cgroups
    # Waits to be moved into the cgroup, then touches 96 MiB: the kernel kills it.
    p = cgroups.spawn("import time\ntime.sleep(1)\nb = bytearray(96 << 20)\n"
                      "for i in range(0, len(b), 4096): b[i] = 1\ntime.sleep(60)")
    CLEANUP.append(p.kill)
    S["cg_oom"].add(p.pid)
    assert p.wait(30) == -signal.SIGKILL, "the process was not OOM-killed"
    expect_alerts("container", timeout=90)


def test_not_driven_alerts_are_few_and_named():
    rules = alerts()
    assert set(NOT_DRIVEN) <= set(rules) and len(NOT_DRIVEN) <= 1, NOT_DRIVEN
