"""1. One big upload (1 GiB; --big-mib) by every tool."""

from ..common import MB, TOOLS, log
from ..files import unlink
from ..report import tables

NAME = "upload"
TITLE = "1. one {big} upload"
UNIT = ("MB/s", True)


def run(b):
    size = b.big.stat().st_size
    batch = b.t / "upload.batch"
    batch.write_text(f"put {b.big} {b.ssh.root}/up.bin\n")
    tools = b.tools(TOOLS)
    for run_no in range(b.s["runs"]):
        for tool in b.order(tools, run_no):
            dst = b.remote_path(tool, "up.bin")
            unlink(dst)
            r = b.measure(NAME, tool, client(b, tool, batch), warm=2 * size)
            r["ok"] = r["ok"] and b.verify(f"upload/{tool}", dst, b.big_sha)
            r["value"] = size / r["wall"] / MB
            r["bytes"] = size
            unlink(dst)
            b.add(NAME, tool, r)
            log(f"upload {tool:9s} run {run_no + 1}: {r['value']:8.1f} MB/s")


def client(b, tool, batch):
    if tool == "sfs":
        return b.sfs.client("put", b.big, "up.bin")
    if tool.startswith("sftp"):
        return b.ssh.client(tool, batch)
    return b.nginx.curl("-T", b.big, b.nginx.url("dav/up.bin"))


def section(bench, fill):
    return tables.transfer_table(bench, NAME, UNIT[0])
