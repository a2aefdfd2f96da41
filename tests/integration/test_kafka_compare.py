"""Side by side with upstream danielqsj/kafka_exporter 1.9.0 on the same broker:
every family upstream exposes (besides Go's runtime families) is in ours with
the same type and label names, and at a quiesced moment the offsets and lag
series are equal, value for value. Upstream is not packaged anywhere: give its
binary in $KAFKA_EXPORTER_UPSTREAM, or the test skips (a path that is not an
executable fails). The figures are printed."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import kafka  # noqa: E402
from harness import Exporter, upstream_binary, wait_for  # noqa: E402

UPSTREAM = None
broker = client = None
P = None
# Documented differences: upstream counts 0 members for KIP-848 groups, which
# librdkafka 2.0.2 cannot describe; ours leaves the count out.
KIP848 = "-k848-g"


def setup_module():
    global broker, client, P, UPSTREAM
    UPSTREAM = upstream_binary("KAFKA_EXPORTER_UPSTREAM", "a kafka_exporter 1.9.0 binary")
    broker = kafka.shared_broker()
    client = kafka.Client(broker)
    P = kafka.unique("kc")


def families(x):
    return {n: f for n, f in x.scrape(headers={"X-Prometheus-Scrape-Timeout-Seconds": "20"}).items() if f.samples}


def samples(fams, name):
    f = fams.get(name)
    return {tuple(sorted(l.items())): v for _, l, v in f.samples} if f else {}


def test_same_families_and_equal_values_at_rest():
    t1, t2, t3 = f"{P}-a", f"{P}-b", f"{P}-k848"
    client.create((t1, 3), (t2, 2), (t3, 2))
    for t, p, n in ((t1, 0, 40), (t1, 1, 25), (t2, 0, 7), (t2, 1, 3), (t3, 0, 4), (t3, 1, 6)):
        client.produce(t, p, n)
    client.commit(f"{P}-known-g", {(t1, 0): 10, (t1, 1): 25})  # t1/2 uncommitted: -1
    client.commit(f"{P}-ahead-g", {(t2, 0): 9})  # ahead of the high watermark: negative lag
    client.kcat_consume_all(f"{P}-kcat-g", t2)
    consumer = client.kip848_consumer(f"{P}{KIP848}", t3)
    args = [f"--kafka.server={broker.bootstrap}", f"--topic.filter=^{P}", f"--group.filter=^{P}"]
    try:
        with Exporter("kafka_exporter", args, binary=UPSTREAM, check_exit=False) as up, \
                Exporter("kafka_exporter", args) as ours:
            wait_for(lambda: samples(families(ours), "kafka_consumergroup_lag").get(
                (("consumergroup", f"{P}{KIP848}"), ("partition", "1"), ("topic", t3))) == 0, 60, interval=1,
                what="the KIP-848 consumer to commit")
            # Nothing moves now: upstream, ours, upstream again.
            u1, mine, u2 = families(up), families(ours), families(up)
    finally:
        consumer.terminate()
        consumer.wait(30)

    upstream = {n: f for n, f in u1.items() if not n.startswith(("go_", "process_", "promhttp_"))}
    same = [n for n, f in upstream.items()
            if n in mine and mine[n].type == f.type and mine[n].label_names() == f.label_names()]
    print(f"families: upstream {len(upstream)}, same name, type and labels in ours {len(same)}; "
          f"missing {sorted(set(upstream) - set(mine))}")
    assert set(upstream) - {"kafka_exporter_build_info"} <= set(same), \
        f"differ: {sorted(set(upstream) - set(same))}"

    checked = 0
    for name in sorted(upstream):
        if not name.startswith(("kafka_topic_", "kafka_consumergroup_", "kafka_broker")):
            continue
        a, b, c = samples(u1, name), samples(mine, name), samples(u2, name)
        if a != c:
            continue  # moved between upstream's two scrapes
        if name == "kafka_consumergroup_members":
            a = {k: v for k, v in a.items() if KIP848 not in dict(k)["consumergroup"]}
        assert a == b, f"{name}: upstream {a} ours {b}"
        checked += len(a)
    print(f"equal series at rest: {checked}")
    assert checked > 40
    assert samples(mine, "kafka_consumergroup_lag")[(("consumergroup", f"{P}-ahead-g"), ("partition", "0"),
                                                     ("topic", t2))] == -2
