#!/usr/bin/env python3
"""Turn an exporter's --help flag list into man(7) .TP entries, so the FLAGS
section of a man page can be regenerated when flags change:
    bin/node_exporter --help | man/flags2man.py"""

import re
import sys


def esc(s):
    return s.replace("\\", "\\\\").replace("-", "\\-")


for line in sys.stdin:
    m = re.match(r"^\s+(--\S+)( \.\.\.)?\s{2,}(.*)$", line.rstrip("\n"))
    if not m or m.group(1) in ("--help", "--version"):
        continue
    flag, repeat, text = m.group(1), m.group(2), m.group(3)
    name, _, arg = flag.partition("=")
    arg = arg.replace("<", "").replace(">", "").upper()
    print(".TP")
    print(f".B {esc(name)}" + (f"=\\fI{esc(arg)}\\fR" if arg else "") + (" ..." if repeat else ""))
    print(esc(text))
