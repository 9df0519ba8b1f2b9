"""6c. N logged-in sfs connections at once (10,000; smoke 200), opened by the runner
itself over TLS (one sfs process per connection would not fit), then a fresh `sfs ls`.
Where the open-file limits cannot give N, it holds as many as fit and says so."""

import shlex
import time

from ..common import PASSWORD, log
from ..fdlimit import FD_SPARE, SERVER_FDS_PER_CONN, held_capacity
from ..measure import tree_mem
from ..report.format import fmt, med
from .. import sfsproto

NAME = "held"
TITLE = "6c. {held:,} logged-in sfs connections held at once"
UNIT = ("KiB anon / connection", False)
HELD_TARGET = 10000  # the "10,000 concurrent connections held"


def run(b):
    want = b.s["held"]
    srv = b.sfs
    b.commands[(NAME, "sfs")] = (
        f"python3 ssl sockets (bench/run), x {want} at once: TLS 1.3 connect, read "
        f"'SFS 1', send 'LOGIN bench $PASSWORD', expect 'OK', left open; meanwhile:\n" +
        " ".join(shlex.quote(str(a)) for a in srv.client("ls", user="lister")).replace(
            str(b.t), "$T"))
    srv.restart()  # a fresh process: memory per connection, and it inherits our limit
    k, limits = held_capacity(want, srv.proc.pid)
    r = dict(ok=False, value=0, wanted=want, opened=0, fd_limit=limits[1])
    if k < want:
        r["short"] = (f"the open-file limits (runner {limits[0]}, sfs-server {limits[1]}; "
                      f"sfs-server needs {SERVER_FDS_PER_CONN} per connection plus "
                      f"{FD_SPARE}) allow {k:,} of the {want:,} connections; raise the "
                      f"hard limit (ulimit -Hn; root needs CAP_SYS_RESOURCE)")
        b.notes.append("held: " + r["short"])
        log("held: " + r["short"])
    warm, ok = open_held(b, min(2, k))  # code pages, TLS state, the login cache
    sfsproto.close_all(warm)
    if not ok or k < 1:
        b.add(NAME, "sfs", r)
        return
    time.sleep(0.5)
    base = tree_mem(srv.proc.pid)
    t0 = time.monotonic()
    held, ok = open_held(b, k)
    r.update(opened=len(held), setup=time.monotonic() - t0)
    try:
        if ok:
            measure_held(b, r, held, base)
    finally:
        sfsproto.close_all(held)
    srv.settle(30)
    srv.check_alive()
    b.add(NAME, "sfs", r)
    if "rss" in r:
        log(f"held sfs: {len(held)} of {want} logged in in {r['setup']:.1f} s; "
            f"{r['rss']:.1f} KiB RSS, {r['anon']:.1f} KiB anon per connection; "
            f"fresh sfs ls {'ok' if r.get('ls_ok') else 'FAILED'} in {r['ls_wall']:.2f} s")


def measure_held(b, r, held, base):
    """With every connection open: the server's memory per connection, that none was
    closed, and a fresh `sfs ls` (its time). Fills r."""
    srv = b.sfs
    time.sleep(1.0)
    after = tree_mem(srv.proc.pid)
    r["dropped"] = sfsproto.dropped(held)
    if r["dropped"]:
        b.fail(f"held: the server closed {r['dropped']} of {len(held)} connections "
               f"before memory was measured")
    r["total_rss"] = after["rss"]
    for key in ("rss", "anon"):
        r[key] = (after[key] - base[key]) / len(held)
    r["value"] = r["anon"]
    ls = b.measure(NAME, "sfs", srv.client("ls", user="lister"))
    missing = [x for x in b.listing if x not in ls["out"]]
    if ls["ok"] and missing:
        b.fail(f"held: the fresh sfs ls lacks {missing[0]}")
    r["ls_ok"] = ls["ok"] and not missing
    r["ls_wall"] = ls["wall"]
    r["ok"] = r["ls_ok"] and not r["dropped"] and len(held) == r["wanted"]


def open_held(b, k):
    """Opens k TLS connections to sfs-server and logs each in (docs/protocol.md:
    greeting `SFS 1`, `LOGIN <user> <password>` percent-encoded, `OK`), from 16
    threads. Returns (sockets, ok); on the first failure the others stop."""
    ctx = sfsproto.tls_context(b.sfs.cert)
    held, errors = sfsproto.open_many(
        k, lambda i: sfsproto.logged_in(ctx, b.sfs.port, "bench", PASSWORD), b.s["timeout"])
    if errors:
        b.fail(f"held: {len(held)} of {k} logged in; first error: {errors[0]}")
    return held, not errors


def targets(bench):
    rows = []
    for r in bench.results.get(NAME, {}).get("sfs", [])[-1:]:
        k = r.get("wanted", bench.s["held"])
        measured = f"{r.get('opened', 0):,} of {k:,} logged in and held"
        if r.get("ls_wall") is not None:
            measured += (f"; a fresh `sfs ls` {'took' if r.get('ls_ok') else 'FAILED after'} "
                         f"{r['ls_wall']:.2f} s")
        if r.get("dropped"):
            measured += f"; {r['dropped']} closed by the server"
        if r.get("short"):
            measured += "; fewer fit the open-file limits (see 6c)"
        big = k >= HELD_TARGET
        rows.append((f"{HELD_TARGET:,} concurrent logged-in connections held (sfs, 6c)" +
                     ("" if big else f"; this run held {k:,} only"), measured,
                     bool(r.get("ok")) if big else (None if r.get("ok") else False)))
        if r.get("rss") is not None:
            rows.append((f"idle logged-in connection < 64 KiB RSS (sfs, 6c: "
                         f"{r.get('opened', 0):,} held)",
                         f"{r['rss']:.1f} KiB" + ("" if r["rss"] < 64 else
                                                   f"; gap {r['rss'] - 64:.1f} KiB "
                                                   f"({r['rss'] / 64:.2f}×)"),
                         r["rss"] < 64))
    return rows


def table(runs):
    L = ["| connections | logged in | set-up s | KiB RSS / conn | KiB anon / conn | "
         "server RSS MiB, all held | server's open-file limit | fresh `sfs ls` s |",
         "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in runs:
        L.append(f"| {r.get('wanted', 0):,} | {r.get('opened', 0):,} | {fmt(r.get('setup'))} | "
                 f"{fmt(r.get('rss'))} | {fmt(r.get('anon'))} | "
                 f"{fmt(r['total_rss'] / 1024 if r.get('total_rss') else None)} | "
                 f"{r.get('fd_limit') or '?'} | "
                 f"{fmt(r.get('ls_wall'), 2)}{'' if r.get('ls_ok', True) else ' (failed)'} |")
    for r in runs:
        if r.get("short"):
            L.append("")
            L.append(f"Not all {r['wanted']:,}: {r['short']}.")
    return L


HOW = ("The connections are raw TLS 1.3 sockets opened by bench/run itself (Python "
       "`ssl`, 16 threads), each speaking the protocol: it reads the greeting `SFS 1`, "
       "sends `LOGIN bench <password>` (percent-encoded) and expects `OK`, then stays "
       "open (one `sfs` process per connection would not fit in memory). The runner "
       "raises its open-file limit (soft to hard; as root the hard limit too) before "
       "it starts sfs-server, which inherits it (sfs-server keeps one descriptor "
       "per logged-in connection, the socket: the sessions of one user share one "
       "handle on the user's directory); the server runs with "
       "`--max-connections`, `--max-connections-per-ip` and `--max-unauthenticated` "
       "above the count. Memory is the server's RSS and anon RSS with all connections "
       "open, minus before (after two warm-up logins that also fill the login cache, "
       "so only the first login pays Argon2id), divided by their number, from a "
       "freshly started server. While all are held, a fresh `sfs ls` (another user, "
       "new process) must succeed; its time includes its own login (Argon2id: the server "
       "was restarted). Before "
       "measuring, the runner checks that the server closed none of them.")


def compare_idle(bench, held):
    """The sentence comparing 6c's memory per connection with 6b's."""
    idle = [r for r in bench.results.get("idle", {}).get("sfs", []) if r.get("ok")]
    if not idle or not held:
        return []
    a, b = med(r["rss"] for r in idle), held[-1]["rss"]
    same = abs(a - b) <= 0.1 * max(a, b)
    return ["", f"Per connection, 6c measured {b:.1f} KiB RSS and 6b {a:.1f} KiB"
            + (" (within 10%)." if same else
               f": {'more' if b > a else 'less'} here, by {abs(b - a):.1f} KiB. 6b's "
               "connections come from `sfs` client processes waiting at the menu, "
               "6c's from the runner right after `OK`; the counts differ "
               f"({bench.s['idle']:,} against {held[-1]['wanted']:,}), and so does how "
               "much of the allocator's per-thread and fragmentation overhead is "
               "spread over them.")]


def section(bench, fill):
    runs = bench.results.get(NAME, {}).get("sfs", [])
    return (table(runs) + ["", HOW] +
            compare_idle(bench, [r for r in runs if r.get("rss") is not None]))
