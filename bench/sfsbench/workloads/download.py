"""2. One big download (1 GiB; --big-mib) by every tool."""

import os

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
    """Puts the file in place once: through sfs (so it keeps its digest), and as hard
    links for sshd and nginx."""
    if "sfs" in tools and not b.client_run(b.sfs.client("put", b.big, "dl.bin")):
        raise BenchError("could not store the download file in sfs")
    os.link(b.big, b.ssh.root / "dl.bin")
    os.link(b.big, b.nginx.www / "dav" / "dl.bin")


def client(b, tool, batch, dst):
    if tool == "sfs":
        return b.sfs.client("get", "dl.bin", dst)
    if tool.startswith("sftp"):
        return b.ssh.client(tool, batch)
    return b.nginx.curl("-o", dst, b.nginx.url("dav/dl.bin"))


def section(bench, fill):
    return tables.transfer_table(bench, NAME, UNIT[0])
