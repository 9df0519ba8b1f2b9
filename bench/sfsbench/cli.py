"""bench/run: benchmark sfs against OpenSSH sftp and nginx+curl on loopback.

  bench/run            full run (N=5 runs per workload), writes docs/benchmarks.md
  bench/run --smoke    small sizes, one run, report in the temp dir only (printed)

Every server runs on 127.0.0.1 with throwaway keys and configs in a temp dir
on tmpfs, which is removed at the end; all servers are stopped at the end,
also on error or ctrl-c. Exits non-zero when any tool fails a transfer or a
transferred file's SHA-256 differs from its source (the harness's own check,
independent of sfs's XXH3-128 end-to-end digest). See bench/README.md.
"""

import datetime
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .bench import Bench
from .common import REPO, BenchError, log
from .fdlimit import FD_SPARE, SERVER_FDS_PER_CONN, raise_fd_limit
from .options import parse
from .procs import stop_all
from .report import environment
from .report.document import merge_report, write_report
from .report.notes import update_notes


def find_binaries(opts):
    build = Path(opts.build_dir or os.environ.get("SFS_BUILD_DIR") or REPO / "build")
    if not build.is_absolute():
        build = REPO / build
    if not opts.no_build:
        env = dict(os.environ, SFS_BUILD_DIR=str(build))
        if (REPO / "scripts" / "install-deps").exists() and not opts.no_deps:
            subprocess.run([str(REPO / "scripts" / "install-deps")], check=True)
        subprocess.run([str(REPO / "scripts" / "build"), "sfs", "sfs-server", "sfs-admin"],
                       check=True, env=env, stdout=subprocess.DEVNULL)
    bins = {n: build / "apps" / n for n in ("sfs", "sfs-server", "sfs-admin")}
    for n, p in bins.items():
        if not os.access(p, os.X_OK):
            raise BenchError(f"{p} missing: build it (scripts/build) or pass --build-dir")
    return bins


def check_tools():
    need = {"sshd": "openssh-server", "sftp": "openssh-client", "ssh-keygen": "openssh-client",
            "nginx": "nginx", "curl": "curl", "openssl": "openssl", "xxh128sum": "xxhash",
            "apache2": "apache2-bin", "litmus": "litmus"}
    missing = sorted({pkg for tool, pkg in need.items()
                      if not (shutil.which(tool) or os.access(f"/usr/sbin/{tool}", os.X_OK))})
    if missing:
        raise BenchError("missing peers; install the Debian packages: " + " ".join(missing))
    if not os.path.exists("/etc/nginx/mime.types"):
        raise BenchError("missing /etc/nginx/mime.types: install the Debian package nginx")


def tmpfs_dir():
    for base in ("/dev/shm", os.environ.get("TMPDIR"), "/tmp", "/run"):
        if not base:
            continue
        try:
            with open("/proc/mounts") as f:
                for line in f:
                    parts = line.split()
                    if parts[1] == base and parts[2] == "tmpfs" and os.access(base, os.W_OK):
                        return base
        except OSError:
            pass
    return None


def make_temp_dir():
    base = tmpfs_dir()
    if base is None:
        log("warning: no writable tmpfs found; using the default temp dir")
    t = Path(tempfile.mkdtemp(prefix="sfs-bench.", dir=base))
    os.chmod(t, 0o700)
    return t


class Run:
    """One run of the benchmark: its temp dir, the Bench, and the clean-up that
    follows whatever happened."""

    def __init__(self, opts, mode, sizes):
        self.opts, self.mode, self.sizes = opts, mode, sizes
        self.started = datetime.datetime.now(datetime.timezone.utc)
        self.t0 = time.monotonic()
        self.t = None
        self.bench = None

    def execute(self):
        """Runs every chosen workload and writes the report. Returns the exit status."""
        check_tools()
        if self.opts.merge and not (Path(self.opts.report) if self.opts.report else
                                    REPO / "docs" / "benchmarks.md").exists():
            raise BenchError("--merge needs an existing report to merge into")
        bins = find_binaries(self.opts)
        self.t = make_temp_dir()
        log(f"{self.mode} run in {self.t}")
        info = environment.machine_info()
        info["load_start"] = environment.load_average()
        self.bench = Bench(self.opts, self.sizes, self.t, bins)
        self.bench.start()
        self.bench.run()
        speeds = environment.speeds(self.t, self.sizes, 3 if self.mode == "full" else 1)
        info["load_end"] = environment.load_average()
        return self.report(info, environment.versions(bins), speeds)

    def report(self, info, vers, speeds):
        duration = time.monotonic() - self.t0
        smoke = self.mode == "smoke"
        path = Path(self.opts.report) if self.opts.report else \
            (self.t / "benchmarks.md" if smoke else REPO / "docs" / "benchmarks.md")
        cmdline = "bench/run" + "".join(" " + shlex.quote(a) for a in sys.argv[1:])
        run = dict(mode=self.mode, started=self.started, duration=duration, cmdline=cmdline)
        if self.opts.merge:
            try:
                merge_report(self.bench, path, run)
            except (ValueError, TypeError, IndexError, OSError) as e:
                # the measurements are not lost: they go to a report of their own
                path = path.with_name(path.name + ".unmerged.md")
                log(f"error: --merge failed ({e!r}); writing {path} instead")
                write_report(self.bench, path, run, info, vers, speeds)
        else:
            write_report(self.bench, path, run, info, vers, speeds)
        if smoke and not self.opts.report:
            print(path.read_text())
        else:
            log(f"report written to {path}")
        status = 0
        if self.bench.failures:
            log(f"{len(self.bench.failures)} failure(s); first: {self.bench.failures[0]}")
            status = 1
        log(f"done in {duration:.0f} s")
        return status

    def clean_up(self):
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # finish cleaning up
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop_all(keep=self.bench.server_pids() if self.bench else set())
        if self.bench:
            self.bench.stop()
        stop_all()
        if self.t and self.t.exists():
            if self.opts.keep:
                log(f"kept {self.t}")
            else:
                shutil.rmtree(self.t, ignore_errors=True)


def notes_only(opts):
    report = opts.report or REPO / "docs" / "benchmarks.md"
    try:
        update_notes(report)
    except (BenchError, OSError) as e:
        log(f"error: {e}")
        return 1
    log(f"updated the notes in {report}")
    return 0


def on_term(signum, frame):
    raise KeyboardInterrupt


def main(argv=None):
    opts, mode, sizes = parse(__doc__, argv)
    if opts.update_notes:
        return notes_only(opts)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    raise_fd_limit(SERVER_FDS_PER_CONN * sizes["held"] + FD_SPARE
                   if "held" in opts.workloads else 0)
    run = Run(opts, mode, sizes)
    status = 1
    try:
        status = run.execute()
    except KeyboardInterrupt:
        log("interrupted")
        status = 130
    except (BenchError, subprocess.CalledProcessError, OSError) as e:
        log(f"error: {e}")
        status = 1
    finally:
        run.clean_up()
    return status
