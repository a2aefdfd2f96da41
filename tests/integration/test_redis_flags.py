"""Every flag and environment variable of redis_exporter 1.88.0's --help is
accepted by ours: the list of upstream (tests/data/redis_exporter-1.88.0.flags,
from v1.88.0's --help and main.go) diffed with our --help, and each flag and
each variable given to the binary at upstream's default."""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import BINDIR  # noqa: E402

EXE = os.path.join(BINDIR, "redis_exporter")
DATA = os.path.join(os.path.dirname(__file__), "..", "data", "redis_exporter-1.88.0.flags")

# upstream's defaults, to give each flag a value it accepts
DEFAULTS = {"check-keys-batch-size": "1000", "max-distinct-key-groups": "100", "connection-timeout": "15s",
            "namespace": "redis", "config-command": "CONFIG", "log-level": "INFO", "log-format": "txt",
            "tls-server-min-version": "TLS1.2", "check-search-indexes": ".*",
            "redis.addr": "redis://localhost:6379", "web.listen-address": "127.0.0.1:0",
            "web.telemetry-path": "/metrics"}
BOOLS_TRUE = {"include-metrics-for-empty-databases", "redact-config-metrics", "set-client-name"}


def upstream():
    rows = [l.rstrip("\n").split("\t") for l in open(DATA) if l.strip() and not l.startswith("#")]
    return {f: (None if env == "-" else env) for f, env in rows}


def ours():
    out = subprocess.run([EXE, "--help"], capture_output=True, text=True, timeout=10).stdout
    flags = {}
    for m in re.finditer(r"^\s+--(\[no-\])?([a-z0-9.\-]+)(=<(\w+)>)?\s.*?(?:\(\$([A-Z0-9_]+)\))?$", out, re.M):
        flags[m.group(2)] = (m.group(4) or "bool", m.group(5))
    return flags


def test_every_upstream_flag_and_variable_is_in_our_help():
    up, mine = upstream(), ours()
    missing = sorted(f for f in up if f not in mine and f != "version")
    assert not missing, f"upstream flags not in our --help: {missing}"
    wrong_env = sorted((f, env, mine[f][1]) for f, env in up.items() if env and f in mine and mine[f][1] != env)
    assert not wrong_env, f"flags reading another variable than upstream's: {wrong_env}"
    assert "version" in subprocess.run([EXE, "--version"], capture_output=True, text=True, timeout=10).stdout


def test_every_upstream_flag_is_accepted_at_its_default():
    up, mine = upstream(), ours()
    args = []
    for f in up:
        if f == "version":
            continue
        kind = mine[f][0]
        if kind == "bool":
            args.append(f"-{f}={'true' if f in BOOLS_TRUE else 'false'}")
        else:
            args.append(f"-{f}={DEFAULTS.get(f, '')}")
    # --version after the others: every flag before it is parsed, then it exits 0
    r = subprocess.run([EXE, *args, "--version"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, r.stderr


def test_every_upstream_variable_is_read():
    """Each variable set to a value of the wrong type must be refused by name: proof it is read."""
    up, mine = upstream(), ours()
    checked = 0
    for f, env in up.items():
        if not env or mine[f][0] not in ("bool", "int", "duration"):
            continue
        r = subprocess.run([EXE, "--version"], env=dict(os.environ, **{env: "not-a-number-or-bool"}),
                           capture_output=True, text=True, timeout=10)
        assert r.returncode == 2 and f"${env}" in r.stderr, (env, r.returncode, r.stderr)
        checked += 1
    assert checked >= 29, checked
    # string variables: at upstream's default they are accepted
    env = dict(os.environ, **{v: DEFAULTS.get(f, "") for f, v in up.items()
                              if v and mine[f][0] == "string" and f not in ("redis.password-file", "script")})
    r = subprocess.run([EXE, "--web.listen-address=127.0.0.1:0", "--version"], env=env, capture_output=True,
                       text=True, timeout=10)
    assert r.returncode == 0, r.stderr
