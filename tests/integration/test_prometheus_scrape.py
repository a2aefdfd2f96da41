"""A real Prometheus (Debian's prometheus package) scrapes our exporters: the
scrape succeeds (up == 1), samples arrive, and both text and OpenMetrics are
accepted (Prometheus asks for OpenMetrics first)."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import FIXTURES, Exporter, wait_for  # noqa: E402
from prometheus_server import Prometheus  # noqa: E402


def test_prometheus_scrapes_node_exporter():
    fix = os.path.join(FIXTURES, "node")
    with Exporter("node_exporter", [f"--path.procfs={fix}/proc", f"--path.sysfs={fix}/sys",
                                    f"--path.rootfs={fix}"]) as e:
        prom = Prometheus([("node", [f"127.0.0.1:{e.port}"], "/metrics")])
        try:
            def scraped():
                t = prom.targets()
                return t and t[0]["health"] == "up" and t[0]["lastError"] == "" and t
            try:
                wait_for(scraped, timeout=30, interval=0.5, what="a successful scrape")
            except AssertionError:
                raise AssertionError(f"targets: {prom.targets()}\n{prom.proc.log[-3000:]}")
            assert prom.query('up{job="node"}')[0]["value"][1] == "1"
            assert prom.query("node_load1")[0]["value"][1] == "0.21"
            n = prom.query('scrape_samples_scraped{job="node"}')
            assert int(n[0]["value"][1]) > 50
        finally:
            prom.close()
