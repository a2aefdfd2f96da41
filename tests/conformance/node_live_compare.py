#!/usr/bin/env python3
"""Our node_exporter beside upstream's on this host: Debian's
prometheus-node-exporter (1.5.0) by default, or another build given with
--upstream PATH or $NODE_EXPORTER_UPSTREAM (upstream 1.12.1 built from source).

Both run with the same flags (their default collectors, plus --extra ones)
on free loopback ports and are scraped once. For every family upstream exposes (Go runtime families aside) we check
that ours has it with the same type and label names, and compare the values
of stable gauges and the number of CPUs. Label names are compared as
Prometheus stores them: a label with an empty value is no label at all, so
node_exporter 1.12's device_error="" on a healthy filesystem gives the same
series as 1.5.0 without the label. Prints the figures and every difference;
--json writes them for tests."""

import argparse
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from harness import BINDIR, Exporter, Skip, parse_text, upstream_binary  # noqa: E402

DEBIAN = "/usr/bin/prometheus-node-exporter"
# The one variable naming an upstream node_exporter (1.12.1 built from source) for every comparison.
UPSTREAM_VAR = "NODE_EXPORTER_UPSTREAM"


def upstream_1_12_1():
    """$NODE_EXPORTER_UPSTREAM, or Skip when it is unset."""
    return upstream_binary(UPSTREAM_VAR, "a node_exporter 1.12.1 binary")

# Families whose values do not move between two scrapes a moment apart.
STABLE = re.compile(r"^node_(memory_MemTotal_bytes|memory_SwapTotal_bytes|filesystem_size_bytes|"
                    r"filesystem_files|uname_info|os_info|os_version|boot_time_seconds|"
                    r"network_mtu_bytes|network_info|network_up|disk_info|cpu_scaling_governor|"
                    r"dmi_info|entropy_pool_size_bits|filefd_maximum|nf_conntrack_entries_limit|"
                    r"time_clocksource_(available|current)_info|cpu_frequency_(min|max)_hertz|"
                    r"filesystem_readonly|filesystem_device_error|md_disks_required|"
                    r"textfile_scrape_error|selinux_enabled|network_speed_bytes|network_mtu_bytes|"
                    r"processes_max_processes|processes_max_threads|sysctl_vm_swappiness|"
                    r"cgroups_enabled|swap_size_bytes|zoneinfo_(present|spanned)_pages|"
                    r"cpu_vulnerabilities_info|ksmd_run|memory_numa_MemTotal)$")

# Counters whose values move but whose series must be the same on both sides.
SAME_SERIES = re.compile(r"^node_(interrupts_total|softirqs_functions_total|cpu_seconds_total|"
                         r"lnstat_.*|slabinfo_objects)$")


def scrape_both(args_ours, args_up, upstream=DEBIAN):
    if not os.path.exists(upstream):
        raise Skip(f"{upstream} is not installed (Debian package prometheus-node-exporter, "
                   "or set NODE_EXPORTER_UPSTREAM)")
    with Exporter("node_exporter", args_up, binary=upstream, check_exit=False) as up, \
            Exporter("node_exporter", args_ours) as ours:
        a = up.get("/metrics").text
        b = ours.get("/metrics").text
    return parse_text(a), parse_text(b)


def stored_labels(labels):
    """Labels as Prometheus stores them: empty values dropped."""
    return tuple(sorted((k, v) for k, v in labels.items() if v != ""))


def stored_label_names(fam):
    return {k for _, labels, _ in fam.samples for k, v in labels.items() if v != "" and k not in ("le", "quantile")}


def compare(up, ours):
    rows = []
    for name, fam in sorted(up.items()):
        if name.startswith("go_") or not fam.samples:
            continue
        mine = ours.get(name)
        if mine is None:
            rows.append((name, "missing"))
        elif mine.type != fam.type:
            rows.append((name, f"type {mine.type} != {fam.type}"))
        elif stored_label_names(mine) != stored_label_names(fam):
            rows.append((name, f"labels {sorted(stored_label_names(mine))} != {sorted(stored_label_names(fam))}"))
        else:
            status = "ok"
            if SAME_SERIES.match(name):
                theirs = {stored_labels(l) for n, l, v in fam.samples}
                mine_s = {stored_labels(l) for n, l, v in mine.samples}
                if theirs != mine_s:
                    status = f"series differ: only upstream {sorted(theirs - mine_s)[:2]}, only ours {sorted(mine_s - theirs)[:2]}"
            if status == "ok" and STABLE.match(name):
                theirs = {stored_labels(l): v for n, l, v in fam.samples}
                mine_v = {stored_labels(l): v for n, l, v in mine.samples}
                diff = [(k, theirs[k], mine_v.get(k)) for k in theirs if mine_v.get(k) != theirs[k]]
                if diff:
                    status = f"values differ: {diff[:2]}"
            rows.append((name, status))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--json")
    ap.add_argument("--upstream", default=os.environ.get(UPSTREAM_VAR) or DEBIAN,
                    help=f"upstream binary (default: ${UPSTREAM_VAR}, else Debian's)")
    ap.add_argument("--extra", action="append", default=[], help="extra flag for both exporters")
    args = ap.parse_args()
    up, ours = scrape_both(args.extra, args.extra, args.upstream)
    rows = compare(up, ours)
    present = [r for r in rows if not r[1].startswith("missing")]
    same = [r for r in rows if not r[1].startswith(("missing", "type", "labels"))]
    stable = [r for r in rows if STABLE.match(r[0])]
    stable_ok = [r for r in stable if r[1] == "ok"]
    cpus_up = {l.get("cpu") for _, l, _ in up["node_cpu_seconds_total"].samples}
    cpus_ours = {l.get("cpu") for _, l, _ in ours["node_cpu_seconds_total"].samples} \
        if "node_cpu_seconds_total" in ours else set()
    for name, status in rows:
        if status != "ok":
            print(f"  {name}: {status}")
    print(f"CPUs: upstream {len(cpus_up)}, ours {len(cpus_ours)}")
    extra = sorted(n for n in ours if n not in up and not n.startswith("go_"))
    print(f"families only in ours: {len(extra)}")
    print(f"upstream families: {len(rows)}; present in ours: {len(present)}; "
          f"same type and labels: {len(same)} = {100.0 * len(same) / max(1, len(rows)):.1f}%")
    print(f"stable families with equal values: {len(stable_ok)}/{len(stable)}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"families": len(rows), "same": len(same), "stable": len(stable),
                       "stable_ok": len(stable_ok), "rows": rows,
                       "cpus_upstream": len(cpus_up), "cpus_ours": len(cpus_ours)}, f)


if __name__ == "__main__":
    main()
