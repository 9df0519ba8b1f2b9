"""18. What the database adds to a request (issue 15): the same sfs-server with its
users in the auth file and in PostgreSQL (--db), each without and with a quota
(--quota-bytes: with --db the quota ledger is PostgreSQL's, pg::PgQuota; without,
the in-memory one). Measured from raw sessions (bench/run's own TLS client,
sfsproto.py), one request at a time, so each time is one round trip:

- login: connect + TLS 1.3 handshake + greeting, then `LOGIN` until `OK` (the
  password in the login cache, as for every login after a node's first; with
  --db the attempt is shared through the database before the client hears it);
- a 1 KiB upload: `PUT`, `FROM 0`, one frame, the end frame and the `XXH128`
  trailer until the final `OK`, many on one session (with a quota, each reserves
  its size before the first byte and books the file at the commit)."""

import time

from ..common import PASSWORD, BenchError, log
from ..files import unlink
from ..measure import tree_cpu
from ..procs import check_output
from ..report.format import fmt, med
from .. import sfsproto
from . import cluster

NAME = "db_cost"
TITLE = ("18. what the database adds: a login and a 1 KiB upload, auth file against "
         "PostgreSQL (--db)")
# Four servers and PostgreSQL: as workload 17, in a smoke run only by --workloads.
SMOKE = False
UNIT = ("ms", False)
USER = "dbcost"
SMALL = 1024
QUOTA_BYTES = 1 << 40   # limits no upload meets: what is measured is the bookkeeping
QUOTA_FILES = 10 ** 7
QUOTA_ARGS = ("--quota-bytes", str(QUOTA_BYTES), "--quota-files", str(QUOTA_FILES))
# (key, what the report calls it, users in the database, quota)
SETUPS = (("file", "auth file", False, False),
          ("file-quota", "auth file, --quota-bytes (in-memory ledger)", False, True),
          ("db", "--db", True, False),
          ("db-quota", "--db, --quota-bytes (ledger in PostgreSQL)", True, True))


def run(b):
    why = cluster.missing()
    if why:
        cluster.skip(b, NAME, why)
        return
    db = cluster.database(b)
    db.add_user(b.bins, USER)
    servers = {}
    try:
        for key, _, in_db, quota in SETUPS:
            servers[key] = cluster.start_server(
                b, f"dbcost-{key}", users=() if in_db else (USER,), db=db if in_db else None,
                extra_args=QUOTA_ARGS if quota else ())
        cluster.show_server(b, NAME, servers["db-quota"])
        data = bytes(range(256)) * (SMALL // 256)
        tiny = b.data / "dbcost.bin"
        tiny.write_bytes(data)
        digest = check_output(["xxh128sum", tiny]).split()[0]
        unlink(tiny)
        for run_no in range(b.s["runs"]):
            for key in b.order([s[0] for s in SETUPS], run_no):
                one_run(b, key, servers[key], db, run_no, data, digest)
    finally:
        for srv in servers.values():
            srv.stop()


def one_run(b, key, srv, db, run_no, data, digest):
    """n logins, then n 1 KiB PUTs on one session, against one server; the server's
    and the database's CPU for each half."""
    srv.check_alive()
    ctx = sfsproto.tls_context(srv.cert)
    n = b.s["db_requests"]
    sfsproto.logged_in(ctx, srv.port, USER, PASSWORD).close()  # the first one pays Argon2id
    cpu0 = (tree_cpu(srv.proc.pid), tree_cpu(db.proc.pid))
    connects, logins = [], []
    for _ in range(n):
        connect, login = one_login(ctx, srv.port, b.s["timeout"])
        connects.append(connect)
        logins.append(login)
    cpu1 = (tree_cpu(srv.proc.pid), tree_cpu(db.proc.pid))
    puts = put_many(b, ctx, srv, n, run_no, data, digest)
    cpu2 = (tree_cpu(srv.proc.pid), tree_cpu(db.proc.pid))
    r = dict(ok=True, connect=connects, login=logins, put=puts,
             value=med(puts) * 1000,
             login_cpu=((cpu1[0] - cpu0[0]) / n, (cpu1[1] - cpu0[1]) / n),
             put_cpu=((cpu2[0] - cpu1[0]) / n, (cpu2[1] - cpu1[1]) / n))
    b.add(NAME, key, r)
    log(f"db_cost {key:10s} run {run_no + 1}: login {med(logins) * 1000:.2f} ms "
        f"(with connect + TLS {med(c + x for c, x in zip(connects, logins)) * 1000:.2f} ms), "
        f"1 KiB PUT {med(puts) * 1000:.2f} ms")


def one_login(ctx, port, timeout):
    """(connect + TLS + greeting s, LOGIN round trip s) of one fresh session."""
    t0 = time.monotonic()
    s = sfsproto.connect(ctx, port, timeout=timeout)
    try:
        t1 = time.monotonic()
        reply = sfsproto.command(s, sfsproto.login_line(USER, PASSWORD))
        t2 = time.monotonic()
    finally:
        s.close()
    if reply != b"OK":
        raise BenchError(f"db_cost: LOGIN answered {reply[:100]!r}")
    return t1 - t0, t2 - t1


def put_many(b, ctx, srv, n, run_no, data, digest):
    """n PUTs of data under new names on one session; their times, s."""
    s = sfsproto.logged_in(ctx, srv.port, USER, PASSWORD, timeout=b.s["timeout"])
    times = []
    try:
        for i in range(n):
            t0 = time.monotonic()
            reply = sfsproto.put_file(s, f"r{run_no}-{i:05d}.bin", data, digest)
            times.append(time.monotonic() - t0)
            if not reply.startswith(b"OK"):
                b.fail(f"db_cost/{srv.dir.name}: PUT answered {reply[:200]!r}")
                break
    finally:
        s.close()
    return times


def quantile(xs, q):
    """The q-quantile (0..1) of xs, nearest rank; None when empty."""
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else None


def pooled(runs, field):
    return [x for r in runs for x in r[field]]


def ms(x):
    return fmt(x * 1000 if x is not None else None, 2)


def section(bench, fill):
    why = cluster.skipped(bench, NAME)
    if why:
        return [f"skipped: {why}."]
    res = bench.results[NAME]
    base = {f: med(pooled(res.get("file", []), f)) for f in ("login", "put")}
    L = ["| server | login ms: median | p90 | + vs auth file | connect + TLS + login ms: "
         "median | p90 | 1 KiB PUT ms: median | p90 | + vs auth file | server CPU ms per "
         "login / PUT | PostgreSQL CPU ms per login / PUT |",
         "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for key, label, _, _ in SETUPS:
        runs = res.get(key, [])
        if not runs:
            continue
        login, put = pooled(runs, "login"), pooled(runs, "put")
        whole = [c + x for r in runs for c, x in zip(r["connect"], r["login"])]
        extra = {f: (med(v) - base[f]) if base[f] is not None and v else None
                 for f, v in (("login", login), ("put", put))}
        cpu = {f: (med(r[f][0] for r in runs), med(r[f][1] for r in runs))
               for f in ("login_cpu", "put_cpu")}
        L.append(f"| {label} | {ms(med(login))} | {ms(quantile(login, 0.9))} | "
                 f"{'–' if key == 'file' else ms(extra['login'])} | {ms(med(whole))} | "
                 f"{ms(quantile(whole, 0.9))} | {ms(med(put))} | {ms(quantile(put, 0.9))} | "
                 f"{'–' if key == 'file' else ms(extra['put'])} | "
                 f"{ms(cpu['login_cpu'][0])} / {ms(cpu['put_cpu'][0])} | "
                 f"{ms(cpu['login_cpu'][1])} / {ms(cpu['put_cpu'][1])} |")
    return L + ["", NOTE.format(n=bench.s["db_requests"], runs=len(res.get("file", [])))]


NOTE = (
    "Per server and run, {n} logins on fresh connections, then {n} uploads of 1 KiB on one "
    "session, one at a time, from bench/run's own TLS client (Python `ssl`); the "
    "medians and 90th percentiles pool every request of the {runs} run(s), and \"+ vs "
    "auth file\" is the difference of the medians: the cost per request of the "
    "database. The login column is the `LOGIN` round trip alone (the password is in the "
    "login cache, as for every login after a node's first: Argon2id is not in it); with "
    "`--db` it includes sharing the attempt with the other nodes through PostgreSQL "
    "(notifications on one channel, which the node waits for before it answers: "
    "docs/cluster.md, \"Login penalties\"). A PUT with "
    "`--quota-bytes` reserves the file's size before the first byte and books the file "
    "at the commit; with `--db` the reservation is one PostgreSQL transaction that the "
    "PUT waits for, the booking and the release are queued (docs/cluster.md, \"The quota "
    "ledger\"). Without a quota a --db server asks the database nothing per upload. The "
    "four servers are alike otherwise (127.0.0.1, storage on tmpfs, one PostgreSQL on "
    "the same machine over TCP on loopback, with fsync and synchronous commit off: a "
    "commit does not wait for a disk here, which a production database's would). CPU "
    "per request: the server's process, and PostgreSQL's (its postmaster and backends), "
    "over the same requests.")
