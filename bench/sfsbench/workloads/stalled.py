"""9. Stalled uploads (100; smoke 20): raw TLS sessions log in, start a PUT of a large
announced size, send the header of a 4 MiB frame and a few bytes of it, and stall.
The server's memory growth while they stall, once with raw frames and once after
COMPRESS zstd (a compressed frame's header, then the start of a real zstd frame)."""

import os
import time

from ..common import MiB, PASSWORD, log
from ..measure import MemSampler, tree_mem
from ..report.format import fmt, sized
from .. import sfsproto

NAME = "stalled"
TITLE = "9. {stalled} stalled uploads: the server's memory"
UNIT = ("MiB", False)
USER = "staller"
USERS = (USER,)
ANNOUNCED = 1 << 30           # the PUT's size
FRAME = sfsproto.MAX_FRAME    # the frame header announces the largest frame (4 MiB)
FEW_BYTES = 16                # of the frame's data, then nothing more
GROWTH_TARGET_MIB = 64
FULL_COUNT = 100              # the count
MODES = {"raw": "raw frames", "zstd": "after COMPRESS zstd"}


class Refused(Exception):
    """The server answered the PUT (or COMPRESS) with something other than OK."""


def run(b):
    for mode in MODES:
        r = one_mode(b, mode)
        b.add(NAME, mode, r)
        log(f"stalled {mode}: {r['stalled']} of {r['wanted']} stalled; server RSS "
            f"{fmt(r.get('growth'))} MiB more (peak {fmt(r.get('peak_growth'))} MiB)")
    b.commands[(NAME, "sfs")] = (
        f"python3 ssl sockets (bench/run), x {b.s['stalled']} at once, for each mode: "
        f"TLS 1.3 connect, 'SFS 1', 'LOGIN {USER} $PASSWORD', ['COMPRESS zstd',] "
        f"'PUT stall-MODE-NNN {ANNOUNCED}', 'OK 0 -', 'FROM 0', a frame header for "
        f"{FRAME} bytes (top bit set after COMPRESS), {FEW_BYTES} bytes (after COMPRESS: a "
        f"zstd frame's first 12 bytes, then {FEW_BYTES}), then nothing")


def stall_one(ctx, port, mode, i):
    """One stalled upload. Returns (socket, None), or (socket, reply) when the server
    refused it (the session stays open all the same)."""
    s = sfsproto.logged_in(ctx, port, USER, PASSWORD)
    try:
        zstd = mode == "zstd"
        if zstd and (reply := sfsproto.command(s, b"COMPRESS zstd\n")) != b"OK zstd":
            return s, reply
        reply = sfsproto.command(s, f"PUT stall-{mode}-{i:03d} {ANNOUNCED}\n".encode())
        if not reply.startswith(b"OK "):
            return s, reply
        start = sfsproto.zstd_frame_start(zstd_content(FRAME)) if zstd else b""
        s.sendall(b"FROM 0\n" + sfsproto.frame_header(FRAME, zstd) + start +
                  os.urandom(FEW_BYTES))
    except BaseException:
        s.close()
        raise
    return s, None


def zstd_content(m):
    """The content size of a zstd frame of exactly m bytes made of raw blocks of 128 KiB
    (9 bytes of frame header, 3 per block)."""
    blocks = -(-(m - 9) // ((128 << 10) + 3))
    return m - 9 - 3 * blocks


def one_mode(b, mode):
    srv = b.sfs
    srv.restart()  # a fresh process: freed heap stays resident
    k = b.s["stalled"]
    ctx = sfsproto.tls_context(srv.cert)
    warm, _ = sfsproto.open_many(2, lambda i: sfsproto.logged_in(ctx, srv.port, USER, PASSWORD),
                                 b.s["timeout"])  # code pages, TLS state, the login cache
    sfsproto.close_all(warm)
    time.sleep(0.5)
    base = tree_mem(srv.proc.pid)
    sampler = MemSampler(srv.proc.pid)
    sampler.start()
    t0 = time.monotonic()
    opened, errors = sfsproto.open_many(k, lambda i: stall_one(ctx, srv.port, mode, i),
                                        b.s["timeout"])
    r = dict(wanted=k, setup=time.monotonic() - t0, error=errors[0] if errors else None)
    socks = [s for s, _ in opened]
    try:
        time.sleep(1.5)  # the server reads what came and does what it does with it
        measure(r, srv, socks, base, opened)
    finally:
        r["peak_growth"] = (sampler.finish()["rss"] - base["rss"]) / 1024
        sfsproto.close_all(socks)
    srv.settle(30)
    srv.check_alive()
    if errors and not opened:
        b.fail(f"stalled/{mode}: no upload could be started: {errors[0]}")
    return r


def measure(r, srv, socks, base, opened):
    after = tree_mem(srv.proc.pid)
    r["dropped"] = sfsproto.dropped(socks)
    refused = [reply for _, reply in opened if reply is not None]
    r["refused"] = len(refused)
    r["refused_reply"] = refused[0].decode(errors="replace")[:120] if refused else None
    r["stalled"] = len(opened) - len(refused)
    r["growth"] = (after["rss"] - base["rss"]) / 1024
    r["anon_growth"] = (after["anon"] - base["anon"]) / 1024
    r["ok"] = True


def how_many(r):
    text = f"{r['stalled']:,} of {r['wanted']:,} stalled"
    if r.get("refused"):
        text += f", {r['refused']} refused ({r['refused_reply']})"
    if r.get("dropped"):
        text += f", {r['dropped']} closed by the server before measuring"
    if r.get("error"):
        text += f"; not opened: {r['error']}"
    return text


def targets(bench):
    rows = []
    for mode, label in MODES.items():
        for r in bench.results[NAME].get(mode, [])[-1:]:
            growth = r.get("growth")
            full = r["wanted"] >= FULL_COUNT
            rows.append((f"{FULL_COUNT} stalled uploads (9, {label}): server RSS grows "
                         f"< {GROWTH_TARGET_MIB} MiB" +
                         ("" if full else f"; this run stalled {r['wanted']} only"),
                         f"{fmt(growth)} MiB; {how_many(r)}",
                         sized(growth is not None and growth < GROWTH_TARGET_MIB, full)))
    return rows


def section(bench, fill):
    L = ["| mode | uploads stalled | server RSS growth MiB | anon growth MiB | "
         "peak RSS growth MiB | set-up s |",
         "|---|---|---:|---:|---:|---:|"]
    for mode, label in MODES.items():
        for r in bench.results[NAME].get(mode, []):
            L.append(f"| {label} | {how_many(r)} | {fmt(r.get('growth'))} | "
                     f"{fmt(r.get('anon_growth'))} | {fmt(r.get('peak_growth'))} | "
                     f"{fmt(r.get('setup'))} |")
    return L + [
        "", f"Each upload is a raw TLS 1.3 session of bench/run's (Python `ssl`, 16 "
        f"threads) that logs in as `{USER}`, sends `PUT` of {ANNOUNCED // MiB:,} MiB, "
        f"answers the offer with `FROM 0`, sends the 4-byte header of a "
        f"{FRAME // MiB} MiB frame and {FEW_BYTES} bytes of it, and then nothing, "
        "which the protocol allows for its stall timeout (60 s). With COMPRESS zstd the "
        "header has the compressed flag and the bytes begin a real zstd frame (magic "
        "number, a header stating its content size, a raw block's header; RFC 8878). "
        "Growth is the server's RSS with every upload stalled, 1.5 s after the last one "
        "started, minus before (a freshly started server, after two warm-up logins); "
        "the peak is sampled every 100 ms from the first one on."]
