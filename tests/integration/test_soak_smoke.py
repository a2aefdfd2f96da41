"""bench/soak.py keeps working: a short soak of node_exporter (2,000 scrapes,
every kind of request the script sends) answers every request rightly and
keeps its descriptors flat, with figures in its table; and a threshold
nothing can meet makes it say NOT FLAT and exit 1, so its verdict is
enforced. RSS is not judged: 2,000 scrapes are too few for its slope to
rise above a page or two of noise (and under the sanitizers RSS grows by
design, ASan's quarantine). The sanitizer build's leak check at SIGTERM
applies (the script fails if the exporter does not exit 0)."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import BINDIR, ROOT, Skip  # noqa: E402

SOAK = os.path.join(ROOT, "bench", "soak.py")
LOOSE_RSS = ["--rss-growth", "100000000", "--rss-slope", "1e15"]


def soak(*args):
    if not os.path.exists(os.path.join(BINDIR, "node_exporter")):
        raise Skip("node_exporter is not built")
    argv = [sys.executable, SOAK, "--exporters", "node", "--interval", "0.1", "--checkpoints", "4", *args]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    return r.returncode, r.stdout + r.stderr


def row(out, name):
    """The figures of an exporter's line in the table, by column."""
    lines = [line.split() for line in out.splitlines() if line.startswith(name + " ")]
    assert len(lines) == 1, out
    cols = ("exporter", "scrapes", "rate", "rss0", "rss1", "rssmax", "rss_slope", "fd0", "fd1", "fdmax", "fd_slope")
    return dict(zip(cols, lines[0])), lines[0][len(cols):]


def test_node_soak_is_flat_and_every_answer_right():
    rc, out = soak("--scrapes", "2000", *LOOSE_RSS)
    assert rc == 0, out
    assert "wrong answer" not in out, out
    figures, verdict = row(out, "node")
    assert int(figures["scrapes"]) == 2000, out
    assert verdict == ["flat"], out
    rss0, rss1, rssmax = (int(figures[k]) for k in ("rss0", "rss1", "rssmax"))
    assert 0 < rss0 <= rssmax and rss1 <= rssmax, out
    fd0, fd1 = int(figures["fd0"]), int(figures["fd1"])
    assert fd0 >= 3 and fd1 - fd0 <= 2, out


def test_growth_over_the_threshold_fails_the_run():
    # no descriptor growth is below -1: the verdict must turn and the exit status with it
    rc, out = soak("--scrapes", "300", "--fd-growth", "-1", *LOOSE_RSS)
    assert rc == 1, out
    _, verdict = row(out, "node")
    assert verdict == ["NOT", "FLAT"], out
