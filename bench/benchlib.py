"""What the benchmarks read from /proc about a process: CPU time, resident
memory, private memory; and the CPU a process burns while idle, to subtract
from what it burns while being scraped."""

import os
import time

TICK = os.sysconf("SC_CLK_TCK")


def stat_fields(pid):
    """The fields of /proc/PID/stat after the command name (state is [0], utime [11])."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def cpu_seconds(pid, gone=None):
    """User plus system CPU time of the process, in seconds; gone when it has exited (None: raise)."""
    try:
        fields = stat_fields(pid)
    except OSError:
        if gone is None:
            raise
        return gone
    return (int(fields[11]) + int(fields[12])) / TICK


def status_kib(pid, key="VmRSS"):
    """A /proc/PID/status figure in KiB (VmRSS, VmHWM...)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def private_kib(pid):
    """Memory of the process alone (private clean + dirty), without shared library pages."""
    total = 0
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total += int(line.split()[1])
    return total


def idle_rate(pid, seconds=3.0):
    """CPU seconds per second the process uses while nothing asks it anything."""
    c0, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(pid) - c0) / (time.monotonic() - t0)
