"""Debian's Chromium, headless, for tests of what a browser makes of our pages:
a screenshot at a fixed window size (decoded here, stdlib only) and the DOM
after parsing. Raises Skip with the reason when Chromium is missing or cannot
run here."""

import os
import shutil
import struct
import subprocess
import tempfile
import zlib

from harness import Skip

TIMEOUT = 120  # a shared, loaded machine: Chromium's start-up is slow


def _binary():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    raise Skip("chromium is not installed (scripts/install-deps test installs Debian's)")


def _run(extra, url):
    exe = _binary()
    profile = tempfile.mkdtemp(prefix="itest-chromium-")
    # No sandbox: tests may run as root, where Chromium refuses to start with one.
    argv = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--hide-scrollbars", f"--user-data-dir={profile}", *extra, url]
    try:
        p = subprocess.run(argv, capture_output=True, timeout=TIMEOUT,
                           env={**os.environ, "HOME": profile})
    except subprocess.TimeoutExpired:
        raise Skip(f"chromium did not finish within {TIMEOUT}s")
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return p


def dump_dom(url):
    """The DOM Chromium built from url, serialised."""
    p = _run(["--dump-dom"], url)
    if p.returncode != 0 or not p.stdout:
        raise Skip(f"chromium cannot run here (exit {p.returncode}): {p.stderr.decode(errors='replace')[-500:]}")
    return p.stdout.decode("utf-8", "replace")


def screenshot(url, path, width, height):
    """Render url in a width x height window into the PNG file path."""
    p = _run([f"--window-size={width},{height}", f"--screenshot={path}"], url)
    if not os.path.exists(path):
        raise Skip(f"chromium cannot run here (exit {p.returncode}): {p.stderr.decode(errors='replace')[-500:]}")


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def png_pixels(path):
    """(width, height, rows): rows of (r, g, b) tuples of an 8-bit RGB(A),
    non-interlaced PNG such as Chromium writes."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                line[i] = (line[i] + _paeth(a, b, c)) & 0xFF
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(width)])
        prev = line
    return width, height, rows
