"""Servers: the common start/stop/settle of every server, and sfs-server itself.
(The peers, sshd and nginx, are in peers.py.)"""

import os
import re
import signal
import socket
import subprocess
import time

from .common import PASSWORD, BenchError
from .procs import LIVE, kill_pid, spawn, tree


def free_port(host="127.0.0.1"):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout, banner=None, host="127.0.0.1"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"server exited with status {proc.returncode}")
        try:
            with socket.create_connection((host, port), timeout=1) as s:
                if banner is None or s.recv(64).startswith(banner):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise BenchError(f"nothing listening on {host}:{port} after {timeout} s")


class Server:
    proc = None
    logf = None

    def stop(self):
        if not self.proc:
            return
        pids = tree(self.proc.pid)
        kill_pid(self.proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and self.proc.poll() is None:
            time.sleep(0.05)
        if self.proc.poll() is None:
            kill_pid(self.proc.pid)
        for p in pids[1:] + tree(self.proc.pid)[1:]:
            kill_pid(p)  # e.g. sshd's per-connection processes
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        LIVE.pop(self.proc.pid, None)
        self.proc = None
        if self.logf:
            self.logf.close()

    def settle(self, timeout=10):
        """Waits until the server's process tree is back to its idle size (sshd's
        per-connection processes gone and reaped). Bounded."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(tree(self.proc.pid)) <= self.idle_procs:
                return True
            time.sleep(0.02)
        return False

    def restart(self):
        """A fresh process: memory measurements must not see what earlier
        workloads left in the heap (freed memory stays resident)."""
        self.stop()
        self.start()

    def check_alive(self):
        if self.proc.poll() is not None:
            raise BenchError(f"{self.name} server died (status {self.proc.returncode}); "
                             f"see its log")


class SfsServer(Server):
    """sfs-server in dir t/<sub>, its users made by sfs-admin, all with PASSWORD.
    max_connections None runs it with the server's default connection limits.
    For the cluster workloads (workloads/cluster.py): host (a loopback address),
    storage (a directory other servers share), identity (another server's (cert,
    key), so one pinned certificate fits every node), db (a cluster.Database: the
    users are there, not in an auth file), extra_args and env (the server's whole
    environment, as for S3's credentials)."""

    name = "sfs"

    def __init__(self, t, bins, max_connections=10000, *, sub="sfs",
                 users=("bench", "lister"), plain_user=True, idle_timeout=3600,
                 host="127.0.0.1", storage=None, identity=None, db=None, extra_args=(),
                 env=None):
        self.t, self.bins = t, bins
        self.max_connections = max_connections
        self.idle_timeout = idle_timeout
        self.host, self.db, self.extra_args = host, db, list(extra_args)
        self.env = env  # the whole environment of the server, when not this process's
        self.dir = t / sub
        self.dir.mkdir()
        self.storage = storage or self.dir / "storage"
        self.auth = self.dir / "auth"
        self.cert, self.key = identity or (self.dir / "server.crt", self.dir / "server.key")
        for user in users:
            self.add_user(user)
        if plain_user:  # legacy plaintext line, for the login-cost reference
            with open(self.auth, "a") as f:
                f.write(f"plain:{PASSWORD}\n")

    def add_user(self, user):
        subprocess.run([str(self.bins["sfs-admin"]), "--auth-file", str(self.auth),
                        "--storage", str(self.storage), "user", "add", user,
                        "--password-stdin"], input=PASSWORD + "\n", text=True, check=True,
                       capture_output=True, timeout=60)

    def arguments(self):
        args = [self.bins["sfs-server"], "--host", self.host, "--port", "0",
                "--https-port", self.https_port]
        args += ["--db", self.db.url] if self.db else ["--auth-file", self.auth]
        args += ["--storage", self.storage, "--cert", self.cert, "--key", self.key]
        if self.max_connections is not None:
            args += ["--max-connections", self.max_connections,
                     "--max-connections-per-ip", self.max_connections,
                     "--max-unauthenticated", self.max_connections]
        if self.idle_timeout is not None:
            args += ["--idle-timeout", self.idle_timeout]
        if os.geteuid() == 0:
            args.append("--allow-root")
        return args + self.extra_args

    def start(self):
        # the HTTPS door: WebDAV for workloads 11-13, the health check for HAProxy
        self.https_port = free_port(self.host)
        self.command = self.arguments()
        self.logf = open(self.dir / "server.log", "ab")
        offset = self.logf.tell()
        self.proc = spawn(self.command, stdout=self.logf, stderr=subprocess.STDOUT,
                          new_session=True, env=self.db.env(self.env) if self.db else self.env)
        self.port = self.wait_listening(offset)
        self.idle_procs = 1
        wait_port(self.port, self.proc, 10, host=self.host)
        wait_port(self.https_port, self.proc, 10, host=self.host)

    def wait_listening(self, offset, timeout=30):
        """The port sfs-server reports in its log (written from offset on)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.dir / "server.log", "rb") as f:
                f.seek(offset)
                text = f.read().decode(errors="replace")
            m = re.search(re.escape(f"listening on {self.host}:") + r"(\d+)", text)
            if m:
                return int(m.group(1))
            if self.proc.poll() is not None:
                raise BenchError("sfs-server exited at start:\n" + text)
            time.sleep(0.05)
        raise BenchError("sfs-server did not report its port")

    def user_dir(self, user="bench"):
        return self.storage / "u" / user

    def dav_url(self, path="", host="127.0.0.1"):
        return f"https://{host}:{self.https_port}/dav/{path}"

    def client(self, *args, user="bench"):
        return [self.bins["sfs"], "--host", self.host, "--port", self.port, "--user", user,
                "--ca-file", self.cert, *args]
