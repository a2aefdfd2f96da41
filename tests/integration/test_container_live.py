"""container_exporter on real cgroups: the test creates cgroups in every
mounted hierarchy (here the v1 ones and the cgroup2 mount), moves a
CPU-burning process under a CPU quota and a memory-holding process under a
memory limit into them, and a process in its own network namespace, then
checks that the counters move as the kernel accounts them, that the spec
follows the limits, and that removed cgroups leave the next scrape. The
cgroup2 tree is also read alone (as on a pure v2 host) through a --path.sysfs
whose fs/cgroup is that mount. The cgroups are removed whatever happens."""

import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import cgroups  # noqa: E402
from harness import Exporter, Skip, assert_promtool_ok, wait_for  # noqa: E402

TOP = f"/ce-live-{os.getpid()}"
ARGS = ["--docker=", "--podman="]


# promtool's lint on cAdvisor's own names, kept for dashboards.
UPSTREAM_LINT = (r"^cadvisor_version_info label names should be written in 'snake_case'",
                 r'^container_memory_failcnt counter metrics should have "_total" suffix')


def setup_module():
    why = cgroups.usable()
    if why:
        raise Skip(why)
    cgroups.remove_tree(TOP)


def teardown_module():
    cgroups.remove_tree(TOP)


def sample(fams, family, id_, **labels):
    fam = fams.get(family)
    if fam is None:
        return None
    found = [v for n, l, v in fam.samples if l.get("id") == id_ and all(l.get(k) == x for k, x in labels.items())]
    assert len(found) <= 1, f"{family}{{id={id_},{labels}}}: {len(found)} samples"
    return found[0] if found else None


def ids(fams):
    out = set()
    for fam in fams.values():
        for _, labels, _ in fam.samples:
            if "id" in labels:
                out.add(labels["id"])
    return out


NETNS = ("ip link add ce0 type bridge && ip link set ce0 arp off up && "
         "ip addr add 10.99.0.1/24 dev ce0 && exec " + sys.executable + " -c '"
         "import socket, time\n"
         "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
         "while True:\n"
         "    s.sendto(b\"x\" * 100, (\"10.99.0.2\", 9))\n"
         "    time.sleep(0.05)\n'")


def test_counters_move_limits_apply_and_removed_cgroups_leave():
    burn, hold, procs = cgroups.burner_and_holder(TOP, 20000, 256 << 20, 96 << 20)
    net = cgroups.Cgroup(f"{TOP}/net")
    try:
        have_netns = shutil.which("unshare") and shutil.which("ip")
        if have_netns:
            p = subprocess.Popen(["unshare", "-n", "sh", "-c", NETNS], start_new_session=True,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(p)
            net.add(p.pid)
        # Let the holder touch its memory.
        wait_for(lambda: int(open(os.path.join(hold.dir("memory"), "memory.usage_in_bytes"
                                               if os.path.exists(os.path.join(hold.dir("memory"), "memory.usage_in_bytes"))
                                               else "memory.current")).read()) > (90 << 20),
                 timeout=20, what="the memory holder")

        with Exporter("container_exporter", ARGS) as e:
            r = e.get("/metrics")
            assert r.status == 200
            assert_promtool_ok(r.text, allowed_lint=UPSTREAM_LINT)
            t0 = time.monotonic()
            first = e.scrape()
            time.sleep(2.0)
            second = e.scrape()
            dt = time.monotonic() - t0
            b, h, n = burn.path, hold.path, net.path

            # CPU: the burner runs under a 20% quota, so it uses at most ~0.2 s per second.
            cpu = "container_cpu_usage_seconds_total"
            u1 = sum(v for name, l, v in first[cpu].samples if l["id"] == b)
            u2 = sum(v for name, l, v in second[cpu].samples if l["id"] == b)
            assert u2 - u1 > 0.02, f"CPU usage did not move: {u1} -> {u2}"
            assert (u2 - u1) / dt < 0.35, f"CPU usage {u2 - u1} in {dt:.1f}s beyond the 20% quota"
            assert sample(second, "container_cpu_user_seconds_total", b) > sample(first, "container_cpu_user_seconds_total", b)
            # The quota makes the CFS families appear, and the kernel throttles.
            assert sample(second, "container_spec_cpu_quota", b) == 20000
            assert sample(second, "container_spec_cpu_period", b) == 100000
            assert sample(second, "container_cpu_cfs_periods_total", b) > sample(first, "container_cpu_cfs_periods_total", b)
            assert sample(second, "container_cpu_cfs_throttled_periods_total", b) > 0
            assert sample(second, "container_cpu_cfs_throttled_seconds_total", b) > 0
            # No quota on the holder: no CFS series.
            assert sample(second, "container_cpu_cfs_periods_total", h) is None
            assert sample(second, "container_spec_cpu_quota", h) is None

            # Memory: at least the 96 MiB held, limit as set, working set within usage.
            usage = sample(second, "container_memory_usage_bytes", h)
            assert usage >= 90 << 20, usage
            assert sample(second, "container_memory_rss", h) >= 90 << 20
            ws = sample(second, "container_memory_working_set_bytes", h)
            assert 90 << 20 <= ws <= usage
            assert sample(second, "container_spec_memory_limit_bytes", h) == 256 << 20
            # The burner's cgroup has no limit: 0, as cAdvisor.
            assert sample(second, "container_spec_memory_limit_bytes", b) == 0

            # PSI from the cgroup2 mount where the path exists there.
            if burn.v2_dir():
                assert sample(second, "container_pressure_cpu_waiting_seconds_total", b) is not None

            # Stats series are stamped with the scrape time, spec series are not.
            stamped = [l for l in r.text.splitlines() if l.startswith("container_memory_usage_bytes{")]
            assert stamped and all(len(l.rsplit(" ", 2)) == 3 and l.rsplit(" ", 1)[1].isdigit() for l in stamped)
            spec = [l for l in r.text.splitlines() if l.startswith("container_spec_memory_limit_bytes{")]
            assert spec and all(len(l.split("} ")[1].split()) == 1 for l in spec)

            # Network: the process in its own namespace sends on ce0 (a bridge without ports); the host's
            # processes (the burner) get no network series.
            if have_netns:
                wait_for(lambda: (sample(e.scrape(), "container_network_transmit_packets_total", n,
                                         interface="ce0") or 0) > 3, timeout=10,
                         what="packets on ce0")
                assert sample(second, "container_network_transmit_bytes_total", b, interface="eth0") is None

            # Removed cgroups leave the next scrape.
            for c in (burn, hold, net):
                c.remove()
            after = e.scrape()
            left = {i for i in ids(after) if i.startswith(TOP + "/")}
            assert not left, f"removed cgroups still reported: {left}"
            # The exporter kept serving the rest.
            assert sample(after, "container_last_seen", "/") is not None
    finally:
        for p in procs:
            p.kill()
            p.wait()
        for c in (burn, hold, net):
            c.remove()


def test_cgroup2_tree_alone_as_on_a_v2_host():
    """The cgroup2 mount read as the only hierarchy: cpu.stat and PSI of a live cgroup."""
    h = cgroups.hierarchies()
    uni = [d for d, v2 in h.values() if v2]
    if not uni:
        raise Skip("no cgroup2 mount")
    tmp = tempfile.mkdtemp(prefix="ce-sysfs-")
    os.makedirs(os.path.join(tmp, "fs"))
    os.symlink(uni[0], os.path.join(tmp, "fs", "cgroup"))
    for d in ("devices", "dev", "class"):
        os.symlink(os.path.join("/sys", d), os.path.join(tmp, d))
    burn = cgroups.Cgroup(f"{TOP}/v2burn", {k: v for k, v in h.items() if v[1]})
    p = cgroups.spawn(cgroups.BURN)
    try:
        burn.add(p.pid)
        with Exporter("container_exporter", [*ARGS, f"--path.sysfs={tmp}"]) as e:
            first = e.scrape()
            time.sleep(1.0)
            second = e.scrape()
            cpu = "container_cpu_usage_seconds_total"
            u1 = sample(first, cpu, burn.path, cpu="total")
            u2 = sample(second, cpu, burn.path, cpu="total")
            assert u1 is not None and u2 > u1, f"{u1} -> {u2}"
            assert sample(second, "container_cpu_system_seconds_total", burn.path) is not None
            assert sample(second, "container_pressure_cpu_waiting_seconds_total", burn.path) is not None
            assert "container_scrape_error" in second and second["container_scrape_error"].value() == 0
    finally:
        p.kill()
        p.wait()
        burn.remove()
        shutil.rmtree(tmp, ignore_errors=True)
