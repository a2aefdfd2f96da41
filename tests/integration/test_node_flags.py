"""node_exporter's flags against upstream 1.12.1's (issue 13, done-when 1 and
6): the committed flag list (tests/data/node_exporter-1.12.1.flags, from
upstream's --help) diffed with ours; every collector flag accepted, on and
off, with upstream's defaults; a collector option we cannot serve names the
collector and says why; and the argument lists of real deployments
(tests/data/node_deployments/*.args) start and serve."""

import glob
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "conformance"))
from harness import BINDIR, FIXTURES, Exporter, Process, free_port, http_get, parse_text, wait_for  # noqa: E402
import node_flags  # noqa: E402

NODE = os.path.join(BINDIR, "node_exporter")
DATA = os.path.join(HERE, "..", "data")
UPSTREAM = node_flags.read_list(os.path.join(DATA, "node_exporter-1.12.1.flags"))

# ---------------------------------------------------------------------------
# EXPECTED FROM PART B (issue 13): the flags of upstream 1.12.1 that another
# branch brings (the netlink, D-Bus and network collectors, netclass's
# netlink mode, --web.systemd-socket). Until it is merged they are refused as
# unknown; once it is, drop each name it serves from this list (the test
# fails when a listed flag is accepted, so the list cannot go stale).
# ---------------------------------------------------------------------------
EXPECTED_FROM_PART_B = {
    "collector.ethtool", "collector.ethtool.device-exclude", "collector.ethtool.device-include",
    "collector.ethtool.metrics-include",
    "collector.logind",
    "collector.netclass.netlink", "collector.netclass_rtnl.with-stats",
    "collector.network_route",
    "collector.ntp", "collector.ntp.ip-ttl", "collector.ntp.local-offset-tolerance", "collector.ntp.max-distance",
    "collector.ntp.protocol-version", "collector.ntp.server", "collector.ntp.server-is-local",
    "collector.ntp.server-port",
    "collector.qdisc", "collector.qdisc.device-exclude", "collector.qdisc.device-include", "collector.qdisc.fixtures",
    "collector.systemd", "collector.systemd.enable-restarts-metrics", "collector.systemd.enable-start-time-metrics",
    "collector.systemd.enable-task-metrics", "collector.systemd.unit-exclude", "collector.systemd.unit-include",
    "collector.tcpstat",
    "collector.wifi", "collector.wifi.fixtures",
    "web.systemd-socket",
}


def ours():
    return node_flags.parse_ours(node_flags.help_of(NODE))


def collector_flags():
    """Upstream's --[no-]collector.* and collector option flags."""
    return {n: v for n, v in UPSTREAM.items() if n.startswith("collector.")}


def test_flag_list_is_upstream_help():
    # The committed list is what node_flags.py reads from upstream's help: its collectors and a few known defaults.
    assert len([n for n, (k, _) in UPSTREAM.items() if re.fullmatch(r"collector\.[a-z_]+", n) and k == "bool"]) == 79
    assert UPSTREAM["collector.vmstat.fields"] == ("value", "^(oom_kill|pgpg|pswp|pg.*fault).*")
    assert UPSTREAM["collector.sysctl.include"][0] == "list"
    assert UPSTREAM["collector.interrupts.include-zeros"] == ("bool", "")


def test_collector_flags_match_upstream():
    mine = ours()
    wanted = {n: v for n, v in UPSTREAM.items() if n.startswith(("collector.", "path.", "web."))}
    missing = sorted(n for n in wanted if n not in mine)
    differing = sorted(f"{n}: upstream {wanted[n]}, ours {mine[n]}" for n in wanted
                       if n in mine and mine[n] != wanted[n])
    print(f"upstream 1.12.1 collector/path/web flags: {len(wanted)}; ours: {len(wanted) - len(missing)}; "
          f"missing: {len(missing)} (all expected from part B)")
    for n in missing:
        print(f"  expected from part B: --{n}")
    assert not differing, "flags whose kind or default differ from upstream:\n" + "\n".join(differing)
    unexpected = sorted(set(missing) - EXPECTED_FROM_PART_B)
    assert not unexpected, f"upstream flags we refuse that are not part B's: {unexpected}"
    landed = sorted(n for n in EXPECTED_FROM_PART_B if n in mine)
    assert not landed, f"part B's flags are served now: drop them from EXPECTED_FROM_PART_B: {landed}"


def served_collectors():
    return sorted(n.split(".", 1)[1] for n, (k, _) in collector_flags().items()
                  if re.fullmatch(r"collector\.[a-z_]+", n) and k == "bool" and n not in EXPECTED_FROM_PART_B
                  and n != "collector.disable-defaults")


def option_args(bool_prefix):
    """Every collector option flag of upstream (part B's aside) at upstream's default value."""
    args = []
    for n, (kind, default) in sorted(collector_flags().items()):
        if n in EXPECTED_FROM_PART_B or re.fullmatch(r"collector\.[a-z_]+", n) or n == "collector.disable-defaults":
            continue
        if kind == "bool":
            args.append(f"--{bool_prefix}{n}")
        elif default != "":
            args.append(f"--{n}={default}")
    return args


def test_every_collector_on_with_upstream_defaults():
    names = served_collectors()
    assert len(names) == 79 - 8  # upstream's 79 collectors, part B's 8 aside
    fix = os.path.join(FIXTURES, "node")
    args = [f"--path.procfs={fix}/proc", f"--path.sysfs={fix}/sys", f"--path.rootfs={fix}",
            f"--path.udev.data={fix}/udev/data", *[f"--collector.{c}" for c in names], *option_args("no-")]
    with Exporter("node_exporter", args) as e:
        fams = e.scrape()
        ran = {l["collector"] for _, l, _ in fams["node_scrape_collector_success"].samples}
        assert ran == set(names), sorted(set(names) ^ ran)
        # Options took effect: interrupts without zeros, every other one on the fixtures.
        assert all(v != 0 for _, _, v in fams["node_interrupts_total"].samples)


def test_every_collector_off():
    names = served_collectors()
    args = [*[f"--no-collector.{c}" for c in names], *option_args("")]
    with Exporter("node_exporter", args) as e:
        fams = e.scrape()
        assert fams["node_exporter_build_info"].samples
        ran = fams["node_scrape_collector_success"].samples if "node_scrape_collector_success" in fams else []
        assert not ran, ran


def run_refused(args):
    r = subprocess.run([NODE, f"--web.listen-address=127.0.0.1:{free_port()}", *args],
                       capture_output=True, text=True, timeout=20)
    return r.returncode, r.stderr.strip().split("\n")[-1]


def test_option_we_cannot_serve_names_the_collector_and_why():
    rc, line = run_refused(["--collector.perf", "--collector.perf.tracepoint=no_such_subsystem:no_such_event"])
    assert rc == 2, line
    assert "collector perf" in line and "tracepoint" in line, line
    rc, line = run_refused(["--collector.interrupts", "--collector.interrupts.name-include=(unclosed"])
    assert rc == 2 and "collector.interrupts.name-include" in line, line
    rc, line = run_refused(["--collector.perf", "--collector.perf.cpus=0-x"])
    assert rc == 2 and "--collector.perf.cpus" in line, line
    # An option of a collector left off is not checked, as upstream (its collector is never created).
    rc, line = run_refused(["--collector.interrupts.name-include=(unclosed", "--version"])
    assert rc == 0, line


# ---- done-when 6: argument lists of real deployments ----

def deployment_lists():
    return sorted(glob.glob(os.path.join(DATA, "node_deployments", "*.args")))


def read_args(path):
    with open(path) as f:
        return [l.rstrip("\n") for l in f if l.strip() and not l.startswith("#")]


def test_deployment_lists_are_committed():
    names = {os.path.basename(p) for p in deployment_lists()}
    assert {"kube-prometheus.args", "helm-prometheus-node-exporter.args", "helm-kube-prometheus-stack.args",
            "helm-extra-args.args"} <= names
    assert "--no-collector.wifi" in read_args(os.path.join(DATA, "node_deployments", "kube-prometheus.args"))


def test_deployment_args_start_and_serve():
    mine = ours()
    host = tempfile.mkdtemp(prefix="node-deploy-")
    # The pod's view of the host: /host/root is /, /host/proc and /host/sys the real ones.
    os.makedirs(os.path.join(host, "host"))
    for name, target in (("root", "/"), ("proc", "/proc"), ("sys", "/sys")):
        os.symlink(target, os.path.join(host, "host", name))
    skipped = []
    for path in deployment_lists():
        args = read_args(path)
        need_b = sorted({a.split("=", 1)[0].lstrip("-").removeprefix("no-") for a in args}
                        & EXPECTED_FROM_PART_B)
        if need_b:
            # Passes now only by skipping; the lead removes this once part B is merged.
            skipped.append(f"{os.path.basename(path)} (needs part B: {', '.join('--' + f for f in need_b)})")
            continue
        unknown = [a for a in args if a.split("=", 1)[0].lstrip("-").removeprefix("no-") not in mine]
        assert not unknown, f"{os.path.basename(path)}: flags we do not have: {unknown}"
        port = free_port()
        run = []
        for a in args:
            a = a.replace("=/host/", f"={host}/host/").replace("$(HOST_IP)", "127.0.0.1")
            if a.startswith("--web.listen-address="):
                a = re.sub(r":\d+$", f":{port}", a)
            run.append(a)
        p = Process([NODE, *run])
        try:
            wait_for(lambda: not p.alive() or http_get(port, "/").status == 200, timeout=20,
                     what=f"{os.path.basename(path)} to serve")
            assert p.alive(), f"{os.path.basename(path)}: exited {p.proc.returncode}:\n{p.log}"
            r = http_get(port, "/metrics")
            assert r.status == 200, r.status
            fams = parse_text(r.text)
            assert fams["node_scrape_collector_success"].samples
            assert fams["node_memory_MemTotal_bytes"].value() > 0, "procfs root not followed"
            print(f"{os.path.basename(path)}: {len(args)} args, served {len(fams)} families")
            assert p.stop() == 0, p.log
        finally:
            p.cleanup()
    for s in skipped:
        print(f"skipped until part B is merged: {s}")
    assert len(skipped) < len(deployment_lists())
