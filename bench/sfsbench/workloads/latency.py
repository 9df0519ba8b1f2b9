"""5. Connect + handshake + login + one listing of 10 files, one session each (the
median of 20 sessions per run), with a reference row for sfs logging in with a legacy
plaintext auth line."""

import statistics

from ..common import PASSWORD, PEERS, log
from ..report import tables

NAME = "latency"
TITLE = "5. connect + TLS/SSH handshake + login + one listing (10 files)"
UNIT = ("ms", False)


def client(b, tool, batch):
    if tool == "sfs":
        return b.sfs.client("ls", user="lister")
    if tool == "sfs-plain":
        return b.sfs.client("ls", user="plain")
    if tool.startswith("sftp"):
        return b.ssh.client(tool, batch)
    return b.nginx.curl("-u", f"bench:{PASSWORD}", b.nginx.url("pub/"))


def run(b):
    batch = b.t / "latency.batch"
    batch.write_text(f"ls {b.ssh.root}/pub\n")
    tools = b.tools(["sfs", "sfs-plain"] + PEERS)
    for run_no in range(b.s["runs"]):
        samples = {tool: [] for tool in tools}
        for it in range(b.s["latency_iters"]):
            for tool in b.order(tools, run_no + it):
                r = b.measure(NAME, tool, client(b, tool, batch))
                missing = [x for x in b.listing if x not in r["out"]]
                if r["ok"] and missing:
                    b.fail(f"latency/{tool}: listing lacks {missing[0]}")
                    r["ok"] = False
                samples[tool].append(r)
        for tool in tools:
            record(b, tool, samples[tool], run_no)


def record(b, tool, samples, run_no):
    n = len(samples)
    wall = statistics.median(r["wall"] * 1000 for r in samples)
    b.add(NAME, tool, dict(ok=True, value=wall,
                           client_cpu=sum(r["client_cpu"] for r in samples) / n * 1000,
                           server_cpu=sum(r["server_cpu"] for r in samples) / n * 1000,
                           other=statistics.median(r["other"] for r in samples)))
    log(f"latency {tool:9s} run {run_no + 1}: {wall:7.1f} ms (median of {n})")


def section(bench, fill):
    return tables.session_table(bench, NAME, UNIT[0], 1) + [
        "", "Per session, the median of "
        f"{bench.s['latency_iters']} sessions per run. Logins: sfs checks an Argon2id "
        "hash (m=64 MiB, t=2, by design slow) once, then recognizes the same "
        "password for --login-cache-ttl (300 s) by a keyed digest, so these "
        "sessions mostly skip Argon2id (its cost, ~60 ms, shows in a first "
        "login); the reference row logs in with a "
        "legacy plaintext auth-file line to show the rest; sshd checks an Ed25519 "
        "public key; nginx checks HTTP Basic against a SHA-512-crypt line on this "
        "one request (its transfers above use no authentication)."]
