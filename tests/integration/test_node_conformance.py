"""node_exporter against upstream: on upstream's own fixture trees and golden
output (issue figure 1), beside Debian's prometheus-node-exporter on this
host (figure 2), and through promtool (figure 3). The figures are printed."""

import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "conformance"))
from harness import FIXTURES, Exporter, assert_promtool_ok, parse_text  # noqa: E402
import node_compare  # noqa: E402
import node_live_compare  # noqa: E402

# Names upstream keeps on purpose that promtool's linter flags, kept for
# drop-in compatibility: upstream's own checkmetrics.sh ignores the same
# (node_entropy_, node_memory_, node_netstat_).
ALLOWED_LINT = [
    r"^node_(memory|netstat|memory_numa)_\S+ metric names should be written in 'snake_case' not 'camelCase'$",
    r'^node_entropy_(available|pool_size)_bits use base unit "bytes" instead of "bits"$',
]


def test_golden_output_of_upstream_fixtures():
    with open(os.path.join(FIXTURES, "node", "expected-metrics.txt")) as f:
        expected = parse_text(f.read())
    body, ignored, absent, log = node_compare.run_ours(os.path.join(node_compare.BINDIR, "node_exporter"))
    rows = node_compare.compare(expected, parse_text(node_compare.filtered(body)))
    default = node_compare.figures(rows, set(node_compare.DEFAULT_ON) | {None})
    everything = node_compare.figures(rows)
    print(f"golden, default-on collectors: families {default['families_ok']}/{default['families']} "
          f"= {default['family_pct']:.1f}%, sample values {default['samples_ok']}/{default['samples']} "
          f"= {default['value_pct']:.1f}%")
    print(f"golden, all compared: families {everything['families_ok']}/{everything['families']} "
          f"= {everything['family_pct']:.1f}%, sample values {everything['samples_ok']}/{everything['samples']} "
          f"= {everything['value_pct']:.1f}%")
    for name, col, status, values in rows:
        bad = [k for k, v in values.items() if v != "ok"]
        if col in node_compare.DEFAULT_ON + [None] and (status != "ok" or bad):
            print(f"  differs: [{col}] {name}: {status}; {len(bad)} samples")
    assert default["family_pct"] >= 95.0, default
    assert default["value_pct"] >= 98.0, default
    # Every default-on collector ran and succeeded on the fixtures.
    m = parse_text(body)
    ok = {l["collector"]: v for _, l, v in m["node_scrape_collector_success"].samples}
    failed = [c for c in node_compare.DEFAULT_ON if c in ok and ok[c] != 1
              and c not in node_compare.DISABLED]
    assert not failed, f"collectors failing on upstream's fixtures: {failed}\n{log[-3000:]}"


def test_beside_debian_node_exporter_on_this_host():
    up, ours = node_live_compare.scrape_both([], [])
    rows = node_live_compare.compare(up, ours)
    same = [r for r in rows if not r[1].startswith(("missing", "type", "labels"))]
    pct = 100.0 * len(same) / len(rows)
    print(f"live: {len(same)}/{len(rows)} = {pct:.1f}% of Debian 1.5.0's families (Go runtime aside) "
          f"with the same type and labels")
    for name, status in rows:
        if status != "ok":
            print(f"  differs: {name}: {status}")
    assert pct >= 97.0
    # Stable values agree wherever the series exist in both.
    bad_values = [r for r in rows if r[1].startswith("values differ")]
    assert not bad_values, bad_values
    for fam in ("node_memory_MemTotal_bytes", "node_uname_info", "node_filesystem_size_bytes", "node_os_info"):
        assert dict(rows).get(fam) == "ok", (fam, dict(rows).get(fam))
    cpus = lambda m: {l["cpu"] for _, l, _ in m["node_cpu_seconds_total"].samples}  # noqa: E731
    assert cpus(up) == cpus(ours)


def test_promtool_parses_every_exposition():
    fix = os.path.join(FIXTURES, "node")
    runs = [
        [],  # this host, default collectors
        [f"--path.procfs={fix}/proc", f"--path.sysfs={fix}/sys", f"--path.rootfs={fix}",
         f"--path.udev.data={fix}/udev/data", "--collector.cpu.info", "--collector.stat.softirq",
         f"--collector.textfile.directory={fix}/textfile/two_metric_files/"],
    ]
    for args in runs:
        with Exporter("node_exporter", args) as e:
            for accept in ({}, {"Accept": "application/openmetrics-text;version=1.0.0"}):
                r = e.get("/metrics", accept)
                assert r.status == 200
                if accept:
                    # promtool reads text 0.0.4 only; OpenMetrics must still end properly.
                    assert r.text.endswith("# EOF\n")
                    continue
                problems = assert_promtool_ok(r.text, ALLOWED_LINT)
                print(f"promtool: {len(problems)} lint findings, all upstream names kept on purpose")
