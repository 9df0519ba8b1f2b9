"""The command line: options, and the sizes of a full or smoke run."""

import argparse

from .common import TOOLS
from .workloads import NAMES as WORKLOADS, SMOKE_NAMES

SIZES = {
    "full": dict(runs=5, idle_runs=3, big_mib=1024, small_n=1000, small_kib=4, clients=100,
                 client_mib=10, latency_iters=20, reuse_extra=200, reuse_iters=5, idle=1000,
                 held=10000, timeout=900,
                 xxh_mib=256, xxh_times=16, xxh_runs=3,
                 attack_conns=300, attack_logins=10, attack_mib=64, attack_guessers=4,
                 attack_guesses=50000, attack_login_limit=35,
                 stalled=100, verify_sessions=8, verify_files=4, verify_file_mib=256,
                 dav_files=10000, litmus_groups="basic,copymove,props,locks,http",
                 sync_n=1000, db_requests=500),
    "smoke": dict(runs=1, idle_runs=1, big_mib=32, small_n=50, small_kib=4, clients=10,
                  client_mib=1, latency_iters=3, reuse_extra=20, reuse_iters=1, idle=20,
                  held=200, timeout=120,
                  xxh_mib=64, xxh_times=8, xxh_runs=1,
                  attack_conns=30, attack_logins=3, attack_mib=8, attack_guessers=2,
                  attack_guesses=5000, attack_login_limit=10,
                  stalled=20, verify_sessions=8, verify_files=4, verify_file_mib=16,
                  dav_files=200, litmus_groups="basic", sync_n=200,
                  db_requests=20),
}

# option attribute -> size key, for the options that override a size
SIZE_OPTIONS = (("runs", "runs"), ("idle_runs", "idle_runs"), ("big_mib", "big_mib"),
                ("small_files", "small_n"), ("clients", "clients"),
                ("client_mib", "client_mib"), ("idle", "idle"), ("held", "held"),
                ("latency_iters", "latency_iters"), ("attack_conns", "attack_conns"),
                ("attack_logins", "attack_logins"), ("stalled", "stalled"),
                ("dav_files", "dav_files"), ("sync_files", "sync_n"),
                ("db_requests", "db_requests"))


def parser(doc):
    ap = argparse.ArgumentParser(description=doc,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="small sizes, one run (CI)")
    ap.add_argument("--runs", type=int, help="runs per workload (full: 5)")
    ap.add_argument("--big-mib", type=int, help="size of the single upload/download (1024)")
    ap.add_argument("--small-files", type=int, help="number of 4 KiB files (1000)")
    ap.add_argument("--clients", type=int, help="concurrent clients (100)")
    ap.add_argument("--client-mib", type=int, help="MiB each concurrent client moves (10)")
    ap.add_argument("--idle", type=int, help="idle connections (1000)")
    ap.add_argument("--held", type=int, help="logged-in sfs connections held at once by "
                                             "workload 6c (10000)")
    ap.add_argument("--idle-runs", type=int, help="runs of workload 6b (full: 3; it is slow "
                                                  "to set up and varies little)")
    ap.add_argument("--latency-iters", type=int, help="sessions per run for workload 5 (20)")
    ap.add_argument("--attack-conns", type=int, help="silent connections each attacker "
                                                     "address holds in workload 8 (300)")
    ap.add_argument("--attack-logins", type=int, help="the owner's logins during the attack "
                                                      "of workload 8 (10)")
    ap.add_argument("--stalled", type=int, help="stalled uploads of workload 9 (100)")
    ap.add_argument("--dav-files", type=int, help="files in the folder PROPFIND lists in "
                                                  "workload 13 (10000)")
    ap.add_argument("--sync-files", type=int, help="files in the tree workload 15 syncs "
                                                   "(1000)")
    ap.add_argument("--db-requests", type=int, help="logins and 1 KiB uploads per server and "
                                                    "run in workload 18 (500)")
    ap.add_argument("--workloads",
                    help="comma-separated subset of: " + ",".join(WORKLOADS) +
                    " (default: all; --smoke: all but " +
                    ",".join(w for w in WORKLOADS if w not in SMOKE_NAMES) + ")")
    ap.add_argument("--tools", default=",".join(TOOLS),
                    help="comma-separated subset of: " + ",".join(TOOLS))
    ap.add_argument("--report", help="where to write the report (full: docs/benchmarks.md; "
                                     "smoke: the temp dir, printed)")
    ap.add_argument("--build-dir", help="sfs build dir (default $SFS_BUILD_DIR or build/)")
    ap.add_argument("--no-build", action="store_true", help="use the binaries as they are")
    ap.add_argument("--no-deps", action="store_true", help="do not run scripts/install-deps")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (debugging)")
    ap.add_argument("--merge", action="store_true",
                    help="write the chosen workloads' results, targets and commands into the "
                         "existing report (docs/benchmarks.md or --report) in place of "
                         "theirs, keeping the rest of it")
    ap.add_argument("--update-notes", action="store_true",
                    help="only copy bench/notes.md into the existing report, run nothing")
    return ap


def sizes_for(opts, mode):
    sizes = dict(SIZES[mode])
    if opts.runs is not None and opts.idle_runs is None:
        sizes["idle_runs"] = min(sizes["idle_runs"], max(1, opts.runs))
    for attr, key in SIZE_OPTIONS:
        if getattr(opts, attr) is not None:
            sizes[key] = max(1, getattr(opts, attr))
    return sizes


def parse(doc, argv=None):
    """Returns (opts, mode, sizes); opts.workloads and opts.tools are lists."""
    ap = parser(doc)
    opts = ap.parse_args(argv)
    mode = "smoke" if opts.smoke else "full"
    if opts.workloads is None:
        opts.workloads = ",".join(SMOKE_NAMES if opts.smoke else WORKLOADS)
    opts.workloads = [w for w in opts.workloads.split(",") if w]
    opts.tools = [x for x in opts.tools.split(",") if x]
    bad = [w for w in opts.workloads if w not in WORKLOADS] + \
        [x for x in opts.tools if x not in TOOLS]
    if bad or "sfs" not in opts.tools:
        ap.error(f"unknown workload or tool: {bad}" if bad else "--tools must include sfs")
    return opts, mode, sizes_for(opts, mode)
