"""tests/check-style.sh finds a banned call wherever a C file lives: run on a
copy of the tree's C sources, it passes as the tree is, and fails naming the
file once atoi() is appended to a collector two directories deep (the old
one-level glob missed exactly that) or to a file deeper still."""

import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import ROOT  # noqa: E402

SCRIPT = os.path.join(ROOT, "tests", "check-style.sh")


def copy_sources(dest):
    """The .c and .h files of the tree, at their paths, without build output."""
    n = 0
    for dirpath, dirnames, filenames in os.walk(ROOT):
        rel = os.path.relpath(dirpath, ROOT)
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and
                       not (rel == "." and d in ("build", "bin"))]
        for f in filenames:
            if f.endswith((".c", ".h")):
                os.makedirs(os.path.join(dest, rel), exist_ok=True)
                shutil.copy(os.path.join(dirpath, f), os.path.join(dest, rel, f))
                n += 1
    return n


def style(tree):
    r = subprocess.run([SCRIPT, tree], capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout + r.stderr


def test_banned_call_at_any_depth_fails_the_check():
    tree = tempfile.mkdtemp(prefix="style-")
    try:
        assert copy_sources(tree) > 100
        rc, out = style(tree)
        assert rc == 0 and "style: ok" in out, out

        loadavg = os.path.join(tree, "node_exporter", "collectors", "loadavg.c")
        with open(loadavg, "a") as f:
            f.write("int style_probe(const char *s) { return atoi(s); }\n")
        rc, out = style(tree)
        assert rc == 1, out
        assert "node_exporter/collectors/loadavg.c:" in out and "atoi(s)" in out, out
        assert "style: ok" not in out

        shutil.copy(os.path.join(ROOT, "node_exporter", "collectors", "loadavg.c"), loadavg)
        rc, out = style(tree)
        assert rc == 0, out
        deep = os.path.join(tree, "a", "b", "c", "d")
        os.makedirs(deep)
        with open(os.path.join(deep, "x.h"), "w") as f:
            f.write("static inline void probe(char *d) { strcpy(d, \"x\"); }\n")
        rc, out = style(tree)
        assert rc == 1 and "a/b/c/d/x.h:" in out, out
    finally:
        shutil.rmtree(tree, ignore_errors=True)


def test_the_tree_passes():
    rc, out = style(ROOT)
    assert rc == 0 and "style: ok" in out, out
