"""container_exporter's command line as cAdvisor's: Go-style single-dash flags,
--listen_ip/--port and --prometheus_endpoint/--url_base_prefix (unless the
web.* flags are given), the flags a deployment passes accepted, the parts
it does not have refused with one line and exit status 2, unknown metric
kinds refused as cAdvisor refuses them."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import BINDIR, Exporter, Process, free_port, http_get  # noqa: E402

EXE = os.path.join(BINDIR, "container_exporter")


def run(*args):
    r = subprocess.run([EXE, *args], capture_output=True, text=True, timeout=20)
    return r.returncode, r.stdout, r.stderr


def refused(args, words):
    rc, out, err = run(*args)
    lines = [l for l in err.splitlines() if l.strip()]
    assert rc == 2, (args, rc, err)
    assert len(lines) == 1, (args, err)
    assert all(w in lines[0] for w in words), (args, lines[0])


def test_refusals_are_one_line_with_exit_2():
    refused(["--storage_driver=influxdb"], ["--storage_driver", "storage drivers"])
    refused(["-http_auth_file=/etc/htpasswd"], ["--http_auth_file", "--web.config.file"])
    refused(["--perf_events_config=/x.json"], ["--perf_events_config"])
    refused(["--profiling"], ["--profiling"])
    refused(["--enable_load_reader"], ["--enable_load_reader"])
    refused(["--logtostderr=false"], ["--logtostderr"])
    refused(["--enable_metrics=cpu,diskio"], ["unsupported metric", "diskio"])
    refused(["--disable_metrics=nope"], ["unsupported metric", "nope"])
    refused(["--port=0"], ["--port"])
    refused(["--no-such-flag"], ["no-such-flag"])


def test_listen_ip_port_and_endpoint_as_cadvisor():
    port = free_port()
    p = Process([EXE, "-listen_ip=127.0.0.1", f"-port={port}", "-prometheus_endpoint=/cadvisor",
                 "--url_base_prefix=/base", "--docker=", "--podman=",
                 # flags of cAdvisor's Kubernetes example: accepted
                 "--housekeeping_interval=10s", "--max_housekeeping_interval=15s",
                 "--event_storage_event_limit=default=0", "--event_storage_age_limit=default=0",
                 "--enable_metrics=app,cpu,disk,diskIO,memory,network,process", "--docker_only",
                 "--store_container_labels=false",
                 "--whitelisted_container_labels=io.kubernetes.container.name, io.kubernetes.pod.name"])
    try:
        p.wait_listening(port, what="the exporter on --listen_ip:--port")
        r = http_get(port, "/base/cadvisor")
        assert r.status == 200, r.status
        assert "container_last_seen{" in r.text
        assert 'container_processes{' in r.text  # kind process, as asked
        assert http_get(port, "/metrics").status == 404
        # The kind with no collector is named once in the log.
        assert "kinds=disk" in p.log
    finally:
        p.stop()
        p.cleanup()


def test_web_listen_address_wins():
    with Exporter("container_exporter", ["--port=1", "--docker=", "--podman="]) as e:
        assert e.get("/metrics").status == 200
