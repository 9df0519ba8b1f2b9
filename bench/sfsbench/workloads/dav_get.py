"""12. One big WebDAV GET (1 GiB; --big-mib) with curl: sfs's HTTPS door against nginx on
the same file."""

from ..common import MB, log
from ..files import unlink
from ..report import tables
from . import dav, dav_put, download

NAME = "dav_get"
TITLE = "12. WebDAV: one {big} GET with curl (sfs's HTTPS door against nginx)"
UNIT = ("MB/s", True)


def run(b):
    size = b.big.stat().st_size
    tools = b.tools(["sfs", "curl"])
    download.store_and_copy(b, tools, "dav-dl.bin", b.nginx.www / "dav" / "dav-dl.bin")
    dav.warm_logins(b, [t for t in tools if t == "sfs"])
    dst = b.out / "dav-dl.bin"
    for run_no in range(b.s["runs"]):
        for tool in b.order(tools, run_no):
            unlink(dst)
            r = b.measure(NAME, tool, client(b, tool, dst), warm=2 * size)
            r["ok"] = r["ok"] and b.verify(f"{NAME}/{tool}", dst, b.big_sha)
            r["value"] = size / r["wall"] / MB
            r["bytes"] = size
            unlink(dst)
            b.add(NAME, tool, r)
            log(f"{NAME} {tool:9s} run {run_no + 1}: {r['value']:8.1f} MB/s")
    unlink(b.sfs.user_dir() / "dav-dl.bin")
    unlink(b.nginx.www / "dav" / "dav-dl.bin")


def client(b, tool, dst):
    if tool == "sfs":
        return dav.sfs_curl(b, "-o", dst, b.sfs.dav_url("dav-dl.bin"))
    return b.nginx.curl("-o", dst, b.nginx.url("dav/dav-dl.bin"))


def targets(bench):
    return dav_put.parity(bench, NAME, "GET")


def section(bench, fill):
    return tables.transfer_table(bench, NAME, UNIT[0]) + [
        "", "The file was stored through `sfs put` (so it has its digest) and copied "
        "into nginx's root right after. sfs runs the bitrot check on a whole-file GET "
        "(the digest of what it sent against the stored one, before the last piece). "
        "nginx reads the file into its buffers: `sendfile on` does not apply to TLS "
        "without kernel TLS, which this kernel lacks."]
