"""10. One user's VERIFYs queued (8 sessions, each sending VERIFY at once) over a tree
of large files (4 of 256 MiB; smoke 16 MiB), and another user's 1-byte PUT latency
while they run, against its latency without them."""

import statistics
import threading
import time

from ..common import MiB, PASSWORD, BenchError, log
from ..files import unlink, write_random
from ..procs import check_output
from ..report.format import fmt, sized
from .. import sfsproto

NAME = "verify"
TITLE = "10. {verify_sessions} VERIFYs of one user queued: another user's 1-byte PUT"
UNIT = ("s", False)
USER, OTHER = "verifier", "bench"
USERS = (USER,)
PUT_TARGET_S = 0.2
FULL_FILE_MIB = 256
CALM_PUTS = 10
MAX_PUTS = 5000    # while the VERIFYs run, one every PUT_GAP_S
PUT_GAP_S = 0.02
MAX_ENTRIES = 100000  # lines a VERIFY reply may announce


def run(b):
    tree_mib = place_files(b)
    tiny = b.data / "tiny.bin"
    tiny.write_bytes(b"x")
    digest = check_output(["xxh128sum", tiny]).split()[0]
    unlink(tiny)
    ctx = sfsproto.tls_context(b.sfs.cert)
    other = sfsproto.logged_in(ctx, b.sfs.port, OTHER, PASSWORD, timeout=b.s["timeout"])
    verifiers = []
    try:
        calm = put_latencies(b, other, digest, lambda: False, CALM_PUTS)
        verifiers = [sfsproto.logged_in(ctx, b.sfs.port, USER, PASSWORD, timeout=b.s["timeout"])
                     for _ in range(b.s["verify_sessions"])]
        r = under_load(b, other, verifiers, digest)
    finally:
        sfsproto.close_all([other] + verifiers)
    r.update(calm=calm, tree_mib=tree_mib, ok=True)
    b.add(NAME, "sfs", r)
    log(f"verify: 1-byte PUT {fmt(max(r['busy']), 3)} s at most while "
        f"{len(verifiers)} VERIFYs ran ({len(r['busy'])} PUTs; without them "
        f"{fmt(max(calm), 3)} s at most)")
    b.commands[(NAME, "sfs")] = (
        f"{b.hide(' '.join(str(a) for a in b.sfs.client('put', 'FILE', 'vN', user=USER)))}"
        f"  (x {b.s['verify_files']}), then python3 ssl sockets (bench/run): "
        f"{b.s['verify_sessions']} sessions of {USER} send 'VERIFY' at once, while one of "
        f"{OTHER} sends 'PUT tiny.bin 1', 'FROM 0', one 1-byte frame, the end frame and "
        f"'XXH128 <digest>' every {PUT_GAP_S} s until all VERIFYs have answered")


def place_files(b):
    """verify_files files of verify_file_mib for USER, stored through sfs (so they have
    their digests). Returns the tree's size in MiB."""
    src = b.data / "verify.bin"
    write_random(src, b.s["verify_file_mib"] * MiB)
    try:
        for i in range(b.s["verify_files"]):
            if not b.client_run(b.sfs.client("put", src, f"v{i}", user=USER)):
                raise BenchError(f"verify: could not store v{i} for {USER}")
    finally:
        unlink(src)
    return b.s["verify_files"] * b.s["verify_file_mib"]


def put_latencies(b, sock, digest, done, limit):
    """1-byte PUTs on a logged-in session until done() or limit of them or the
    timeout; at least one. Returns their times, s."""
    out = []
    deadline = time.monotonic() + b.s["timeout"]
    while True:
        t0 = time.monotonic()
        try:
            reply = sfsproto.put_file(sock, "tiny.bin", b"x", digest)
        except OSError as e:  # the session's timeout is the run's
            b.fail(f"verify: a 1-byte PUT failed: {e}")
            return out or [time.monotonic() - t0]
        out.append(time.monotonic() - t0)
        if not reply.startswith(b"OK"):
            b.fail(f"verify: a 1-byte PUT was answered {reply[:100]!r}")
            return out
        if done() or len(out) >= limit or time.monotonic() > deadline:
            return out
        time.sleep(PUT_GAP_S)


def read_verify(sock):
    """One VERIFY reply: the statuses of its lines."""
    head = sfsproto.read_line(sock).split()
    if len(head) != 2 or head[0] != b"OK" or not head[1].isdigit() \
            or int(head[1]) > MAX_ENTRIES:
        raise OSError(f"VERIFY answered {b' '.join(head)[:100]!r}")
    return [sfsproto.read_line(sock).split(b" ", 1)[0].decode()
            for _ in range(int(head[1]))]


def under_load(b, other, verifiers, digest):
    """Sends VERIFY on every verifier session, and PUTs on `other` until all have
    answered."""
    answers, errors = [], []
    t0 = time.monotonic()

    def reader():
        try:
            for s in verifiers:
                answers.append((read_verify(s), time.monotonic() - t0))
        except OSError as e:
            errors.append(str(e))

    for s in verifiers:
        s.sendall(b"VERIFY\n")
    th = threading.Thread(target=reader, daemon=True)
    th.start()
    time.sleep(0.05)  # the VERIFYs reach the server's queue first
    busy = put_latencies(b, other, digest, lambda: not th.is_alive(), MAX_PUTS)
    th.join(b.s["timeout"])
    if errors or th.is_alive():
        b.fail(f"verify: {errors[0] if errors else 'a VERIFY did not answer in time'}")
    bad = [st for statuses, _ in answers for st in statuses if st != "ok"]
    if bad:
        b.fail(f"verify: {len(bad)} files not ok ({bad[0]})")
    return dict(busy=busy, verify_s=max((t for _, t in answers), default=None),
                answered=len(answers))


def targets(bench):
    rows = []
    for r in bench.results[NAME].get("sfs", [])[-1:]:
        top = max(r["busy"])
        rows.append((f"another user's 1-byte PUT < {PUT_TARGET_S} s while one user's "
                     f"{bench.s['verify_sessions']} VERIFYs run (10)" +
                     ("" if bench.s["verify_file_mib"] >= FULL_FILE_MIB else
                      f"; this run's files {bench.s['verify_file_mib']} MiB only"),
                     f"max {top:.3f} s, median {statistics.median(r['busy']):.3f} s over "
                     f"{len(r['busy'])} PUTs",
                     sized(top < PUT_TARGET_S, bench.s["verify_file_mib"] >= FULL_FILE_MIB)))
    return rows


def section(bench, fill):
    s = bench.s
    L = ["| 1-byte PUT of another user | PUTs | median s | max s |", "|---|---:|---:|---:|"]
    for r in bench.results[NAME].get("sfs", []):
        for label, xs in (("without VERIFYs", r["calm"]),
                          (f"while {s['verify_sessions']} VERIFYs run", r["busy"])):
            L.append(f"| {label} | {len(xs)} | {statistics.median(xs):.3f} | "
                     f"{max(xs):.3f} |")
        L += ["", f"The {r['answered']} VERIFYs, each over {s['verify_files']} files of "
              f"{s['verify_file_mib']} MiB ({r['tree_mib']:,} MiB), had all answered after "
              f"{fmt(r['verify_s'], 2)} s."]
    return L + [
        "", f"The user `{USER}` stores its files through `sfs put` (so they carry their "
        f"digests); then {s['verify_sessions']} raw TLS sessions of it (bench/run's, Python "
        f"`ssl`) send `VERIFY` at once, and a session of `{OTHER}`, logged in before, "
        f"uploads a 1-byte file every {PUT_GAP_S} s (`PUT`, `FROM 0`, one frame, the end "
        "frame, the `XXH128` trailer; the time is from sending `PUT` to the final `OK`) "
        f"until every VERIFY has answered; its first PUT goes 50 ms after the VERIFYs. "
        f"Without VERIFYs: {CALM_PUTS} such PUTs just before."]
