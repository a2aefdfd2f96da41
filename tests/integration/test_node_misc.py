"""node_exporter's misc collectors (textfile, zfs, xfs, mdadm, nfs, nfsd, ipvs,
kernel_hung, time, timex, uname, os, selinux, softnet, conntrack, filefd,
entropy, udp_queues) through the real binary: what the unit tests cannot
show -- textfiles replaced by rename while the exporter runs, a FIFO that
must not block the HTTP scrape, errors logged once rather than per scrape,
the exit status for a bad option, promtool on the whole page, and the
collectors on this host."""

import os
import re
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import BINDIR, FIXTURES, Exporter, assert_promtool_ok  # noqa: E402

NODE = os.path.join(BINDIR, "node_exporter")
FIX = os.path.join(FIXTURES, "node")
MINE = ("textfile zfs xfs mdadm nfs nfsd ipvs kernel_hung time timex uname os selinux softnet "
        "conntrack filefd entropy udp_queues").split()
HOST_DEPENDENT = {"timex", "uname", "selinux", "time"}


def only(collectors, *extra):
    return ["--collector.disable-defaults", *[f"--collector.{c}" for c in collectors], *extra]


def success(fams, collector):
    return fams["node_scrape_collector_success"].value(collector=collector)


def test_fixture_page_parses_and_every_collector_succeeds():
    args = [f"--path.procfs={FIX}/proc", f"--path.sysfs={FIX}/sys", f"--path.rootfs={FIX}",
            *only(MINE, f"--collector.textfile.directory={FIX}/textfile/two_metric_files")]
    with Exporter("node_exporter", args) as e:
        r = e.get("/metrics")
        assert r.status == 200
        fams = e.scrape()
        for c in MINE:
            if c == "timex":
                assert success(fams, c) in (0, 1)  # adjtimex may be forbidden here
            else:
                assert success(fams, c) == 1, f"{c} failed:\n{e.log}"
        assert fams["node_textfile_scrape_error"].value() == 0
        assert fams["testmetric1_1"].value(foo="bar") == 10
        assert fams["node_zfs_arc_hits"].type == "untyped"
        assert fams["node_md_disks"].value(device="md3", state="spare") == 2
        # The one naming lint, on upstream's own entropy names (its checkmetrics.sh skips them too).
        assert_promtool_ok(r.text, allowed_lint=(r'^node_entropy_(available|pool_size)_bits use base unit "bytes"',))


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def test_textfile_rename_fifo_and_recovery():
    with tempfile.TemporaryDirectory() as d:
        prom = os.path.join(d, "job.prom")
        write_atomic(prom, "# TYPE job_last_success gauge\njob_last_success 1\n")
        with Exporter("node_exporter", only(["textfile"], f"--collector.textfile.directory={d}",
                                            "--log.level=debug")) as e:
            fams = e.scrape()
            assert fams["job_last_success"].value() == 1
            assert fams["node_textfile_mtime_seconds"].value(file=prom) == int(os.stat(prom).st_mtime)
            # Replaced by rename while running: the new content is read, not the old inode.
            write_atomic(prom, "# TYPE job_last_success gauge\njob_last_success 2\n")
            assert e.scrape()["job_last_success"].value() == 2

            # A FIFO nobody writes to must not block the scrape.
            os.mkfifo(os.path.join(d, "stuck.prom"))
            t0 = time.monotonic()
            fams = e.scrape(timeout=10)
            assert time.monotonic() - t0 < 5
            assert fams["node_textfile_scrape_error"].value() == 1
            assert fams["job_last_success"].value() == 2
            assert success(fams, "textfile") == 1  # as upstream: the error is in the gauge
            os.unlink(os.path.join(d, "stuck.prom"))

            # A broken file: the others are still served; the error is logged once.
            with open(os.path.join(d, "broken.prom"), "w") as f:
                f.write("broken{ 1\n")
            for _ in range(3):
                fams = e.scrape()
                assert fams["node_textfile_scrape_error"].value() == 1
                assert fams["job_last_success"].value() == 2
            errors = [l for l in e.log.splitlines() if "level=error" in l and "broken.prom" in l]
            assert len(errors) == 1, e.log
            # Fixed: back to no error, and the new family appears.
            write_atomic(os.path.join(d, "broken.prom"), "fixed 1\n")
            fams = e.scrape()
            assert fams["node_textfile_scrape_error"].value() == 0
            assert fams["fixed"].value() == 1
            assert e.alive()


def test_bad_ipvs_labels_exit_2():
    r = subprocess.run([NODE, "--collector.ipvs.backend-labels=proto,bogus", "--web.listen-address=127.0.0.1:0"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2, r.stderr
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert any("bogus" in l for l in lines), r.stderr
    assert len([l for l in lines if "level=error" in l or "error" in l.lower()]) >= 1


def test_on_this_host():
    with Exporter("node_exporter", only(MINE)) as e:
        t0 = time.time()
        fams = e.scrape()
        # Collectors whose source may be absent here succeed or report no data, never crash.
        for c in MINE:
            assert success(fams, c) in (0, 1)
        for c in ("uname", "time", "filefd", "textfile", "selinux"):
            assert success(fams, c) == 1, f"{c}:\n{e.log}"
        info = [l for n, l, v in fams["node_uname_info"].samples]
        assert info[0]["nodename"] == socket.gethostname()
        assert info[0]["release"] == os.uname().release
        assert abs(fams["node_time_seconds"].value() - t0) < 30
        if os.path.exists("/etc/os-release"):
            with open("/etc/os-release") as f:
                m = re.search(r'^ID="?([^"\n]*)"?$', f.read(), re.M)
            assert [l for n, l, v in fams["node_os_info"].samples][0]["id"] == m.group(1)
        with open("/proc/sys/fs/file-nr") as f:
            maximum = float(f.read().split()[2])
        assert fams["node_filefd_maximum"].value() == maximum
        if not os.path.exists("/sys/fs/selinux/enforce"):
            assert fams["node_selinux_enabled"].value() == 0
        # Nothing was logged at error level by a collector that merely lacks its subsystem.
        assert "collector failed" not in e.log, e.log
