"""node_exporter's deprecated service collectors against the real daemons:
supervisord (XML-RPC over HTTP and over its unix socket, Debian's
supervisor package) and runit (runsv's supervise/status records, Debian's
runit package), both started here as plain processes in a temporary
directory; and a supervisord address that accepts connections but never
answers, which must not hold the scrape past its deadline."""

import os
import shutil
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Exporter, Process, Skip, free_port, wait_for  # noqa: E402


def need(binary):
    path = shutil.which(binary)
    if not path:
        raise Skip(f"{binary} is not installed (scripts/install-deps test installs it)")
    return path


def only(*args):
    return ["--collector.disable-defaults", *args]


def test_supervisord_over_http_and_unix_socket():
    supervisord = need("supervisord")
    d = tempfile.mkdtemp(prefix="supervisord-")
    port = free_port()
    sock = os.path.join(d, "supervisor.sock")
    conf = os.path.join(d, "supervisord.conf")
    with open(conf, "w") as f:
        f.write(f"""[unix_http_server]
file={sock}
[inet_http_server]
port=127.0.0.1:{port}
[supervisord]
logfile={d}/supervisord.log
pidfile={d}/supervisord.pid
nodaemon=true
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[program:sleeper]
command=/bin/sleep 600
[program:failer]
command=/bin/false
autorestart=false
startretries=0
[group:workers]
programs=sleeper
""")
    daemon = Process([supervisord, "-c", conf])
    try:
        wait_for(lambda: os.path.exists(sock), timeout=20, what="supervisord's socket")
        for url in (f"http://127.0.0.1:{port}/RPC2", f"unix://{sock}"):
            with Exporter("node_exporter", only("--collector.supervisord", f"--collector.supervisord.url={url}")) as e:
                def running():
                    fams = e.scrape()
                    return fams["node_supervisord_state"].value(name="sleeper", group="workers") == 20 and \
                        fams["node_supervisord_state"].value(name="failer", group="failer") in (100, 200)
                wait_for(running, timeout=20, what=f"supervisord's processes through {url}")
                fams = e.scrape()
                assert fams["node_scrape_collector_success"].value(collector="supervisord") == 1
                assert fams["node_supervisord_up"].value(name="sleeper", group="workers") == 1
                assert fams["node_supervisord_up"].value(name="failer", group="failer") == 0
                start = fams["node_supervisord_start_time_seconds"].value(name="sleeper", group="workers")
                assert abs(start - time.time()) < 600
                assert fams["node_supervisord_start_time_seconds"].type == "counter"
                assert "deprecated" in e.log
        daemon.stop()
        # supervisord gone: the collector fails, the page is served.
        with Exporter("node_exporter", only("--collector.supervisord", f"--collector.supervisord.url=unix://{sock}")) as e:
            fams = e.scrape()
            assert fams["node_scrape_collector_success"].value(collector="supervisord") == 0
    finally:
        daemon.cleanup()
        shutil.rmtree(d, ignore_errors=True)


def test_supervisord_that_never_answers_keeps_the_deadline():
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    port = silent.getsockname()[1]
    try:
        with Exporter("node_exporter", only("--collector.supervisord",
                                            f"--collector.supervisord.url=http://127.0.0.1:{port}/RPC2")) as e:
            t0 = time.monotonic()
            r = e.get("/metrics", {"X-Prometheus-Scrape-Timeout-Seconds": "2"})
            took = time.monotonic() - t0
            assert r.status == 200
            assert 'node_scrape_collector_success{collector="supervisord"} 0' in r.text
            assert took < 4, took
    finally:
        silent.close()


def test_runit_with_runsv():
    runsv = need("runsv")
    d = tempfile.mkdtemp(prefix="runit-")
    procs = []
    try:
        for name, down in (("web", False), ("batch", True)):
            svc = os.path.join(d, name)
            os.makedirs(svc)
            with open(os.path.join(svc, "run"), "w") as f:
                f.write("#!/bin/sh\nexec sleep 600\n")
            os.chmod(os.path.join(svc, "run"), 0o755)
            if down:
                open(os.path.join(svc, "down"), "w").close()
            procs.append(Process([runsv, svc]))
        wait_for(lambda: all(os.path.getsize(os.path.join(d, n, "supervise", "status")) == 20
                             if os.path.exists(os.path.join(d, n, "supervise", "status")) else False
                             for n in ("web", "batch")), timeout=20, what="runsv's status files")
        with Exporter("node_exporter", only("--collector.runit", f"--collector.runit.servicedir={d}")) as e:
            wait_for(lambda: e.scrape()["node_service_state"].value(service="web", supervisor="runit") == 1,
                     timeout=20, what="web to run")
            fams = e.scrape()
            assert fams["node_scrape_collector_success"].value(collector="runit") == 1
            assert fams["node_service_desired_state"].value(service="web", supervisor="runit") == 1
            assert fams["node_service_state"].value(service="batch", supervisor="runit") == 0
            assert fams["node_service_desired_state"].value(service="batch", supervisor="runit") == 0
            changed = fams["node_service_state_last_change_timestamp_seconds"].value(service="web", supervisor="runit")
            assert abs(changed - time.time()) < 120, changed
    finally:
        for p in procs:
            p.stop()
            p.cleanup()
        shutil.rmtree(d, ignore_errors=True)
