"""2. One big download (1 GiB; --big-mib) by every tool."""

import os
import shutil

from ..common import MB, TOOLS, BenchError, log
from ..files import unlink
from ..report import tables

NAME = "download"
TITLE = "2. one {big} download"
UNIT = ("MB/s", True)


def run(b):
    size = b.big.stat().st_size
    tools = b.tools(TOOLS)
    place_file(b, tools)
    batch = b.t / "download.batch"
    dst = b.out / "dl.bin"
    batch.write_text(f"get {b.ssh.root}/dl.bin {dst}\n")
    for run_no in range(b.s["runs"]):
        for tool in b.order(tools, run_no):
            unlink(dst)
            r = b.measure(NAME, tool, client(b, tool, batch, dst), warm=2 * size)
            r["ok"] = r["ok"] and b.verify(f"download/{tool}", dst, b.big_sha)
            r["value"] = size / r["wall"] / MB
            r["bytes"] = size
            unlink(dst)
            b.add(NAME, tool, r)
            log(f"download {tool:9s} run {run_no + 1}: {r['value']:8.1f} MB/s")
    unlink(b.sfs.user_dir() / "dl.bin")
    unlink(b.ssh.root / "dl.bin")
    unlink(b.nginx.www / "dav" / "dl.bin")


def place_file(b, tools):
    """Puts the file in place once: through sfs (so it keeps its digest), and for sshd
    and nginx as one fresh copy (hard-linked for the other)."""
    store_and_copy(b, tools, "dl.bin", b.nginx.www / "dav" / "dl.bin")
    os.link(b.nginx.www / "dav" / "dl.bin", b.ssh.root / "dl.bin")


def store_and_copy(b, tools, name, copy):
    """Stores the big file through sfs as `name` when sfs is among the tools, and
    right after writes a copy of it to `copy` for the peers. sfs refuses a file with
    other hard links, so the peers cannot read its very pages; a copy written at the
    same moment is the next best thing: on this VM how fast a file reads depends on
    where its pages landed, and a file written hours earlier read up to 30% slower
    than fresh copies of it (bench/notes.md, stop 35)."""
    if "sfs" in tools and not b.client_run(b.sfs.client("put", b.big, name)):
        raise BenchError(f"could not store {name} in sfs")
    shutil.copyfile(b.big, copy)


def client(b, tool, batch, dst):
    if tool == "sfs":
        return b.sfs.client("get", "dl.bin", dst)
    if tool.startswith("sftp"):
        return b.ssh.client(tool, batch)
    return b.nginx.curl("-o", dst, b.nginx.url("dav/dl.bin"))


def section(bench, fill):
    return tables.transfer_table(bench, NAME, UNIT[0])
