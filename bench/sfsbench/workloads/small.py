"""3. Many small files (1,000 of 4 KiB), all up then all down, in one session per tool:
sfs's interactive menu fed on stdin, one sftp batch file, one curl config file (the
report checks curl used one connection)."""

import shutil

from .. import curl_session
from ..files import clear_dir, unlink, write_small_files
from ..common import TOOLS, log
from ..report import tables

NAME = "small"
TITLE = "3. {small_n} files of {small_kib} KiB: all up, then all down, in one session"
UNIT = ("s", False)


def run(b):
    n, size = b.s["small_n"], b.s["small_kib"] * 1024
    src = b.data / "small"
    names, digests = write_small_files(src, "s", n, size)
    out = b.out / "small"
    scripts = write_scripts(b, src, out, names)
    for run_no in range(b.s["runs"]):
        for tool in b.order(b.tools(TOOLS), run_no):
            clear_dir(out)
            r = one_session(b, tool, scripts, names, run_no)
            r["ok"] = b.verify_round_trip(
                f"small/{tool}", names, digests,
                lambda name: b.remote_path(tool, name, "small"), out) and r["ok"]
            r["value"] = r["wall"]
            r["bytes"] = 2 * n * size
            b.add(NAME, tool, r)
            log(f"small {tool:9s} run {run_no + 1}: {r['wall']:7.2f} s for {n} up + {n} down")
    for name in names:
        unlink(b.sfs.user_dir() / name)
    for d in (b.ssh.root / "small", b.nginx.www / "dav" / "small", out, src):
        shutil.rmtree(d, ignore_errors=True)


def write_scripts(b, src, out, names):
    """The three ways of doing it all in one session: (sfs menu, sftp batch, curl
    config). The menu ends at the end of its input (no exit number to keep in
    step with the menu)."""
    menu = b.t / "small.menu"
    with open(menu, "w") as f:
        for name in names:
            f.write(f"1\n{src / name}\n{name}\n")
        for name in names:
            f.write(f"2\n{name}\n{out / name}\n")
    batch = b.t / "small.batch"
    with open(batch, "w") as f:
        for name in names:
            f.write(f"put {src / name} {b.ssh.root}/small/{name}\n")
        for name in names:
            f.write(f"get {b.ssh.root}/small/{name} {out / name}\n")
    curlcfg = curl_session.write_config(b, b.t / "small.curl", src, out, names, "small")
    return menu, batch, curlcfg


def one_session(b, tool, scripts, names, run_no):
    """One tool's session moving every file up and down; returns its measurement."""
    n = len(names)
    menu, batch, curlcfg = scripts
    if tool == "sfs":
        for name in names:
            unlink(b.sfs.user_dir() / name)
        r = b.measure(NAME, tool, b.sfs.client("menu"), stdin_path=menu,
                      extra=f"  < menu script: {n} x '1\\nLOCAL\\nREMOTE\\n', "
                      f"{n} x '2\\nREMOTE\\nLOCAL\\n', '6\\n'")
        done = r["out"].count("Done.")
        if done != 2 * n:
            b.fail(f"small/sfs: {done} of {2 * n} menu operations reported Done.")
            r["ok"] = False
        return r
    if tool.startswith("sftp"):
        clear_dir(b.ssh.root / "small")
        return b.measure(NAME, tool, b.ssh.client(tool, batch),
                         extra=f"  (batch: {n} x 'put LOCAL REMOTE', "
                         f"{n} x 'get REMOTE LOCAL')")
    clear_dir(b.nginx.www / "dav" / "small")
    return curl_session.measure(
        b, NAME, tool, curlcfg,
        f"  (config: the options below, {n} x upload-file/url, next, the options again, "
        f"{n} x output/url; options: {' '.join(b.nginx.curl_opts())} "
        f"--write-out '%{{num_connects}}\\n')".replace(str(b.t), "$T"), run_no, 2 * n)


def section(bench, fill):
    return tables.transfer_table(bench, NAME, UNIT[0]) + [
        "", "Ratio here is sfs time ÷ peer time (below 1: sfs is faster). "
        "CPU per GiB counts only the file bytes, so it is mostly per-file cost."]
