"""15. `sfs sync` of an unchanged tree (issue 16): a tree of {sync_n} files of 4 KiB in
10 folders is synced to an empty remote folder (the first upload, every file sent),
then synced again with nothing changed (every file compared by size and digest,
none sent). Target: the second sync takes under 10% of the first's time."""

import json
import shutil

from ..common import log
from ..files import sha256_file, write_random
from ..report.format import fmt, med, sized

NAME = "sync"
TITLE = "15. sync of an unchanged tree of {sync_n} files against its first upload"
UNIT = ("s", False)
FOLDERS = 10
FILE_BYTES = 4096
FULL_FILES = 1000
TARGET = 0.10  # the unchanged sync's share of the first upload's time
REMOTE = "synctree"


def run(b):
    n = b.s["sync_n"]
    src = b.data / "sync"
    digests = make_tree(src, n)
    args = b.sfs.client("--json", "sync", src, ":" + REMOTE)
    for run_no in range(b.s["runs"]):
        shutil.rmtree(b.sfs.user_dir() / REMOTE, ignore_errors=True)
        first = b.measure(NAME, "sfs", args, name=f"first-{run_no}")
        ok = first["ok"] and summary_says(b, first, "first", sent=n, unchanged=0)
        ok = ok and all(b.verify("sync/first", b.sfs.user_dir() / REMOTE / rel, digest)
                        for rel, digest in digests.items())
        again = b.measure(NAME, "sfs", args, name=f"again-{run_no}")
        ok = ok and again["ok"] and summary_says(b, again, "again", sent=0, unchanged=n)
        rec = dict(ok=ok, first=first["wall"], value=again["wall"], wall=again["wall"],
                   client_cpu=again["client_cpu"], server_cpu=again["server_cpu"],
                   other=again["other"], first_cpu=first["client_cpu"] + first["server_cpu"])
        b.add(NAME, "sfs", rec)
        log(f"sync run {run_no + 1}: first upload {first['wall']:.2f} s, unchanged "
            f"{again['wall']:.2f} s ({again['wall'] / first['wall'] * 100:.1f}%)")
    shutil.rmtree(b.sfs.user_dir() / REMOTE, ignore_errors=True)
    shutil.rmtree(src, ignore_errors=True)


def make_tree(src, n):
    """n random files in FOLDERS folders; returns {relative path: SHA-256}."""
    digests = {}
    for i in range(n):
        rel = f"d{i % FOLDERS:02d}/f{i:05d}"
        path = src / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        write_random(path, FILE_BYTES)
        digests[rel] = sha256_file(path)
    return digests


def summary_says(b, r, which, sent, unchanged):
    """The --json summary of a sync run reports `sent` and `unchanged` files."""
    try:
        s = json.loads(r["out"].strip().splitlines()[-1])
    except (ValueError, IndexError):
        b.fail(f"sync/{which}: no JSON summary: {r['out'][-300:]!r}")
        return False
    if (s.get("sent"), s.get("unchanged"), s.get("ok")) != (sent, unchanged, True):
        b.fail(f"sync/{which}: expected {sent} sent and {unchanged} unchanged, got {s}")
        return False
    return True


def shares(bench):
    return [r["value"] / r["first"] for r in bench.results.get(NAME, {}).get("sfs", [])
            if r.get("ok") and r.get("first")]


def targets(bench):
    share = med(shares(bench))
    if share is None:
        return []
    runs = [r for r in bench.results[NAME]["sfs"] if r.get("ok")]
    full = bench.s["sync_n"] >= FULL_FILES
    return [(f"sync of an unchanged {FULL_FILES:,}-file tree takes < {TARGET * 100:.0f}% of "
             f"the first upload's time",
             f"{share * 100:.1f}% ({fmt(med(r['value'] for r in runs), 2)} s against "
             f"{fmt(med(r['first'] for r in runs), 2)} s)", sized(share < TARGET, full))]


def section(bench, fill):
    L = ["| run | first upload s | unchanged sync s | share | CPU s first (client + server) | "
         "CPU s unchanged (client + server) |",
         "|---:|---:|---:|---:|---:|---:|"]
    for i, r in enumerate(bench.results.get(NAME, {}).get("sfs", []), 1):
        share = r["value"] / r["first"] if r.get("first") else None
        L.append(f"| {i}{'' if r.get('ok') else ' (failed)'} | {fmt(r['first'], 2)} | "
                 f"{fmt(r['value'], 2)} | {fmt(share * 100 if share else None)}% | "
                 f"{fmt(r['first_cpu'], 2)} | {fmt(r['client_cpu'] + r['server_cpu'], 2)} |")
    return L + ["", "Both are one `sfs --json sync TREE :synctree` process (connect, login, "
                "walk both trees); the second finds every file unchanged: the remote "
                "listing gives each file's size and stored digest, and the client hashes "
                "its own copy (XXH3-128), or takes the digest it remembered for a file "
                "unchanged since it hashed it (`~/.cache/sfs/digests`; the tree is made "
                "just before the runs, so only files hashed a second or more after they "
                "were written are remembered), so nothing is sent. For scale: `sfs ls` of "
                "an empty folder (process start, TLS, login) takes about 7 ms here "
                "(bench/notes.md)."]
