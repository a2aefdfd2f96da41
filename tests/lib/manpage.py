"""The flags an exporter's --help lists and those its man page documents, to
check that they agree."""

import re
import subprocess


def help_flags(exe):
    """Flag names in `exe --help`, without --help and --version."""
    out = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=10).stdout
    return set(re.findall(r"^\s+--(?:\[no-\])?([A-Za-z0-9_.\-]+)", out, re.M)) - {"help", "version"}


def man_flags(page):
    """Flag names of the .B entries of a man page (as man/flags2man.py writes them)."""
    with open(page) as f:
        text = f.read()
    found = re.findall(r"^\.B \\-\\-(?:\[no\\-\])?([A-Za-z0-9_.\\-]+)", text, re.M)
    return {f.replace("\\-", "-") for f in found} - {"help", "version"}
