"""tests/run-pass runs only the check programs whose source tests/unit/<name>.c
still exists: a program left in a build directory by a renamed or removed
test (make does not delete it) is not run, so it can neither fail a pass nor
make it look bigger. Checked on a scratch build directory with one program
of each kind, through groups.sh's unit_programs, which run-pass calls."""

import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import ROOT  # noqa: E402


def programs(build, group=""):
    r = subprocess.run(["bash", "-c", '. tests/lib/groups.sh && unit_programs "$1"', "-", build],
                       cwd=ROOT, env=dict(os.environ, T=group), capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    return [os.path.basename(p) for p in r.stdout.split()]


def test_stale_check_programs_are_not_run():
    with tempfile.TemporaryDirectory(prefix="runpass-") as build:
        os.makedirs(os.path.join(build, "tests"))
        for name in ("check_parse", "check_node_basic", "check_renamed_long_ago", "check_parse.d"):
            path = os.path.join(build, "tests", name)
            with open(path, "w") as f:
                f.write("#!/bin/sh\nexit 1\n")
            os.chmod(path, 0o755 if not name.endswith(".d") else 0o644)
        assert os.path.exists(os.path.join(ROOT, "tests", "unit", "check_parse.c"))
        assert not os.path.exists(os.path.join(ROOT, "tests", "unit", "check_renamed_long_ago.c"))
        assert programs(build) == ["check_node_basic", "check_parse"]
        assert programs(build, "node") == ["check_node_basic"]
        assert programs(build, "common") == ["check_parse"]
