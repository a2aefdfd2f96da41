"""kafka_exporter against a real Kafka broker (KRaft, started once per test session):
topics with several partitions, groups at known offsets, kcat members, an empty
group, a KIP-848 group, filters, --no-offset.show-all, --kafka.labels and
promtool. Every module uses topic and group names of its own and filters on
them, since other modules share the broker."""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import kafka  # noqa: E402
from harness import Exporter, assert_promtool_ok, wait_for  # noqa: E402

broker = client = None
P = None  # this module's name prefix


def setup_module():
    global broker, client, P
    broker = kafka.shared_broker()
    client = kafka.Client(broker)
    P = kafka.unique("ke")


def exporter(*args, prefix=None):
    pre = prefix or P
    return Exporter("kafka_exporter", [f"--kafka.server={broker.bootstrap}", f"--topic.filter=^{pre}",
                                       f"--group.filter=^{pre}", *args])


def scrape(x, timeout=8):
    return x.scrape(headers={"X-Prometheus-Scrape-Timeout-Seconds": str(timeout)})


def values(fams, name, **match):
    """{(label tuple without const labels): value} of a family, filtered by labels."""
    f = fams.get(name)
    out = {}
    for _, labels, v in (f.samples if f else []):
        if all(labels.get(k) == x for k, x in match.items()):
            out[tuple(sorted(labels.items()))] = v
    return out


def by_partition(fams, name, **match):
    return {int(dict(k)["partition"]): v for k, v in values(fams, name, **match).items()}


def test_topics_partitions_and_watermarks():
    t = f"{P}-orders"
    client.create((t, 3))
    client.produce(t, 0, 30)
    client.produce(t, 1, 20)
    with exporter() as x:
        f = scrape(x)
        assert f["kafka_up"].value() == 1
        assert f["kafka_brokers"].value() == 1
        assert f["kafka_broker_info"].value(id="1", address=broker.bootstrap) == 1
        assert f["kafka_topic_partitions"].value(topic=t) == 3
        assert by_partition(f, "kafka_topic_partition_current_offset", topic=t) == {0: 30, 1: 20, 2: 0}
        assert by_partition(f, "kafka_topic_partition_oldest_offset", topic=t) == {0: 0, 1: 0, 2: 0}
        assert by_partition(f, "kafka_topic_partition_leader", topic=t) == {0: 1, 1: 1, 2: 1}
        for fam in ("replicas", "in_sync_replica", "leader_is_preferred"):
            assert by_partition(f, f"kafka_topic_partition_{fam}", topic=t) == {0: 1, 1: 1, 2: 1}, fam
        assert by_partition(f, "kafka_topic_partition_under_replicated_partition", topic=t) == {0: 0, 1: 0, 2: 0}
        # The filter keeps other modules' topics (and __consumer_offsets) out.
        assert all(dict(k)["topic"].startswith(P) for k in values(f, "kafka_topic_partitions"))
        assert f["kafka_topic_partition_current_offset"].type == "gauge"


def test_group_at_known_offsets_upstream_rules():
    t, g = f"{P}-known", f"{P}-known-g"
    client.create((t, 3))
    client.produce(t, 0, 50)
    client.produce(t, 1, 20)
    client.produce(t, 2, 5)
    # Partition 2 has no committed offset: upstream's -1 for offset and lag, left out of lag_sum.
    client.commit(g, {(t, 0): 10, (t, 1): 20})
    with exporter() as x:
        f = scrape(x)
        assert by_partition(f, "kafka_consumergroup_current_offset", consumergroup=g) == {0: 10, 1: 20, 2: -1}
        assert by_partition(f, "kafka_consumergroup_lag", consumergroup=g) == {0: 40, 1: 0, 2: -1}
        assert f["kafka_consumergroup_lag_sum"].value(consumergroup=g, topic=t) == 40
        # The sum keeps upstream's -1 for the uncommitted partition: 10 + 20 - 1.
        assert f["kafka_consumergroup_current_offset_sum"].value(consumergroup=g, topic=t) == 29
        assert f["kafka_consumergroup_members"].value(consumergroup=g) == 0
        assert f["kafka_consumergroup_state"].value(consumergroup=g, state="Empty") == 1
        assert f["kafka_consumergroup_status"].value(consumergroup=g) == 1
        # Caught-up partitions are 0 s behind; the one 40 records behind has no history yet.
        assert by_partition(f, "kafka_consumergroup_lag_seconds", consumergroup=g) == {1: 0}


def test_committed_offset_ahead_of_the_high_watermark_gives_negative_lag():
    t, g = f"{P}-ahead", f"{P}-ahead-g"
    client.create((t, 1))
    client.produce(t, 0, 5)
    client.commit(g, {(t, 0): 8})
    with exporter() as x:
        f = scrape(x)
        # Upstream does not clamp: 5 - 8.
        assert f["kafka_consumergroup_lag"].value(consumergroup=g, topic=t, partition="0") == -3
        assert f["kafka_consumergroup_lag_sum"].value(consumergroup=g, topic=t) == -3
        assert f["kafka_consumergroup_lag_seconds"].value(consumergroup=g, topic=t, partition="0") == 0
        assert f["kafka_consumergroup_status"].value(consumergroup=g) == 1


def test_kcat_member_consumes_and_commits():
    t, g = f"{P}-kcat", f"{P}-kcat-g"
    client.create((t, 2))
    client.produce(t, 0, 7)
    client.produce(t, 1, 3)
    member = client.kcat_member(g, t)
    try:
        with exporter() as x:
            def caught_up():
                f = scrape(x)
                lag = by_partition(f, "kafka_consumergroup_lag", consumergroup=g)
                return f if lag == {0: 0, 1: 0} and values(f, "kafka_consumergroup_members", consumergroup=g) else None
            f = wait_for(caught_up, 40, interval=0.5, what="the kcat member to commit everything")
            assert f["kafka_consumergroup_members"].value(consumergroup=g) == 1
            assert f["kafka_consumergroup_state"].value(consumergroup=g, state="Stable") == 1
            assert by_partition(f, "kafka_consumergroup_current_offset", consumergroup=g) == {0: 7, 1: 3}
    finally:
        member.terminate()
        member.wait(20)


def test_empty_group_after_its_member_left():
    t, g = f"{P}-empty", f"{P}-empty-g"
    client.create((t, 2))
    client.produce(t, 0, 4)
    client.kcat_consume_all(g, t)
    with exporter() as x:
        f = scrape(x)
        assert f["kafka_consumergroup_members"].value(consumergroup=g) == 0
        assert f["kafka_consumergroup_state"].value(consumergroup=g, state="Empty") == 1
        assert by_partition(f, "kafka_consumergroup_current_offset", consumergroup=g) == {0: 4, 1: -1}
        assert by_partition(f, "kafka_consumergroup_lag", consumergroup=g) == {0: 0, 1: -1}


def test_group_reading_behind_lag_and_lag_seconds_grow():
    t, g = f"{P}-behind", f"{P}-behind-g"
    client.create((t, 1))
    now = int(time.time() * 1000)
    # 10 records written "100 s ago", one per second; the group has read 3 of them.
    client.produce(t, 0, 10, ts_ms=now - 100_000, step_ms=1000)
    client.commit(g, {(t, 0): 3})
    ts3 = (now - 97_000) / 1000  # the record at offset 3, the next the group reads
    with exporter("--consumergroup.lag-seconds=timestamp") as x:
        def age_within_truth():
            before = time.time()
            f = scrape(x)
            after = time.time()
            age = f["kafka_consumergroup_lag_seconds"].value(consumergroup=g, topic=t, partition="0")
            # The exporter's clock is read during the scrape: the age lies between the two readings of ours.
            assert before - ts3 - 0.05 <= age <= after - ts3 + 0.05, (before - ts3, age, after - ts3)
            return f, age
        f1, age1 = age_within_truth()
        assert f1["kafka_consumergroup_lag"].value(consumergroup=g, topic=t, partition="0") == 7
        client.produce(t, 0, 5)
        time.sleep(1.5)
        f2, age2 = age_within_truth()
        assert f2["kafka_consumergroup_lag"].value(consumergroup=g, topic=t, partition="0") == 12
        assert age2 >= age1 + 1.4


def test_lag_seconds_by_interpolation_follows_a_steady_producer():
    t, g = f"{P}-interp", f"{P}-interp-g"
    client.create((t, 1))
    client.produce(t, 0, 1)
    client.commit(g, {(t, 0): 1})
    with exporter() as x:
        scrape(x)
        start = time.time()
        # One record every 0.5 s for 6 s; the group stays at offset 1.
        for _ in range(12):
            client.produce(t, 0, 1)
            scrape(x)
            time.sleep(0.5)
        f = scrape(x)
        lag = f["kafka_consumergroup_lag"].value(consumergroup=g, topic=t, partition="0")
        age = f["kafka_consumergroup_lag_seconds"].value(consumergroup=g, topic=t, partition="0")
        assert lag == 12
        # The record at offset 1 was written right after `start`; scrapes are ~0.5 s apart.
        assert abs(age - (time.time() - start)) < 1.5, (age, time.time() - start)


def test_status_stop_and_stall():
    t = f"{P}-status"
    stop_g, stall_g, ok_g = f"{P}-stop-g", f"{P}-stall-g", f"{P}-ok-g"
    client.create((t, 1))
    client.produce(t, 0, 20)
    client.commit(stop_g, {(t, 0): 5})
    client.commit(stall_g, {(t, 0): 5})
    client.commit(ok_g, {(t, 0): 20})
    # A member that reads but never commits: alive, yet its committed offset stands still.
    member = client.kcat_member(stall_g, t, commit=False)
    try:
        with exporter("--consumergroup.status-window=3s") as x:
            wait_for(lambda: values(scrape(x), "kafka_consumergroup_members", consumergroup=stall_g).get(
                (("consumergroup", stall_g),)) == 1, 30, interval=0.5, what="the stalled member to join")
            f = scrape(x)
            assert f["kafka_consumergroup_status"].value(consumergroup=stop_g) == 1  # window not covered yet
            deadline = time.time() + 3.5
            while time.time() < deadline:
                scrape(x)
                time.sleep(0.5)
            f = scrape(x)
            assert f["kafka_consumergroup_status"].value(consumergroup=stop_g) == 4  # STOP
            assert f["kafka_consumergroup_status"].value(consumergroup=stall_g) == 5  # STALL
            assert f["kafka_consumergroup_status"].value(consumergroup=ok_g) == 1
            # The stopped group catches up: OK again at once.
            client.commit(stop_g, {(t, 0): 20})
            f = scrape(x)
            assert f["kafka_consumergroup_status"].value(consumergroup=stop_g) == 1
    finally:
        member.terminate()
        member.wait(20)


def test_status_warn_when_consumer_is_slower_than_producer():
    t, g = f"{P}-warn", f"{P}-warn-g"
    client.create((t, 1))
    client.produce(t, 0, 10)
    offset = 2
    client.commit(g, {(t, 0): offset})
    with exporter("--consumergroup.status-window=3s") as x:
        end = time.time() + 4.5
        while time.time() < end:
            client.produce(t, 0, 3)
            offset += 1
            client.commit(g, {(t, 0): offset})
            scrape(x)
            time.sleep(0.3)
        f = scrape(x)
        assert f["kafka_consumergroup_status"].value(consumergroup=g) == 2  # WARN


def test_kip848_group_state_from_the_listing_members_absent():
    t, g = f"{P}-k848", f"{P}-k848-g"
    client.create((t, 2))
    client.produce(t, 0, 6)
    client.produce(t, 1, 4)
    consumer = client.kip848_consumer(g, t)
    try:
        with exporter() as x:
            def committed():
                f = scrape(x)
                return f if by_partition(f, "kafka_consumergroup_current_offset", consumergroup=g) == {0: 6, 1: 4} \
                    else None
            f = wait_for(committed, 60, interval=1, what="the KIP-848 consumer to commit")
            assert f["kafka_consumergroup_state"].value(consumergroup=g, state="Stable") == 1
            # librdkafka 2.0.2 describes such groups as Dead with no members: no member count at all.
            assert not values(f, "kafka_consumergroup_members", consumergroup=g)
            assert by_partition(f, "kafka_consumergroup_lag", consumergroup=g) == {0: 0, 1: 0}
            assert f["kafka_up"].value() == 1
    finally:
        consumer.terminate()
        consumer.wait(30)


def test_filters_and_excludes():
    t1, t2 = f"{P}-flt-keep", f"{P}-flt-drop"
    g1, g2 = f"{P}-flt-keep-g", f"{P}-flt-drop-g"
    client.create((t1, 1), (t2, 1))
    client.produce(t1, 0, 2)
    client.produce(t2, 0, 2)
    client.commit(g1, {(t1, 0): 1, (t2, 0): 1})
    client.commit(g2, {(t1, 0): 1})
    with exporter(f"--topic.exclude=drop$", f"--group.exclude=drop-g$") as x:
        f = scrape(x)
        topics = {dict(k)["topic"] for k in values(f, "kafka_topic_partitions")}
        assert t1 in topics and t2 not in topics
        groups = {dict(k)["consumergroup"] for k in values(f, "kafka_consumergroup_state")}
        assert g1 in groups and g2 not in groups
        # An excluded topic's offsets are not reported for a kept group either.
        assert {dict(k)["topic"] for k in values(f, "kafka_consumergroup_lag", consumergroup=g1)} == {t1}


def test_no_offset_show_all_reports_assigned_partitions_only():
    t, active, idle = f"{P}-assigned", f"{P}-assigned-g", f"{P}-unassigned-g"
    client.create((t, 2))
    client.produce(t, 0, 3)
    client.produce(t, 1, 3)
    client.commit(idle, {(t, 0): 1})
    member = client.kcat_member(active, t)
    try:
        with exporter("--no-offset.show-all") as x:
            def assigned():
                f = scrape(x)
                return f if by_partition(f, "kafka_consumergroup_lag", consumergroup=active) == {0: 0, 1: 0} else None
            f = wait_for(assigned, 40, interval=0.5, what="the member's assignment and commits")
            # A group without members has no assignment: members 0 and nothing else, as upstream.
            assert f["kafka_consumergroup_members"].value(consumergroup=idle) == 0
            assert not values(f, "kafka_consumergroup_current_offset", consumergroup=idle)
    finally:
        member.terminate()
        member.wait(20)


def test_kafka_labels_on_every_kafka_family_and_promtool():
    t, g = f"{P}-labels", f"{P}-labels-g"
    client.create((t, 1))
    client.produce(t, 0, 2)
    client.commit(g, {(t, 0): 1})
    with exporter("--kafka.labels=cluster=test-a,env=ci") as x:
        r = x.get(headers={"X-Prometheus-Scrape-Timeout-Seconds": "8"})
        assert r.status == 200
        from harness import parse_text
        f = parse_text(r.text)
        seen = 0
        for name, fam in f.items():
            if not name.startswith("kafka_") or name == "kafka_exporter_build_info":
                continue
            for _, labels, _ in fam.samples:
                assert labels.get("cluster") == "test-a" and labels.get("env") == "ci", (name, labels)
                seen += 1
        assert seen > 10
        # Upstream's names end in _sum although they are gauges: the only lint findings.
        assert_promtool_ok(r.text, allowed_lint=[r'^kafka_consumergroup_(current_offset|lag)_sum non-histogram'])


def test_concurrent_scrapes_and_healthz():
    import threading
    with exporter("--concurrent.enable") as x:
        results = []

        def one():
            results.append(x.get(headers={"X-Prometheus-Scrape-Timeout-Seconds": "8"}).status)
        threads = [threading.Thread(target=one) for _ in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert results == [200] * 4
        r = x.get("/healthz")
        assert r.status == 200 and r.text == "ok"
