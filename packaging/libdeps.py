"""The Debian packages of a binary's shared libraries: the libraries it names
(ELF NEEDED entries, from readelf), located by ldd, owned per dpkg -S.
Python's standard library only; used by packaging/generate.py and the tests."""

import os
import re
import subprocess


def needed(binary):
    """The sonames the binary names directly (its NEEDED entries)."""
    out = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True, check=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


def resolved(binary):
    """{soname: path} as ldd resolves the binary's libraries."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    paths = {}
    for line in out.splitlines():
        m = re.match(r"\s*(\S+) => (\S+) \(", line)
        if m:
            paths[m.group(1)] = m.group(2)
    return paths


def owner(path):
    """The Debian package owning path (merged /usr: tries /lib too)."""
    candidates = [path, os.path.realpath(path)]
    for p in list(candidates):
        if p.startswith("/usr/lib/"):
            candidates.append(p[len("/usr"):])
        elif p.startswith("/lib/"):
            candidates.append("/usr" + p)
    for p in candidates:
        r = subprocess.run(["dpkg-query", "-S", p], capture_output=True, text=True)
        if r.returncode == 0:
            return r.stdout.split(":")[0].strip()
    raise LookupError(f"no Debian package owns {path}")


def libraries(binary):
    """[(soname, path, package)] for each library the binary names."""
    paths = resolved(binary)
    rows = []
    for soname in needed(binary):
        if soname not in paths:
            raise LookupError(f"ldd does not resolve {soname} of {binary}")
        rows.append((soname, paths[soname], owner(paths[soname])))
    return rows


def packages(binary):
    """Sorted Debian packages of the binary's own libraries."""
    return sorted({pkg for _, _, pkg in libraries(binary)})
