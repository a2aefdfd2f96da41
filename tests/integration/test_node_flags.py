"""node_exporter's flags against upstream 1.12.1's (issue 13, done-when 1 and
6): the committed flag list (tests/data/node_exporter-1.12.1.flags, from
upstream's --help) diffed with ours; every collector flag accepted, on and
off, with upstream's defaults; a collector option we cannot serve names the
collector and says why; and the argument lists of real deployments
(tests/data/node_deployments/*.args) start and serve."""

import glob
import os
import re
import shutil
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

# kingpin shows --help and --version as --[no-]help, --[no-]version; ours
# are plain switches (-h, --help; --version), the same names.
SWITCHES = {"help", "version"}


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


def test_flags_match_upstream():
    mine = ours()
    missing = sorted(n for n in UPSTREAM if n not in mine)
    extra = sorted(n for n in mine if n not in UPSTREAM)
    differing = sorted(f"{n}: upstream {UPSTREAM[n]}, ours {mine[n]}" for n in UPSTREAM
                       if n in mine and n not in SWITCHES and mine[n] != UPSTREAM[n])
    print(f"upstream 1.12.1 flags: {len(UPSTREAM)}; ours: {len(mine)}; missing: {missing}; only ours: {extra}")
    assert not differing, "flags whose kind or default differ from upstream:\n" + "\n".join(differing)
    assert not extra, f"flags upstream 1.12.1 does not have: {extra}"
    assert not missing, f"upstream flags we do not serve: {missing}"


def served_collectors():
    return sorted(n.split(".", 1)[1] for n, (k, _) in collector_flags().items()
                  if re.fullmatch(r"collector\.[a-z_]+", n) and k == "bool" and n != "collector.disable-defaults")


def option_args(bool_prefix):
    """Every collector option flag of upstream at upstream's default value."""
    args = []
    for n, (kind, default) in sorted(collector_flags().items()):
        if re.fullmatch(r"collector\.[a-z_]+", n) or n == "collector.disable-defaults":
            continue
        if kind == "bool":
            args.append(f"--{bool_prefix}{n}")
        elif default != "":
            args.append(f"--{n}={default}")
    return args


def test_every_collector_on_with_upstream_defaults():
    names = served_collectors()
    assert len(names) == 79  # upstream's 79 collectors
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


def run_refused(args, env=None):
    r = subprocess.run([NODE, f"--web.listen-address=127.0.0.1:{free_port()}", *args],
                       capture_output=True, text=True, timeout=20, env={**os.environ, **(env or {})})
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


def test_gomaxprocs_accepted_and_said_to_have_no_effect():
    # Upstream's Go runtime flag ($GOMAXPROCS when absent): taken with the
    # values its kingpin Int() takes (strconv.ParseFloat, truncated), and
    # one warning at start-up, since there is no Go runtime here to limit.
    def said(log):
        return [l for l in log.split("\n") if "runtime.gomaxprocs" in l and "no effect" in l]

    for args, env, value in (([], {"GOMAXPROCS": ""}, None),
                             (["--runtime.gomaxprocs=4"], {"GOMAXPROCS": ""}, "4"),
                             ([], {"GOMAXPROCS": "2"}, "2"),
                             (["--runtime.gomaxprocs=2.5"], {"GOMAXPROCS": "8"}, "2.5")):
        with Exporter("node_exporter", ["--no-collector.wifi", *args], env=env) as e:
            assert e.scrape()["node_exporter_build_info"].samples
            lines = said(e.log)
        if value is None:
            assert not lines, lines
        else:
            assert len(lines) == 1 and "level=warn" in lines[0] and f"value={value}" in lines[0], lines
    for args, env in ((["--runtime.gomaxprocs=x"], {}), (["--runtime.gomaxprocs=0x10"], {}),
                      (["--runtime.gomaxprocs="], {}), ([], {"GOMAXPROCS": "two"})):
        rc, line = run_refused(args, env)
        assert rc == 2 and "--runtime.gomaxprocs" in line, (args, env, line)


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
    host = tempfile.mkdtemp(prefix="node-deploy-")
    # The pod's view of the host: /host/root is /, /host/proc and /host/sys the real ones.
    os.makedirs(os.path.join(host, "host"))
    for name, target in (("root", "/"), ("proc", "/proc"), ("sys", "/sys")):
        os.symlink(target, os.path.join(host, "host", name))
    for path in deployment_lists():
        args = read_args(path)
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
            ran = {l["collector"] for _, l, _ in fams["node_scrape_collector_success"].samples}
            on = {a[len("--collector."):] for a in args if re.fullmatch(r"--collector\.[a-z_]+", a)}
            off = {a[len("--no-collector."):] for a in args if re.fullmatch(r"--no-collector\.[a-z_]+", a)}
            assert on <= ran and not off & ran, (sorted(on - ran), sorted(off & ran))
            print(f"{os.path.basename(path)}: {len(args)} args, served {len(fams)} families")
            assert p.stop() == 0, p.log
        finally:
            p.cleanup()
    shutil.rmtree(host)
