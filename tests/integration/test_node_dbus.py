"""node_exporter's systemd and logind collectors against a private D-Bus:
dbus-daemon with its own configuration (the system bus' limit of 128
pending replies per connection) and a service answering as systemd's and
logind's managers (tests/lib/fakebus.py, run by Debian's Python with
python3-dbus), found through DBUS_SYSTEM_BUS_ADDRESS as upstream finds it.

What is checked: every family and value against the host the service
describes; unit filters and their flags; hundreds of unit properties
pipelined under the bus' limit; a service that never answers and a socket
that never says a word (the scrape still answers within its deadline, the
collectors fail, and recover once the bus answers again); the bus daemon
going away and coming back. With NODE_EXPORTER_UPSTREAM set to a
node_exporter 1.12.1 binary, both run against the same bus and their pages
are compared family by family."""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import fakebus  # noqa: E402
from harness import BINDIR, Exporter, Skip, parse_text, upstream_binary  # noqa: E402

NODE = os.path.join(BINDIR, "node_exporter")
ONLY = ["--collector.disable-defaults", "--collector.systemd", "--collector.logind"]
ALL_SYSTEMD = ["--collector.systemd.enable-task-metrics", "--collector.systemd.enable-restarts-metrics",
               "--collector.systemd.enable-start-time-metrics"]
U64_MAX = 18446744073709551615

HOST = {
    "manager": {"Version": "252.39-1~deb12u1", "Virtualization": "kvm", "SystemState": "degraded"},
    "units": [
        {"name": "ssh.service", "active": "active",
         "props": {"org.freedesktop.systemd1.Service": {"Type": ["s", "notify"], "NRestarts": ["u", 2],
                                                        "TasksCurrent": ["t", 3], "TasksMax": ["t", U64_MAX]},
                   "org.freedesktop.systemd1.Unit": {"ActiveEnterTimestamp": ["t", 1700000000250000]}}},
        {"name": "cron.service", "active": "failed",
         "props": {"org.freedesktop.systemd1.Service": {"Type": ["s", "simple"], "NRestarts": ["u", 0],
                                                        "TasksCurrent": ["t", U64_MAX], "TasksMax": ["t", 4915]}}},
        # a service whose Type is not a string: no type, as if unreadable
        {"name": "odd.service", "active": "activating",
         "props": {"org.freedesktop.systemd1.Service": {"Type": ["u", 3]}}},
        {"name": "dbus.socket", "active": "active",
         "props": {"org.freedesktop.systemd1.Socket": {"NAccepted": ["u", 7], "NConnections": ["u", 1],
                                                       "NRefused": ["u", 3]}}},
        # NConnections unreadable: only accepted connections are reported
        {"name": "old.socket", "active": "active",
         "props": {"org.freedesktop.systemd1.Socket": {"NAccepted": ["u", 9]}}},
        {"name": "apt-daily.timer", "active": "active",
         "props": {"org.freedesktop.systemd1.Timer": {"LastTriggerUSec": ["t", 1700000001500000]}}},
        {"name": "home.mount", "active": "active",
         "props": {"org.freedesktop.systemd1.Mount": {"Type": ["s", "ext4"]}}},
        {"name": "gone.service", "load": "not-found", "active": "inactive"},
        {"name": "multi-user.target", "active": "reloading"},
    ],
    "seats": ["seat0"],
    "sessions": [
        {"id": "3", "uid": 1000, "user": "ann", "seat": "seat0",
         "props": {"Remote": ["b", False], "Type": ["s", "x11"], "Class": ["s", "user"]}},
        {"id": "5", "uid": 1000, "user": "ann", "seat": "",
         "props": {"Remote": ["b", True], "Type": ["s", "tty"], "Class": ["s", "user"]}},
        {"id": "6", "uid": 0, "user": "root", "seat": "",
         "props": {"Remote": ["b", True], "Type": ["s", "tty"], "Class": ["s", "user"]}},
        {"id": "7", "uid": 1001, "user": "bob", "seat": "seat0",
         "props": {"Remote": ["b", False], "Type": ["s", "vnc"], "Class": ["s", "manager"]}},
    ],
}

bus = None


def setup_module():
    global bus
    if not fakebus.have_dbus_python():
        raise Skip("needs dbus-daemon and Debian's python3-dbus and python3-gi (/usr/bin/python3)")
    bus = fakebus.PrivateBus()


def teardown_module():
    if bus:
        bus.close()


def exporter(args, address=None, binary=None):
    env = {"DBUS_SYSTEM_BUS_ADDRESS": address or bus.address}
    return Exporter("node_exporter", args, env=env, binary=binary, check_exit=binary is None)


def success(fams, collector):
    return fams["node_scrape_collector_success"].value(collector=collector)


def test_every_family_from_the_host_description():
    bus.start_service(HOST)
    try:
        with exporter(ONLY + ALL_SYSTEMD) as e:
            fams = e.scrape()
            assert success(fams, "systemd") == 1, e.log
            assert success(fams, "logind") == 1, e.log
            assert fams["node_systemd_version"].value(version="252.39-1~deb12u1") == 252.39
            assert fams["node_systemd_virtualization_info"].value(virtualization_type="kvm") == 1
            assert fams["node_systemd_system_running"].value() == 0  # degraded
            units = fams["node_systemd_units"]
            assert units.value(state="active") == 5
            assert units.value(state="failed") == 1
            assert units.value(state="activating") == 1
            assert units.value(state="inactive") == 1
            assert units.value(state="deactivating") == 0
            assert units.value(state="reloading") == 1  # a state upstream does not list, under its name
            st = fams["node_systemd_unit_state"]
            assert st.value(name="ssh.service", state="active", type="notify") == 1
            assert st.value(name="ssh.service", state="failed", type="notify") == 0
            assert st.value(name="cron.service", state="failed", type="simple") == 1
            assert st.value(name="odd.service", state="activating", type="") == 1
            assert st.value(name="dbus.socket", state="active", type="") == 1
            assert st.value(name="multi-user.target", state="active", type="") == 0
            # home.mount is excluded by default, gone.service is not loaded: 7 units of 9, 5 states each
            names = {s[1]["name"] for s in st.samples}
            assert names == {"ssh.service", "cron.service", "odd.service", "dbus.socket", "old.socket",
                             "apt-daily.timer", "multi-user.target"}
            assert len(st.samples) == 7 * 5
            assert fams["node_systemd_service_restart_total"].type == "counter"
            assert fams["node_systemd_service_restart_total"].value(name="ssh.service") == 2
            assert fams["node_systemd_service_restart_total"].value(name="cron.service") == 0
            assert fams["node_systemd_unit_tasks_current"].value(name="ssh.service") == 3
            assert fams["node_systemd_unit_tasks_max"].value(name="cron.service") == 4915
            # "infinity" is left out
            assert len(fams["node_systemd_unit_tasks_current"].samples) == 1
            assert len(fams["node_systemd_unit_tasks_max"].samples) == 1
            start = fams["node_systemd_unit_start_time_seconds"]
            assert start.value(name="ssh.service") == 1700000000.25
            assert start.value(name="cron.service") == 0  # not active
            assert fams["node_systemd_timer_last_trigger_seconds"].value(name="apt-daily.timer") == 1700000001.5
            assert fams["node_systemd_socket_accepted_connections_total"].value(name="dbus.socket") == 7
            assert fams["node_systemd_socket_accepted_connections_total"].value(name="old.socket") == 9
            assert fams["node_systemd_socket_current_connections"].value(name="dbus.socket") == 1
            assert len(fams["node_systemd_socket_current_connections"].samples) == 1
            refused = fams["node_systemd_socket_refused_connections_total"]
            assert refused.type == "gauge"  # as upstream declares it
            assert refused.value(name="dbus.socket") == 3
            ses = fams["node_logind_sessions"]
            assert ses.value(seat="seat0", remote="false", type="x11", **{"class": "user"}) == 1
            assert ses.value(seat="", remote="true", type="tty", **{"class": "user"}) == 2
            assert ses.value(seat="seat0", remote="false", type="other", **{"class": "other"}) == 1
            assert ses.value(seat="seat0", remote="true", type="x11", **{"class": "user"}) == 0
            assert len(ses.samples) == 2 * 2 * 7 * 5
            assert sum(v for _, _, v in ses.samples) == 4
            # the connection is kept: a second scrape gives the same page
            again = e.scrape()
            assert again["node_systemd_units"].samples == units.samples
    finally:
        bus.stop_services()


def test_unit_filters_and_their_flags():
    bus.start_service(HOST)
    try:
        with exporter(ONLY + ["--collector.systemd.unit-include=.+\\.service",
                              "--collector.systemd.unit-exclude=cron\\..*"]) as e:
            fams = e.scrape()
            names = {s[1]["name"] for s in fams["node_systemd_unit_state"].samples}
            assert names == {"ssh.service", "odd.service"}
            # the summary counts every unit, filters aside
            assert fams["node_systemd_units"].value(state="active") == 5
        # the deprecated spelling stands in for its successor
        with exporter(ONLY + ["--collector.systemd.unit-whitelist=ssh\\.service"]) as e:
            names = {s[1]["name"] for s in e.scrape()["node_systemd_unit_state"].samples}
            assert names == {"ssh.service"}
            assert "DEPRECATED" in e.log or "deprecated" in e.log
    finally:
        bus.stop_services()
    # both spellings, or a broken expression: one line and exit 2
    import subprocess
    for bad in (["--collector.systemd.unit-whitelist=a", "--collector.systemd.unit-include=b"],
                ["--collector.systemd.unit-blacklist=a", "--collector.systemd.unit-exclude=b"],
                ["--collector.systemd.unit-include=("]):
        r = subprocess.run([NODE, *ONLY, *bad], capture_output=True, text=True, timeout=10)
        assert r.returncode == 2, (bad, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_hundreds_of_properties_under_the_bus_limit():
    many = {"manager": HOST["manager"], "units": [], "seats": [], "sessions": []}
    for i in range(150):
        many["units"].append({"name": f"s{i}.service", "active": "active",
                              "props": {"org.freedesktop.systemd1.Service": {"Type": ["s", "simple"],
                                                                             "NRestarts": ["u", i]}}})
        many["units"].append({"name": f"k{i}.socket", "active": "active",
                              "props": {"org.freedesktop.systemd1.Socket": {"NAccepted": ["u", i],
                                                                            "NConnections": ["u", 1],
                                                                            "NRefused": ["u", 0]}}})
    bus.start_service(many)
    try:
        # 150 * 2 + 150 * 3 = 750 property calls, more than 128 may be pending on one connection
        with exporter(ONLY + ["--collector.systemd.enable-restarts-metrics"]) as e:
            fams = e.scrape(headers={"X-Prometheus-Scrape-Timeout-Seconds": "60"})
            assert success(fams, "systemd") == 1, e.log
            assert len(fams["node_systemd_service_restart_total"].samples) == 150
            assert fams["node_systemd_service_restart_total"].value(name="s149.service") == 149
            assert len(fams["node_systemd_socket_refused_connections_total"].samples) == 150
            assert fams["node_systemd_socket_accepted_connections_total"].value(name="k77.socket") == 77
            assert "LimitsExceeded" not in e.log
    finally:
        bus.stop_services()


def timed_scrape(e, timeout):
    t0 = time.monotonic()
    r = e.get("/metrics", headers={"X-Prometheus-Scrape-Timeout-Seconds": str(timeout)}, timeout=30)
    took = time.monotonic() - t0
    assert r.status == 200, r.status
    return parse_text(r.text), took


def test_a_service_that_never_answers():
    hung = dict(HOST, hang=["ListUnits", "ListSessions"])
    bus.start_service(hung)
    try:
        with exporter(ONLY) as e:
            for _ in range(2):
                fams, took = timed_scrape(e, 2)
                # within the deadline (a second of slack for a loaded machine)
                assert took < 3, took
                assert success(fams, "systemd") == 0
                assert success(fams, "logind") == 0
            assert "within the scrape timeout" in e.log
            # the service comes back answering: both recover by themselves
            bus.stop_services()
            bus.start_service(HOST)
            fams, _ = timed_scrape(e, 10)
            assert success(fams, "systemd") == 1, e.log
            assert success(fams, "logind") == 1, e.log
    finally:
        bus.stop_services()


def test_unit_properties_that_never_come():
    hung = dict(HOST, hang=["NRestarts"])
    bus.start_service(hung)
    try:
        with exporter(ONLY + ["--collector.systemd.enable-restarts-metrics"]) as e:
            fams, took = timed_scrape(e, 2)
            assert took < 3, took
            assert success(fams, "systemd") == 0
            # what the first round gave is there
            assert fams["node_systemd_units"].value(state="active") == 5
    finally:
        bus.stop_services()


def test_a_bus_that_never_says_a_word():
    silent = fakebus.SilentSocket()
    try:
        with exporter(ONLY, address=silent.address) as e:
            fams, took = timed_scrape(e, 1.5)
            assert took < 2.5, took
            assert success(fams, "systemd") == 0
            assert success(fams, "logind") == 0
    finally:
        silent.close()


def test_the_bus_goes_away_and_comes_back():
    bus.start_service(HOST)
    with exporter(ONLY) as e:
        assert success(e.scrape(), "systemd") == 1
        bus.stop_daemon()
        try:
            fams, took = timed_scrape(e, 5)
            assert took < 5
            assert success(fams, "systemd") == 0
            assert success(fams, "logind") == 0
        finally:
            bus.start_daemon()
        bus.start_service(HOST)
        try:
            fams = e.scrape()
            assert success(fams, "systemd") == 1, e.log
            assert success(fams, "logind") == 1, e.log
        finally:
            bus.stop_services()


def test_beside_upstream():
    up = upstream_binary("NODE_EXPORTER_UPSTREAM", "a node_exporter 1.12.1 binary")
    # Upstream stops on a property of an unexpected type (a Go type assertion): not that unit here.
    bus.start_service(dict(HOST, units=[u for u in HOST["units"] if u["name"] != "odd.service"]))
    try:
        args = ONLY + ALL_SYSTEMD
        with exporter(args, binary=up) as u, exporter(args) as o:
            theirs, ours = u.scrape(), o.scrape()
        fams = sorted(n for n in theirs if n.startswith(("node_systemd_", "node_logind_")))
        assert fams, "upstream exported nothing"
        same_fams = same_values = values = 0
        diffs = []
        for name in fams:
            a, b = theirs[name], ours.get(name)
            if b is None or a.type != b.type or a.label_names() != b.label_names():
                diffs.append(f"family {name}: {a.type} {a.label_names()} vs "
                             f"{b and b.type} {b and b.label_names()}")
                continue
            same_fams += 1
            mine = {tuple(sorted(l.items())): v for _, l, v in b.samples}
            for _, labels, v in a.samples:
                values += 1
                if mine.get(tuple(sorted(labels.items()))) == v:
                    same_values += 1
                else:
                    diffs.append(f"{name}{labels}: {v} vs {mine.get(tuple(sorted(labels.items())))}")
        extra = sorted(n for n in ours if n.startswith(("node_systemd_", "node_logind_")) and n not in theirs)
        print(f"systemd+logind beside upstream: {same_fams}/{len(fams)} families, "
              f"{same_values}/{values} values equal; ours only: {extra}")
        for d in diffs:
            print("  " + d)
        assert not diffs and not extra
    finally:
        bus.stop_services()
