"""node_exporter's btrfs collector on a real Btrfs filesystem: a file made
into one with mkfs.btrfs (Debian's btrfs-progs) and mounted through a loop
device in a temporary directory. The device metrics come from the Btrfs
ioctls on that mount point: the loop device's size and unused bytes, its
own UUID and error counters, as `btrfs device stats` and the superblock
tell them. Needs root, loop devices and btrfs in the kernel; everything is
unmounted and removed whatever happens. With NODE_EXPORTER_UPSTREAM set,
upstream's btrfs families are compared with ours."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Exporter, Skip, upstream_binary  # noqa: E402

tmp = None
mounted = False
SIZE = 200 * 1024 * 1024


def setup_module():
    global tmp, mounted
    if os.geteuid() != 0:
        raise Skip("mounting needs root")
    if not shutil.which("mkfs.btrfs"):
        raise Skip("mkfs.btrfs is not installed (Debian package btrfs-progs)")
    tmp = tempfile.mkdtemp(prefix="btrfs-test-")
    img, mnt = os.path.join(tmp, "img"), os.path.join(tmp, "mnt")
    os.mkdir(mnt)
    with open(img, "wb") as f:
        f.truncate(SIZE)
    r = subprocess.run(["mkfs.btrfs", "-q", "-L", "testfs", img], capture_output=True, text=True)
    if r.returncode != 0:
        raise Skip(f"mkfs.btrfs: {r.stderr.strip()}")
    r = subprocess.run(["mount", "-o", "loop", img, mnt], capture_output=True, text=True)
    if r.returncode != 0:
        raise Skip(f"cannot mount a loop device here: {r.stderr.strip()}")
    mounted = True


def teardown_module():
    if mounted:
        subprocess.run(["umount", os.path.join(tmp, "mnt")], capture_output=True)
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)


def filesystem():
    """UUID, device and the device's own UUID, as btrfs-progs reports them."""
    mnt = os.path.join(tmp, "mnt")
    show = subprocess.run(["btrfs", "filesystem", "show", mnt], capture_output=True, text=True).stdout
    uuid = re.search(r"uuid: ([0-9a-f-]{36})", show).group(1)
    dev = re.search(r"path (\S+)", show).group(1)
    dev_uuid = None
    r = subprocess.run(["btrfs", "inspect-internal", "dump-super", dev], capture_output=True, text=True)
    m = re.search(r"dev_item.uuid\s+([0-9a-f-]{36})", r.stdout)
    if m:
        dev_uuid = m.group(1)
    return uuid, os.path.basename(dev), dev_uuid


def test_device_metrics_from_the_ioctls():
    uuid, dev, dev_uuid = filesystem()
    with Exporter("node_exporter", ["--collector.disable-defaults", "--collector.btrfs"]) as e:
        fams = e.scrape()
        assert fams["node_scrape_collector_success"].value(collector="btrfs") == 1, e.log
        assert fams["node_btrfs_info"].value(uuid=uuid, label="testfs") == 1
        size = fams["node_btrfs_device_size_bytes"]
        assert size.label_names() == {"uuid", "device", "btrfs_dev_uuid"}
        labels = dict(uuid=uuid, device=dev)
        if dev_uuid:
            labels["btrfs_dev_uuid"] = dev_uuid
        assert size.value(**labels) == SIZE
        unused = fams["node_btrfs_device_unused_bytes"].value(**labels)
        assert 0 < unused < SIZE
        errors = fams["node_btrfs_device_errors_total"]
        assert errors.type == "counter"
        for t in ("write", "read", "flush", "corruption", "generation"):
            assert errors.value(type=t, **labels) == 0


def test_beside_upstream():
    up = upstream_binary("NODE_EXPORTER_UPSTREAM", "a node_exporter 1.12.1 binary")
    args = ["--collector.disable-defaults", "--collector.btrfs"]
    with Exporter("node_exporter", args, binary=up, check_exit=False) as u, Exporter("node_exporter", args) as o:
        theirs, ours = u.scrape(), o.scrape()
    names = sorted(n for n in theirs if n.startswith("node_btrfs_"))
    diffs, values, equal = [], 0, 0
    for n in names:
        a, b = theirs[n], ours.get(n)
        if b is None or a.type != b.type or a.label_names() != b.label_names():
            diffs.append(f"family {n}")
            continue
        mine = {tuple(sorted(l.items())): v for _, l, v in b.samples}
        for _, l, v in a.samples:
            values += 1
            if mine.get(tuple(sorted(l.items()))) == v:
                equal += 1
            else:
                diffs.append(f"{n}{l}: {v} vs {mine.get(tuple(sorted(l.items())))}")
    print(f"btrfs beside upstream: {len(names) - sum(d.startswith('family') for d in diffs)}/{len(names)} "
          f"families, {equal}/{values} values equal")
    assert not diffs, diffs
