"""14. The litmus WebDAV conformance suite, group by group over TLS with Basic auth: its
run time and results on sfs's HTTPS door and on Apache mod_dav_fs."""

import re

from ..common import PASSWORD, log
from ..report import tables
from . import dav

NAME = "dav_litmus"
TITLE = "14. WebDAV: litmus ({litmus_groups}) over TLS (sfs against Apache)"
UNIT = ("s", False)
SUMMARY = re.compile(r"summary for `(\w+)': of (\d+) tests run: (\d+) passed, (\d+) failed")


def run(b):
    tools = ["sfs", "apache"]
    dav.warm_logins(b, tools)
    for run_no in range(b.s["runs"]):
        for tool in b.order(tools, run_no):
            rec = dict(ok=True, wall=0.0, client_cpu=0.0, server_cpu=0.0, other=0.0, groups={})
            for group in b.s["litmus_groups"].split(","):
                r = b.measure(NAME, tool, client(b, tool, group), server=server(b, tool),
                              name=f"{tool}-{group}", expect_ok=False)
                rec["wall"] += r["wall"]
                for key in ("client_cpu", "server_cpu"):
                    rec[key] += r[key] * 1000  # the session table's unit: ms
                rec["other"] = max(rec["other"], r["other"])
                for m in SUMMARY.finditer(r["out"]):
                    rec["groups"][m.group(1)] = tuple(int(x) for x in m.group(2, 3, 4))
                if group not in rec["groups"]:
                    rec["groups"][group] = None  # skipped, or litmus could not start it
            rec["value"] = rec["wall"]
            b.add(NAME, tool, rec)
            log(f"{NAME} {tool:9s} run {run_no + 1}: {rec['wall']:7.2f} s "
                f"{summary(rec['groups'])}")


def server(b, tool):
    return b.sfs if tool == "sfs" else dav.apache(b)


def client(b, tool, group):
    # One group per litmus run: litmus stops at the first group that fails. Its
    # certificates name localhost, which neon checks.
    if tool == "sfs":
        cert, url = b.sfs.cert, b.sfs.dav_url(host="localhost")
    else:
        cert, url = dav.apache(b).cert, b.apache.url(host="localhost")
    # Its debug.log and child.log go to the logs dir (env -C), not the cwd.
    return ["env", "-C", b.t / "logs", f"SSL_CERT_FILE={cert}", f"TESTS={group}", "litmus",
            url, "bench", PASSWORD]


def summary(groups):
    return ", ".join(f"{g} {v[1]}/{v[0]}" if v else f"{g} skipped" for g, v in groups.items())


def section(bench, fill):
    L = tables.session_table(bench, NAME, UNIT[0], 2)
    L += ["", "| server | litmus groups (passed/run, last run) |", "|---|---|"]
    for tool in ("sfs", "apache"):
        runs = bench.results[NAME].get(tool, [])
        if runs:
            L.append(f"| {tables.TOOL_NAMES[tool]} | {summary(runs[-1]['groups'])} |")
    return L + [
        "", "Time is the sum over the groups, each a litmus run of its own (`TESTS=group`, "
        "so that a failing group does not stop the others). A group a server fails or "
        "skips (locks without `DAV: 2`) runs fewer requests, so times compare only "
        "where the counts agree."]
