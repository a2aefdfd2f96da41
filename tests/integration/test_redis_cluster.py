"""redis_exporter on a small local Redis cluster (three masters started here)."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Exporter  # noqa: E402
from redis_harness import RespError, metric, start_cluster  # noqa: E402

nodes = []


def setup_module():
    nodes.extend(start_cluster(3))
    # each key goes to the node owning its slot (following MOVED)
    by_port = {n.port: n for n in nodes}
    for i in range(30):
        try:
            nodes[0].cmd("SET", f"k{i}", i)
        except RespError as err:
            port = int(str(err).split()[-1].rsplit(":", 1)[1])
            by_port[port].cmd("SET", f"k{i}", i)


def teardown_module():
    for n in nodes:
        n.cleanup()


def test_cluster_info_metrics():
    with Exporter("redis_exporter", [f"--redis.addr={nodes[0].addr}"]) as e:
        for _ in range(2):  # the first scrape learns cluster mode, the second pipelines CLUSTER INFO
            f = e.scrape()
            assert metric(f, "redis_up") == 1
            assert metric(f, "redis_cluster_enabled") == 1
            assert metric(f, "redis_cluster_state") == 1
            assert metric(f, "redis_cluster_known_nodes") == 3
            assert metric(f, "redis_cluster_size") == 3
            assert metric(f, "redis_cluster_slots_assigned") == 16384
            assert metric(f, "redis_scrape_collector_success", collector="cluster") == 1
            # one database in cluster mode: no padding beyond db0
            dbs = {l["db"] for _, l, _ in f["redis_db_keys"].samples}
            assert dbs == {"db0"}, dbs
            held = int(nodes[0].client().info("keyspace").get("db0", "keys=0").split(",")[0][5:])
            assert metric(f, "redis_db_keys", db="db0") == held


def test_multi_target_each_node():
    with Exporter("redis_exporter", ["--redis.addr="]) as e:
        total = 0
        for n in nodes:
            f = e.scrape(f"/scrape?target=127.0.0.1:{n.port}")
            assert metric(f, "redis_cluster_known_nodes") == 3
            total += metric(f, "redis_db_keys", db="db0")
        assert total == 30
