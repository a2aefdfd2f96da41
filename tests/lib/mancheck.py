"""An exporter's man page against its --help: the flag names each lists.

--help lines look like "  -h, --help  ...", "      --[no-]debug  ..." or
"      --web.listen-address=<string> ...  ..."; the man page's FLAGS section
has a .TP entry per flag whose tag is ".B \\-\\-[no\\-]debug",
".B \\-\\-web.listen\\-address=\\fISTRING\\fR ..." or
".BI \\-\\-web.listen\\-address= ADDR". --help and --version are left out
of the comparison (every program has them)."""

import re
import subprocess

ALWAYS = {"help", "version"}
FLAG = re.compile(r"--(?:\[no-\])?([A-Za-z0-9_.][A-Za-z0-9_.\-]*)")


def help_flags(text):
    """Flag names listed in --help output."""
    names = set()
    for line in text.splitlines():
        m = re.match(r"^\s+(?:-\w, )?(--\S+)", line)
        if m:
            f = FLAG.match(m.group(1))
            if f:
                names.add(f.group(1).rstrip("="))
    return names - ALWAYS


def run_help(exe):
    r = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=10)
    return r.stdout + r.stderr


def man_flags(text):
    """Flag names of the .TP entries of a man page's FLAGS section."""
    names = set()
    section = None
    tag_next = False
    for line in text.splitlines():
        if line.startswith(".SH"):
            section = line[3:].strip().strip('"')
            tag_next = False
        elif section == "FLAGS" and line.startswith(".TP"):
            tag_next = True
        elif tag_next:
            tag_next = False
            plain = re.sub(r"\\f[BIRP]", "", line).replace("\\-", "-")
            plain = re.sub(r"^\.[A-Z]+\s+", "", plain)
            for f in FLAG.finditer(plain):
                names.add(f.group(1).rstrip("="))
    return names - ALWAYS


def compare(help_text, man_text):
    """(only in --help, only in the man page), each sorted."""
    h, m = help_flags(help_text), man_flags(man_text)
    return sorted(h - m), sorted(m - h)
