"""The HTTP and flag behaviour every exporter gets from common/, exercised
through node_exporter."""

import os
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import BINDIR, FIXTURES, Exporter, assert_promtool_ok, http_get  # noqa: E402

NODE = os.path.join(BINDIR, "node_exporter")
FIX = os.path.join(FIXTURES, "node")
FIXTURE_ARGS = [f"--path.procfs={FIX}/proc", f"--path.sysfs={FIX}/sys", f"--path.rootfs={FIX}",
                "--collector.disable-defaults", "--collector.loadavg", "--collector.meminfo"]


def test_text_format_and_content_type():
    with Exporter("node_exporter", FIXTURE_ARGS) as e:
        r = e.get("/metrics")
        assert r.status == 200
        assert r.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8"
        assert "node_load1 0.21\n" in r.text
        assert "# TYPE node_load1 gauge\n" in r.text
        assert 'node_scrape_collector_success{collector="loadavg"} 1\n' in r.text
        assert r.text.endswith("\n") and "# EOF" not in r.text


def test_openmetrics_negotiated_from_accept():
    accept = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
              "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
    with Exporter("node_exporter", FIXTURE_ARGS) as e:
        r = e.get("/metrics", {"Accept": accept})
        assert r.header("Content-Type") == "application/openmetrics-text; version=1.0.0; charset=utf-8"
        assert r.text.endswith("# EOF\n")
        assert "node_load1 0.21\n" in r.text
        r = e.get("/metrics", {"Accept": "text/plain;version=0.0.4;q=0.9,application/openmetrics-text;q=0.2"})
        assert r.header("Content-Type").startswith("text/plain")


def test_gzip_when_accepted():
    with Exporter("node_exporter", FIXTURE_ARGS) as e:
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", e.port, timeout=10)
        conn.request("GET", "/metrics", headers={"Accept-Encoding": "gzip"})
        r = conn.getresponse()
        raw = r.read()
        conn.close()
        assert r.getheader("Content-Encoding") == "gzip"
        assert raw[:2] == b"\x1f\x8b"
        import gzip
        assert b"node_load1" in gzip.decompress(raw)
        r = e.get("/metrics", {"Accept-Encoding": "gzip;q=0"})
        assert r.header("Content-Encoding") is None


def test_landing_page_health_404_405():
    with Exporter("node_exporter", FIXTURE_ARGS) as e:
        e.get("/metrics")
        r = e.get("/")
        assert r.status == 200 and r.header("Content-Type").startswith("text/html")
        assert "Node Exporter" in r.text and 'href="metrics"' in r.text
        assert '<tr class="collector" data-collector="loadavg" data-state="ok">' in r.text
        assert e.get("/-/healthy").status == 200
        assert e.get("/-/ready").status == 200
        assert e.get("/nope").status == 404
        r = e.get("/metrics", method="POST")
        assert r.status == 405 and r.header("Allow") == "GET, HEAD"
        r = e.get("/metrics", method="HEAD")
        assert r.status == 200 and r.body == b""


def test_collect_and_exclude_filters():
    with Exporter("node_exporter", FIXTURE_ARGS) as e:
        m = e.scrape("/metrics?collect[]=loadavg")
        assert "node_load1" in m and "node_memory_MemTotal_bytes" not in m
        m = e.scrape("/metrics?exclude[]=loadavg")
        assert "node_load1" not in m and "node_memory_MemTotal_bytes" in m
        r = e.get("/metrics?collect[]=loadavg&exclude[]=meminfo")
        assert r.status == 400 and "Combined collect and exclude queries are not allowed." in r.text
        r = e.get("/metrics?collect[]=nope")
        assert r.status == 400 and "missing collector: nope" in r.text
    with Exporter("node_exporter", FIXTURE_ARGS + ["--no-collector.meminfo"]) as e:
        r = e.get("/metrics?collect[]=meminfo")
        assert r.status == 400 and "disabled collector: meminfo" in r.text


def test_custom_telemetry_path():
    with Exporter("node_exporter", FIXTURE_ARGS + ["--web.telemetry-path=/m"]) as e:
        assert e.get("/m").status == 200
        assert e.get("/metrics").status == 404


def test_promtool_parses_output():
    with Exporter("node_exporter", FIXTURE_ARGS) as e:
        assert_promtool_ok(e.get("/metrics").text, allowed_lint=[r"^node_memory_\S+ metric names should be written in .snake_case."])


def test_disable_exporter_metrics():
    with Exporter("node_exporter", FIXTURE_ARGS) as e:
        m = e.scrape()
        for f in ("process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds",
                  "process_max_fds", "process_start_time_seconds", "process_virtual_memory_bytes",
                  "promhttp_metric_handler_requests_total", "node_exporter_build_info"):
            assert f in m, f
        assert m["process_resident_memory_bytes"].value() > 0
        # Counted with poll() over the descriptor table; must match a listing.
        listed = len(os.listdir(f"/proc/{e.proc.pid}/fd"))
        assert abs(m["process_open_fds"].value() - listed) <= 2, (m["process_open_fds"].value(), listed)
        limit = int(open(f"/proc/{e.proc.pid}/limits").read().split("Max open files")[1].split()[0])
        assert m["process_max_fds"].value() == limit
        # client_golang 1.20+: the IpExt octets of the process's network namespace
        for f in ("process_network_receive_bytes_total", "process_network_transmit_bytes_total"):
            assert m[f].type == "counter" and m[f].value() > 0, f
        assert m["promhttp_metric_handler_requests_in_flight"].value() == 1
    with Exporter("node_exporter", FIXTURE_ARGS + ["--web.disable-exporter-metrics"]) as e:
        m = e.scrape()
        assert "process_cpu_seconds_total" not in m and "promhttp_metric_handler_requests_total" not in m
        assert "node_exporter_build_info" in m


def run(args):
    return subprocess.run([NODE, *args], capture_output=True, text=True, timeout=20)


def test_bad_flags_exit_2_with_one_line():
    for args in (["--no-such-flag"], ["--web.max-requests=lots"], ["--log.level=loud"],
                 ["--web.listen-address=nonsense"], ["--collector.netstat.fields=("],
                 ["--collector.filesystem.mount-points-include=/a", "--collector.filesystem.mount-points-exclude=/b"]):
        r = run(args)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        assert len(lines) == 1 and "error" in lines[0], (args, r.stderr)


def test_help_and_version():
    r = run(["--help"])
    assert r.returncode == 0
    for flag in ("--web.listen-address", "--web.telemetry-path", "--web.max-requests", "--log.level",
                 "--log.format", "--path.procfs", "--path.sysfs", "--path.rootfs", "--path.udev.data",
                 "--[no-]collector.loadavg", "collector.disable-defaults", "--web.config.file"):
        assert flag in r.stdout, flag
    r = run(["--version"])
    assert r.returncode == 0 and r.stdout.startswith("node_exporter, version ")


def test_address_in_use_exits_1():
    with Exporter("node_exporter", FIXTURE_ARGS) as e:
        r = run([f"--web.listen-address=127.0.0.1:{e.port}"])
        assert r.returncode == 1
        assert "address already in use" in r.stderr.lower()


def test_json_logs():
    with Exporter("node_exporter", FIXTURE_ARGS + ["--log.format=json"]) as e:
        e.get("/metrics")
        first = e.log.splitlines()[0]
        assert first.startswith("{") and '"level":"info"' in first


def test_max_requests_503():
    # A FIFO as /proc/loadavg holds the first scrape until we write to it.
    d = tempfile.mkdtemp()
    fifo = os.path.join(d, "loadavg")
    os.mkfifo(fifo)
    args = [f"--path.procfs={d}", "--collector.disable-defaults", "--collector.loadavg",
            "--web.max-requests=1"]
    try:
        with Exporter("node_exporter", args) as e:
            result = {}
            t = threading.Thread(target=lambda: result.setdefault("r", e.get("/metrics")))
            t.start()
            import time
            time.sleep(0.5)
            r = e.get("/metrics")
            assert r.status == 503 and "Limit of concurrent requests reached (1)" in r.text
            with open(fifo, "w") as f:
                f.write("0.5 0.4 0.3 1/100 42\n")
            t.join(10)
            assert result["r"].status == 200
            assert "node_load1 0.5\n" in result["r"].text
            assert 'promhttp_metric_handler_requests_total{code="503"} 1' in e.get("/metrics").text
    finally:
        os.unlink(fifo)
        os.rmdir(d)


def test_identical_concurrent_scrapes_share_one_collection():
    d = tempfile.mkdtemp()
    fifo = os.path.join(d, "loadavg")
    os.mkfifo(fifo)
    args = [f"--path.procfs={d}", "--collector.disable-defaults", "--collector.loadavg"]
    try:
        with Exporter("node_exporter", args) as e:
            results = []
            threads = [threading.Thread(target=lambda: results.append(e.get("/metrics"))) for _ in range(3)]
            for t in threads:
                t.start()
            import time
            time.sleep(0.5)
            # One writer satisfies one reader: a second collection would block forever.
            with open(fifo, "w") as f:
                f.write("0.5 0.4 0.3 1/100 42\n")
            for t in threads:
                t.join(10)
            assert len(results) == 3 and all(r.status == 200 for r in results)
            assert all("node_load1 0.5\n" in r.text for r in results)
    finally:
        os.unlink(fifo)
        os.rmdir(d)


def test_basic_auth_from_web_config():
    d = tempfile.mkdtemp()
    cfg = os.path.join(d, "web.yml")
    with open(cfg, "w") as f:
        # "secret", bcrypt cost 10
        f.write("basic_auth_users:\n  alice: $2b$10$34o8ynHaQIRRe5w70Hf7gudah0qwlXjE8Xmp9sLVTtWoZvVs7Umg6\n")
    try:
        with Exporter("node_exporter", FIXTURE_ARGS + [f"--web.config.file={cfg}"]) as e:
            r = e.get("/metrics")
            assert r.status == 401 and r.header("WWW-Authenticate", ).startswith("Basic")
            import base64
            good = base64.b64encode(b"alice:secret").decode()
            bad = base64.b64encode(b"alice:nope").decode()
            assert e.get("/metrics", {"Authorization": "Basic " + good}).status == 200
            assert e.get("/metrics", {"Authorization": "Basic " + bad}).status == 401
            assert "secret" not in e.log
        with open(cfg, "w") as f:
            f.write("basic_auth_users:\n  alice: notahash\n")
        r = run(FIXTURE_ARGS + [f"--web.config.file={cfg}", "--web.listen-address=127.0.0.1:0"])
        assert r.returncode == 2 and "bcrypt" in r.stderr
    finally:
        os.unlink(cfg)
        os.rmdir(d)


def test_keep_alive_reuses_the_connection():
    import http.client
    with Exporter("node_exporter", FIXTURE_ARGS) as e:
        conn = http.client.HTTPConnection("127.0.0.1", e.port, timeout=10)
        conn.request("GET", "/metrics")
        r = conn.getresponse()
        r.read()
        assert r.getheader("Connection") != "close"
        sock = conn.sock
        conn.request("GET", "/metrics")
        r = conn.getresponse()
        r.read()
        assert r.status == 200 and conn.sock is sock
        conn.close()


def test_ipv6_and_several_listen_addresses():
    from harness import free_port
    import socket
    try:
        s = socket.socket(socket.AF_INET6)
        s.bind(("::1", 0))
        s.close()
    except OSError:
        from harness import Skip
        raise Skip("no IPv6 loopback here")
    p6 = free_port()
    with Exporter("node_exporter", FIXTURE_ARGS + [f"--web.listen-address=[::1]:{p6}"]) as e:
        assert e.get("/metrics").status == 200
        assert http_get(p6, "/metrics", host="::1").status == 200


def test_disable_defaults_and_explicit_collectors():
    args = [f"--path.procfs={FIX}/proc", "--collector.disable-defaults", "--collector.loadavg"]
    with Exporter("node_exporter", args) as e:
        m = e.scrape()
        collectors = {l["collector"] for _, l, _ in m["node_scrape_collector_success"].samples}
        assert collectors == {"loadavg"}


def test_regex_flags_take_upstream_syntax():
    # RE2/Perl classes such as \d must work as upstream's values do.
    args = [f"--path.procfs={FIX}/proc", f"--path.sysfs={FIX}/sys", f"--path.udev.data={FIX}/udev/data",
            "--collector.disable-defaults", "--collector.diskstats",
            r"--collector.diskstats.device-exclude=^(sd[a-z]|nvme\d+n\d+)$"]
    with Exporter("node_exporter", args) as e:
        devices = {l["device"] for _, l, _ in e.scrape()["node_disk_reads_completed_total"].samples}
        assert devices and not any(d.startswith("sd") and len(d) == 3 for d in devices), devices
        assert "nvme0n1" not in devices and "sda" not in devices
    r = run([r"--collector.diskstats.device-exclude=(\d"])
    assert r.returncode == 2 and "diskstats" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
