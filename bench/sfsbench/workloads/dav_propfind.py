"""13. PROPFIND depth 1 of a folder of 10,000 files (--dav-files) with curl: sfs's HTTPS
door against Apache mod_dav_fs; and the same folder as the browser app lists it (GET
/app/api/list, JSON, with a session cookie)."""

import json

from ..common import PASSWORD, log
from ..files import unlink
from ..report import tables
from . import dav

NAME = "dav_propfind"
TITLE = "13. WebDAV: PROPFIND depth 1 of a folder of {dav_files:,} files (sfs against Apache)"
UNIT = ("s", False)
FOLDER = "pf"


def run(b):
    n = b.s["dav_files"]
    place_files(b, n)
    tools = ["sfs", "sfs-app", "apache"]
    dav.warm_logins(b, ["sfs", "apache"])
    jar = b.t / "app-cookies"
    if not b.client_run(app_login(b, jar)):
        b.fail(f"{NAME}: the browser app's login failed")
    out = b.out / "propfind.xml"
    for run_no in range(b.s["runs"]):
        for tool in b.order(tools, run_no):
            unlink(out)
            r = b.measure(NAME, tool, client(b, tool, out, jar), server=server(b, tool))
            got = listed(tool, out)
            if r["ok"] and got != n + 1:
                b.fail(f"{NAME}/{tool}: {got} responses, not {n + 1}")
                r["ok"] = False
            r["value"] = r["wall"]
            r["client_cpu"] *= 1000  # the session table's unit: ms
            r["server_cpu"] *= 1000
            r["bytes"] = out.stat().st_size if out.exists() else 0
            b.add(NAME, tool, r)
            log(f"{NAME} {tool:9s} run {run_no + 1}: {r['wall']:7.3f} s, {got} responses")
    unlink(out)


def place_files(b, n):
    """The same n files of 100 bytes in both servers' trees, written to disk directly
    (sfs lists what is on disk; these files have no stored digest, so their ETag is
    the weak size-and-time one)."""
    for root in (b.sfs.user_dir() / FOLDER, dav.apache(b).dav / FOLDER):
        root.mkdir(parents=True)
        for i in range(n):
            (root / f"file-{i:05d}.txt").write_bytes(b"x" * 100)
    b.apache.give(b.apache.dav / FOLDER)


def server(b, tool):
    return dav.apache(b) if tool == "apache" else b.sfs


def app_url(b, call):
    return f"https://127.0.0.1:{b.sfs.https_port}/app/api/{call}"


def app_login(b, jar):
    """curl logs in to the browser app as a browser would (a form POST with
    its Origin) and keeps the session cookie in `jar`."""
    origin = f"https://127.0.0.1:{b.sfs.https_port}"
    return ["curl", "-q", *dav.curl_opts(b.sfs.cert)[:-2], "-c", jar, "-H", f"Origin: {origin}",
            "--data-urlencode", "user=bench", "--data-urlencode", f"password={PASSWORD}",
            "-o", "/dev/null", app_url(b, "login")]


def listed(tool, out):
    """Entries the reply names (the folder itself counted, as a 207 names it)."""
    if not out.exists():
        return 0
    text = out.read_text(errors="replace")
    if tool != "sfs-app":
        return dav.responses(text)
    try:
        return len(json.loads(text)["entries"]) + 1
    except (ValueError, KeyError, TypeError):
        return 0


def client(b, tool, out, jar):
    if tool == "sfs-app":
        return ["curl", "-q", *dav.curl_opts(b.sfs.cert)[:-2], "-b", jar, "-o", out,
                app_url(b, "list?path=" + FOLDER)]
    args = ("-X", "PROPFIND", "-H", "Depth: 1", "-o", out)
    if tool == "sfs":
        return dav.sfs_curl(b, *args, b.sfs.dav_url(FOLDER + "/"))
    return dav.apache_curl(b, *args, b.apache.url(FOLDER + "/"))


def section(bench, fill):
    res = bench.results[NAME]
    sizes = {t: tables.med(r["bytes"] for r in res.get(t, []) if r.get("ok")) for t in res}
    return tables.session_table(bench, NAME, UNIT[0], 3) + [
        "", "One curl `PROPFIND` with `Depth: 1` and no body (allprop) per run; the reply "
        "must name the folder and all its files (the app's JSON listing: all its files). "
        "Reply sizes: " +
        ", ".join(f"{tables.TOOL_NAMES[t]} {tables.fmt(v / 1024 if v else None)} KiB"
                  for t, v in sizes.items()) + ". Both with Basic auth (sfs: from its login "
        "cache; Apache: a SHA-512 crypt check per request)."]
