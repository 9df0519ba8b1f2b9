"""17. The cluster (issue 15): {clients} sfs clients at once, each uploading then
downloading its own {client_mib} MiB (workload 4's clients and check), through
HAProxy in front of 1 node and in front of 3 nodes, and straight to one node
without HAProxy (what the balancer's extra hop costs). The nodes run on
127.0.0.2-4 with their users in PostgreSQL (--db), one storage directory and one
certificate (workloads/cluster.py)."""

import re
import shutil
import time

from ..common import MB, GiB, MiB, BenchError, log
from ..files import clear_dir, unlink
from ..measure import Machine, other_load, tree_cpu
from ..procs import wait_all
from ..report.format import fmt, med
from . import cluster
from .concurrent import count_failed, make_inputs, sfs_commands, start_clients

NAME = "cluster"
TITLE = ("17. cluster: {clients} clients through HAProxy to 1 and to 3 nodes, each "
         "uploads and downloads {client_mib} MiB")
# PostgreSQL, three nodes and two HAProxy instances take longer to start than the
# smoke run's budget on a busy CI machine (harness timeouts), so only by --workloads.
SMOKE = False
UNIT = ("MB/s aggregate", True)
# (key, what the report calls it), in the order of the table
SETUPS = (("direct", "1 node, no HAProxy (clients straight to the node)"),
          ("haproxy-1", "HAProxy → 1 node"),
          ("haproxy-3", "HAProxy → 3 nodes"))
USER = "bench"
LOGIN_LINE = re.compile(r"user=bench peer=\S+ login ok")


def run(b):
    why = cluster.missing()
    if why:
        cluster.skip(b, NAME, why)
        return
    db = cluster.database(b)
    db.add_user(b.bins, USER)
    storage = b.t / "cluster-storage"
    nodes = cluster.start_nodes(b, db, 3, storage)
    fronts = {"direct": nodes[0],
              "haproxy-1": cluster.Balancer(b, nodes[:1]).start(),
              "haproxy-3": cluster.Balancer(b, nodes).start()}
    cluster.show_server(b, NAME, nodes[0])
    b.report_configs.append(("haproxy.cfg (17: 3 nodes; the 1-node one lists n1 only)",
                             fronts["haproxy-3"].config_text))
    for node in nodes:  # Argon2id once per node; the measured logins hit its login cache
        if not b.client_run(node.client("ls")):
            raise BenchError(f"cluster: cannot log in on node {node.host}")
    inputs = make_inputs(b, "cluster")
    try:
        for run_no in range(b.s["runs"]):
            for key in b.order([k for k, _ in SETUPS], run_no):
                one_run(b, key, fronts[key], nodes, db, run_no, inputs)
    finally:
        for srv in [fronts["haproxy-1"], fronts["haproxy-3"]] + nodes:
            srv.stop()
        for d in inputs[2:] + (storage,):
            shutil.rmtree(d, ignore_errors=True)


def one_run(b, key, front, nodes, db, run_no, inputs):
    names, digests, src, out, scripts = inputs
    clear_dir(out)
    user_dir = nodes[0].storage / "u" / USER
    for name in names:
        unlink(user_dir / name)
    tag = f"sfs-{key}"
    cmds = sfs_commands(front.client, names, scripts)
    b.show(NAME, key, cmds[0][0], f"  (x {len(names)} at once; workload 4's menu script)")
    b.warm_memory(2 * sum((src / name).stat().st_size for name in names))
    marks = [log_size(n) for n in nodes]
    balancer = [front.proc.pid] if front not in nodes else []
    before = cpu(nodes, balancer, db)
    busy0, t0 = Machine.busy()[0], time.monotonic()
    files = []
    try:
        procs, files = start_clients(b, tag, cmds)
        results, t1 = wait_all(procs, b.s["timeout"])
    finally:
        for f in files:
            f.close()
    for node in nodes:
        node.settle()
    used = [x - y for x, y in zip(cpu(nodes, balancer, db), before)]
    client_cpu = sum(c for _, c in results)
    failed = count_failed(b, tag, names, digests, out, results,
                          remote_of=lambda name: user_dir / name)
    moved = 2 * len(names) * b.s["client_mib"] * MiB
    wall = t1 - t0
    r = dict(ok=failed == 0, failed=failed, wall=wall, value=moved / wall / MB, bytes=moved,
             client_cpu=client_cpu, server_cpu=used[0], balancer_cpu=used[1], db_cpu=used[2],
             other=other_load(busy0, t0, client_cpu + sum(used)),
             logins=[logins_since(n, m) for n, m in zip(nodes, marks)])
    b.add(NAME, key, r)
    log(f"cluster {key:9s} run {run_no + 1}: {r['value']:8.1f} MB/s aggregate, {failed} failed, "
        f"logins per node {r['logins']}")


def cpu(nodes, balancer_pids, db):
    """CPU seconds so far of (the nodes, HAProxy, PostgreSQL), each a process tree."""
    return (sum(tree_cpu(n.proc.pid) for n in nodes),
            sum(tree_cpu(p) for p in balancer_pids), tree_cpu(db.proc.pid))


def log_size(node):
    return (node.dir / "server.log").stat().st_size


def logins_since(node, mark):
    """How many logins of USER a node logged after mark (a byte offset): which nodes
    served the clients."""
    with open(node.dir / "server.log", "rb") as f:
        f.seek(mark)
        return len(LOGIN_LINE.findall(f.read().decode(errors="replace")))


def targets(bench):
    if cluster.skipped(bench, NAME):
        return []
    failed = sum(r.get("failed", 0) for runs in bench.results.get(NAME, {}).values()
                 for r in runs)
    return [("cluster (17): zero failed clients (through HAProxy or straight to a node)",
             f"{failed} failed", failed == 0)]


def section(bench, fill):
    why = cluster.skipped(bench, NAME)
    if why:
        return [f"skipped: {why}."]
    res = bench.results[NAME]
    base = med(r["value"] for r in res.get("haproxy-1", []) if r.get("ok"))
    L = ["| setup | MB/s aggregate (median) | min – max | ÷ HAProxy → 1 node | "
         "client CPU s/GiB | nodes' CPU s/GiB | HAProxy CPU s/GiB | PostgreSQL CPU s/GiB | "
         "other load | failures | logins per node (last run) |",
         "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for key, label in SETUPS:
        runs = [r for r in res.get(key, []) if r.get("ok")]
        if not res.get(key):
            continue
        vals = [r["value"] for r in runs]
        v = med(vals)

        def per_gib(field):
            return fmt(med(r[field] / (r["bytes"] / GiB) for r in runs), 2)
        L.append(f"| {label} | {fmt(v)} | "
                 f"{fmt(min(vals)) if vals else '–'} – {fmt(max(vals)) if vals else '–'} | "
                 f"{fmt(v / base, 2) if v and base else '–'} | {per_gib('client_cpu')} | "
                 f"{per_gib('server_cpu')} | "
                 f"{per_gib('balancer_cpu') if key != 'direct' else '–'} | {per_gib('db_cpu')} | "
                 f"{fmt(med(r['other'] * 100 for r in runs), 0)}% | "
                 f"{sum(r['failed'] for r in res[key])} | "
                 f"{' / '.join(str(x) for x in res[key][-1]['logins'])} |")
    return L + ["", NOTE.format(**fill)]


NOTE = (
    "On this 2-core machine the point is the overhead, not the scaling: the {clients} "
    "clients, HAProxy, the nodes and PostgreSQL all share the same two cores, so three "
    "nodes cannot move more bytes than one (the clients and TLS already keep both cores "
    "busy); the rows show what the balancer's extra hop (a second copy of every byte "
    "through HAProxy's TCP proxy, in user space) and spreading the clients over nodes "
    "cost. Scaling needs nodes on machines of their own. The nodes (sfs-server on "
    "127.0.0.2, .3 and .4) keep their users in PostgreSQL (`--db`, scripts/pg-one-node: "
    "fsync and synchronous commit off) and their files in one local storage directory on "
    "tmpfs that they share (the POSIX backend); no Ceph: the S3 backend's cost is not in "
    "these numbers. HAProxy (Debian's haproxy, the harness's config of "
    "tests/integration/harness/haproxy.py, the shape of docs/cluster.md: TCP mode, TLS "
    "passed through, round-robin, `GET /health` checks every 0.3 s) listens on 127.0.0.1; "
    "it does not send the PROXY protocol here, so that the same nodes also take the "
    "direct row's clients from 127.0.0.1. Every client logs in as the same user; each "
    "node checked its Argon2id once before the runs, so the measured logins hit the "
    "login cache. CPU per GiB counts the bytes moved both ways; logins per node come from "
    "the nodes' logs and show the round-robin.")
