"""7b. One big log file (compressible text) downloaded; see logs.py."""

import os

from ..common import BenchError
from ..files import unlink
from .logs import LOG_TOOLS, log_client, log_file, log_run, section_for

NAME = "logs_down"
TITLE = "7b. one {big} log file (compressible text) download"
UNIT = ("MB/s", True)


def run(b):
    src = log_file(b)
    size = src.stat().st_size
    tools = b.tools(LOG_TOOLS)
    if not b.client_run(b.sfs.client("put", src, "dl.log")):
        raise BenchError("could not store the log file in sfs")
    os.link(src, b.ssh.root / "dl.log")
    os.link(src, b.nginx.www / "dav" / "dl.log")
    dst = b.out / "dl.log"
    batch = b.t / "logs_down.batch"
    batch.write_text(f"get {b.ssh.root}/dl.log {dst}\n")
    for run_no in range(b.s["runs"]):
        for tool in b.order(tools, run_no):
            unlink(dst)
            args = log_client(b, tool, batch, "get", "dl.log", dst) or \
                b.nginx.curl("-o", dst, b.nginx.url("dav/dl.log"))
            log_run(b, NAME, tool, args, dst, size, run_no)
            unlink(dst)
    for path in (b.sfs.user_dir() / "dl.log", b.ssh.root / "dl.log",
                 b.nginx.www / "dav" / "dl.log", src):
        unlink(path)
    b.logs = None


def section(bench, fill):
    return section_for(bench, NAME)
