"""node_exporter's procfs/sysfs collectors (cpu, cpufreq, stat, schedstat,
pressure, diskstats, filesystem, btrfs, netdev, arp, netstat, sockstat,
vmstat) as a running binary: on this host, with bad option flags, and with a
mount whose statfs never returns.

The hanging mount is real: a FUSE filesystem whose server never answers
(the test holds /dev/fuse and never reads it), mounted in a private mount
namespace of the exporter only, so nothing else on the host sees it. That
needs root and /dev/fuse; elsewhere those tests are skipped (the unit tests
cover the same path with a blocking statfs hook)."""

import ctypes
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import BINDIR, SANITIZED, Exporter, Skip, assert_promtool_ok, free_port, wait_for  # noqa: E402

NODE = os.path.join(BINDIR, "node_exporter")
MINE = "cpu cpufreq stat schedstat pressure diskstats filesystem btrfs netdev arp netstat sockstat vmstat".split()
ONLY_MINE = ["--collector.disable-defaults"] + [f"--collector.{c}" for c in MINE]


def test_live_host_scrape():
    with Exporter("node_exporter", ONLY_MINE) as e:
        m = e.scrape()
        ok = {l["collector"]: v for _, l, v in m["node_scrape_collector_success"].samples}
        for c in ("cpu", "stat", "diskstats", "filesystem", "netdev", "arp", "netstat", "sockstat",
                  "vmstat", "btrfs"):
            assert ok.get(c) == 1, f"{c} failed: {ok}\n{e.log}"
        # Absent subsystems are no data, never an error line.
        if not os.path.exists("/proc/schedstat"):
            assert ok["schedstat"] == 0 and "schedstat" not in "".join(
                l for l in e.log.splitlines() if "level=error" in l)
        ncpu = os.cpu_count()
        idle = [v for _, l, v in m["node_cpu_seconds_total"].samples if l["mode"] == "idle"]
        assert len(idle) == ncpu and all(v > 0 for v in idle)
        assert m["node_boot_time_seconds"].value() > 1e9
        lo = m["node_network_receive_packets_total"].value(device="lo")
        assert lo >= 0
        assert m["node_filesystem_size_bytes"].value(mountpoint="/") > 0
        # Counters only grow between scrapes (the cpu monotonic guard included).
        m2 = e.scrape()
        for fam in ("node_cpu_seconds_total", "node_context_switches_total", "node_network_receive_bytes_total"):
            before = {tuple(sorted(l.items())): v for _, l, v in m[fam].samples}
            for _, l, v in m2[fam].samples:
                k = tuple(sorted(l.items()))
                assert k not in before or v >= before[k], f"{fam}{l} went back"
        text = e.get().text
        assert_promtool_ok(text, allowed_lint=[r"node_netstat_", r"node_vmstat_", r"non-counter metrics should not have \"_total\" suffix"])


def test_netlink_and_procfs_netdev_agree():
    """The rtnetlink source folds its counters into /proc/net/dev's columns."""
    with Exporter("node_exporter", ["--collector.disable-defaults", "--collector.netdev"]) as nl, \
            Exporter("node_exporter", ["--collector.disable-defaults", "--collector.netdev",
                                       "--no-collector.netdev.netlink"]) as proc:
        a, b = nl.scrape(), proc.scrape()
    fam_a = {n for n in a if n.startswith("node_network_")}
    fam_b = {n for n in b if n.startswith("node_network_")}
    assert fam_a - fam_b == {"node_network_receive_nohandler_total"}, fam_a ^ fam_b
    assert fam_b <= fam_a
    devs_a = {l["device"] for _, l, _ in a["node_network_receive_bytes_total"].samples}
    devs_b = {l["device"] for _, l, _ in b["node_network_receive_bytes_total"].samples}
    assert devs_a == devs_b and "lo" in devs_a
    # Error counters of lo do not move; both sources must say the same.
    for fam in ("node_network_receive_errs_total", "node_network_transmit_colls_total",
                "node_network_receive_frame_total"):
        assert a[fam].value(device="lo") == b[fam].value(device="lo")


def run_flags(*flags):
    return subprocess.run([NODE, "--web.listen-address=127.0.0.1:0", *flags], capture_output=True,
                          text=True, timeout=30)


def test_bad_option_flags_exit_2():
    if not os.path.exists(NODE):
        raise Skip("node_exporter is not built")
    cases = [
        ["--collector.netdev.device-include=a", "--collector.netdev.device-exclude=b"],
        ["--collector.diskstats.device-include=a", "--collector.diskstats.device-exclude=b"],
        ["--collector.filesystem.mount-points-include=a", "--collector.filesystem.mount-points-exclude=b"],
        ["--collector.filesystem.fs-types-include=a", "--collector.filesystem.fs-types-exclude=b"],
        ["--collector.vmstat.fields=("],
        ["--collector.netstat.fields=[a"],
        ["--collector.cpu.info.flags-include=("],
        ["--collector.filesystem.mount-timeout=soon"],
        ["--collector.filesystem.stat-workers=many"],
    ]
    for flags in cases:
        r = run_flags(*flags)
        assert r.returncode == 2, f"{flags}: exit {r.returncode}\n{r.stderr}"
        errors = [l for l in r.stderr.splitlines() if l.startswith("node_exporter: error:")]
        assert len(errors) == 1, f"{flags}: {r.stderr}"


def test_help_lists_the_options():
    if not os.path.exists(NODE):
        raise Skip("node_exporter is not built")
    out = subprocess.run([NODE, "--help"], capture_output=True, text=True, timeout=30).stdout
    for flag in ("collector.cpu.guest", "collector.cpu.info.flags-include", "collector.stat.softirq",
                 "collector.diskstats.device-exclude", "collector.filesystem.fs-types-exclude",
                 "collector.netdev.netlink", "collector.netdev.label-ifalias", "collector.netdev.address-info",
                 "collector.netdev.enable-detailed-metrics", "collector.arp.netlink",
                 "collector.netstat.fields", "collector.vmstat.fields"):
        assert f"--{flag}" in out or f"--[no-]{flag}" in out, flag
    # Hidden as upstream: accepted, not listed.
    for flag in ("collector.filesystem.mount-timeout", "collector.filesystem.stat-workers",
                 "collector.diskstats.ignored-devices", "collector.netdev.device-whitelist"):
        assert flag not in out, flag
    assert run_flags("--collector.filesystem.stat-workers=2", "--help").returncode == 0


# ---- a mount that never answers ----

CLONE_NEWNS = 0x20000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18


def fuse_available():
    if os.geteuid() != 0:
        raise Skip("needs root to mount a FUSE filesystem in a private mount namespace")
    if not os.path.exists("/dev/fuse"):
        raise Skip("/dev/fuse is not available")
    with open("/proc/filesystems") as f:
        if "\tfuse\n" not in f.read():
            raise Skip("the kernel has no FUSE support")


class HangingMountExporter(Exporter):
    """node_exporter in its own mount namespace, with a FUSE mount at
    <tmp>/hang whose server (this test, holding the /dev/fuse descriptor)
    never answers. Closing the descriptor aborts the connection: the blocked
    statfs calls then fail with ENOTCONN."""

    def __init__(self, extra=()):
        fuse_available()
        if not os.path.exists(NODE):
            raise Skip("node_exporter is not built")
        self.work = tempfile.mkdtemp(prefix="fusehang-")
        self.mnt = os.path.join(self.work, "hang")
        os.mkdir(self.mnt)
        # PID 1 lives in another mount namespace: point procfs at our own table.
        os.makedirs(os.path.join(self.work, "proc", "1"))
        os.symlink("/proc/self/mountinfo", os.path.join(self.work, "proc", "1", "mountinfo"))
        self.fuse_fd = os.open("/dev/fuse", os.O_RDWR)
        libc = ctypes.CDLL(None, use_errno=True)
        fd, mnt = self.fuse_fd, self.mnt.encode()

        def enter_namespace():
            # Runs in the child between fork and exec; the descriptor is
            # close-on-exec, so only this test keeps the connection open.
            if libc.unshare(CLONE_NEWNS) != 0:
                raise OSError(ctypes.get_errno(), "unshare")
            if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
                raise OSError(ctypes.get_errno(), "mount --make-rprivate")
            opts = f"fd={fd},rootmode=40000,user_id=0,group_id=0".encode()
            if libc.mount(b"hangfs", mnt, b"fuse", 0, opts) != 0:
                raise OSError(ctypes.get_errno(), "mount fuse")

        # What harness.Process and Exporter set up, with the namespace step added.
        self.name = "node_exporter"
        self.port = free_port()
        self.check_exit = True
        self.argv = [NODE, f"--web.listen-address=127.0.0.1:{self.port}", "--collector.disable-defaults",
                     "--collector.filesystem", f"--path.procfs={self.work}/proc",
                     "--collector.filesystem.mount-timeout=1s", "--log.level=debug", *extra]
        self.tmp = tempfile.mkdtemp(prefix="itest-")
        self.logpath = os.path.join(self.tmp, "stderr.log")
        self._log = open(self.logpath, "wb")
        self.proc = subprocess.Popen(self.argv, stdout=self._log, stderr=self._log,
                                     preexec_fn=enter_namespace)
        self.wait_ready()

    def abort(self):
        if self.fuse_fd is not None:
            os.close(self.fuse_fd)
            self.fuse_fd = None

    def cleanup(self):
        self.abort()
        super().cleanup()
        subprocess.run(["rm", "-rf", self.work], check=False)


def hang_samples(m, mnt):
    return {(n, l.get("device_error")): v for n, l, v in
            (m["node_filesystem_device_error"].samples + m["node_filesystem_readonly"].samples)
            if l.get("mountpoint") == mnt}


def test_hanging_mount_is_given_up_and_recovers():
    with HangingMountExporter() as e:
        t0 = time.monotonic()
        m = e.scrape()
        took = time.monotonic() - t0
        assert 0.9 < took < 4, f"first scrape took {took:.2f}s"
        s = hang_samples(m, e.mnt)
        assert s[("node_filesystem_device_error", "mountpoint timeout")] == 1, s
        assert s[("node_filesystem_readonly", "mountpoint timeout")] == 0, s
        ok = m["node_scrape_collector_success"].value(collector="filesystem")
        assert ok == 1
        # The other mounts are still reported.
        assert m["node_filesystem_size_bytes"].value(mountpoint="/") > 0
        # While its statfs is pending the mount is skipped at once.
        t0 = time.monotonic()
        m = e.scrape()
        assert time.monotonic() - t0 < 0.8
        assert hang_samples(m, e.mnt)[("node_filesystem_device_error", "mountpoint timeout")] == 1
        # The server goes away: the pending call returns, the mount is checked again.
        e.abort()

        def recovered():
            s = hang_samples(e.scrape(), e.mnt)
            return s if ("node_filesystem_device_error", "transport endpoint is not connected") in s else None
        s = wait_for(recovered, timeout=10, what="the mount to be checked again")
        assert s[("node_filesystem_device_error", "transport endpoint is not connected")] == 1
        assert "Mount point has recovered" in e.log


def test_shutdown_while_a_mount_hangs():
    e = HangingMountExporter()
    try:
        m = e.scrape()
        assert hang_samples(m, e.mnt)[("node_filesystem_device_error", "mountpoint timeout")] == 1
        t0 = time.monotonic()
        e.proc.send_signal(signal.SIGTERM)
        if SANITIZED:
            # LeakSanitizer stops every thread with ptrace before it checks
            # for leaks, and a thread in an unanswered FUSE call cannot stop
            # until the call ends: let it end, then the check runs and must
            # find nothing.
            time.sleep(0.5)
            e.abort()
        rc = e.proc.wait(timeout=8)
        took = time.monotonic() - t0
        assert rc == 0, f"exit {rc}\n{e.log[-3000:]}"
        if not SANITIZED:
            assert took < 3, f"shutdown took {took:.2f}s with a blocked statfs"
    finally:
        e.cleanup()
