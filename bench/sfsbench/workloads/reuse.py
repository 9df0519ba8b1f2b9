"""5b. One more command on a session already open: each tool runs a session with 1
listing and one with 1 + K, and (T(1 + K) - T(1)) / K is the cost of a command on a
reused session (sfs -b, an sftp batch, curl with K + 1 URLs on one connection)."""

import statistics

from ..common import PASSWORD, PEERS, log
from ..report import tables

NAME = "reuse"
TITLE = "5b. one more listing on a session already open"
UNIT = ("ms per command", False)


def write_scripts(b, k):
    scripts = {}
    for n in (1, 1 + k):
        sfs_batch = b.t / f"reuse-{n}.sfs"
        sfs_batch.write_text("ls\n" * n)
        sftp_batch = b.t / f"reuse-{n}.batch"
        sftp_batch.write_text(f"ls {b.ssh.root}/pub\n" * n)
        scripts[n] = (sfs_batch, sftp_batch)
    return scripts


def client(b, tool, scripts, n):
    if tool == "sfs":
        return b.sfs.client("-b", str(scripts[n][0]), user="lister")
    if tool.startswith("sftp"):
        return b.ssh.client(tool, scripts[n][1])
    return b.nginx.curl("-u", f"bench:{PASSWORD}", *[b.nginx.url("pub/")] * n)


def sessions(b, tool, scripts, n):
    """reuse_iters sessions of n listings; returns (medians of wall, client CPU, server
    CPU, other load; ok)."""
    samples, ok = [], True
    for _ in range(b.s["reuse_iters"]):
        r = b.measure(NAME, tool, client(b, tool, scripts, n), extra=f"  ({n} listing(s))")
        if not r["ok"] or r["out"].count(b.listing[0]) < n:
            b.fail(f"reuse/{tool}: a session with {n} listings failed")
            ok = False
        samples.append((r["wall"], r["client_cpu"], r["server_cpu"], r["other"]))
    return [statistics.median(x[i] for x in samples) for i in range(4)], ok


def run(b):
    k = b.s["reuse_extra"]
    scripts = write_scripts(b, k)
    tools = b.tools(["sfs"] + PEERS)
    for run_no in range(b.s["runs"]):
        for tool in b.order(tools, run_no):
            one, ok1 = sessions(b, tool, scripts, 1)
            many, ok2 = sessions(b, tool, scripts, 1 + k)
            per = [(many[i] - one[i]) / k * 1000 for i in range(3)]
            b.add(NAME, tool, dict(ok=ok1 and ok2, value=per[0], client_cpu=per[1],
                                   server_cpu=per[2], other=many[3]))
            if ok1 and ok2:
                log(f"reuse {tool:9s} run {run_no + 1}: {per[0]:7.2f} ms per extra listing")


def section(bench, fill):
    s = bench.s
    return tables.session_table(bench, NAME, UNIT[0], 2) + [
        "", f"Each tool runs sessions with 1 and with {1 + s['reuse_extra']} listings "
        f"(median of {s['reuse_iters']} each); the table gives (T({1 + s['reuse_extra']})"
        f" - T(1)) / {s['reuse_extra']}: what one more command costs once the "
        "session is open (sfs -b, an sftp batch file, curl with several URLs on one "
        "connection). CPU columns are per extra command too."]
