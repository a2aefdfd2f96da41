"""A real Prometheus (Debian's prometheus package) for tests: scrape jobs of
given targets every second, optional rule files evaluated every second, and
the HTTP API's query and targets endpoints."""

import json
import os
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request

from harness import Process, Skip, free_port

PROMETHEUS = "/usr/bin/prometheus"


class PromQLError(Exception):
    """The query API refused a query (it does not parse, or fails)."""


class Prometheus:
    """jobs: [(job name, [host:port, ...], metrics path)]; rule_files: paths."""

    def __init__(self, jobs, rule_files=(), interval="1s"):
        if not os.path.exists(PROMETHEUS):
            raise Skip("prometheus (Debian package) is not installed")
        self.dir = tempfile.mkdtemp(prefix="prom-")
        self.port = free_port()
        text = (f"global:\n  scrape_interval: {interval}\n  scrape_timeout: {interval}\n"
                f"  evaluation_interval: {interval}\n")
        if rule_files:
            text += "rule_files:\n" + "".join(f"  - {os.path.abspath(p)}\n" for p in rule_files)
        text += "scrape_configs:\n"
        for job, targets, path in jobs:
            text += (f"  - job_name: {job}\n    metrics_path: {path}\n    static_configs:\n"
                     f"      - targets: [{', '.join(repr(t) for t in targets)}]\n")
        with open(os.path.join(self.dir, "prometheus.yml"), "w") as f:
            f.write(text)
        self.proc = Process([PROMETHEUS, f"--config.file={self.dir}/prometheus.yml",
                             f"--storage.tsdb.path={self.dir}/data",
                             f"--web.listen-address=127.0.0.1:{self.port}"])

    def _get(self, path, params=None):
        url = f"http://127.0.0.1:{self.port}{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:
            body = json.load(e)
            raise PromQLError(f"{body.get('errorType')}: {body.get('error')}") from None

    def query(self, q):
        """The instant vector (list of {metric, value}) of a query."""
        return self._get("/api/v1/query", {"query": q})["data"]["result"]

    def targets(self):
        return self._get("/api/v1/targets")["data"]["activeTargets"]

    def rules(self):
        return self._get("/api/v1/rules")["data"]["groups"]

    def close(self):
        self.proc.stop()
        self.proc.cleanup()
        shutil.rmtree(self.dir, ignore_errors=True)
