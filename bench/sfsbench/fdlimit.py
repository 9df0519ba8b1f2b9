"""Open-file limits: how many connections the runner and sfs-server can hold."""

import os
import resource
from pathlib import Path

FD_SPARE = 256  # descriptors beyond the held connections (logs, pipes, listeners)
# sfs-server keeps one descriptor per logged-in connection (the socket; the
# sessions of one user share one handle on the user's directory).
SERVER_FDS_PER_CONN = 1


def held_capacity(want, server_pid):
    """How many logged-in connections fit the open-file limits of the runner (one each)
    and of sfs-server (SERVER_FDS_PER_CONN each), at most want. Returns (count,
    (runner's limit, server's limit))."""
    own = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    srv = fd_limit(server_pid)
    fit = want
    if own != resource.RLIM_INFINITY:
        fit = min(fit, own - FD_SPARE)
    if srv is not None:
        fit = min(fit, (srv - FD_SPARE) // SERVER_FDS_PER_CONN)
    return max(0, fit), (own, srv)


def fd_limit(pid):
    """The soft limit on open files of a running process (None when unknown)."""
    try:
        for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
            if line.startswith("Max open files"):
                v = line.split()[3]
                return None if v == "unlimited" else int(v)
    except (OSError, IndexError, ValueError):
        pass
    return None


def nr_open(default):
    try:
        return int(Path("/proc/sys/fs/nr_open").read_text())
    except (OSError, ValueError):
        return default


def raise_fd_limit(want):
    """Soft RLIMIT_NOFILE up to the hard limit, and as root the hard limit up to `want`
    (at most fs.nr_open), so the runner and the servers it starts (which inherit it)
    can hold that many connections. Returns the soft limit in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < want and os.geteuid() == 0:
        try:
            top = min(want, int(Path("/proc/sys/fs/nr_open").read_text()))
            resource.setrlimit(resource.RLIMIT_NOFILE, (top, top))
            return top
        except (OSError, ValueError):
            pass
    if hard == resource.RLIM_INFINITY:
        hard = nr_open(soft)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, resource.getrlimit(
            resource.RLIMIT_NOFILE)[1]))
        return hard
    except (OSError, ValueError):
        return soft
