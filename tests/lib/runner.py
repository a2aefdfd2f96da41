#!/usr/bin/env python3
"""Minimal test runner: runs every test_* function of the given test_*.py files
(or directories), one module per subprocess, several modules in parallel.

Prints one line per test and finally "N passed, N failed" (skips are listed
separately and counted as neither). With --results FILE it also writes
"passed failed skipped" for aggregation. Exit status 1 if anything failed."""

import argparse
import importlib.util
import inspect
import os
import shutil
import subprocess
import tempfile
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from harness import Skip  # noqa: E402


def run_module(path, pattern):
    spec = importlib.util.spec_from_file_location(os.path.basename(path)[:-3], path)
    mod = importlib.util.module_from_spec(spec)
    passed = failed = skipped = 0
    name = os.path.relpath(path)
    try:
        spec.loader.exec_module(mod)
        tests = [(n, f) for n, f in inspect.getmembers(mod, inspect.isfunction)
                 if n.startswith("test_") and f.__module__ == mod.__name__ and (not pattern or pattern in n)]
        tests.sort(key=lambda t: t[1].__code__.co_firstlineno)
        if tests and hasattr(mod, "setup_module"):
            mod.setup_module()
    except Skip as e:
        print(f"SKIP {name}: {e}", flush=True)
        return 0, 0, 1
    except Exception:
        print(f"FAIL {name} (module setup)\n{traceback.format_exc()}", flush=True)
        return 0, 1, 0
    try:
        for tname, fn in tests:
            t0 = time.monotonic()
            try:
                fn()
                passed += 1
                print(f"PASS {name}::{tname} ({time.monotonic() - t0:.2f}s)", flush=True)
            except Skip as e:
                skipped += 1
                print(f"SKIP {name}::{tname}: {e}", flush=True)
            except Exception:
                failed += 1
                print(f"FAIL {name}::{tname} ({time.monotonic() - t0:.2f}s)\n{traceback.format_exc()}", flush=True)
    finally:
        if hasattr(mod, "teardown_module"):
            try:
                mod.teardown_module()
            except Exception:
                failed += 1
                print(f"FAIL {name} (module teardown)\n{traceback.format_exc()}", flush=True)
    return passed, failed, skipped


def discover(paths):
    files = []
    for p in paths:
        if os.path.isdir(p):
            for f in sorted(os.listdir(p)):
                if f.startswith("test_") and f.endswith(".py"):
                    files.append(os.path.join(p, f))
        else:
            files.append(p)
    return files


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="+")
    ap.add_argument("-k", dest="pattern", default="")
    ap.add_argument("-j", dest="jobs", type=int, default=int(os.environ.get("TEST_JOBS", "2")))
    ap.add_argument("--results")
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.one:
        p, f, s = run_module(args.paths[0], args.pattern)
        print(f"@@RESULT {p} {f} {s}", flush=True)
        sys.exit(0)

    files = discover(args.paths)
    # Servers shared by the modules (the Kafka broker) live as long as the session:
    # tests/run-all makes one session for both passes; otherwise this run is one.
    own_session = not os.environ.get("TEST_SESSION_DIR")
    if own_session:
        os.environ["TEST_SESSION_DIR"] = tempfile.mkdtemp(prefix="test-session-")
    try:
        total = run_all(files, args)
    finally:
        if own_session:
            end_session(os.environ.pop("TEST_SESSION_DIR"))
    if total[2]:
        print(f"{total[2]} skipped")
    print(f"{total[0]} passed, {total[1]} failed")
    if args.results:
        with open(args.results, "w") as fh:
            fh.write(f"{total[0]} {total[1]} {total[2]}\n")
    sys.exit(1 if total[1] else 0)


def end_session(d):
    """Stop the servers the session's modules started, and remove its directory."""
    import kafka
    kafka.stop_session(d)
    shutil.rmtree(d, ignore_errors=True)


def run_all(files, args):
    total = [0, 0, 0]
    running = []
    pending = list(files)
    while pending or running:
        while pending and len(running) < max(1, args.jobs):
            f = pending.pop(0)
            cmd = [sys.executable, os.path.abspath(__file__), "--one", f]
            if args.pattern:
                cmd += ["-k", args.pattern]
            running.append((f, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)))
        time.sleep(0.05)
        for item in list(running):
            f, proc = item
            if proc.poll() is None:
                continue
            running.remove(item)
            out = proc.stdout.read().decode("utf-8", "replace")
            got = False
            for line in out.splitlines():
                if line.startswith("@@RESULT "):
                    p, fl, s = map(int, line.split()[1:])
                    total[0] += p
                    total[1] += fl
                    total[2] += s
                    got = True
                else:
                    print(line, flush=True)
            if not got:
                total[1] += 1
                print(f"FAIL {f}: test process died with status {proc.returncode}", flush=True)
    return total


if __name__ == "__main__":
    main()
