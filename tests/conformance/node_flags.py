#!/usr/bin/env python3
"""The flags of a node_exporter binary, read from its --help.

Works on upstream's kingpin help and on ours. Each flag is (name, kind,
default): kind is "bool" (--[no-]name), "list" (repeatable) or "value";
default is the value text (Go quoting removed), "" when the help shows none
(kingpin then prints the flag's placeholder name; booleans show none).

    node_flags.py --bin /tmp/upstream/bin/node_exporter --write tests/data/node_exporter-1.12.1.flags

writes the committed list (tests/data/node_exporter-1.12.1.flags) from an
upstream binary; without --write it prints the flags."""

import argparse
import ast
import re
import subprocess
import sys

FLAG_LINE = re.compile(r"^\s+(?:-\w, )?--(\[no-\])?([A-Za-z0-9_.\-]+)(=.*?)?(?:\s{2,}.*)?$")


def go_unquote(text):
    """A Go-quoted string as kingpin prints defaults ("^\\d$" -> ^\\d$)."""
    if text.startswith('"') and text.endswith('"'):
        return ast.literal_eval(text)
    return text


def parse_upstream(helptext):
    flags = {}
    for line in helptext.split("\n"):
        m = FLAG_LINE.match(line)
        if not m:
            continue
        no, name, value = m.group(1), m.group(2), m.group(3)
        if no:
            flags[name] = ("bool", "")
            continue
        value = (value or "=")[1:].strip()
        kind = "value"
        if value.endswith(" ..."):
            kind, value = "list", value[:-4].strip()
        elif value == "...":
            kind, value = "list", ""
        if value == name.upper():
            value = ""  # kingpin's placeholder: no default
        flags[name] = (kind, go_unquote(value))
    return flags


OURS_LINE = re.compile(r"^\s+(?:-\w, )?--(\[no-\])?([A-Za-z0-9_.\-]+)(=<\w+>)?( \.\.\.)?\s{2,}(.*)$")


def parse_ours(helptext):
    flags = {}
    for line in helptext.split("\n"):
        m = OURS_LINE.match(line)
        if not m:
            continue
        no, name, value, repeat, text = m.groups()
        d = re.search(r'\(default: "((?:[^"\\]|\\.)*)"\)(?:\s*\(\$\w+\))?\s*$', text)
        default = d.group(1) if d else ""
        if no:
            flags[name] = ("bool", "")
        else:
            flags[name] = ("list" if repeat else "value", default)
    return flags


def help_of(binary):
    r = subprocess.run([binary, "--help"], capture_output=True, text=True)
    return r.stdout + r.stderr


def read_list(path):
    flags = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, kind, default = (line.rstrip("\n").split("\t") + [""])[:3]
            flags[name] = (kind, default)
    return flags


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--write")
    ap.add_argument("--ours", action="store_true", help="the binary is ours (our --help layout)")
    args = ap.parse_args()
    text = help_of(args.bin)
    flags = parse_ours(text) if args.ours else parse_upstream(text)
    out = open(args.write, "w") if args.write else sys.stdout
    if args.write:
        out.write("# Flags of prometheus/node_exporter v1.12.1 (built from source), from its --help:\n"
                  "#   tests/conformance/node_flags.py --bin node_exporter --write <this file>\n"
                  "# name<TAB>kind (bool, value, list)<TAB>default as the help shows it ('' when none)\n")
    for name in sorted(flags):
        kind, default = flags[name]
        out.write(f"{name}\t{kind}\t{default}\n")


if __name__ == "__main__":
    main()
