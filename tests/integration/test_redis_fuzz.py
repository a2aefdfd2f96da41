"""A short bounded libFuzzer run of the INFO/CLUSTER INFO parsers and of the
reply tree parsers (LATENCY HISTOGRAM, XINFO) (make fuzz), when clang and
its fuzzer runtime are installed. The corpus replays run in every pass as
the unit tests check_redis_fuzz_corpus and check_redis_replies_fuzz_corpus."""

import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import SANITIZED, Skip  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def test_bounded_fuzz_run():
    if SANITIZED:
        raise Skip("the fuzz binary is always built with ASan+UBSan; run once, in the normal pass")
    if not shutil.which("clang"):
        raise Skip("clang is not installed")
    r = subprocess.run(["make", "-s", "fuzz", "FUZZ_TIME=10"], cwd=ROOT, capture_output=True, text=True,
                       timeout=300)
    out = r.stdout + r.stderr
    if "libclang_rt.fuzzer" in out:
        raise Skip("clang's libFuzzer runtime (libclang-rt-dev) is not installed")
    assert r.returncode == 0, out[-3000:]
    done = [l for l in out.splitlines() if l.startswith("Done") and "runs in" in l]
    assert len(done) == 2, out[-2000:]  # both harnesses ran to their time
    assert "ERROR: AddressSanitizer" not in out and "runtime error" not in out
    print("  " + "; ".join(done))
