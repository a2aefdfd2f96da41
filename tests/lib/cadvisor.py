"""cAdvisor v0.60.5 (built from source, never committed) beside container_exporter.

Both programs get one and the same argument list, cAdvisor's own flags as
its DaemonSet runs it (deploy/kubernetes/base passes none: every default,
which for the metric kinds is --disable_metrics=advtcp,cpu_topology,cpuset,
hugetlb,memory_numa,process,referenced_memory,resctrl,sched,tcp,udp), on
loopback. container_exporter takes cAdvisor's flags, so nothing is tuned for
one side: the same kinds, the same Docker/Podman/containerd endpoints, the
same housekeeping settings (which ours accepts and has no use for). The
comparison (tests/conformance/container_compare.py) and the benchmark
(bench/container_bench.py) start both with argv() below.
"""

import os

from harness import Process

# Beyond cAdvisor's defaults: only where to listen (argv) and klog to stderr.
FLAGS = ("-logtostderr",)


def argv(binary, port, extra=()):
    """The command line of cAdvisor or container_exporter on 127.0.0.1:port."""
    return [binary, "-listen_ip=127.0.0.1", f"-port={port}", *FLAGS, *extra]


def executable(path):
    """None if path is a runnable program, else why not."""
    if not path:
        return "no cAdvisor binary given"
    if not os.access(path, os.X_OK):
        return f"{path} is not an executable"
    return None


class Started(Process):
    """cAdvisor or container_exporter started with argv(), listening."""

    def __init__(self, binary, port, extra=(), timeout=30):
        self.port = port
        super().__init__(argv(binary, port, extra))
        self.wait_listening(port, timeout)
