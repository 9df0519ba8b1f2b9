"""7a. One big log file (compressible text) uploaded; see logs.py."""

from ..files import unlink
from .logs import LOG_TOOLS, log_client, log_file, log_run, section_for

NAME = "logs_up"
TITLE = "7a. one {big} log file (compressible text) upload"
UNIT = ("MB/s", True)


def run(b):
    src = log_file(b)
    size = src.stat().st_size
    batch = b.t / "logs_up.batch"
    batch.write_text(f"put {src} {b.ssh.root}/up.log\n")
    tools = b.tools(LOG_TOOLS)
    for run_no in range(b.s["runs"]):
        for tool in b.order(tools, run_no):
            dst = b.remote_path(tool, "up.log")
            unlink(dst)
            args = log_client(b, tool, batch, "put", src, "up.log") or \
                b.nginx.curl("-T", src, b.nginx.url("dav/up.log"))
            log_run(b, NAME, tool, args, dst, size, run_no)
            unlink(dst)


def section(bench, fill):
    return section_for(bench, NAME)
