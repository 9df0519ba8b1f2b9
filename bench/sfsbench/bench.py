"""Bench: the state the workloads share (servers, results, failures, the clients'
environment) and the measurement of one client process."""

import os
import re
import shlex
import shutil
import subprocess
import time

from .common import MiB, PASSWORD, BenchError, log
from .files import sha256_file, unlink, write_random
from .measure import Machine, other_load, tree_cpu
from .peers import NginxServer, SshServer
from .procs import run_timed
from .servers import SfsServer
from . import workloads

# Users of the main sfs-server: bench (transfers), lister (listings) and those of the
# workloads that need their own (workloads declare them in USERS).
SFS_USERS = ("bench", "lister")


class Bench:
    def __init__(self, opts, sizes, t, bins):
        self.o, self.s, self.t, self.bins = opts, sizes, t, bins
        self.failures = []
        self.results = {}   # workload -> tool -> [per-run dict]
        self.commands = {}  # (workload, tool) -> command line shown in the report
        self.notes = []
        self.noise = {}     # workload -> (other processes' CPU s, wall s)
        self.env = client_env(t)
        self.data = t / "data"
        self.data.mkdir()
        self.out = t / "out"
        self.out.mkdir()
        users = SFS_USERS + workloads.extra_users(opts.workloads)
        # Room for every held connection (workload 6c) plus the fresh `sfs ls`.
        self.sfs = SfsServer(t, bins, max(10000, sizes["held"] + 100), users=users)
        self.ssh = SshServer(t)
        self.nginx = NginxServer(t)
        self.servers = {"sfs": self.sfs, "sftp": self.ssh, "sftp-gcm": self.ssh,
                        "curl": self.nginx, "sfs-plain": self.sfs, "sfs-zstd": self.sfs,
                        "sftp-C": self.ssh, "sfs-tus": self.sfs, "sfs-app": self.sfs}
        self.extra_servers = []  # servers a workload starts for itself (stopped at the end)
        self.apache = None  # the WebDAV peer, started by the first workload that needs it
        self.report_configs = []  # (title, text) of more configs the report shows

    # ---- helpers

    def fail(self, what):
        log("FAIL: " + what)
        self.failures.append(what)

    def hide(self, text):
        """A text for the report: the temp dir as $T, the password as $PASSWORD."""
        return str(text).replace(str(self.t), "$T").replace(PASSWORD, "$PASSWORD")

    def show(self, workload, tool, args, extra=""):
        if (workload, tool) not in self.commands:
            self.commands[(workload, tool)] = self.hide(
                " ".join(shlex.quote(str(a)) for a in args)) + extra

    def order(self, tools, run):
        k = run % len(tools)
        return tools[k:] + tools[:k]

    def tools(self, candidates):
        return [x for x in candidates if x in self.o.tools or
                (x in ("sfs-plain", "sfs-zstd", "sfs-tus", "sfs-app") and "sfs" in self.o.tools) or
                (x == "sftp-C" and "sftp-gcm" in self.o.tools)]

    def add(self, workload, tool, rec):
        self.results.setdefault(workload, {}).setdefault(tool, []).append(rec)

    def client_run(self, args, timeout=None):
        """Runs one client command that must succeed (set-up, not measured)."""
        rc, _, _ = run_timed(args, env=self.env, timeout=timeout or self.s["timeout"])
        return rc == 0

    # ---- the servers

    def start(self):
        self.sfs.start()
        self.ssh.start()
        self.nginx.start()
        log(f"servers up: sfs :{self.sfs.port}, sshd :{self.ssh.port}, nginx :{self.nginx.port}")
        self.sanity()
        self.make_listing()

    def make_listing(self):
        """Ten 1 KiB files to list (workload 5) and fetch (workload 6), on every server."""
        listing = self.data / "pub"
        listing.mkdir()
        (self.ssh.root / "pub").mkdir()
        self.listing = [f"p{i:02d}.txt" for i in range(10)]
        for name in self.listing:
            write_random(listing / name, 1024)
            shutil.copy(listing / name, self.nginx.www / "pub" / name)
            shutil.copy(listing / name, self.ssh.root / "pub" / name)
            for user in ("lister", "plain"):
                if not self.client_run(self.sfs.client("put", listing / name, name, user=user),
                                       timeout=60):
                    raise BenchError(f"could not store the listing files in sfs as {user}")

    def stop(self):
        for srv in [self.sfs, self.ssh, self.nginx] + self.extra_servers:
            try:
                srv.stop()
            except Exception as e:  # keep stopping the others
                log(f"stopping {srv.name}: {e}")

    def server_pids(self):
        return {s.proc.pid for s in [self.sfs, self.ssh, self.nginx] + self.extra_servers
                if s.proc}

    def sanity(self):
        """Records the negotiated ciphers, proves each client works."""
        self.ciphers = {"sfs": sfs_cipher(self.sfs.port) +
                        " (sfs client's order: AES-128-GCM first)"}
        batch = self.t / "sanity.batch"
        batch.write_text("pwd\n")
        for tool in ("sftp-gcm", "sftp"):
            args = [str(a) for a in self.ssh.client(tool, batch)]
            r = subprocess.run(args[:1] + ["-v"] + args[1:],
                               capture_output=True, text=True, timeout=60, env=self.env)
            if r.returncode != 0:
                raise BenchError(f"{tool} cannot log in to the test sshd:\n{r.stderr}")
            m = re.search(r"kex: server->client cipher: (\S+)", r.stderr)
            self.ciphers[tool] = m.group(1) if m else "?"
        r = subprocess.run(self.nginx.curl("-v", "-o", "/dev/null", "-u",
                                           f"bench:{PASSWORD}", self.nginx.url("pub/")),
                           capture_output=True, text=True, timeout=60, env=self.env)
        if r.returncode != 0:
            raise BenchError(f"curl cannot reach the test nginx:\n{r.stderr}")
        m = re.search(r"SSL connection using (\S+) / (\S+)", r.stderr)
        self.ciphers["curl"] = f"{m.group(1)} {m.group(2)}" if m else "?"
        log("ciphers: " + ", ".join(f"{k}={v}" for k, v in self.ciphers.items()))

    # ---- measuring

    def warm_memory(self, nbytes):
        """Writes and deletes nbytes on tmpfs right before a timed run. On a VM
        whose balloon reports free pages back to the host (this one: a guest page
        first touched costs about 2.8 s/GiB against 0.3 s/GiB once backed, and
        freed pages go cold again within a minute), the tool that happens to get
        cold pages for its file and buffers would otherwise pay the hypervisor's
        cost: bench/notes.md has the measurement. The warmed pages are the first
        the kernel hands out again, whatever tool runs next."""
        path = self.t / ".warm"
        piece = bytes(MiB)
        with open(path, "wb") as f:
            for _ in range(max(1, nbytes // MiB)):
                f.write(piece)
        unlink(path)

    def measure(self, workload, tool, args, *, stdin_path=None, extra="", server=None,
                timeout=None, name=None, expect_ok=True, warm=0):
        """One client process: wall, client CPU, server CPU. Logs go to
        logs/<workload>-<name or tool>.{out,err}. A non-zero exit is a failure of the
        run unless expect_ok is False (where failing is a result, not a defect).
        warm: bytes of memory to warm first (warm_memory), for the big transfers."""
        srv = server or self.servers[tool]
        srv.check_alive()
        if warm:
            self.warm_memory(warm)
        self.show(workload, tool, args, extra)
        out_path = self.t / "logs" / f"{workload}-{name or tool}.out"
        err_path = self.t / "logs" / f"{workload}-{name or tool}.err"
        before = tree_cpu(srv.proc.pid)
        busy0, t0 = Machine.busy()[0], time.monotonic()
        rc, wall, cpu = run_timed(args, stdin_path=stdin_path, out_path=out_path,
                                  err_path=err_path, env=self.env,
                                  timeout=timeout or self.s["timeout"])
        if not srv.settle():
            self.notes.append(f"{workload}/{tool}: server processes did not settle in 10 s")
        server_cpu = tree_cpu(srv.proc.pid) - before
        other = other_load(busy0, t0, cpu + server_cpu)
        ok = rc == 0
        err = err_path.read_text(errors="replace").strip()[-600:]
        if not ok and expect_ok:
            self.fail(f"{workload}/{tool}: exit status {rc}: {err}")
        return dict(ok=ok, wall=wall, client_cpu=cpu, server_cpu=server_cpu, other=other,
                    out=out_path.read_text(errors="replace"), err=err, rc=rc)

    def verify(self, what, path, digest):
        try:
            got = sha256_file(path)
        except OSError as e:
            self.fail(f"{what}: cannot read {path}: {e}")
            return False
        if got != digest:
            self.fail(f"{what}: SHA-256 of {path} differs from the source")
            return False
        return True

    def verify_round_trip(self, what, names, digests, remote_of, out):
        """Each file as uploaded (remote_of(name)) and as downloaded (out/name)
        against its source's digest; stops at the first that differs."""
        for name in names:
            ok = self.verify(f"{what} upload", remote_of(name), digests[name])
            ok = self.verify(f"{what} download", out / name, digests[name]) and ok
            if not ok:
                return False
        return True

    def remote_path(self, tool, name, sub=""):
        """Where the server keeps a file the tool uploaded as name."""
        if tool.startswith("sfs"):
            return self.sfs.user_dir() / name
        if tool.startswith("sftp"):
            return self.ssh.root / sub / name
        return self.nginx.www / "dav" / sub / name

    def snapshot_noise(self):
        busy, steal = Machine.busy()
        return busy, steal, Machine.ours([self.sfs, self.ssh, self.nginx] +
                                         self.extra_servers), time.monotonic()

    def record_noise(self, workload, snap):
        busy, steal, ours, t0 = snap
        busy2, steal2, ours2, t1 = self.snapshot_noise()
        self.noise[workload] = (max(0.0, (busy2 - busy) - (ours2 - ours)), t1 - t0,
                                steal2 - steal)

    # ---- the run

    def run(self):
        (self.t / "logs").mkdir()
        need_big = {"upload", "download", "dav_put", "dav_get", "s3"} & set(self.o.workloads)
        if need_big:
            size = self.s["big_mib"] * MiB
            log(f"creating {size // MiB} MiB of random data on tmpfs")
            self.big = self.data / "big.bin"
            write_random(self.big, size)
            self.big_sha = sha256_file(self.big)
        for w in workloads.ALL:
            if w.NAME not in self.o.workloads:
                continue
            log(f"== {w.NAME}")
            snap = self.snapshot_noise()
            w.run(self)
            self.record_noise(w.NAME, snap)
        if need_big:
            unlink(self.big)


def client_env(t):
    """The clients' environment: no proxies or agents, HOME in the temp dir."""
    env = dict(os.environ)
    for k in list(env):
        if k.lower().endswith("_proxy") or k in ("SSH_AUTH_SOCK", "CURL_HOME"):
            del env[k]
    home = t / "home"
    home.mkdir()
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
               SFS_PASSWORD=PASSWORD, LC_ALL="C")
    return env


def sfs_cipher(port):
    """The TLS 1.3 suite sfs-server picks when offered all three."""
    r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}",
                        "-tls1_3", "-ciphersuites",
                        "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"
                        "TLS_CHACHA20_POLY1305_SHA256"],
                       input="", capture_output=True, text=True, timeout=30)
    m = re.search(r"Cipher is (\S+)", r.stdout)
    return m.group(1) if m else "?"
