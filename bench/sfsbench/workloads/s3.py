"""19. S3 storage (issue 14): one {big} file up and down through sfs onto a real
radosgw (a one-node Ceph: scripts/ceph-one-node, memstore), next to the two direct
paths the issue names: rclone (Debian's, its s3 backend) and curl talking SigV4 to
the same radosgw. The sfs path is client -> TLS -> sfs-server -> HTTP -> radosgw;
the direct ones are rclone or curl -> HTTP -> radosgw. Target: sfs adds at most 10%
to the direct path's time, judged against rclone, the S3 client people use (it
hashes what it sends, as sfs does); curl's single PUT and GET, which check nothing,
are the floor any client could reach, shown beside.

Each run: `sfs put` (a multipart upload, committed by CompleteMultipartUpload),
`sfs get`, rclone's `copyto` up and down, and curl's single PUT and GET of the same
bytes to other keys; the order rotates every run. Every transfer is checked by
SHA-256: each stored object is fetched straight from radosgw, and each download is
compared locally."""

import os
import shutil
import subprocess
import time

from ..common import MB, GiB, log
from ..files import sha256_file, unlink
from ..measure import Machine, other_load, tree_cpu
from ..procs import run_timed
from ..report.format import fmt, med
from . import cluster

NAME = "s3"
TITLE = "19. S3 storage: one {big} file up and down through sfs onto radosgw, and directly"
UNIT = ("s", False)
# Ceph takes 15-30 s to start and a few CPU-minutes: only by --workloads or a full run.
SMOKE = False
TARGET = 1.10  # sfs's time at most this multiple of the direct path's (rclone's)
TOOLS = ("sfs", "rclone", "direct")
BUCKET = "bench"
ACCESS_KEY = "sfs-bench-access"
SECRET_KEY = "sfs-bench-secret-0123456789"
REGION = "us-east-1"
DIRECTIONS = ("up", "down")


def run(b):
    try:
        ceph_mod = cluster.harness("ceph")
    except ImportError as e:
        cluster.skip(b, NAME, f"the integration tests' harness is missing ({e})")
        return
    why = ceph_mod.ceph_missing()
    if why:
        cluster.skip(b, NAME, why)
        return
    size = b.big.stat().st_size
    # Each run stores three new objects (radosgw frees the data of a replaced
    # or deleted one only at its garbage collection, hours later), plus room
    # for the OSD's full ratio.
    memstore_mib = (3 * b.s["runs"] + 2) * size // 2**20 + 1024
    ceph = ceph_mod.CephCluster(ACCESS_KEY, SECRET_KEY,
                                extra_args=["--memstore-mib", str(memstore_mib)])
    try:
        ceph.start()
    except ceph_mod.CephStartError as e:
        b.fail(f"s3: {e}")
        return
    cluster_stop = Ceph(ceph)
    b.extra_servers.append(cluster_stop)
    log(f"s3: one-node Ceph up in {ceph.start_seconds:.0f} s, radosgw at {ceph.endpoint}")
    try:
        measure_all(b, ceph, size)
    finally:
        cluster_stop.stop()


def measure_all(b, ceph, size):
    daemons = [pid for pid, _ in ceph.named_pids()]
    curl = ["curl", "-q", "-sS", "--fail", "--noproxy", "*", "--aws-sigv4",
            f"aws:amz:{REGION}:s3", "--user", f"{ACCESS_KEY}:{SECRET_KEY}",
            "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD"]
    if subprocess.run(curl + ["-X", "PUT", f"{ceph.endpoint}/{BUCKET}"],
                      capture_output=True, timeout=60).returncode != 0:
        b.fail("s3: cannot make the bucket")
        return
    srv = cluster.start_server(
        b, "sfs-s3", users=("bench",), storage=f"s3://{BUCKET}",
        extra_args=["--s3-endpoint", ceph.endpoint, "--s3-region", REGION],
        env=dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY))
    try:
        measure_runs(b, ceph, size, srv, curl, daemons)
    finally:
        cluster.show_server(b, NAME, srv)
        srv.stop()


def measure_runs(b, ceph, size, srv, curl, daemons):
    if not b.client_run(srv.client("ls")):  # Argon2id once, outside the timed runs
        b.fail("s3: cannot log in to the sfs-server on S3")
        return
    got = b.data / "s3-got.bin"
    envs = {"sfs": b.env, "direct": b.env, "rclone": rclone_env(b, ceph)}
    for run_no in range(b.s["runs"]):
        # New keys every run: nothing is replaced (see memstore_mib).
        stored_urls = {"sfs": f"{ceph.endpoint}/{BUCKET}/u/bench/s3-{run_no}.bin",
                       "rclone": f"{ceph.endpoint}/{BUCKET}/rclone-{run_no}.bin",
                       "direct": f"{ceph.endpoint}/{BUCKET}/direct-{run_no}.bin"}
        rclone_key = f"rgw:{BUCKET}/rclone-{run_no}.bin"
        commands = {
            ("sfs", "up"): srv.client("put", b.big, f"s3-{run_no}.bin"),
            ("sfs", "down"): srv.client("get", f"s3-{run_no}.bin", got),
            ("rclone", "up"): ["rclone", "copyto", b.big, rclone_key],
            ("rclone", "down"): ["rclone", "copyto", rclone_key, got],
            ("direct", "up"): curl + ["-T", b.big, stored_urls["direct"]],
            ("direct", "down"): curl + ["-o", got, stored_urls["direct"]],
        }
        for (tool, direction), args in commands.items():
            b.show(NAME, f"{tool} {direction}", args)
        for tool in b.order([t for t in TOOLS if t != "rclone" or shutil.which("rclone")],
                            run_no):
            rec = {}
            for direction in DIRECTIONS:
                unlink(got)
                b.warm_memory(2 * size)
                r = timed(b, commands[(tool, direction)], srv.proc.pid, daemons, envs[tool])
                stored = stored_urls[tool]
                check = curl + ["-o", got, stored] if direction == "up" else None
                r["ok"] = r["ok"] and verified(b, f"s3/{tool} {direction}", check, got)
                rec[direction] = r
            unlink(got)
            b.add(NAME, tool, dict(ok=rec["up"]["ok"] and rec["down"]["ok"], bytes=size,
                                   value=rec["up"]["wall"] + rec["down"]["wall"], **{
                                       f"{d}_{k}": rec[d][k] for d in DIRECTIONS
                                       for k in ("wall", "client_cpu", "sfs_cpu", "ceph_cpu",
                                                 "other")}))
            log(f"s3 {tool:6s} run {run_no + 1}: up {rec['up']['wall']:.2f} s, "
                f"down {rec['down']['wall']:.2f} s")


def rclone_env(b, ceph):
    """rclone's remote `rgw:` as environment settings (no config file), without
    AWS_CA_BUNDLE: rclone 1.60's S3 SDK refuses it for its own HTTP transport."""
    env = {k: v for k, v in b.env.items() if k != "AWS_CA_BUNDLE"}
    env.update(RCLONE_CONFIG_RGW_TYPE="s3", RCLONE_CONFIG_RGW_PROVIDER="Ceph",
               RCLONE_CONFIG_RGW_ENDPOINT=ceph.endpoint, RCLONE_CONFIG_RGW_REGION=REGION,
               RCLONE_CONFIG_RGW_ACCESS_KEY_ID=ACCESS_KEY,
               RCLONE_CONFIG_RGW_SECRET_ACCESS_KEY=SECRET_KEY,
               RCLONE_CONFIG=str(b.t / "rclone.conf"))
    return env


def timed(b, args, sfs_pid, daemons, env):
    """One client process: wall, its CPU, sfs-server's and the Ceph daemons'."""
    ceph0, sfs0 = sum(tree_cpu(p) for p in daemons), tree_cpu(sfs_pid)
    busy0, t0 = Machine.busy()[0], time.monotonic()
    rc, wall, cpu = run_timed(args, env=env, timeout=b.s["timeout"])
    ceph_cpu = sum(tree_cpu(p) for p in daemons) - ceph0
    sfs_cpu = tree_cpu(sfs_pid) - sfs0
    if rc != 0:
        b.fail(f"s3: {' '.join(str(a) for a in args[:4])}...: exit status {rc}")
    return dict(ok=rc == 0, wall=wall, client_cpu=cpu, sfs_cpu=sfs_cpu, ceph_cpu=ceph_cpu,
                other=other_load(busy0, t0, cpu + sfs_cpu + ceph_cpu))


def verified(b, what, fetch, got):
    """The bytes that arrived (fetched first with `fetch` when given) are the source's."""
    if fetch and subprocess.run(fetch, capture_output=True, timeout=600).returncode != 0:
        b.fail(f"{what}: cannot fetch the stored object")
        return False
    return b.verify(what, got, b.big_sha)


class Ceph:
    """The cluster as Bench stops its extra servers (at the end, also on error)."""

    def __init__(self, ceph):
        self.ceph = ceph
        self.proc = cluster.Pid(ceph.rgw_pid())

    def stop(self):
        if self.ceph:
            self.ceph.close()
            self.ceph = None
            self.proc = None


def ratios(bench, peer="rclone"):
    """Per run: (up, down, both) of sfs's time over `peer`'s."""
    runs = bench.results.get(NAME, {})
    pairs = zip(runs.get("sfs", []), runs.get(peer, []))
    return [tuple(s[f"{d}_wall"] / c[f"{d}_wall"] for d in DIRECTIONS) + (s["value"] / c["value"],)
            for s, c in pairs if s.get("ok") and c.get("ok")]


def targets(bench):
    rs = ratios(bench)
    if not rs:
        return []
    both = med(r[2] for r in rs)
    floor = ratios(bench, "direct")
    beside = f"; curl's single PUT and GET: {fmt(med(r[2] for r in floor), 2)}×" if floor else ""
    return [(f"S3 (19): 1 GiB up and down through sfs onto radosgw takes at most "
             f"{TARGET:.2f}× the direct path's time (rclone straight to radosgw)",
             f"{fmt(both, 2)}× (up {fmt(med(r[0] for r in rs), 2)}×, down "
             f"{fmt(med(r[1] for r in rs), 2)}×){beside}", both <= TARGET)]


def section(bench, fill):
    why = cluster.skipped(bench, NAME)
    if why:
        return [f"Not run: {why}."]
    L = ["| path | up s (median) | down s (median) | up MB/s | down MB/s | sfs ÷ it "
         "(up, down) | client CPU s/GiB (up, down) | sfs-server CPU s/GiB (up, down) | "
         "Ceph CPU s/GiB (up, down) | other load |",
         "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for tool, name in (("sfs", "sfs (client → TLS → sfs-server → radosgw)"),
                       ("rclone", "rclone straight to radosgw (s3 backend)"),
                       ("direct", "curl with SigV4 straight to radosgw")):
        runs = [r for r in bench.results.get(NAME, {}).get(tool, []) if r.get("ok")]
        if not runs:
            continue
        gib = runs[0]["bytes"] / GiB
        mb = runs[0]["bytes"] / MB

        def both(key, per_gib=True, digits=2):
            return ", ".join(fmt(med(r[f"{d}_{key}"] / (gib if per_gib else 1) for r in runs),
                                 digits) for d in DIRECTIONS)
        up, down = (med(r[f"{d}_wall"] for r in runs) for d in DIRECTIONS)
        rs = ratios(bench, tool) if tool != "sfs" else []
        ratio = (f"{fmt(med(r[0] for r in rs), 2)}, {fmt(med(r[1] for r in rs), 2)}"
                 if rs else "–")
        L.append(f"| {name} | {fmt(up, 2)} | {fmt(down, 2)} | {fmt(mb / up, 0)} | "
                 f"{fmt(mb / down, 0)} | {ratio} | {both('client_cpu')} | "
                 f"{both('sfs_cpu') if tool == 'sfs' else '–'} | {both('ceph_cpu')} | "
                 f"{fmt(med(r['up_other'] * 100 for r in runs), 0)}% |")
    return L + ["", "Ceph here is one mon, one mgr, one OSD keeping its objects in memory "
                "(memstore) and radosgw (beast frontend, `tcp_nodelay=1`), all on the same "
                "2 cores as the clients and sfs-server, so every row competes for the same "
                "CPU: the sfs path adds its TLS, its end-to-end XXH3-128 digest and a second "
                "HTTP hop, and its time grows by what they cost (the CPU columns). sfs uploads "
                "in parts (multipart upload, 8 MiB parts, made visible only at "
                "CompleteMultipartUpload); rclone too (its defaults: 5 MiB parts, 4 at once, "
                "an MD5 of each part and of the whole); curl sends one PUT and checks nothing. "
                "sfs reads the object in 8 MiB ranged GETs, the next one on its way while one "
                "is sent (storage/s3/s3_read.cc). The target is judged against rclone; curl is "
                "the floor of any client, and on these shared cores sfs's ratio to it is about "
                "the ratio of the CPU sums (bench/notes.md)."]
