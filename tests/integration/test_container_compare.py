"""Side by side with cAdvisor v0.60.5 (built from source; not packaged) on the
same live cgroups, when $UPSTREAM_CADVISOR names its binary: every
container_* and machine_* family cAdvisor exposes for the test cgroups and
the machine is in ours with the same type and label names, and CPU and
memory values agree within 5% (tests/conformance/container_compare.py;
families cAdvisor fills with constants are listed there with the reason)."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "conformance"))
import container_compare  # noqa: E402
from harness import Skip  # noqa: E402


def test_same_families_and_values_as_cadvisor():
    upstream = os.environ.get("UPSTREAM_CADVISOR", "")
    if not upstream:
        raise Skip("set UPSTREAM_CADVISOR to a cAdvisor v0.60.5 binary to compare")
    if not os.access(upstream, os.X_OK):
        raise Skip(f"{upstream} is not an executable")
    rows = container_compare.run(upstream)
    for name, status, detail in rows:
        print(f"  {name:<48} {status:<9} {detail}")
    bad = [r for r in rows if r[1] not in ("ok", "no-source")]
    assert not bad, f"families differing from cAdvisor: {bad}"
    checked = [r for r in rows if r[1] == "ok"]
    # The test cgroups must have produced the families compared (a run that finds nothing proves nothing).
    assert {"container_cpu_usage_seconds_total", "container_memory_working_set_bytes",
            "container_spec_cpu_quota", "machine_cpu_cores"} <= {r[0] for r in checked}
