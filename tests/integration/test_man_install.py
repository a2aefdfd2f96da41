"""Every exporter's man page documents exactly the flags its --help lists
(exporters found as the binaries in BINDIR that have a man/<name>.1), the
comparison catches a page that disagrees, and `make install` puts binaries
and man pages under DESTDIR/PREFIX."""

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import BINDIR, ROOT, SANITIZED, Skip  # noqa: E402
from mancheck import compare, help_flags, man_flags, run_help  # noqa: E402


def exporters():
    """Exporter directories (those with a main.c)."""
    return sorted(os.path.basename(os.path.dirname(p)) for p in glob.glob(os.path.join(ROOT, "*", "main.c")))


def test_every_man_page_lists_the_flags_of_help():
    pages = {}
    for exe in sorted(glob.glob(os.path.join(BINDIR, "*"))):
        page = os.path.join(ROOT, "man", os.path.basename(exe) + ".1")
        if os.access(exe, os.X_OK) and os.path.exists(page):
            pages[os.path.basename(exe)] = (exe, page)
    assert sorted(pages) == exporters(), f"exporters with a binary and a man page: {sorted(pages)}"
    problems = []
    for name, (exe, page) in pages.items():
        help_text = run_help(exe)
        assert len(help_flags(help_text)) > 10, help_text
        only_help, only_man = compare(help_text, open(page).read())
        if only_help or only_man:
            problems.append(f"{name}: only in --help: {only_help}; only in man/{name}.1: {only_man}")
    assert not problems, "\n".join(problems)


def test_the_comparison_catches_a_doctored_page():
    help_text = run_help(os.path.join(BINDIR, "node_exporter"))
    page = open(os.path.join(ROOT, "man", "node_exporter.1")).read()
    assert compare(help_text, page) == ([], [])
    # One entry replaced by an invented one: both are reported, nothing else.
    entry = re.search(r"^\.TP\n\.B \\-\\-collector\.arp\.device\\-include=.*\n.*\n", page, re.M)
    assert entry, "no collector.arp.device-include entry in man/node_exporter.1"
    doctored = page.replace(entry.group(0), ".TP\n.B \\-\\-[no\\-]collector.imaginary\nNot a flag.\n")
    assert compare(help_text, doctored) == (["collector.arp.device-include"], ["collector.imaginary"])
    # An entry moved out of the FLAGS section does not count.
    moved = page.replace(entry.group(0), "") + ".SH NOTES\n" + entry.group(0)
    assert compare(help_text, moved) == (["collector.arp.device-include"], [])


def test_the_parsers_on_each_style_of_entry():
    help_text = """usage: x_exporter [<flags>]
  -h, --help    Show this help and exit.
      --version    Show the version and exit.
      --web.listen-address=<string> ...    Addresses. (default: ":1")
      --[no-]debug    Debug. (default: false) ($X_DEBUG)
      --constantLabels=<string>    Labels.

Flags may also be given with a single dash (-redis.addr), as with upstream.
Endpoints: --not-a-flag is prose, not a flag line.
"""
    assert help_flags(help_text) == {"web.listen-address", "debug", "constantLabels"}
    man = r""".SH DESCRIPTION
.TP
.B \-\-described.elsewhere
Not in FLAGS: not counted.
.SH FLAGS
.TP
.B \-h, \-\-help
Help.
.TP
.B \-\-web.listen\-address=\fISTRING\fR ...
Addresses.
.TP
.B \-\-[no\-]debug
Debug, see also \-\-constantLabels in the text (not a tag).
.TP
.BI \-\-constantLabels= LIST
Labels.
.SH SEE ALSO
.TP
.B \-\-after.flags
Not counted either.
"""
    assert man_flags(man) == {"web.listen-address", "debug", "constantLabels"}
    assert compare(help_text, man) == ([], [])
    assert compare(help_text.replace("--[no-]debug", "--[no-]debugging"), man) == (["debugging"], ["debug"])


def test_make_install_into_destdir():
    if SANITIZED:
        raise Skip("install is checked once, with the normal build")
    dest = tempfile.mkdtemp(prefix="install-")
    try:
        r = subprocess.run(["make", "-s", "install", "PREFIX=/opt/exp", f"DESTDIR={dest}"], cwd=ROOT,
                           capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stdout + r.stderr
        for e in exporters():
            binary = os.path.join(dest, "opt/exp/bin", e)
            assert os.access(binary, os.X_OK), binary
            assert os.path.exists(os.path.join(dest, "opt/exp/share/man/man1", e + ".1")), e
        out = subprocess.run([os.path.join(dest, "opt/exp/bin/node_exporter"), "--version"],
                             capture_output=True, text=True).stdout
        assert out.startswith("node_exporter, version ")
    finally:
        shutil.rmtree(dest, ignore_errors=True)
