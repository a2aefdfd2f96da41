"""A real Prometheus (Debian's prometheus package) scrapes our exporters: the
scrape succeeds (up == 1), samples arrive, and both text and OpenMetrics are
accepted (Prometheus asks for OpenMetrics first)."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import FIXTURES, Exporter, Process, Skip, free_port, wait_for  # noqa: E402

PROMETHEUS = "/usr/bin/prometheus"


class Prometheus:
    def __init__(self, targets):
        if not os.path.exists(PROMETHEUS):
            raise Skip("prometheus (Debian package) is not installed")
        self.dir = tempfile.mkdtemp(prefix="prom-")
        self.port = free_port()
        jobs = "".join(
            f"  - job_name: {job}\n    scrape_interval: 1s\n    scrape_timeout: 1s\n"
            f"    metrics_path: {path}\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n"
            for job, port, path in targets)
        with open(os.path.join(self.dir, "prometheus.yml"), "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n" + jobs)
        self.proc = Process([PROMETHEUS, f"--config.file={self.dir}/prometheus.yml",
                             f"--storage.tsdb.path={self.dir}/data",
                             f"--web.listen-address=127.0.0.1:{self.port}"])

    def query(self, q):
        url = f"http://127.0.0.1:{self.port}/api/v1/query?" + urllib.parse.urlencode({"query": q})
        with urllib.request.urlopen(url, timeout=5) as r:
            return json.load(r)["data"]["result"]

    def targets(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v1/targets", timeout=5) as r:
            return json.load(r)["data"]["activeTargets"]

    def close(self):
        self.proc.stop()
        self.proc.cleanup()
        shutil.rmtree(self.dir, ignore_errors=True)


def test_prometheus_scrapes_node_exporter():
    fix = os.path.join(FIXTURES, "node")
    with Exporter("node_exporter", [f"--path.procfs={fix}/proc", f"--path.sysfs={fix}/sys",
                                    f"--path.rootfs={fix}"]) as e:
        prom = Prometheus([("node", e.port, "/metrics")])
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
