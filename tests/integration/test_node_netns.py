"""node_exporter's netlink and ioctl collectors on network namespaces this
test makes: two namespaces joined by a veth pair, with addresses, routes
(static, multipath, IPv6), a pfifo qdisc and an alternative name, and real
TCP sockets opened there. The exporter runs inside the first namespace
(`ip netns exec`) and is scraped from there.

ethtool: driver information and statistics of veth as the kernel gives
them (peer_ifindex is the peer's index); qdisc: counters equal to what
`tc -s` reports; network_route: the routes made, with their labels;
netclass' netlink mode: the same values as its sysfs mode where both have
them; tcpstat: exact socket counts and queued bytes. Needs root and `ip`;
the namespaces are removed whatever happens. With NODE_EXPORTER_UPSTREAM
set, upstream runs in the same namespace and the pages are compared."""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import BINDIR, Skip, parse_text, wait_for, upstream_binary  # noqa: E402

NODE = os.path.join(BINDIR, "node_exporter")
A = f"nodetest-a-{os.getpid()}"
B = f"nodetest-b-{os.getpid()}"
made = []


def sh(*args, ns=None, check=True):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)}: {r.stderr}")
    return r.stdout


def setup_module():
    if os.geteuid() != 0:
        raise Skip("network namespaces need root")
    if not os.path.exists(NODE):
        raise Skip(f"{NODE} is not built")
    for ns in (A, B):
        r = subprocess.run(["ip", "netns", "add", ns], capture_output=True, text=True)
        if r.returncode != 0:
            teardown_module()
            raise Skip(f"cannot make a network namespace: {r.stderr.strip()}")
        made.append(ns)
    sh("ip", "-n", A, "link", "set", "lo", "up")
    sh("ip", "-n", B, "link", "set", "lo", "up")
    sh("ip", "-n", A, "link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", B)
    sh("ip", "-n", A, "addr", "add", "10.77.0.1/24", "dev", "va")
    sh("ip", "-n", B, "addr", "add", "10.77.0.2/24", "dev", "vb")
    sh("ip", "-n", A, "-6", "addr", "add", "fd77::1/64", "dev", "va", "nodad")
    sh("ip", "-n", A, "link", "set", "va", "up")
    sh("ip", "-n", B, "link", "set", "vb", "up")
    sh("ip", "-n", A, "link", "property", "add", "dev", "va", "altname", "uplink0", check=False)
    sh("tc", "qdisc", "replace", "dev", "va", "root", "pfifo", "limit", "100", ns=A)
    sh("ip", "-n", A, "route", "add", "10.88.0.0/16", "via", "10.77.0.2", "metric", "50", "proto", "static")
    sh("ip", "-n", A, "route", "add", "10.99.0.0/24", "nexthop", "via", "10.77.0.2", "weight", "1",
       "nexthop", "via", "10.77.0.3", "weight", "3")
    sh("ip", "-n", A, "-6", "route", "add", "fd88::/64", "via", "fd77::2", "dev", "va", "metric", "7")


def teardown_module():
    for ns in made:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    made.clear()


SCRAPE = ("import sys, urllib.request; "
          "sys.stdout.write(urllib.request.urlopen('http://127.0.0.1:%d/metrics', timeout=20).read().decode())")
CONNECT = "import socket; socket.create_connection(('127.0.0.1', %d), timeout=0.5).close()"


class NsExporter:
    """An exporter inside namespace A, scraped from there."""

    def __init__(self, args, binary=NODE, port=9100):
        self.port = port
        self.logpath = f"/tmp/nsexp-{os.getpid()}-{port}.log"
        self.log_f = open(self.logpath, "wb")
        self.proc = subprocess.Popen(["ip", "netns", "exec", A, binary,
                                      f"--web.listen-address=127.0.0.1:{port}", *args],
                                     stdout=self.log_f, stderr=self.log_f)
        self.check_exit = binary == NODE

        def up():
            if self.proc.poll() is not None:
                raise AssertionError(f"exited {self.proc.returncode}: {self.log}")
            return subprocess.run(["ip", "netns", "exec", A, sys.executable, "-c", CONNECT % port],
                                  capture_output=True).returncode == 0
        wait_for(up, 20, 0.1, "the exporter in the namespace")

    @property
    def log(self):
        self.log_f.flush()
        with open(self.logpath, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def text(self):
        return sh(sys.executable, "-c", SCRAPE % self.port, ns=A)

    def scrape(self):
        return parse_text(self.text())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            rc = self.proc.wait(10)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.log_f.close()
        log = open(self.logpath, errors="replace").read()
        os.unlink(self.logpath)
        if exc[0] is None and self.check_exit:
            assert rc == 0, f"exit {rc}:\n{log[-3000:]}"
        return False


def only(*collectors):
    return ["--collector.disable-defaults"] + [f"--collector.{c}" for c in collectors]


def ifindex(ns, dev):
    return json.loads(sh("ip", "-n", ns, "-j", "link", "show", dev))[0]["ifindex"]


def upstream():
    up = upstream_binary("NODE_EXPORTER_UPSTREAM", "a node_exporter 1.12.1 binary")
    return up


def compare(theirs, ours, prefixes, skip=()):
    """Families of the prefixes in both pages: (families equal, families, values equal, values, diffs)."""
    names = sorted(n for n in theirs if n.startswith(prefixes) and n not in skip)
    same_f = same_v = nvals = 0
    diffs = []
    for n in names:
        a, b = theirs[n], ours.get(n)
        if b is None or a.type != b.type or a.label_names() != b.label_names():
            diffs.append(f"family {n}")
            continue
        same_f += 1
        mine = {tuple(sorted(l.items())): v for _, l, v in b.samples}
        for _, l, v in a.samples:
            nvals += 1
            if mine.get(tuple(sorted(l.items()))) == v:
                same_v += 1
            else:
                diffs.append(f"{n}{l}: {v} vs {mine.get(tuple(sorted(l.items())))}")
    diffs += [f"ours only: {n}" for n in sorted(ours) if n.startswith(prefixes) and n not in theirs and n not in skip]
    return same_f, len(names), same_v, nvals, diffs


def test_ethtool_on_veth():
    with NsExporter(only("ethtool")) as e:
        fams = e.scrape()
        assert fams["node_scrape_collector_success"].value(collector="ethtool") == 1, e.log
        info = fams["node_ethtool_info"]
        assert info.value(device="va", driver="veth", bus_info="", firmware_version="") == 1
        # the statistics are the driver's: veth's peer_ifindex is the index of vb in the other namespace
        assert fams["node_ethtool_peer_ifindex"].value(device="va") == ifindex(B, "vb")
        assert fams["node_ethtool_peer_ifindex"].type == "untyped"
        assert "node_ethtool_received_queue_0_xdp_packets" in fams  # rx_queue_0_xdp_packets renamed
        # veth has no link modes and does not autonegotiate; lo answers nothing (and that is no error)
        assert fams["node_network_autonegotiate"].value(device="va") == 0
        assert not any(s[1].get("device") == "lo" for s in info.samples)
        assert "level=error" not in e.log, e.log
    with NsExporter(only("ethtool") + ["--collector.ethtool.device-exclude=^va$",
                                       "--collector.ethtool.metrics-include=^peer"]) as e:
        fams = e.scrape()
        # lo alone is left, and it has no driver information
        assert "node_ethtool_info" not in fams or not fams["node_ethtool_info"].samples
        assert "node_ethtool_peer_ifindex" not in fams


def test_ethtool_beside_upstream():
    up = upstream()
    with NsExporter(only("ethtool"), binary=up, port=9101) as u, NsExporter(only("ethtool")) as o:
        res = compare(u.scrape(), o.scrape(), ("node_ethtool_", "node_network_"))
    print(f"ethtool beside upstream: {res[0]}/{res[1]} families, {res[2]}/{res[3]} values equal")
    assert not res[4], res[4]


def tc_counts():
    q = json.loads(sh("tc", "-s", "-j", "qdisc", "show", "dev", "va", ns=A))
    root = [x for x in q if x.get("root")][0]
    return root["kind"], root["packets"], root["bytes"], root.get("drops", 0)


def test_qdisc_counters_match_tc():
    # traffic through va: five datagrams to the other end
    sh(sys.executable, "-c", "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
       "for i in range(5): s.sendto(b'x' * 100, ('10.77.0.2', 9))", ns=A)
    with NsExporter(only("qdisc")) as e:
        for _ in range(10):
            before = tc_counts()
            fams = e.scrape()
            if tc_counts() == before:  # nothing went through va meanwhile
                break
        kind, packets, nbytes, drops = before
        assert kind == "pfifo"
        assert packets >= 5
        assert fams["node_qdisc_packets_total"].value(device="va", kind="pfifo") == packets
        assert fams["node_qdisc_bytes_total"].value(device="va", kind="pfifo") == nbytes
        assert fams["node_qdisc_drops_total"].value(device="va", kind="pfifo") == drops
        assert fams["node_qdisc_backlog"].value(device="va", kind="pfifo") == 0
        assert fams["node_qdisc_packets_total"].type == "counter"
        # vb is in the other namespace
        assert not any(s[1]["device"] == "vb" for s in fams["node_qdisc_packets_total"].samples)
    with NsExporter(only("qdisc") + ["--collector.qdisc.device-include=^lo$"]) as e:
        devs = {s[1]["device"] for s in e.scrape()["node_qdisc_packets_total"].samples}
        assert devs == {"lo"}


def test_routes_made():
    with NsExporter(only("network_route")) as e:
        fams = e.scrape()
        info = fams["node_network_route_info"]
        want = [
            dict(device="va", src="", dest="10.88.0.0/16", gw="10.77.0.2", priority="50", proto="static", weight=""),
            dict(device="va", src="", dest="10.99.0.0/24", gw="10.77.0.2", priority="0", proto="boot", weight="1"),
            dict(device="va", src="", dest="10.99.0.0/24", gw="10.77.0.3", priority="0", proto="boot", weight="3"),
            dict(device="va", src="10.77.0.1", dest="10.77.0.0/24", gw="", priority="0", proto="kernel", weight=""),
            dict(device="va", src="", dest="fd88::/64", gw="fd77::2", priority="7", proto="boot", weight=""),
            dict(device="va", src="", dest="fd77::/64", gw="", priority="256", proto="kernel", weight=""),
        ]
        for labels in want:
            assert info.value(**labels) == 1, labels
        on_va = [s for s in info.samples if s[1]["device"] == "va"]
        assert fams["node_network_routes"].value(device="va") == len(on_va)
        # local and broadcast routes (lo's 127.0.0.0/8 among them) are not unicast
        assert not any(s[1]["dest"] == "127.0.0.0/8" for s in info.samples)


def test_routes_beside_upstream():
    up = upstream()
    with NsExporter(only("network_route"), binary=up, port=9101) as u, NsExporter(only("network_route")) as o:
        res = compare(u.scrape(), o.scrape(), ("node_network_route",))
    print(f"network_route beside upstream: {res[0]}/{res[1]} families, {res[2]}/{res[3]} values equal")
    assert not res[4], res[4]


def test_netclass_netlink_agrees_with_sysfs():
    with NsExporter(only("netclass")) as e:
        sysfs = e.scrape()
    with NsExporter(only("netclass") + ["--collector.netclass.netlink",
                                        "--collector.netclass_rtnl.with-stats"]) as e:
        nl = e.scrape()
        assert nl["node_scrape_collector_success"].value(collector="netclass") == 1, e.log
    # (flags differ by nature: netlink's add the operational ones, IFF_RUNNING, IFF_LOWER_UP)
    operational = 0x40 | 0x10000 | 0x20000
    assert int(nl["node_network_flags"].value(device="va")) & ~operational == \
        int(sysfs["node_network_flags"].value(device="va"))
    for fam in ("node_network_mtu_bytes", "node_network_iface_id", "node_network_iface_link",
                "node_network_carrier", "node_network_protocol_type",
                "node_network_transmit_queue_length", "node_network_speed_bytes", "node_network_up",
                "node_network_carrier_changes_total", "node_network_address_assign_type",
                "node_network_name_assign_type", "node_network_device_id", "node_network_net_dev_group"):
        assert nl[fam].value(device="va") == sysfs[fam].value(device="va"), fam
    assert nl["node_network_speed_bytes"].value(device="va") == 1.25e9  # veth says 10 Gb/s
    s_info = [l for _, l, _ in sysfs["node_network_info"].samples if l["device"] == "va"][0]
    n_info = [l for _, l, _ in nl["node_network_info"].samples if l["device"] == "va"][0]
    assert n_info["address"] == s_info["address"] and n_info["operstate"] == s_info["operstate"] == "up"
    assert s_info["duplex"] == "full" and n_info["duplex"] == "Full"  # each mode as upstream spells it
    assert "adminstate" not in n_info
    if sh("ip", "-n", A, "-j", "link", "show", "va").find("uplink0") >= 0:
        assert nl["node_network_altnames_info"].value(device="va", altname="uplink0") == 1
    assert nl["node_network_receive_packets_total"].type == "gauge"
    assert nl["node_network_transmit_packets_total"].value(device="va") >= 5


def test_netclass_netlink_beside_upstream():
    up = upstream()
    args = only("netclass") + ["--collector.netclass.netlink", "--collector.netclass_rtnl.with-stats"]
    with NsExporter(args, binary=up, port=9101) as u, NsExporter(args) as o:
        theirs, ours = u.scrape(), o.scrape()
    # lo's counters move with the scrapes themselves
    for fams in (theirs, ours):
        for f in fams.values():
            if f.name.endswith("_total") and f.name.startswith("node_network_"):
                f.samples = [s for s in f.samples if s[1].get("device") != "lo"]
    res = compare(theirs, ours, ("node_network_",))
    print(f"netclass netlink mode beside upstream: {res[0]}/{res[1]} families, {res[2]}/{res[3]} values equal")
    assert not res[4], res[4]


SOCKETS = """
import socket, sys, time
ls = []
for _ in range(2):
    l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(5); ls.append(l)
pairs = []
for _ in range(3):
    c = socket.create_connection(ls[0].getsockname()); s, _ = ls[0].accept()
    c.sendall(b'x' * 1000)  # left unread
    pairs.append((c, s))
print('ready', flush=True)
sys.stdin.read()
"""


def sockets_in_a():
    p = subprocess.Popen(["ip", "netns", "exec", A, sys.executable, "-c", SOCKETS], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    return p


def test_tcpstat_counts_real_sockets():
    p = sockets_in_a()
    try:
        with NsExporter(only("tcpstat")) as e:
            fams = e.scrape()
            st = fams["node_tcp_connection_states"]
            # ours: 2 listeners + the exporter's; 3 connections (6 sockets) + the scrape's own (2)
            assert st.value(state="listen") == 3
            assert st.value(state="established") == 8
            assert st.value(state="rx_queued_bytes") == 3000
            # a listener's send queue is its backlog limit: 5 + 5 + the exporter's
            assert st.value(state="tx_queued_bytes") >= 10
            assert "close_wait" not in {l["state"] for _, l, _ in st.samples}
    finally:
        p.stdin.close()
        p.wait(10)


def test_tcpstat_beside_upstream():
    up = upstream()
    p = sockets_in_a()
    try:
        with NsExporter(only("tcpstat"), binary=up, port=9101) as u, NsExporter(only("tcpstat")) as o:
            theirs, ours = u.scrape(), o.scrape()
    finally:
        p.stdin.close()
        p.wait(10)
    # time_wait holds the connections of earlier probes and scrapes, which differ by the moment
    for fams in (theirs, ours):
        f = fams["node_tcp_connection_states"]
        f.samples = [s for s in f.samples if s[1]["state"] != "time_wait"]
    res = compare(theirs, ours, ("node_tcp_",))
    print(f"tcpstat beside upstream: {res[0]}/{res[1]} families, {res[2]}/{res[3]} values equal")
    assert not res[4], res[4]
