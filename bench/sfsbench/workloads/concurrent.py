"""4. Many clients at once (100), each uploading then downloading its own 10 MiB;
6a. the server's peak memory meanwhile."""

import shutil
import subprocess
import time

from ..common import MB, MiB, TOOLS, log
from ..files import clear_dir, sha256_file, unlink, write_random
from ..measure import Machine, MemSampler, other_load, proc_status, reset_peak_rss, tree_cpu
from ..procs import spawn, wait_all
from ..report import tables
from ..report.format import med

NAME = "concurrent"
TITLE = "4. {clients} concurrent clients, each uploads and downloads {client_mib} MiB"
UNIT = ("MB/s aggregate", True)


def run(b):
    names, digests, src, out, scripts = make_inputs(b, "conc")
    for name in names:
        (scripts / f"{name}.batch").write_text(
            f"put {src / name} {b.ssh.root}/conc/{name}\n"
            f"get {b.ssh.root}/conc/{name} {out / name}\n")
    for run_no in range(b.s["runs"]):
        for tool in b.order(b.tools(TOOLS), run_no):
            one_run(b, tool, run_no, names, digests, src, out, scripts)
    for name in names:
        unlink(b.sfs.user_dir() / name)
    for d in (b.ssh.root / "conc", b.nginx.www / "dav" / "conc", out, src, scripts):
        shutil.rmtree(d, ignore_errors=True)


def make_inputs(b, sub):
    """Each client's file of client_mib random MiB (data/<sub>/NAME) and its sfs menu
    script (<sub>/NAME.menu: upload it as NAME, download NAME to out/<sub>/NAME,
    quit). Returns (names, {name: SHA-256}, src, out, scripts dirs)."""
    k, size = b.s["clients"], b.s["client_mib"] * MiB
    src, out, scripts = b.data / sub, b.out / sub, b.t / sub
    src.mkdir()
    scripts.mkdir()
    names = [f"c{i:04d}" for i in range(k)]
    digests = {}
    for name in names:
        write_random(src / name, size)
        digests[name] = sha256_file(src / name)
        (scripts / f"{name}.menu").write_text(f"1\n{src / name}\n{name}\n"
                                              f"2\n{name}\n{out / name}\n6\n")
    return names, digests, src, out, scripts


def sfs_commands(client, names, scripts):
    """(args, stdin path) of each sfs client: the interactive menu fed its script.
    client(*args) is a server's (or HAProxy's) sfs command line."""
    return [(client("menu"), scripts / f"{name}.menu") for name in names]


def commands(b, tool, names, src, out, scripts):
    """(args, stdin path) of each client, and what the report shows of them."""
    if tool == "sfs":
        cmds = sfs_commands(b.sfs.client, names, scripts)
    elif tool.startswith("sftp"):
        cmds = [(b.ssh.client(tool, scripts / f"{name}.batch"), None) for name in names]
    else:
        urls = [b.nginx.url(f"dav/conc/{name}") for name in names]
        cmds = [(b.nginx.curl("-T", src / name, url, "--next", *b.nginx.curl_opts(),
                              "-o", out / name, url), None) for name, url in zip(names, urls)]
    k = len(names)
    b.show(NAME, tool, cmds[0][0],
           f"  (x {k} at once; menu script '1\\nLOCAL\\nREMOTE\\n2\\nREMOTE\\n"
           f"LOCAL\\n6\\n')" if tool == "sfs" else
           f"  (x {k} at once; batch 'put', 'get')" if tool.startswith("sftp")
           else f"  (x {k} at once)")
    return cmds


def start_clients(b, tool, cmds):
    """Starts every client at once; returns (procs, open files to close). Their
    output goes to logs/conc-<tool>-<i>.{out,err}."""
    files, procs = [], []
    for i, (args, stdin_path) in enumerate(cmds):
        fin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
        fout = open(b.t / "logs" / f"conc-{tool}-{i}.out", "wb")
        ferr = open(b.t / "logs" / f"conc-{tool}-{i}.err", "wb")
        files += [f for f in (fin, fout, ferr) if hasattr(f, "close")]
        procs.append(spawn(args, stdin=fin, stdout=fout, stderr=ferr, env=b.env))
    return procs, files


def one_run(b, tool, run_no, names, digests, src, out, scripts):
    srv = b.servers[tool]
    srv.restart()  # peak memory of this workload alone
    for d in (out, b.ssh.root / "conc", b.nginx.www / "dav" / "conc"):
        clear_dir(d)
    for name in names:
        unlink(b.sfs.user_dir() / name)
    cmds = commands(b, tool, names, src, out, scripts)
    if tool == "sfs":
        reset_peak_rss(srv.proc.pid)
    b.warm_memory(2 * sum((src / name).stat().st_size for name in names))
    sampler = MemSampler(srv.proc.pid)
    sampler.start()
    before = tree_cpu(srv.proc.pid)
    busy0, t0 = Machine.busy()[0], time.monotonic()
    files = []
    try:
        procs, files = start_clients(b, tool, cmds)
        results, t1 = wait_all(procs, b.s["timeout"])
    finally:
        for f in files:
            f.close()
    peak = sampler.finish()
    srv.settle()
    server_cpu = tree_cpu(srv.proc.pid) - before
    client_cpu = sum(c for _, c in results)
    failed = count_failed(b, tool, names, digests, out, results)
    moved = 2 * len(names) * b.s["client_mib"] * MiB
    wall = t1 - t0
    r = dict(ok=failed == 0, failed=failed, wall=wall, value=moved / wall / MB, bytes=moved,
             client_cpu=client_cpu, server_cpu=server_cpu, peak_rss=peak["rss"],
             peak_anon=peak["anon"], other=other_load(busy0, t0, server_cpu + client_cpu))
    if tool == "sfs":
        r["hwm"] = proc_status(srv.proc.pid).get("VmHWM", 0)
    b.add(NAME, tool, r)
    log(f"concurrent {tool:9s} run {run_no + 1}: {r['value']:8.1f} MB/s aggregate, "
        f"{failed} failed, server peak RSS {peak['rss'] / 1024:.0f} MiB")


def count_failed(b, tool, names, digests, out, results, remote_of=None):
    """How many clients failed: exit status, sfs's Done. count, or SHA-256 of either
    copy. remote_of(name): where the server stored a client's upload (default: the
    tool's server, b.remote_path)."""
    remote_of = remote_of or (lambda name: b.remote_path(tool, name, "conc"))
    failed = 0
    for i, (name, (rc, _)) in enumerate(zip(names, results)):
        ok = rc == 0
        if not ok:
            err = (b.t / "logs" / f"conc-{tool}-{i}.err").read_text(
                errors="replace").strip()[-300:]
            b.fail(f"concurrent/{tool} client {i}: exit status {rc}: {err}")
        if ok and tool.startswith("sfs"):
            done = (b.t / "logs" / f"conc-{tool}-{i}.out").read_text(
                errors="replace").count("Done.")
            if done != 2:
                ok = False
                b.fail(f"concurrent/{tool} client {i}: {done} of 2 operations reported Done.")
        ok = ok and b.verify(f"concurrent/{tool} upload", remote_of(name), digests[name])
        ok = ok and b.verify(f"concurrent/{tool} download", out / name, digests[name])
        failed += not ok
    return failed


def targets(bench):
    runs = bench.results.get(NAME, {}).get("sfs")
    if not runs:
        return []
    failed = sum(r.get("failed", 0) for r in runs)
    return [("concurrent clients: zero sfs failures", f"{failed} failed", failed == 0)]


def section(bench, fill):
    hwm = med(r.get("hwm") for r in bench.results[NAME].get("sfs", []) if r.get("ok"))
    return tables.transfer_table(bench, NAME, UNIT[0]) + [
        "", "6a. Server peak memory under this workload: the sum over the server's "
        "processes (each server is restarted before each of these runs), sampled "
        "every 100 ms (RSS counts shared libraries once per "
        "process, which inflates sshd's many processes; anon is the private "
        "heap and stacks)." +
        (f" sfs's own peak (VmHWM, reset before each run): {hwm / 1024:.0f} MiB."
         if hwm else "")]
