"""node_exporter's man page documents exactly the flags --help lists, and
`make install` puts binaries and man pages under DESTDIR/PREFIX."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import BINDIR, ROOT, SANITIZED, Skip  # noqa: E402


def help_flags(exe):
    out = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=10).stdout
    return set(re.findall(r"^\s+--(?:\[no-\])?([a-z0-9_.\-]+)", out, re.M)) - {"help", "version"}


def man_flags(page):
    text = open(page).read()
    found = re.findall(r"^\.B \\-\\-(?:\[no\\-\])?([a-z0-9_.\\-]+)", text, re.M)
    return {f.replace("\\-", "-") for f in found} - {"help", "version"}


def test_man_page_and_help_agree():
    exe = os.path.join(BINDIR, "node_exporter")
    h = help_flags(exe)
    m = man_flags(os.path.join(ROOT, "man", "node_exporter.1"))
    assert len(h) > 90
    assert h == m, f"only in --help: {sorted(h - m)}; only in the man page: {sorted(m - h)}"


def test_make_install_into_destdir():
    if SANITIZED:
        raise Skip("install is checked once, with the normal build")
    dest = tempfile.mkdtemp(prefix="install-")
    try:
        r = subprocess.run(["make", "-s", "install", "PREFIX=/opt/exp", f"DESTDIR={dest}"], cwd=ROOT,
                           capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stdout + r.stderr
        exporters = sorted(os.path.basename(os.path.dirname(p)) for p in
                           subprocess.run(["sh", "-c", "ls */main.c"], cwd=ROOT, capture_output=True,
                                          text=True).stdout.split())
        for e in exporters:
            binary = os.path.join(dest, "opt/exp/bin", e)
            assert os.access(binary, os.X_OK), binary
            assert os.path.exists(os.path.join(dest, "opt/exp/share/man/man1", e + ".1")), e
        out = subprocess.run([os.path.join(dest, "opt/exp/bin/node_exporter"), "--version"],
                             capture_output=True, text=True).stdout
        assert out.startswith("node_exporter, version ")
    finally:
        shutil.rmtree(dest, ignore_errors=True)
