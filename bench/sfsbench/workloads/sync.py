"""15. `sfs sync` of an unchanged tree (issue 16): a tree of {sync_n} files in 10
folders is synced to an empty remote folder (the first upload, every file sent), then
synced again with nothing changed (every file compared by size and digest, none
sent). Target: the second sync takes under 10% of the first's time.

Two trees: one of mixed sizes (1 KiB to 1 MiB, as many of each power of two: a
folder of documents and pictures), which the target is judged on, and one of 4 KiB
files only, shown beside it: its first upload takes about 0.07 s here, so its
unchanged sync is bounded below by what any `sfs` command costs (process start, TLS,
login: about 7 ms), not by what sync does per file."""

import json
import shutil
import time

from ..common import log
from ..files import sha256_file, write_random
from ..report.format import fmt, med, sized

NAME = "sync"
TITLE = "15. sync of an unchanged tree of {sync_n} files against its first upload"
UNIT = ("s", False)
FOLDERS = 10
SMALL_BYTES = 4096
MIXED_SIZES = [1024 << k for k in range(11)]  # 1 KiB .. 1 MiB
MIXED = "sfs"  # the tree the target is judged on
SMALL = "sfs, 4 KiB files"
FULL_FILES = 1000
TARGET = 0.10  # the unchanged sync's share of the first upload's time
REMOTE = "synctree"


def run(b):
    for tool, sizes in ((MIXED, MIXED_SIZES), (SMALL, [SMALL_BYTES])):
        run_tree(b, tool, sizes)


def run_tree(b, tool, sizes):
    n = b.s["sync_n"]
    src = b.data / "sync"
    digests = make_tree(src, n, sizes)
    # A tree synced again was written long before; the client remembers a
    # file's digest only once its ctime is a second old (client/local_digests.h).
    time.sleep(1.1)
    args = b.sfs.client("--json", "sync", src, ":" + REMOTE)
    label = "mixed" if tool == MIXED else "small"
    for run_no in range(b.s["runs"]):
        shutil.rmtree(b.sfs.user_dir() / REMOTE, ignore_errors=True)
        first = b.measure(NAME, tool, args, server=b.sfs, name=f"{label}-first-{run_no}")
        ok = first["ok"] and summary_says(b, first, "first", sent=n, unchanged=0)
        ok = ok and all(b.verify("sync/first", b.sfs.user_dir() / REMOTE / rel, digest)
                        for rel, digest in digests.items())
        again = b.measure(NAME, tool, args, server=b.sfs, name=f"{label}-again-{run_no}")
        ok = ok and again["ok"] and summary_says(b, again, "again", sent=0, unchanged=n)
        rec = dict(ok=ok, first=first["wall"], value=again["wall"], wall=again["wall"],
                   client_cpu=again["client_cpu"], server_cpu=again["server_cpu"],
                   other=again["other"], first_cpu=first["client_cpu"] + first["server_cpu"],
                   mib=sum(sizes[i % len(sizes)] for i in range(n)) / 2**20)
        b.add(NAME, tool, rec)
        log(f"sync ({tool}) run {run_no + 1}: first upload {first['wall']:.2f} s, unchanged "
            f"{again['wall']:.3f} s ({again['wall'] / first['wall'] * 100:.1f}%)")
    shutil.rmtree(b.sfs.user_dir() / REMOTE, ignore_errors=True)
    shutil.rmtree(src, ignore_errors=True)


def make_tree(src, n, sizes):
    """n random files in FOLDERS folders, file i of sizes[i % len(sizes)] bytes;
    returns {relative path: SHA-256}."""
    digests = {}
    for i in range(n):
        rel = f"d{i % FOLDERS:02d}/f{i:05d}"
        path = src / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        write_random(path, sizes[i % len(sizes)])
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


def shares(bench, tool=MIXED):
    return [r["value"] / r["first"] for r in bench.results.get(NAME, {}).get(tool, [])
            if r.get("ok") and r.get("first")]


def targets(bench):
    share = med(shares(bench))
    if share is None:
        return []
    runs = [r for r in bench.results[NAME][MIXED] if r.get("ok")]
    full = bench.s["sync_n"] >= FULL_FILES
    return [(f"sync of an unchanged {FULL_FILES:,}-file tree takes < {TARGET * 100:.0f}% of "
             f"the first upload's time (files of 1 KiB to 1 MiB)",
             f"{share * 100:.1f}% ({fmt(med(r['value'] for r in runs), 3)} s against "
             f"{fmt(med(r['first'] for r in runs), 2)} s)", sized(share < TARGET, full))]


def section(bench, fill):
    L = ["| tree | run | first upload s | unchanged sync s | share | "
         "CPU s first (client + server) | CPU s unchanged (client + server) |",
         "|---|---:|---:|---:|---:|---:|---:|"]
    for tool in (MIXED, SMALL):
        for i, r in enumerate(bench.results.get(NAME, {}).get(tool, []), 1):
            share = r["value"] / r["first"] if r.get("first") else None
            tree = (f"{fmt(r.get('mib'), 0)} MiB, 1 KiB to 1 MiB files" if tool == MIXED
                    else "4 KiB files")
            L.append(f"| {tree} | {i}{'' if r.get('ok') else ' (failed)'} | "
                     f"{fmt(r['first'], 2)} | {fmt(r['value'], 3)} | "
                     f"{fmt(share * 100 if share else None)}% | {fmt(r['first_cpu'], 2)} | "
                     f"{fmt(r['client_cpu'] + r['server_cpu'], 2)} |")
    return L + ["", "Each is one `sfs --json sync TREE :synctree` process (connect, login, "
                "walk both trees); the second finds every file unchanged: the remote "
                "listing gives each file's size and stored digest, and the client hashes "
                "its own copy (XXH3-128), or takes the digest it remembered for a file "
                "unchanged since it hashed it (`~/.cache/sfs/digests.d/`, keyed by device, "
                "inode, size, mtime and ctime; a file is remembered once its ctime is a "
                "second old, so the harness lets each tree age a second before its first "
                "sync, as any tree synced again has), so nothing is sent. The target is "
                "judged on the tree of mixed sizes (file i has 1 KiB << (i mod 11) bytes). "
                "The 4 KiB tree's first upload takes about 0.07 s, pipelined; its unchanged "
                "sync cannot go below what any `sfs` command costs: `sfs ls` of an empty "
                "folder (process start, TLS, login) takes about 7 ms here (bench/notes.md)."]
