"""8. Fairness under a password attack. Three attacker addresses (127.0.0.2-4) guess
the owner's password as fast as the server answers (several connections each, wrong
passwords) and each holds silent TCP connections (300; smoke 30). Meanwhile the owner
logs in from a clean address (127.0.0.1) with `sfs ls`, and another user moves a file
(64 MiB; smoke 8) up and down; both also without the attack, for comparison.

A server of its own, with the server's default connection limits (what the attack
meets in the field), not the main one's raised ones. A failed login or transfer during
the attack is a result (a missed target), not a failure of the run."""

import statistics
import time

from ..attackers import Attack
from ..common import MB, MiB, log
from ..files import sha256_file, unlink, write_random
from ..report.format import fmt, sized
from ..servers import SfsServer
from .. import sfsproto

NAME = "attack"
TITLE = ("8. a password attack from 3 addresses: the owner's logins and another user's "
         "transfer meanwhile")
UNIT = ("s", False)
SOURCES = ("127.0.0.2", "127.0.0.3", "127.0.0.4")
OWNER, OTHER = "owner", "bench"
LOGIN_TARGET_S = 2.0
SHARE_TARGET = 0.8
FULL_HOLDS = 300  # the silent connections per address
REOPEN_ROUNDS = 600  # silent connections opened per address: at most 600 x the held count


def run(b):
    srv = SfsServer(b.t, b.bins, None, sub="sfs-attack", users=(OWNER, OTHER),
                    plain_user=False, idle_timeout=None)
    b.extra_servers.append(srv)
    srv.start()
    try:
        r = phases(b, srv)
    finally:
        srv.stop()
    b.add(NAME, "sfs", r)
    show_commands(b, srv)


def phases(b, srv):
    src = b.data / "attack.bin"
    write_random(src, b.s["attack_mib"] * MiB)
    sha = sha256_file(src)
    for user in (OWNER, OTHER):  # the first login pays Argon2id, later ones hit the cache
        if not b.client_run(srv.client("ls", user=user)):
            b.fail(f"attack: {user} cannot log in to the attack's server")
    r = {"calm_logins": owner_logins(b, srv, "calm"),
         "calm_xfer": transfer(b, srv, src, sha, "calm")}
    attack = Attack(srv.port, sfsproto.tls_context(srv.cert), OWNER,
                    time.monotonic() + attack_bound(b.s))
    attack.start(SOURCES, b.s["attack_guessers"], b.s["attack_guesses"],
                 b.s["attack_conns"], REOPEN_ROUNDS * b.s["attack_conns"])
    try:
        ramp_up(attack)
        r["attack_logins"] = owner_logins(b, srv, "attack")
        r["attack_xfer"] = transfer(b, srv, src, sha, "attack")
    finally:
        t0 = time.monotonic()
        r["stopped"] = attack.stop()
        log(f"attack: attackers stopped in {time.monotonic() - t0:.1f} s")
        r["attackers"] = {k: dict(v) for k, v in attack.stats.items()}
    if srv.proc.poll() is not None:
        unlink(src)
        b.fail(f"attack: sfs-server died during the attack (status {srv.proc.returncode})")
        return r
    # Once more without the attack: a single run on a busy machine is noisy, and the
    # comparison uses the mean of before and after.
    r["after_xfer"] = transfer(b, srv, src, sha, "after")
    unlink(src)
    log_result(r)
    return r


def attack_bound(s):
    """How long the attack may last at most: the owner's logins and the transfer, each
    at their bounds, and the ramp-up."""
    return s["attack_logins"] * s["attack_login_limit"] + 2 * s["timeout"] + 30


def ramp_up(attack, timeout=10):
    """Waits until every address holds connections and has sent a guess (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with attack.lock:
            ready = all(st["opened"] > 0 and st["sent"] + st["refused"] > 0
                        for st in attack.stats.values())
        if ready:
            break
        time.sleep(0.1)
    time.sleep(1.0)  # a second of guessing before the owner comes


def owner_logins(b, srv, phase):
    """The owner's `sfs ls`, attack_logins times, one after another. Returns
    [(ok, wall s, last line of stderr)]."""
    out = []
    for i in range(b.s["attack_logins"]):
        m = b.measure(NAME, "owner's login", srv.client("ls", user=OWNER), server=srv,
                      timeout=b.s["attack_login_limit"], name=f"{phase}-login-{i}",
                      expect_ok=phase == "calm")
        why = f"killed at the {b.s['attack_login_limit']} s bound" if m["rc"] == -9 else \
            (m["err"].splitlines() or ["no message"])[-1][-200:]
        out.append((m["ok"], m["wall"], why))
    return out


def transfer(b, srv, src, sha, phase):
    """The other user's put then get of src. Returns MB/s of both together, or None
    when either failed (then the reason)."""
    size = src.stat().st_size
    remote, local = srv.user_dir(OTHER) / "xfer.bin", b.out / "xfer.bin"
    must = phase != "attack"
    put = b.measure(NAME, "another user's put", srv.client("put", src, "xfer.bin", user=OTHER),
                    server=srv, name=f"{phase}-put", expect_ok=must)
    ok = put["ok"] and b.verify(f"attack/{phase} put", remote, sha)
    get = None
    if ok:
        get = b.measure(NAME, "another user's get", srv.client("get", "xfer.bin", local,
                                                               user=OTHER),
                        server=srv, name=f"{phase}-get", expect_ok=must)
        ok = get["ok"] and b.verify(f"attack/{phase} get", local, sha)
    unlink(remote)
    unlink(local)
    if not ok:
        failed = get if get and not get["ok"] else put
        return {"rate": None, "why": (failed["err"].splitlines() or ["?"])[-1][-200:]}
    return {"rate": 2 * size / (put["wall"] + get["wall"]) / MB}


def rates(r):
    """(MB/s without the attack: the mean of before and after, MB/s during it)."""
    calm = [x["rate"] for x in (r["calm_xfer"], r.get("after_xfer", {})) if x.get("rate")]
    return (sum(calm) / len(calm) if calm else None), r["attack_xfer"]["rate"]


def log_result(r):
    calm, hit = rates(r)
    logins = r["attack_logins"]
    good = [w for ok, w, _ in logins if ok]
    log(f"attack: owner's logins during the attack {len(good)} of {len(logins)} ok"
        + (f", max {max(good):.2f} s" if good else "")
        + f"; other user's put+get {fmt(hit)} MB/s against {fmt(calm)} without")


def show_commands(b, srv):
    b.commands[(NAME, "attackers")] = (
        f"python3 threads (bench/run), from each of {', '.join(SOURCES)}: "
        f"{b.s['attack_guessers']} TLS connections at a time sending 'LOGIN {OWNER} "
        f"<wrong password>' (at most {b.s['attack_guesses']} per address), and "
        f"{b.s['attack_conns']} TCP connections that send nothing (reopened when closed, "
        f"once a second)")
    b.commands[(NAME, "server")] = b.hide(" ".join(str(a) for a in srv.command))


def login_stats(logins):
    good = [w for ok, w, _ in logins if ok]
    return (len(good), len(logins), statistics.median(good) if good else None,
            max(good) if good else None)


def targets(bench):
    rows = []
    full = bench.s["attack_conns"] >= FULL_HOLDS
    for r in bench.results[NAME].get("sfs", [])[-1:]:
        k, n, median, top = login_stats(r["attack_logins"])
        met = k == n and top is not None and top < LOGIN_TARGET_S
        rows.append((f"password attack (8): the owner's {n} logins from a clean address all "
                     f"succeed, each within {LOGIN_TARGET_S:.0f} s",
                     f"{k} of {n} succeeded" + (f"; max {top:.2f} s, median {median:.2f} s"
                                                if k else ""), sized(met, full)))
        calm, hit = rates(r)
        share = hit / calm if hit and calm else 0.0
        measured = (f"{share * 100:.0f}% ({fmt(hit)} against {fmt(calm)} MB/s)" if hit else
                    f"failed: {r['attack_xfer'].get('why', '?')}")
        rows.append((f"password attack (8): another user's {bench.s['attack_mib']} MiB "
                     f"put + get ≥ {SHARE_TARGET * 100:.0f}% of its speed without the attack",
                     measured, sized(share >= SHARE_TARGET, full)))
    return rows


def login_rows(r):
    rows = []
    for label, key in (("without the attack", "calm_logins"),
                       ("during the attack", "attack_logins")):
        k, n, median, top = login_stats(r[key])
        failed = [(w, why) for ok, w, why in r[key] if not ok]
        rows.append(f"| owner's logins, {label} | {k} of {n} | {fmt(median, 2)} | "
                    f"{fmt(top, 2)} | " + (f"{len(failed)} failed, after up to "
                                          f"{max(w for w, _ in failed):.1f} s: "
                                          f"{failed[0][1]}"
                                          if failed else "–") + " |")
    return rows


def attacker_lines(r, s):
    out = []
    for source, st in r["attackers"].items():
        out.append(f"- {source}: {st['sent']:,} wrong passwords sent, {st['guesses']:,} "
                   f"answered (the rest: closed unanswered, or cut at the end), "
                   f"{st['refused']:,} guessing connections refused; silent connections "
                   f"held at most {st['held_peak']:,} of {s['attack_conns']:,} (opened "
                   f"{st['opened']:,}, closed by the server {st['closed_by_server']:,}, "
                   f"failed to connect {st['errors']:,})" +
                   (f"; its {s['attack_guesses']:,} guesses were used up after "
                    f"{st['guesses_spent_after']:.0f} s" if "guesses_spent_after" in st else ""))
    return out


def section(bench, fill):
    s = bench.s
    L = []
    for r in bench.results[NAME].get("sfs", []):
        calm, hit = rates(r)
        before, after = r["calm_xfer"]["rate"], r.get("after_xfer", {}).get("rate")
        L += ["| what | succeeded | median s | max s | failures |",
              "|---|---:|---:|---:|---|"] + login_rows(r) + [
            "", f"Another user's {s['attack_mib']} MiB `sfs put` then `sfs get` (MB/s of both "
            f"together): {fmt(calm)} without the attack (the mean of {fmt(before)} before "
            f"and {fmt(after)} after it), "
            + (f"{fmt(hit)} during it ({hit / calm * 100:.0f}%)." if hit and calm else
               f"failed during it ({r['attack_xfer'].get('why', '?')})."),
            "", "The attackers:", ""] + attacker_lines(r, s)
        if not r.get("stopped", True):
            L.append("- (some attacker threads were still blocked when the attack ended)")
    return L + [
        "", f"A second sfs-server, started for this workload with the default connection "
        f"limits (--max-connections, --max-connections-per-ip and --max-unauthenticated "
        f"not given). Each of {', '.join(SOURCES)} runs {s['attack_guessers']} threads "
        f"that open TLS connections and send `LOGIN {OWNER} <wrong password>` as fast as "
        f"the server answers (at most {s['attack_guesses']:,} per address, 3 per "
        f"connection), and one thread that keeps {s['attack_conns']:,} TCP connections "
        f"open without a TLS handshake, reopening those the server closes once a second "
        f"(at most {REOPEN_ROUNDS} times as many in all). "
        f"After a second of this, the owner runs `sfs ls` {s['attack_logins']} times from "
        f"127.0.0.1 (each given {s['attack_login_limit']} s; login time is the whole "
        f"command, median and max over the ones that succeeded), then the user "
        f"`{OTHER}` moves the file; both were measured the same way before the attack "
        f"(after one `sfs ls` of each user, so that no measured login is a first one, "
        f"which pays Argon2id where later ones hit the login cache), and the transfer "
        f"once more after it."]
