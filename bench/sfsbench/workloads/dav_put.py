"""11. One big WebDAV PUT (1 GiB; --big-mib) with curl: sfs's HTTPS door against nginx's
dav module on the same file; and the same file through sfs's tus endpoint (the browser
app's resumable uploads: a POST, then one PATCH with the whole file)."""

import base64
import shlex

from ..common import MB, log
from ..files import unlink
from ..report import tables
from ..report.format import big_name, med, ratios
from . import dav

NAME = "dav_put"
TITLE = "11. WebDAV: one {big} PUT with curl (sfs's HTTPS door against nginx)"
UNIT = ("MB/s", True)


def run(b):
    size = b.big.stat().st_size
    tools = b.tools(["sfs", "sfs-tus", "curl"])
    dav.warm_logins(b, [t for t in tools if t == "sfs"])
    for run_no in range(b.s["runs"]):
        for tool in b.order(tools, run_no):
            dst = b.remote_path(tool, "dav-up.bin")
            unlink(dst)
            r = b.measure(NAME, tool, client(b, tool), warm=2 * size)
            r["ok"] = r["ok"] and b.verify(f"{NAME}/{tool}", dst, b.big_sha)
            r["value"] = size / r["wall"] / MB
            r["bytes"] = size
            unlink(dst)
            b.add(NAME, tool, r)
            log(f"{NAME} {tool:9s} run {run_no + 1}: {r['value']:8.1f} MB/s")


def client(b, tool):
    if tool == "sfs":
        return dav.sfs_curl(b, "-T", b.big, b.sfs.dav_url("dav-up.bin"))
    if tool == "sfs-tus":
        return tus_upload(b, b.big, "dav-up.bin")
    return b.nginx.curl("-T", b.big, b.nginx.url("dav/dav-up.bin"))


def tus_upload(b, path, name):
    """One process: curl's tus POST (Upload-Length, the name in Upload-Metadata),
    then one PATCH of the whole file to the Location it got."""
    size = path.stat().st_size
    meta = "filename " + base64.b64encode(name.encode()).decode()
    base = f"https://127.0.0.1:{b.sfs.https_port}"
    curl = " ".join(shlex.quote(str(a)) for a in dav.sfs_curl(b))
    script = (
        f"loc=$({curl} -X POST -H 'Tus-Resumable: 1.0.0' -H 'Upload-Length: {size}' "
        f"-H {shlex.quote('Upload-Metadata: ' + meta)} -D - -o /dev/null {base}/tus/ "
        "| tr -d '\\r' | sed -n 's/^[Ll]ocation: //p') && [ -n \"$loc\" ] && "
        f"{curl} -X PATCH -H 'Tus-Resumable: 1.0.0' -H 'Upload-Offset: 0' "
        f"-H 'Content-Type: application/offset+octet-stream' -T {shlex.quote(str(path))} "
        f"-o /dev/null \"{base}$loc\"")
    return ["sh", "-c", script]


def targets(bench):
    return parity(bench, NAME, "PUT")


def parity(bench, workload, what):
    rs = ratios(bench, workload, "curl")
    if not rs:
        return []
    factor = med(rs)
    return [(f"WebDAV {what} of {big_name(bench.s)} with curl: sfs ≥ 1.0× nginx",
             f"{factor:.2f}×", factor >= 1.0)]


def section(bench, fill):
    return tables.transfer_table(bench, NAME, UNIT[0]) + [
        "", "Both with the same curl options and TLS 1.3 suite (AES-128-GCM); sfs with HTTP "
        "Basic as the user `bench` (its password recognized from the login cache: one "
        "OPTIONS before the runs paid Argon2id), nginx's `/dav/` without auth (as in "
        "workload 1). sfs streams the body into an upload (1 MiB pieces, XXH3-128 "
        "digest kept, atomic commit); nginx writes a temp file and renames it. The tus "
        "row is the browser app's way up (docs/tus.md), timed as one `sh` running both "
        "curls; it lands in the same place, checked by the same SHA-256."]
