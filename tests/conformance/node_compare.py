#!/usr/bin/env python3
"""Conformance of our node_exporter with upstream on upstream's fixture trees.

Runs bin/node_exporter the way upstream's end-to-end-test.sh runs its binary
(its collectors and flags, on the fixtures tests/fixtures/node/NOTICE names),
drops the lines that depend on the host, and compares with upstream's golden
output (tests/fixtures/node/expected-metrics.txt):

  families: an expected family matches when ours has the same name, type and
            label names;
  values:   an expected sample matches when ours has the same series with an
            equal value;
  extras:   families, and series of upstream's families, that only ours has.

Both figures are reported for the families of the collectors upstream enables
by default on Linux and for all compared families (upstream's whole
end-to-end flag set, qdisc and wifi reading upstream's canned data through
their fixture flags). Prints a report listing every difference; --json
writes the figures for tests."""

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from harness import BINDIR, FIXTURES, Exporter, parse_text  # noqa: E402

FIX = os.path.join(FIXTURES, "node")

DEFAULT_ON = """arp bcache bcachefs bonding btrfs conntrack cpu cpufreq diskstats dmi dmmultipath edac
entropy fibrechannel filefd filesystem hwmon infiniband ipvs kernel_hung loadavg mdadm meminfo netclass
netdev netstat nfs nfsd nvme os powersupplyclass pressure rapl schedstat selinux sockstat softnet stat
tapestats textfile thermal_zone time timex udp_queues uname vmstat watchdog xfs zfs""".split()

ENABLED = """arp bcache bcachefs bonding btrfs buddyinfo cgroups conntrack cpu cpufreq cpu_vulnerabilities
diskstats dmi drbd edac entropy fibrechannel filefd hwmon infiniband interrupts ipvs kernel_hung ksmd lnstat
loadavg mdadm meminfo meminfo_numa mountstats netdev netstat nfs nfsd pcidevice pressure processes qdisc rapl
schedstat slabinfo sockstat softirqs stat sysctl textfile thermal_zone udp_queues vmstat watchdog wifi xfrm
xfs zfs zoneinfo""".split()

DISABLED = "selinux filesystem timex uname".split()

OPTIONS = [
    "--collector.cpu.info",
    "--collector.cpu.info.bugs-include=^(cpu_meltdown|spectre_.*|mds)$",
    "--collector.cpu.info.flags-include=^(aes|avx.?|constant_tsc)$",
    "--collector.arp.device-exclude=nope", "--no-collector.arp.netlink",
    "--collector.bcache.priorityStats",
    "--collector.hwmon.chip-include=(applesmc|asus_nb_wmi|coretemp|hwmon4|ieee80211|nct6779)",
    "--collector.netclass.ignore-invalid-speed",
    "--collector.netclass.ignored-devices=(dmz|int)",
    "--collector.netdev.device-include=lo",
    "--collector.qdisc.device-include=(wlan0|eth0)",
    f"--collector.qdisc.fixtures={FIX}/qdisc/",
    "--collector.stat.softirq",
    "--collector.sysctl.include-info=kernel.seccomp.actions_avail",
    "--collector.sysctl.include=fs.file-nr",
    "--collector.sysctl.include=fs.file-nr:total,current,max",
    "--collector.sysctl.include=kernel.threads-max",
    f"--collector.textfile.directory={FIX}/textfile/two_metric_files/",
    f"--collector.wifi.fixtures={FIX}/wifi",
]

HOST_DEPENDENT = re.compile(r"^(go_|node_exporter_build_info|node_scrape_collector_duration_seconds|process_|"
                            r"node_textfile_mtime_seconds|node_time_(zone|seconds)|"
                            r"node_network_(receive|transmit)_(bytes|packets)_total)")

# Family name -> collector (first match wins).
OWNERS = [
    (r"^node_scrape_collector_", None), (r"^node_exporter_build_info$", None),
    (r"^node_memory_numa_", "meminfo_numa"), (r"^node_memory_", "meminfo"),
    (r"^node_cpu_vulnerabilities_", "cpu_vulnerabilities"),
    (r"^node_cpu_(frequency_(min|max|avg)_hertz|scaling_)", "cpufreq"),
    (r"^node_cpu_", "cpu"),
    (r"^node_network_(receive|transmit)_.*_total$", "netdev"), (r"^node_network_", "netclass"),
    (r"^node_nf_conntrack_", "conntrack"),
    (r"^node_(intr_total|context_switches_total|forks_total|boot_time_seconds|procs_running|procs_blocked|softirqs_total)$", "stat"),
    (r"^node_softirqs_", "softirqs"),
    (r"^node_load(1|5|15)$", "loadavg"),
    (r"^node_md_", "mdadm"), (r"^node_tape_", "tapestats"), (r"^node_power_supply_", "powersupplyclass"),
    (r"^node_(thermal_zone_|cooling_device_)", "thermal_zone"),
    (r"^node_udp_queues$", "udp_queues"), (r"^node_interrupts_", "interrupts"),
    (r"^node_disk_", "diskstats"),
    (r"^node_textfile_", "textfile"), (r"^testmetric", "textfile"),
]


def owner(family):
    for rx, c in OWNERS:
        if re.search(rx, family):
            return c
    m = re.match(r"^node_([a-z0-9]+)_", family)
    if m:
        return {"nfsd": "nfsd"}.get(m.group(1), m.group(1))
    return None


def available_collectors(binary):
    out = subprocess.run([binary, "--help"], capture_output=True, text=True).stdout
    return set(re.findall(r"--\[no-\]collector\.([a-z0-9_]+)\b(?!\.)", out)), out


def run_ours(binary):
    """Run as upstream's end-to-end test does: from a directory where the
    fixtures are at the relative path collector/fixtures, so labels carrying
    paths (rapl's path) read the same as in the golden output."""
    have, helptext = available_collectors(binary)
    work = tempfile.mkdtemp(prefix="node-conformance-")
    os.makedirs(os.path.join(work, "collector"))
    os.symlink(FIX, os.path.join(work, "collector", "fixtures"))
    rel = "collector/fixtures"
    args = [f"--path.rootfs={rel}", f"--path.procfs={rel}/proc", f"--path.sysfs={rel}/sys",
            f"--path.udev.data={rel}/udev/data", "--log.level=debug"]
    args += [f"--collector.{c}" for c in ENABLED if c in have]
    args += [f"--no-collector.{c}" for c in DISABLED if c in have]
    ignored = []
    for opt in OPTIONS:
        opt = opt.replace(FIX, rel)
        flag = opt.split("=")[0].lstrip("-")
        flag = flag[3:] if flag.startswith("no-") else flag
        if re.search(r"--(\[no-\])?" + re.escape(flag) + r"\b(?![.\w-])", helptext):
            args.append(opt)
        else:
            ignored.append(opt)
    try:
        with Exporter("node_exporter", args, binary=os.path.abspath(binary), cwd=work) as e:
            body = e.get("/metrics").text
            log = e.log
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return body, ignored, sorted(set(ENABLED) - have), log


def filtered(text):
    return "\n".join(l for l in text.split("\n") if l.startswith("#") or not HOST_DEPENDENT.match(l))


def key(name, labels):
    return name + "{" + ",".join(f"{k}={v}" for k, v in sorted(labels.items())) + "}"


def same_value(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b


def compare(expected, ours):
    rows = []
    for name, fam in sorted(expected.items()):
        mine = ours.get(name)
        col = owner(name)
        if name.startswith("go_"):
            continue
        status = "ok"
        if mine is None:
            status = "missing"
        elif mine.type != fam.type:
            status = f"type {mine.type} != {fam.type}"
        elif mine.label_names() != fam.label_names() and fam.samples:
            status = f"labels {sorted(mine.label_names())} != {sorted(fam.label_names())}"
        values = {}
        mine_samples = {key(n, l): v for n, l, v in (mine.samples if mine else [])}
        for n, l, v in fam.samples:
            k = key(n, l)
            got = mine_samples.get(k)
            values[k] = ("ok" if got is not None and same_value(got, v)
                         else "missing" if got is None else f"got {got!r} want {v!r}")
        rows.append((name, col, status, values))
    return rows


def extras(expected, ours):
    """What ours exposes beyond the golden output: families, then samples of shared families."""
    fams = sorted(n for n in ours if n not in expected and not n.startswith("go_"))
    samples = []
    for name, fam in sorted(ours.items()):
        if name in expected:
            theirs = {key(n, l) for n, l, _ in expected[name].samples}
            samples += [key(n, l) for n, l, _ in fam.samples if key(n, l) not in theirs]
    return fams, samples


def figures(rows, only=None):
    fams = [r for r in rows if only is None or r[1] in only]
    fam_ok = sum(1 for r in fams if r[2] == "ok")
    samples = [s for r in fams for s in r[3].values()]
    val_ok = sum(1 for s in samples if s == "ok")
    return {"families": len(fams), "families_ok": fam_ok,
            "family_pct": 100.0 * fam_ok / max(1, len(fams)),
            "samples": len(samples), "samples_ok": val_ok,
            "value_pct": 100.0 * val_ok / max(1, len(samples))}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(BINDIR, "node_exporter"))
    ap.add_argument("--json")
    ap.add_argument("--collector", help="only report differences of this collector")
    ap.add_argument("--save-output", help="write our filtered exposition here")
    args = ap.parse_args()

    with open(os.path.join(FIX, "expected-metrics.txt")) as f:
        expected = parse_text(f.read())
    body, ignored, absent, log = run_ours(args.bin)
    if args.save_output:
        with open(args.save_output, "w") as f:
            f.write(filtered(body) + "\n")
    ours = parse_text(filtered(body))
    rows = compare(expected, ours)

    default = figures(rows, set(DEFAULT_ON) | {None})
    everything = figures(rows)
    print("Differences (family: status; first differing samples):")
    for name, col, status, values in rows:
        if args.collector and col != args.collector:
            continue
        bad = [(k, v) for k, v in values.items() if v != "ok"]
        if status != "ok" or bad:
            print(f"  [{col}] {name}: {status}; {len(bad)}/{len(values)} samples differ")
            for k, v in bad[:3]:
                print(f"      {k}: {v}")
    only_fams, only_samples = extras(expected, ours)
    print(f"only in ours: {len(only_fams)} families, {len(only_samples)} samples of upstream's families")
    for k in only_fams + only_samples:
        print(f"  {k}")
    print(f"collectors not built: {' '.join(absent) or 'none'}")
    print(f"option flags not supported: {' '.join(ignored) or 'none'}")
    for label, fg in (("default-on collectors", default), ("all compared collectors", everything)):
        print(f"{label}: families {fg['families_ok']}/{fg['families']} = {fg['family_pct']:.1f}%, "
              f"sample values {fg['samples_ok']}/{fg['samples']} = {fg['value_pct']:.1f}%")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"default_on": default, "all": everything, "only_ours": only_fams + only_samples, "absent": absent,
                       "ignored": ignored}, f)


if __name__ == "__main__":
    main()
