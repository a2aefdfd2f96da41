"""SCRAM-SHA-256 and SCRAM-SHA-512 logins against the last Kafka 3.x release (3.9.1, a
second broker of the test session): librdkafka before 2.6.1 (Debian 12 has 2.0.2) cannot
log in to Kafka 4.x with SCRAM (librdkafka#4895, see test_kafka_faults.test_sasl_scram),
but can to 3.x, which is the range the man page gives for SCRAM."""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import kafka  # noqa: E402
from harness import Exporter, parse_text  # noqa: E402

DEADLINE = 4.0


def scrape(x):
    t0 = time.monotonic()
    r = x.get(headers={"X-Prometheus-Scrape-Timeout-Seconds": str(DEADLINE)}, timeout=DEADLINE + 5)
    assert r.status == 200 and time.monotonic() - t0 < DEADLINE
    return r.text, parse_text(r.text)


def test_scram_against_kafka_3():
    broker = kafka.shared_broker(kafka.OLD_VERSION)
    client = kafka.Client(broker)
    t = kafka.unique("scram3")
    client.create((t, 2))
    wrong = "Wr0ng-scram-pa55"
    for mech in ("scram-sha256", "SCRAM-SHA512"):
        for password in (kafka.SASL_PASSWORD, wrong):
            args = [f"--kafka.server={broker.sasl_bootstrap}", "--sasl.enabled", f"--sasl.username={kafka.SASL_USER}",
                    f"--sasl.mechanism={mech}", f"--sasl.password={password}", f"--topic.filter=^{t}$"]
            with Exporter("kafka_exporter", args) as x:
                text, f = scrape(x)
                if password == wrong:
                    assert f["kafka_up"].value() == 0 and "kafka_topic_partitions" not in f
                    assert "kafka cluster unreachable" in x.log
                    assert wrong not in text and wrong not in x.log
                else:
                    assert f["kafka_up"].value() == 1, (mech, x.log)
                    assert f["kafka_topic_partitions"].value(topic=t) == 2
