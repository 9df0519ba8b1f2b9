"""A real sfs-server in a temporary directory of its own, on a free loopback port."""

import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import time
import unittest
import uuid

from .config import (DEFAULT_USERS, HOST, S3_SERVER, SERVER_BIN, SERVER_ROOT_ARGS, START_TIMEOUT,
                     STOP_TIMEOUT)
from .waiting import wait_until
from .s3_objects import copy_object, mirror_prefix
from .files import make_temp_dir, read_file, remove_tree, write_file


def free_port(host=HOST):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def banner_text(stdout):
    """The server's stdout as text lines: with --log-format json each line is a
    JSON object whose "msg" is the text line without its "sfs-server: " prefix
    (a line not complete yet is left as it is)."""
    lines = []
    for line in stdout.split("\n"):
        if line.startswith("{"):
            try:
                line = "sfs-server: " + json.loads(line)["msg"]
            except (ValueError, KeyError, TypeError):
                pass
        lines.append(line)
    return "\n".join(lines)


class ServerStartError(Exception):
    pass


class Server:
    """Runs sfs-server in a temporary directory of its own.

    Use as a context manager, or call start() / close(). `directory` is the
    server's cwd holding id_passwd.txt, server_storage/, server.crt and
    server.key. Pass cert/key paths to copy an existing identity in, port
    to reuse a given port number, and storage to keep the files elsewhere
    (passed as --storage; the caller owns that directory). host is the
    loopback address to listen on (127.0.0.1 by default; the cluster tests
    use 127.0.0.2 and up).

    restart() stops the process and starts a new one in the same directory,
    on the same storage and with the same identity (the port may change,
    unless same_port is set).

    With SFS_TEST_S3_SERVER set (config.S3_SERVER) a server without a
    storage of its own keeps its files on S3, under a prefix of its own;
    user_dir() and stored()
    give fresh copies of the objects then; a test that looks at the storage
    root is skipped.
    """

    def __init__(self, users=None, port=0, cert=None, key=None, threads=None,
                 extra_args=(), auth_text=None, storage=None, host=HOST):
        self.host = host
        self.users = dict(DEFAULT_USERS if users is None else users)
        self.auth_text = auth_text  # bytes for id_passwd.txt instead of users
        self.requested_port = port
        self.cert_source = cert
        self.key_source = key
        self.threads = threads
        self.extra_args = list(extra_args)
        self.storage_dir = storage
        self.s3_args = []
        self.s3_prefix = None
        if storage is None and S3_SERVER:
            endpoint, bucket, keys = S3_SERVER
            self.s3_prefix = "it-" + uuid.uuid4().hex
            self.s3_args = ["--storage", "s3://%s/%s" % (bucket, self.s3_prefix),
                            "--s3-endpoint", endpoint, "--s3-credentials", keys]
        self.directory = None
        self.process = None
        self.port = None
        self.fingerprint = None
        self.stdout_text = ""  # as text lines (see banner_text)
        self.stdout_raw = ""   # as the server wrote it
        self._log = None

    # paths
    @property
    def storage(self):
        if self.s3_args:
            raise unittest.SkipTest("looks at the files on disk; they are on S3 here")
        if self.storage_dir is not None:
            return self.storage_dir
        return os.path.join(self.directory, "server_storage")

    @property
    def cert_path(self):
        return os.path.join(self.directory, "server.crt")

    @property
    def key_path(self):
        return os.path.join(self.directory, "server.key")

    @property
    def log_path(self):
        return os.path.join(self.directory, "server.log")

    def user_dir(self, user):
        """The user's folder on disk; on S3, a fresh copy of the tree of its
        objects (see s3_objects.mirror_prefix: writing into it changes
        nothing on S3)."""
        if self.s3_args:
            endpoint, bucket, keys = S3_SERVER
            copy = os.path.join(self.directory, "s3-copies", "u", user)
            mirror_prefix(endpoint, bucket, keys, "%s/u/%s/" % (self.s3_prefix, user), copy)
            return copy
        return os.path.join(self.storage, "u", user)

    def stored(self, user, name):
        """Where the file `name` of `user` is on disk; on S3, a fresh copy of
        its object (with its digest as the xattr), or a path that does not
        exist when there is none."""
        if self.s3_args:
            endpoint, bucket, keys = S3_SERVER
            copy = os.path.join(self.directory, "s3-copies", "one", user, name)
            copy_object(endpoint, bucket, keys, "%s/u/%s/%s" % (self.s3_prefix, user, name), copy)
            return copy
        return os.path.join(self.user_dir(user), name)

    # lifecycle
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def start(self):
        fresh = self.directory is None
        if fresh:
            self.directory = make_temp_dir("sfs-it-server-")
        try:
            if fresh:
                self._prepare_directory()
            args = [SERVER_BIN, "--host", self.host, "--port", str(self.requested_port)]
            args += SERVER_ROOT_ARGS
            if self.threads is not None:
                args += ["--threads", str(self.threads)]
            if self.storage_dir is not None:
                args += ["--storage", self.storage_dir]
            args += self.s3_args
            args += self.extra_args
            self._log = open(self.log_path, "ab")  # a restart appends: log marks stay valid
            self.process = subprocess.Popen(
                args, cwd=self.directory, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=self._log, start_new_session=True)
            self._read_banner()
        except BaseException:
            self.close()
            raise

    def _prepare_directory(self):
        text = self.auth_text
        if text is None:
            text = "# users of this test server\n\n" + "".join(
                "%s:%s\n" % item for item in self.users.items())
            text = text.encode()
        write_file(os.path.join(self.directory, "id_passwd.txt"), text)
        if self.cert_source:
            shutil.copyfile(self.cert_source, self.cert_path)
        if self.key_source:
            shutil.copyfile(self.key_source, self.key_path)
            os.chmod(self.key_path, 0o600)

    def restart(self, sig=signal.SIGTERM, same_port=False):
        """Stops the process with sig and starts a new one on the same directory;
        with same_port, listening on the port the old one had (as a client that
        reconnects, or a proxy in front, expects)."""
        self.stop(sig)
        self.process = None
        if same_port:
            self.requested_port = self.port
        self.start()

    def _read_banner(self):
        """Reads stdout until the port and fingerprint lines, within START_TIMEOUT."""
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + START_TIMEOUT
        buffer = b""
        while True:
            self.stdout_raw = buffer.decode(errors="replace")
            text = banner_text(self.stdout_raw)
            port = re.search(r"^sfs-server: listening on %s:(\d+)$" % re.escape(self.host),
                             text, re.M)
            print_ = re.search(r"^sfs-server: certificate SHA256 fingerprint (\S+)$", text, re.M)
            if port and print_:
                self.port = int(port.group(1))
                self.fingerprint = print_.group(1)
                self.stdout_text = text
                return
            left = deadline - time.monotonic()
            if left <= 0:
                raise ServerStartError("sfs-server did not report its port within %ss; stdout=%r "
                                       "log=%r" % (START_TIMEOUT, text, self.log_text()))
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    self.process.wait(timeout=STOP_TIMEOUT)
                    raise ServerStartError("sfs-server exited with %s before listening; stdout=%r "
                                           "log=%r" % (self.process.returncode, text,
                                                       self.log_text()))
                buffer += chunk

    def stop(self, sig=signal.SIGTERM):
        """Stops the process (sig, then SIGKILL after STOP_TIMEOUT); keeps the directory."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            try:
                self.process.send_signal(sig)
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT)
        if self.process.stdout:
            self.process.stdout.close()
        if self._log:
            self._log.close()
            self._log = None
        return self.process.returncode

    def wait(self, timeout):
        """Waits for the process to exit by itself; returns its status, None past timeout."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def running(self):
        return self.process is not None and self.process.poll() is None

    def close(self):
        try:
            self.stop()
            self.assert_no_sanitizer_report()
        finally:
            remove_tree(self.directory)

    def assert_no_sanitizer_report(self):
        """Fails when ASan/UBSan/LSan reported anything in the server's log (the
        sanitizer build runs this whole suite too)."""
        log = self.log_text()
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            if marker in log:
                index = log.index(marker)
                raise AssertionError("sanitizer report in the server log:\n" +
                                     log[max(0, index - 200):index + 3000])

    # log
    def log_text(self):
        try:
            return read_file(self.log_path).decode(errors="replace")
        except (OSError, TypeError):
            return ""

    def log_mark(self):
        """A position in the log; log_since(mark) returns what was logged after it."""
        return len(self.log_text())

    def log_since(self, mark):
        return self.log_text()[mark:]

    def wait_for_log(self, pattern, timeout=30.0):
        """Waits for a log line matching the regex; returns the match or None."""
        regex = re.compile(pattern, re.M)
        return wait_until(lambda: regex.search(self.log_text()), timeout)

    def log_count(self, pattern):
        """How many times the regex matches in the log so far."""
        return len(re.findall(pattern, self.log_text(), re.M))

    def wait_for_log_count(self, pattern, count, timeout=20.0):
        """Waits until the regex matches at least count times in the log (timeout is a
        safety net); returns how many times it matches then."""
        wait_until(lambda: self.log_count(pattern) >= count, timeout)
        return self.log_count(pattern)
