"""Measurements from /proc: CPU of process trees, memory, the machine's other load."""

import os
import resource
import threading
import time

from .common import CLK_TCK
from .procs import tree


def proc_cpu(pid):
    """utime+stime+cutime+cstime of one process, seconds (0 when gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(x) for x in fields[11:15]) / CLK_TCK


def tree_cpu(pid):
    """CPU seconds of a process, its live descendants, and all the descendants
    they reaped (a reaped child's time lands in its parent's cutime/cstime)."""
    return sum(proc_cpu(p) for p in tree(pid))


def proc_status(pid, keys=("VmRSS", "RssAnon", "VmHWM")):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in keys:
                    out[k] = int(v.split()[0])
    except OSError:
        pass
    return out


def proc_pss(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_mem(pid, pss=False):
    """Sums over the process tree, KiB: rss, anon (RssAnon), pss (when asked), procs.
    (PSS is not used for the idle test: client processes sharing the server's
    libraries lower the server's PSS.)"""
    pids = tree(pid)
    m = {"rss": 0, "anon": 0, "pss": 0, "procs": len(pids)}
    for p in pids:
        s = proc_status(p)
        m["rss"] += s.get("VmRSS", 0)
        m["anon"] += s.get("RssAnon", 0)
        if pss:
            m["pss"] += proc_pss(p)
    return m


def reset_peak_rss(pid):
    """Resets a process's VmHWM (peak RSS), where the kernel allows it."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


class MemSampler(threading.Thread):
    """Peak of the server tree's summed RSS and anon RSS, sampled every 100 ms."""

    def __init__(self, pid, interval=0.1):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.stop = threading.Event()
        self.peak = {"rss": 0, "anon": 0}

    def run(self):
        while not self.stop.wait(self.interval):
            self.sample()

    def sample(self):
        m = tree_mem(self.pid)
        for k in self.peak:
            self.peak[k] = max(self.peak[k], m[k])

    def finish(self):
        self.stop.set()
        self.join(5)
        self.sample()  # one last sample
        return self.peak


class Machine:
    """Machine-wide busy CPU time, to tell how much other work ran meanwhile."""

    @staticmethod
    def busy():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        # user nice system idle iowait irq softirq steal
        return (v[0] + v[1] + v[2] + v[5] + v[6]) / CLK_TCK, v[7] / CLK_TCK

    @staticmethod
    def ours(servers):
        s = resource.getrusage(resource.RUSAGE_SELF)
        c = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime +
                sum(tree_cpu(srv.proc.pid) for srv in servers if srv.proc))


def other_load(busy0, t0, ours):
    """Share of the machine's CPU that others used since (busy0, t0), given the CPU
    seconds our processes used meanwhile."""
    busy1, t1 = Machine.busy()[0], time.monotonic()
    cores = os.cpu_count() or 1
    return max(0.0, (busy1 - busy0) - ours) / max(1e-9, (t1 - t0) * cores)
