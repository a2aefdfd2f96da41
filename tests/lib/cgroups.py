"""Real cgroups for tests and benchmarks: create one path in every mounted
hierarchy (the v1 ones and a cgroup2 mount, or the single cgroup2 tree),
move processes in, set limits, and always remove them again (processes are
killed first, children before parents)."""

import os
import signal
import subprocess
import sys
import time

CGROOT = "/sys/fs/cgroup"
V1_CONTROLLERS = ("cpu", "cpuacct", "memory", "blkio", "pids", "devices")


def hierarchies():
    """{name: (dir, is_v2)} for the mounted hierarchies we create cgroups in."""
    out = {}
    if os.path.exists(os.path.join(CGROOT, "cgroup.controllers")):
        return {"unified": (CGROOT, True)}
    seen = set()
    try:
        names = sorted(os.listdir(CGROOT))
    except OSError:
        return out
    for name in names:
        d = os.path.join(CGROOT, name)
        if not os.path.isdir(d):
            continue
        real = os.path.realpath(d)
        if real in seen:
            continue
        if os.path.exists(os.path.join(d, "cgroup.controllers")):
            seen.add(real)
            out[name] = (d, True)
        elif any(c in V1_CONTROLLERS for c in name.split(",")) and os.path.exists(os.path.join(d, "cgroup.procs")):
            seen.add(real)
            out[name] = (d, False)
    return out


def usable():
    """None if tests can create cgroups here, else why not."""
    if os.geteuid() != 0:
        return "not root"
    h = hierarchies()
    if not h:
        return f"no cgroup hierarchy under {CGROOT}"
    probe = f"ce-probe-{os.getpid()}"
    name, (d, _) = sorted(h.items())[0]
    try:
        os.mkdir(os.path.join(d, probe))
        os.rmdir(os.path.join(d, probe))
    except OSError as e:
        return f"cannot create a cgroup in {d}: {e}"
    return None


class Cgroup:
    """One cgroup path (e.g. "/ce-test-123/burn") in every hierarchy."""

    def __init__(self, path, hier=None):
        self.path = path
        self.hier = hier or hierarchies()
        self.dirs = {}
        for name, (d, v2) in self.hier.items():
            full = d + path
            os.makedirs(full, exist_ok=True)
            self.dirs[name] = (full, v2)
        # cgroup v2 as the only tree: give the children the controllers.
        for name, (d, v2) in self.hier.items():
            if v2 and d == CGROOT:
                self._enable_v2_controllers(d)

    def _enable_v2_controllers(self, root):
        parts = [p for p in self.path.split("/") if p]
        cur = root
        for p in parts:
            try:
                avail = open(os.path.join(cur, "cgroup.controllers")).read().split()
                want = " ".join("+" + c for c in avail if c in ("cpu", "memory", "io", "pids"))
                if want:
                    with open(os.path.join(cur, "cgroup.subtree_control"), "w") as f:
                        f.write(want)
            except OSError:
                pass
            cur = os.path.join(cur, p)

    def dir(self, controller):
        """The directory holding a controller's files (v1 name, or the cgroup2 one)."""
        for name, (d, v2) in self.dirs.items():
            if not v2 and controller in name.split(","):
                return d
        for name, (d, v2) in self.dirs.items():
            if v2 and os.path.exists(os.path.join(d, {"cpu": "cpu.max", "memory": "memory.max"}.get(controller, "cgroup.procs"))):
                return d
        return None

    def v2_dir(self):
        for name, (d, v2) in self.dirs.items():
            if v2:
                return d
        return None

    def add(self, pid):
        for name, (d, v2) in self.dirs.items():
            with open(os.path.join(d, "cgroup.procs"), "w") as f:
                f.write(str(pid))

    def set_cpu_quota(self, quota_us, period_us=100000):
        d = self.dir("cpu")
        if os.path.exists(os.path.join(d, "cpu.cfs_quota_us")):
            with open(os.path.join(d, "cpu.cfs_period_us"), "w") as f:
                f.write(str(period_us))
            with open(os.path.join(d, "cpu.cfs_quota_us"), "w") as f:
                f.write(str(quota_us))
        else:
            with open(os.path.join(d, "cpu.max"), "w") as f:
                f.write(f"{quota_us} {period_us}")

    def set_memory_limit(self, limit):
        d = self.dir("memory")
        name = "memory.limit_in_bytes" if os.path.exists(os.path.join(d, "memory.limit_in_bytes")) else "memory.max"
        with open(os.path.join(d, name), "w") as f:
            f.write(str(limit))

    def pids(self):
        out = set()
        for name, (d, v2) in self.dirs.items():
            try:
                out.update(int(x) for x in open(os.path.join(d, "cgroup.procs")).read().split())
            except OSError:
                pass
        return out

    def remove(self):
        """Kill what is left inside, then remove the directories (deepest first)."""
        for _ in range(50):
            pids = self.pids()
            if not pids:
                break
            for p in pids:
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.05)
        for name, (d, v2) in self.dirs.items():
            for _ in range(50):
                try:
                    os.rmdir(d)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)


def remove_tree(top):
    """Remove /top and everything below it in every hierarchy (processes killed)."""
    for name, (d, v2) in hierarchies().items():
        base = d + top
        if not os.path.isdir(base):
            continue
        for root, dirs, files in os.walk(base, topdown=False):
            try:
                for p in open(os.path.join(root, "cgroup.procs")).read().split():
                    try:
                        os.kill(int(p), signal.SIGKILL)
                    except OSError:
                        pass
            except OSError:
                pass
        for root, dirs, files in os.walk(base, topdown=False):
            for _ in range(50):
                try:
                    os.rmdir(root)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)


def spawn(code):
    """A Python child process running code (its own process group)."""
    return subprocess.Popen([sys.executable, "-c", code], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def burner_and_holder(top, quota_us, limit, hold_bytes):
    """Cgroups top/burn (a CPU burner under a CFS quota) and top/hold (a process
    holding hold_bytes under a memory limit). Returns (burn, hold, processes);
    the caller kills the processes and removes the cgroups."""
    burn = Cgroup(f"{top}/burn")
    hold = Cgroup(f"{top}/hold")
    procs = []
    burn.set_cpu_quota(quota_us, 100000)
    hold.set_memory_limit(limit)
    p = spawn(BURN)
    procs.append(p)
    burn.add(p.pid)
    p = spawn(HOLD.format(n=hold_bytes))
    procs.append(p)
    hold.add(p.pid)
    return burn, hold, procs


BURN = "while True: pass"
HOLD = ("import time\nb = bytearray({n})\n"
        "for i in range(0, len(b), 4096): b[i] = 1\n"
        "time.sleep(600)")
