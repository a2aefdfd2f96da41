#!/usr/bin/env python3
"""container_exporter beside cAdvisor (v0.60.5 built from source) on the same cgroups.

Creates two cgroups in every mounted hierarchy: a CPU burner under a 50% CFS
quota and a process holding 96 MiB under a 256 MiB memory limit. Both
exporters run on loopback. Once cAdvisor has seen the cgroups, the burner is
stopped (SIGSTOP) so that cAdvisor's background samples (up to a second old)
and our reads at scrape time see the same counters. Then, for every
container_* and machine_* family cAdvisor exposes for those cgroups (and the
machine), ours must have it with the same type and label names (labels with
an empty value dropped, as Prometheus stores them), and the CPU and memory
values must agree within 5%. Families cAdvisor fills with constants because
nothing is read for them here are listed with the reason (NO_SOURCE).

Both programs are started here with one command line, cAdvisor's
(tests/lib/cadvisor.py: its defaults, on loopback):

    tests/conformance/container_compare.py --upstream /tmp/upstream/bin/cadvisor

prints the figures; tests/integration/test_container_compare.py runs it when
$UPSTREAM_CADVISOR names the binary."""

import argparse
import os
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import cadvisor  # noqa: E402
import cgroups  # noqa: E402
from harness import BINDIR, Skip, free_port, http_get, parse_text, wait_for  # noqa: E402

# cAdvisor families with no source on this kind of host: it exports constants.
NO_SOURCE = {
    "container_cpu_load_average_10s": "kind cpuLoad without --enable_load_reader: cAdvisor exports 0, nothing is read",
    "container_cpu_load_d_average_10s": "kind cpuLoad without --enable_load_reader: cAdvisor exports 0, nothing is read",
    "container_tasks_state": "kind cpuLoad without --enable_load_reader: cAdvisor exports 0 per state, nothing is read",
    "container_memory_events_high_total": "cgroup v1 has no memory.events: cAdvisor exports 0",
    "container_memory_events_max_total": "cgroup v1 has no memory.events: cAdvisor exports 0",
    "container_memory_pgscan_total": "cgroup v1's memory.stat has no pgscan: cAdvisor exports 0",
    "container_memory_pgsteal_total": "cgroup v1's memory.stat has no pgsteal: cAdvisor exports 0",
}

# Values compared (within 5%): CPU and memory.
VALUES = ("container_cpu_usage_seconds_total", "container_cpu_user_seconds_total",
          "container_cpu_system_seconds_total", "container_cpu_cfs_periods_total",
          "container_cpu_cfs_throttled_periods_total", "container_cpu_cfs_throttled_seconds_total",
          "container_memory_usage_bytes", "container_memory_working_set_bytes", "container_memory_rss",
          "container_memory_cache", "container_memory_max_usage_bytes", "container_memory_mapped_file",
          "container_spec_cpu_quota", "container_spec_cpu_period", "container_spec_cpu_shares",
          "container_spec_memory_limit_bytes", "machine_cpu_cores", "machine_memory_bytes")
TOLERANCE = 0.05


def text(proc):
    r = http_get(proc.port, "/metrics", timeout=30)
    assert r.status == 200, r.status
    return r.text


def stored_names(samples):
    return {k for _, labels, _ in samples for k, v in labels.items() if v != ""}


def key(labels, ignore=("id",)):
    return tuple(sorted((k, v) for k, v in labels.items() if v != "" and k not in ignore))


def pick(fam, ids):
    """Samples of fam for the given ids (all samples for machine_* families)."""
    if fam.name.startswith("machine_"):
        return list(fam.samples)
    return [s for s in fam.samples if s[1].get("id") in ids]


def compare(up_text, ours_text, ids):
    up, ours = parse_text(up_text), parse_text(ours_text)
    rows = []
    for name, fam in sorted(up.items()):
        if not (name.startswith("container_") or name.startswith("machine_")):
            continue
        theirs = pick(fam, ids)
        if not theirs:
            continue
        if name in NO_SOURCE:
            rows.append((name, "no-source", NO_SOURCE[name]))
            continue
        mine_fam = ours.get(name)
        mine = pick(mine_fam, ids) if mine_fam else []
        if not mine:
            rows.append((name, "missing", ""))
            continue
        if mine_fam.type != fam.type:
            rows.append((name, "type", f"{mine_fam.type} != {fam.type}"))
            continue
        if stored_names(mine) != stored_names(theirs):
            rows.append((name, "labels", f"{sorted(stored_names(mine))} != {sorted(stored_names(theirs))}"))
            continue
        status, detail = "ok", ""
        if name in VALUES:
            for id_ in ids if not name.startswith("machine_") else [None]:
                a = sum(v for _, l, v in theirs if l.get("id") == id_)
                b = sum(v for _, l, v in mine if l.get("id") == id_)
                if a == b == 0:
                    continue
                rel = abs(a - b) / max(abs(a), abs(b))
                if rel > TOLERANCE:
                    status, detail = "value", f"{id_}: cAdvisor {a} ours {b} ({rel:.1%})"
                    break
                detail = f"within {rel:.2%}" if not detail else detail
        rows.append((name, status, detail))
    return rows


def run(upstream, burn_seconds=4.0):
    why = cgroups.usable()
    if why:
        raise Skip(why)
    why = cadvisor.executable(upstream)
    if why:
        raise Skip(why)
    ours_bin = os.path.join(BINDIR, "container_exporter")
    if not os.path.exists(ours_bin):
        raise Skip(f"{ours_bin} is not built")
    top = f"/ce-cmp-{os.getpid()}"
    cgroups.remove_tree(top)
    burn = hold = cad = ours = None
    procs = []
    try:
        burn, hold, procs = cgroups.burner_and_holder(top, 50000, 256 << 20, 96 << 20)
        p = procs[0]
        cad = cadvisor.Started(upstream, free_port())
        ids = {burn.path, hold.path}
        wait_for(lambda: all(f'id="{i}"' in text(cad) for i in ids), 60, interval=0.5,
                 what="cAdvisor to report the test cgroups")
        time.sleep(burn_seconds)
        os.kill(p.pid, signal.SIGSTOP)
        # cAdvisor samples every second: let it see the final counters.
        time.sleep(3.0)
        ours = cadvisor.Started(ours_bin, free_port())
        ours_text = text(ours)
        up_text = text(cad)
        rc = ours.stop()
        assert rc == 0, f"container_exporter exited with {rc} after SIGTERM:\n{ours.log[-4000:]}"
        return compare(up_text, ours_text, ids)
    finally:
        for p in procs:
            try:
                p.kill()
                p.wait()
            except OSError:
                pass
        for proc in (cad, ours):
            if proc:
                proc.stop()
                proc.cleanup()
        cgroups.remove_tree(top)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--upstream", required=True, help="cAdvisor binary")
    args = ap.parse_args()
    try:
        rows = run(args.upstream)
    except Skip as e:
        print(f"skipped: {e}")
        return 0
    width = max(len(r[0]) for r in rows)
    for name, status, detail in rows:
        print(f"{name:<{width}}  {status:<9} {detail}")
    counted = [r for r in rows if r[1] != "no-source"]
    ok = [r for r in counted if r[1] == "ok"]
    print(f"{len(ok)}/{len(counted)} families of cAdvisor's for the test cgroups and the machine are "
          f"in ours with the same type, labels and values; {len(rows) - len(counted)} without a source "
          f"in cAdvisor (constants)")
    return 0 if len(ok) == len(counted) else 1


if __name__ == "__main__":
    sys.exit(main())
