"""The real sfs client, run without a controlling terminal, and its output."""

import os
import re
import subprocess

from .config import CLIENT_BIN, CLIENT_TIMEOUT, HOST, STOP_TIMEOUT
from .files import make_temp_dir, remove_tree


def stderr_lines(result):
    return result.stderr.decode(errors="replace").splitlines()


def parse_listing(stdout):
    """Parses `sfs ls` output into {name: size}; fails on a malformed line. A folder's
    size shows as "-" (None here)."""
    entries = {}
    for line in stdout.decode().splitlines():
        m = re.fullmatch(r"( {0,11}\d+|\d{12,}| {11}-)  (\d{4}-\d\d-\d\d \d\d:\d\d)  (.+)", line)
        if m is None:
            raise AssertionError("malformed listing line: %r" % line)
        size = m.group(1).strip()
        entries[m.group(3)] = None if size == "-" else int(size)
    return entries


def client_env(config_home, password=None, extra=None):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": config_home,
        "XDG_CONFIG_HOME": config_home,
        "LANG": "C",
        "TZ": "UTC",
    }
    if password is not None:
        env["SFS_PASSWORD"] = password
    if extra:
        env.update(extra)
    return env


def run_client(args, *, config_home, cwd, password=None, input=None, env=None,
               timeout=CLIENT_TIMEOUT):
    """Runs `sfs ARGS` without a controlling terminal; returns CompletedProcess (bytes)."""
    return subprocess.run(
        [CLIENT_BIN] + [str(a) for a in args], cwd=cwd,
        env=client_env(config_home, password, env),
        input=input, stdin=None if input is not None else subprocess.DEVNULL,
        capture_output=True, timeout=timeout, start_new_session=True)


def start_client(args, *, config_home, cwd, password=None, env=None, stdin=subprocess.DEVNULL):
    """Starts `sfs ARGS` in the background (stdout/stderr piped); returns the Popen."""
    return subprocess.Popen(
        [CLIENT_BIN] + [str(a) for a in args], cwd=cwd,
        env=client_env(config_home, password, env),
        stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def finish(process, input=None, timeout=CLIENT_TIMEOUT):
    """Sends input (if any, then EOF), waits for a started client (killing it past
    timeout); returns CompletedProcess."""
    try:
        out, err = process.communicate(input=input, timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate(timeout=STOP_TIMEOUT)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def kill_all(processes):
    """Kills and reaps the started clients still running (after a failure:
    none is left behind)."""
    for p in processes:
        if p.poll() is None:
            p.kill()
            p.wait()


def finish_all(processes, timeout=CLIENT_TIMEOUT):
    """finish() of every started client; should one raise, the others are
    killed and reaped before the exception goes on."""
    try:
        return [finish(p, timeout=timeout) for p in processes]
    finally:
        kill_all(processes)


class Client:
    """A client sandbox: a working directory and a config home, removed on close().

    trust: 'ca' passes --ca-file with the server's certificate, 'new' passes
    --trust-new, 'tofu' passes neither (trust-on-first-use from known_servers).
    Methods take trust=None to mean the sandbox's default.

    retries is passed as --retries: 0 by default, so that a test that cuts a
    connection sees the failure at once (and can resume by running the
    command again); None leaves sfs's own default (test_reconnect.py).
    """

    def __init__(self, server, user="alice", password=None, trust="ca", retries=0):
        self.server = server
        self.retries = retries
        self.user = user
        self.password = server.users.get(user) if password is None else password
        self.trust = trust
        self.root = make_temp_dir("sfs-it-client-")
        self.cwd = os.path.join(self.root, "work")
        self.config_home = os.path.join(self.root, "config")
        os.mkdir(self.cwd)
        os.mkdir(self.config_home)

    def close(self):
        remove_tree(self.root)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    @property
    def known_servers(self):
        return os.path.join(self.config_home, "sfs", "known_servers")

    def path(self, *names):
        return os.path.join(self.cwd, *names)

    def common_args(self, user=None, trust=None, port=None):
        trust = self.trust if trust is None else trust
        args = ["--host", HOST, "--port", str(port or self.server.port)]
        if user is not False:  # False: no --user option at all
            args += ["--user", user or self.user]
        if trust == "ca":
            args += ["--ca-file", self.server.cert_path]
        elif trust == "new":
            args += ["--trust-new"]
        elif trust != "tofu":
            raise ValueError("trust must be 'ca', 'new' or 'tofu', not %r" % (trust,))
        if self.retries is not None:
            args += ["--retries", str(self.retries)]
        return args

    def run(self, *args, user=None, password=None, trust=None, port=None, input=None,
            env=None, timeout=CLIENT_TIMEOUT, cwd=None):
        """Runs one client command; password=False means no SFS_PASSWORD at all."""
        if password is None:
            password = self.password
        elif password is False:
            password = None
        return run_client(self.common_args(user, trust, port) + list(args),
                          config_home=self.config_home, cwd=cwd or self.cwd,
                          password=password, input=input, env=env, timeout=timeout)

    def start(self, *args, user=None, password=None, trust=None, port=None,
              stdin=subprocess.DEVNULL):
        return start_client(self.common_args(user, trust, port) + list(args),
                            config_home=self.config_home, cwd=self.cwd,
                            password=self.password if password is None else password,
                            stdin=stdin)
