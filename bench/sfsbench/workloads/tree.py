"""16. put -r then get -r of a folder of {small_n} files of {small_kib} KiB in one
session (issue 17): sfs pipelines the files on one connection (`sfs -b` running
`put -r` and `get -r`); nginx + curl moves the same files with one config file,
one connection reused for every request (the report checks it was one)."""

import shutil

from .. import curl_session
from ..common import log
from ..files import clear_dir, write_small_files
from ..report import tables

NAME = "tree"
TITLE = "16. put -r, then get -r, of a folder of {small_n} files of {small_kib} KiB"
UNIT = ("s", False)
TOOLS = ["sfs", "curl"]
REMOTE = "tree"


def run(b):
    n, size = b.s["small_n"], b.s["small_kib"] * 1024
    src = b.data / "tree"
    names, digests = write_small_files(src, "t", n, size)
    out = b.out / "tree"
    scripts = write_scripts(b, src, out, names)
    for run_no in range(b.s["runs"]):
        for tool in b.order(b.tools(TOOLS), run_no):
            clear_dir(out)
            r = one_session(b, tool, scripts, n, run_no)
            there = (b.sfs.user_dir() / REMOTE if tool == "sfs"
                     else b.nginx.www / "dav" / REMOTE)
            r["ok"] = b.verify_round_trip(f"tree/{tool}", names, digests,
                                          lambda name: there / name, out) and r["ok"]
            r["value"] = r["wall"]
            r["bytes"] = 2 * n * size
            b.add(NAME, tool, r)
            log(f"tree {tool:9s} run {run_no + 1}: {r['wall']:7.2f} s for {n} up + {n} down")
    for d in (b.sfs.user_dir() / REMOTE, b.nginx.www / "dav" / REMOTE, out, src):
        shutil.rmtree(d, ignore_errors=True)


def write_scripts(b, src, out, names):
    """(sfs batch file, curl config): everything in one session each."""
    batch = b.t / "tree.sfs"
    batch.write_text(f"put -r {src} {REMOTE}\nget -r {REMOTE} {out}\n")
    curlcfg = curl_session.write_config(b, b.t / "tree.curl", src, out, names, REMOTE)
    return batch, curlcfg


def one_session(b, tool, scripts, n, run_no):
    batch, curlcfg = scripts
    if tool == "sfs":
        shutil.rmtree(b.sfs.user_dir() / REMOTE, ignore_errors=True)
        return b.measure(NAME, tool, b.sfs.client("-b", str(batch)),
                         extra=f"  (batch: 'put -r SRC {REMOTE}', 'get -r {REMOTE} OUT')")
    clear_dir(b.nginx.www / "dav" / REMOTE)
    return curl_session.measure(
        b, NAME, tool, curlcfg,
        f"  (config: {n} x upload-file/url, next, {n} x output/url; one connection)",
        run_no, 2 * n)


def section(bench, fill):
    return tables.transfer_table(bench, NAME, UNIT[0]) + [
        "", "Ratio here is sfs time ÷ peer time (below 1: sfs is faster). sfs sends the "
        "files pipelined on one connection (`PUT ... now`, GETs sent ahead; "
        "docs/protocol.md, \"Pipelining\")."]
