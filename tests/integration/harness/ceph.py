"""A real one-node Ceph cluster with an S3 endpoint (scripts/ceph-one-node), for the
tests of the S3 storage: started in a temporary directory of its own, stopped
(exactly the processes it started) and removed at the end.

    with CephCluster() as ceph:
        ceph.endpoint          # "http://127.0.0.1:PORT", path-style S3
        ceph.access_key, ceph.secret_key, ceph.region

Suites that use it skip themselves when the packages are missing
(ceph_missing()) and under the sanitizers (SFS_SANITIZED: the cluster is
the same either way, and it costs a few CPU-minutes on a 2-core machine).
"""

import os
import re
import shutil
import subprocess
import time

from .config import REPO
from .files import make_temp_dir, remove_tree
from .service import Service

SCRIPT = os.path.join(REPO, "scripts", "ceph-one-node")
BINARIES = ("monmaptool", "ceph-mon", "ceph-osd", "ceph-mgr", "radosgw", "ceph", "radosgw-admin")
# A safety net, not a measurement: the cluster comes up in 15-30 s on a busy
# 2-core machine; the script gives up (and stops what it started) past this.
CEPH_START_TIMEOUT = 240
CEPH_STOP_TIMEOUT = 60
SANITIZED = bool(os.environ.get("SFS_SANITIZED"))


def ceph_missing():
    """Why a cluster cannot start here (a skip reason), or None."""
    missing = [b for b in BINARIES if shutil.which(b) is None]
    if missing:
        return "Ceph is not installed (scripts/install-deps): " + " ".join(missing)
    return None


class CephStartError(Exception):
    pass


class CephCluster(Service):
    """Runs scripts/ceph-one-node start/stop on a temporary directory."""

    def __init__(self, access_key="sfs-test-access", secret_key="sfs-test-secret-0123456789",
                 extra_args=()):
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = "us-east-1"  # what radosgw's default zonegroup answers to
        self.extra_args = list(extra_args)
        self.directory = None
        self.home = None
        self.endpoint = None
        self.start_seconds = None  # how long start took (reported, never asserted)

    def start(self):
        self.directory = make_temp_dir("sfs-it-ceph-")
        self.home = os.path.join(self.directory, "cluster")
        args = [SCRIPT, "start", self.home, "--access-key", self.access_key,
                "--secret-key", self.secret_key, "--timeout", str(CEPH_START_TIMEOUT)]
        began = time.monotonic()
        try:
            done = subprocess.run(args + self.extra_args, stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True,
                                  timeout=CEPH_START_TIMEOUT + CEPH_STOP_TIMEOUT)
        except BaseException:
            self.close()
            raise
        self.start_seconds = time.monotonic() - began
        found = re.search(r"^endpoint (http://\S+)$", done.stdout, re.M)
        if done.returncode != 0 or not found:
            reason = done.stderr.strip() or done.stdout.strip()
            self.close()
            raise CephStartError("ceph-one-node start failed (%s): %s"
                                 % (done.returncode, reason))
        self.endpoint = found.group(1)

    def pids(self):
        """The pids the script recorded (its DIR/pids), in start order."""
        try:
            with open(os.path.join(self.home, "pids"), encoding="ascii") as f:
                return [int(line.split()[0]) for line in f if line.strip()]
        except (FileNotFoundError, TypeError):
            return []

    def named_pids(self):
        """(pid, name) of each process the script recorded, in start order
        (a restarted radosgw is listed again, after the one it replaced)."""
        try:
            with open(os.path.join(self.home, "pids"), encoding="ascii") as f:
                return [(int(line.split()[0]), line.split()[2]) for line in f
                        if len(line.split()) == 3]
        except (FileNotFoundError, TypeError):
            return []

    def rgw_pid(self):
        """The pid of the radosgw started last."""
        return [pid for pid, name in self.named_pids() if name.startswith("client.rgw")][-1]

    def kill_rgw(self):
        """Crashes radosgw alone (SIGKILL; the mon, mgr and OSD keep running)
        and returns once it is gone (the script's wait is bounded)."""
        self._script("stop-rgw", "--kill")

    def start_rgw(self):
        """Starts radosgw again on the same port; returns once it answers HTTP."""
        self._script("start-rgw", "--timeout", str(CEPH_START_TIMEOUT))

    def _script(self, command, *args):
        done = subprocess.run([SCRIPT, command, self.home] + list(args), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True,
                              timeout=CEPH_START_TIMEOUT + CEPH_STOP_TIMEOUT)
        if done.returncode != 0:
            raise CephStartError("ceph-one-node %s failed (%s): %s"
                                 % (command, done.returncode, done.stderr.strip()))

    def stop(self):
        """Stops the daemons (the script kills exactly those it started)."""
        if self.home is not None and os.path.isdir(self.home):
            subprocess.run([SCRIPT, "stop", self.home], stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=CEPH_STOP_TIMEOUT)

    def close(self):
        try:
            self.stop()
        finally:
            remove_tree(self.directory)
            self.directory = None
