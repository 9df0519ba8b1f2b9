"""Shared helpers for the sfs integration tests.

Everything here is bounded in time, listens and connects on 127.0.0.1 only
(connecting from other loopback addresses, 127.0.0.2 ..., when asked), and
removes the temporary directories it creates.

- Server: a context manager that runs a real sfs-server in its own temporary
  directory (auth file, storage, certificate) on a free port.
- Client / run_client: run the real sfs binary without a controlling
  terminal, with its own XDG_CONFIG_HOME, and return the CompletedProcess.
- RawConnection: speak the wire protocol directly over Python's ssl module;
  tcp_connect: a plain TCP connection (both from a chosen source address).
- run_admin: run the real sfs-admin.
- PtyProcess: run a program on a pseudo-terminal that is its controlling tty.
- FaultProxy: a loopback TCP proxy that cuts connections after N bytes in a
  chosen direction, or slows them down, for resume and drain tests.
"""

import ctypes
import ctypes.util
import errno
import fcntl
import hashlib
import json
import os
import re
import select
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import tempfile
import termios
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SERVER_BIN = os.environ.get("SFS_SERVER_BIN") or os.path.join(REPO, "build", "apps", "sfs-server")
# The server refuses to stay root unless told (--run-as / --allow-root);
# the tests run as whoever runs them, often root in CI.
SERVER_ROOT_ARGS = ["--allow-root"] if os.geteuid() == 0 else []
CLIENT_BIN = os.environ.get("SFS_CLIENT_BIN") or os.path.join(REPO, "build", "apps", "sfs")
# sfs-admin is built next to sfs-server.
ADMIN_BIN = (os.environ.get("SFS_ADMIN_BIN")
             or os.path.join(os.path.dirname(SERVER_BIN), "sfs-admin"))

HOST = "127.0.0.1"
START_TIMEOUT = 10.0    # server start-up, until it prints its port
STOP_TIMEOUT = 5.0      # SIGTERM grace period before SIGKILL
CLIENT_TIMEOUT = 60.0   # one client invocation
RAW_TIMEOUT = 10.0      # one raw-protocol read

DEFAULT_USERS = {"alice": "alice-pw-7Qx", "bob": "bob-pw-3Kz"}

# Client exit codes (docs: sfs --help, src/client/exit_codes.h).
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_NOT_FOUND = 4
EXIT_REFUSED = 5
EXIT_NETWORK = 6
EXIT_TRUST = 7
EXIT_LOCAL = 8
EXIT_TOO_LARGE = 9
EXIT_SERVER_IO = 10
EXIT_INTEGRITY = 11

LOGIN_FAILED = b"sfs: login failed: wrong user name or password\n"


# --------------------------------------------------------------------------
# Small utilities


def make_temp_dir(prefix="sfs-it-"):
    return tempfile.mkdtemp(prefix=prefix)


def remove_tree(path):
    if path and os.path.lexists(path):
        shutil.rmtree(path, ignore_errors=True)


def wait_until(predicate, timeout=10.0, interval=0.02):
    """Polls predicate() until it is truthy or timeout passes; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def write_file(path, data, mode=None):
    with open(path, "wb") as f:
        f.write(data)
    if mode is not None:
        os.chmod(path, mode)
    return path


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def write_random_file(path, size, chunk=1 << 20):
    """Writes `size` random bytes to path; returns their sha256 hex digest."""
    digest = hashlib.sha256()
    with open(path, "wb") as f:
        left = size
        while left > 0:
            block = os.urandom(min(chunk, left))
            digest.update(block)
            f.write(block)
            left -= len(block)
    return digest.hexdigest()


def write_sparse_file(path, size):
    with open(path, "wb") as f:
        f.truncate(size)
    return path


class _Xxh128(ctypes.Structure):
    _fields_ = [("low64", ctypes.c_uint64), ("high64", ctypes.c_uint64)]


_libxxhash = ctypes.CDLL(ctypes.util.find_library("xxhash") or "libxxhash.so.0")
_libxxhash.XXH3_128bits.restype = _Xxh128
_libxxhash.XXH3_128bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
_libxxhash.XXH3_createState.restype = ctypes.c_void_p
_libxxhash.XXH3_freeState.argtypes = [ctypes.c_void_p]
_libxxhash.XXH3_128bits_reset.argtypes = [ctypes.c_void_p]
_libxxhash.XXH3_128bits_update.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
_libxxhash.XXH3_128bits_digest.argtypes = [ctypes.c_void_p]
_libxxhash.XXH3_128bits_digest.restype = _Xxh128

DIGEST_NAME = "XXH128"  # the digest sfs keeps end to end (src/crypto/digest.h)
DIGEST_XATTR = "user.sfs.xxh128"
DIGEST_HEX_LENGTH = 32


def digest_hex(data):
    """sfs's digest of `data` (XXH3-128, canonical hex as xxh128sum prints it),
    computed by Debian's libxxhash, independently of sfs's own code."""
    return _canonical(_libxxhash.XXH3_128bits(bytes(data), len(data)))


def _canonical(h):
    return "%016x%016x" % (h.high64, h.low64)


def digest_of_pieces(pieces):
    """digest_hex of the concatenation of `pieces` (an iterable of bytes),
    without holding it all in memory."""
    state = _libxxhash.XXH3_createState()
    try:
        _libxxhash.XXH3_128bits_reset(state)
        for piece in pieces:
            _libxxhash.XXH3_128bits_update(state, bytes(piece), len(piece))
        return _canonical(_libxxhash.XXH3_128bits_digest(state))
    finally:
        _libxxhash.XXH3_freeState(state)


def ok_put(data):
    """The server's final reply to a successful PUT of `data`."""
    return "OK %d %s" % (len(data), digest_hex(data))


NO_OFFER = "OK 0 -"  # the server's first reply to a PUT when it holds nothing to resume


def ok_get(data, stored=True, start=0):
    """The server's reply to a GET of a file holding `data` (stored: it has a digest)."""
    return "OK %d %s %d" % (len(data), digest_hex(data) if stored else "-", start)


def trailer(data):
    """The digest trailer line of a transfer of `data`."""
    return DIGEST_NAME + " " + digest_hex(data)


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_mode(path):
    return os.lstat(path).st_mode & 0o7777


def temp_files_in(directory):
    """Names of the server's upload temp files in directory (empty if it is gone)."""
    try:
        return sorted(n for n in os.listdir(directory) if n.startswith(".sfs-tmp-"))
    except FileNotFoundError:
        return []


def partial_files_in(directory):
    """Names of the server's resumable partial uploads (.sfs-part-*) in directory."""
    try:
        return sorted(n for n in os.listdir(directory) if n.startswith(".sfs-part-"))
    except FileNotFoundError:
        return []


def local_partial(target):
    """The path where an interrupted `sfs get` to target keeps its partial copy."""
    directory, name = os.path.split(target)
    return os.path.join(directory, "." + name + ".sfs-part")


def stored_digest(path):
    """The digest the server keeps in the DIGEST_XATTR of path, or None."""
    try:
        return os.getxattr(path, DIGEST_XATTR).decode()
    except OSError:
        return None


def xattrs_supported(directory):
    """True if files in directory can carry user.* extended attributes (needed to
    resume a download: the partial copy records the remote file's digest)."""
    probe = os.path.join(directory, ".xattr-probe")
    try:
        write_file(probe, b"")
        os.setxattr(probe, "user.sfs.probe", b"1")
        return True
    except OSError:
        return False
    finally:
        try:
            os.unlink(probe)
        except OSError:
            pass


def openssl_fingerprint(cert_path):
    """The SHA-256 fingerprint as `openssl x509 -fingerprint` prints it after '='."""
    out = subprocess.run(
        ["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", cert_path],
        capture_output=True, check=True, timeout=30).stdout.decode()
    return out.strip().split("=", 1)[1]


def openssl_self_signed(directory, name="other"):
    """Generates an unrelated EC P-256 self-signed certificate; returns (cert, key)."""
    cert = os.path.join(directory, name + ".crt")
    key = os.path.join(directory, name + ".key")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-subj", "/CN=x", "-keyout", key, "-out", cert, "-days", "1"],
        capture_output=True, check=True, timeout=30)
    return cert, key


def stderr_lines(result):
    return result.stderr.decode(errors="replace").splitlines()


def parse_listing(stdout):
    """Parses `sfs ls` output into {name: size}; fails on a malformed line."""
    entries = {}
    for line in stdout.decode().splitlines():
        m = re.fullmatch(r"( {0,11}\d+|\d{12,})  (\d{4}-\d\d-\d\d \d\d:\d\d)  (.+)", line)
        if m is None:
            raise AssertionError("malformed listing line: %r" % line)
        entries[m.group(3)] = int(m.group(1))
    return entries


def tcp_connect(port, source=None, timeout=RAW_TIMEOUT):
    """A plain TCP connection to the server, from `source` (a loopback address such
    as 127.0.0.2, to look like another client) or the default 127.0.0.1."""
    return socket.create_connection((HOST, port), timeout=timeout,
                                    source_address=(source, 0) if source else None)


def run_admin(args, *, cwd=None, input=None, timeout=CLIENT_TIMEOUT):
    """Runs `sfs-admin ARGS` (stdin from `input` or /dev/null); returns CompletedProcess."""
    return subprocess.run(
        [ADMIN_BIN] + [str(a) for a in args], cwd=cwd, input=input,
        stdin=None if input is not None else subprocess.DEVNULL,
        capture_output=True, timeout=timeout, start_new_session=True,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C"})


def hashed_auth_text(users):
    """The bytes of an auth file holding Argon2id hashes of {user: password}, made
    by the real sfs-admin (raises unittest.SkipTest when it is not built)."""
    if not os.access(ADMIN_BIN, os.X_OK):
        raise unittest.SkipTest("sfs-admin not built at %s (set SFS_ADMIN_BIN)" % ADMIN_BIN)
    directory = make_temp_dir("sfs-it-auth-")
    try:
        auth = os.path.join(directory, "id_passwd.txt")
        for user, password in users.items():
            result = run_admin(["--auth-file", auth, "user", "add", user, "--password-stdin"],
                               input=password.encode() + b"\n")
            if result.returncode != 0:
                raise RuntimeError("sfs-admin failed: %r" % result.stderr)
        return read_file(auth)
    finally:
        remove_tree(directory)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------
# Server


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
    (passed as --storage; the caller owns that directory).

    restart() stops the process and starts a new one in the same directory,
    on the same storage and with the same identity (the port may change).
    """

    def __init__(self, users=None, port=0, cert=None, key=None, threads=None,
                 extra_args=(), auth_text=None, storage=None):
        self.users = dict(DEFAULT_USERS if users is None else users)
        self.auth_text = auth_text  # bytes for id_passwd.txt instead of users
        self.requested_port = port
        self.cert_source = cert
        self.key_source = key
        self.threads = threads
        self.extra_args = list(extra_args)
        self.storage_dir = storage
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
        return os.path.join(self.storage, "u", user)

    def stored(self, user, name):
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
            args = [SERVER_BIN, "--host", HOST, "--port", str(self.requested_port)]
            args += SERVER_ROOT_ARGS
            if self.threads is not None:
                args += ["--threads", str(self.threads)]
            if self.storage_dir is not None:
                args += ["--storage", self.storage_dir]
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

    def restart(self, sig=signal.SIGTERM):
        """Stops the process with sig and starts a new one on the same directory."""
        self.stop(sig)
        self.process = None
        self.start()

    def _read_banner(self):
        """Reads stdout until the port and fingerprint lines, within START_TIMEOUT."""
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + START_TIMEOUT
        buffer = b""
        while True:
            self.stdout_raw = buffer.decode(errors="replace")
            text = banner_text(self.stdout_raw)
            port = re.search(r"^sfs-server: listening on 127\.0\.0\.1:(\d+)$", text, re.M)
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

    def wait_for_log(self, pattern, timeout=10.0):
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


# --------------------------------------------------------------------------
# Client


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


class Client:
    """A client sandbox: a working directory and a config home, removed on close().

    trust: 'ca' passes --ca-file with the server's certificate, 'new' passes
    --trust-new, 'tofu' passes neither (trust-on-first-use from known_servers).
    Methods take trust=None to mean the sandbox's default.
    """

    def __init__(self, server, user="alice", password=None, trust="ca"):
        self.server = server
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


# --------------------------------------------------------------------------
# Raw protocol


def tls13_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    return ctx


def percent_encode(data):
    if isinstance(data, str):
        data = data.encode()
    return "".join(chr(b) if 0x21 <= b <= 0x7E and b != 0x25 else "%%%02X" % b for b in data)


class RawConnection:
    """A TLS 1.3 connection speaking the sfs protocol by hand (from the loopback
    address `source` if given, e.g. 127.0.0.2 to look like another client)."""

    def __init__(self, port, timeout=RAW_TIMEOUT, source=None):
        raw = tcp_connect(port, source, timeout)
        try:
            self.sock = tls13_context().wrap_socket(raw)
        except BaseException:
            raw.close()
            raise
        self.buffer = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def send(self, data):
        self.sock.sendall(data)

    def send_line(self, line):
        self.send(line.encode() + b"\n")

    def _fill(self):
        """Reads more bytes; returns False at end of stream (EOF, reset or TLS close)."""
        try:
            chunk = self.sock.recv(65536)
        except (ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionResetError,
                BrokenPipeError):
            return False
        except ssl.SSLError as e:
            if "EOF" in str(e) or "SHUTDOWN" in str(e).upper():
                return False
            raise
        if not chunk:
            return False
        self.buffer += chunk
        return True

    def read_line(self):
        """Returns the next line without its newline, or None at end of stream."""
        while b"\n" not in self.buffer:
            if not self._fill():
                return None
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode(errors="replace")

    def read_exact(self, n):
        while len(self.buffer) < n:
            if not self._fill():
                raise EOFError("stream ended after %d of %d bytes" % (len(self.buffer), n))
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def read_frames(self):
        """Reads data frames up to the end frame; returns the bytes."""
        out = b""
        while True:
            (length,) = struct.unpack(">I", self.read_exact(4))
            if length == 0:
                return out
            if length == 0xFFFFFFFF:
                raise EOFError("abort frame")
            out += self.read_exact(length)

    def send_frame(self, data):
        self.send(struct.pack(">I", len(data)) + data)

    def send_header(self, length):
        """A bare frame header: 0 is the end frame, 0xFFFFFFFF the abort frame."""
        self.send(struct.pack(">I", length))

    def start_put(self, path, size, offset=0):
        """Sends `PUT path size` and, after an `OK <held> <held-digest>` offer, answers
        `FROM offset` (offset="held": what the server offered). Returns the offer line;
        nothing more is sent after an ERR. The frames are up to the caller."""
        offer = self.command("PUT %s %d" % (percent_encode(path), size))
        if offer is None or not offer.startswith("OK "):
            return offer
        if offset == "held":
            offset = int(offer.split(" ")[1])
        self.send_line("FROM %d" % offset)
        return offer

    def put(self, path, data, frame=256 << 10, digest=None, resume=False):
        """PUT with data in frames of `frame` bytes and the digest trailer (`digest`
        overrides it). Starts over (`FROM 0`) unless resume is set and the server's
        held bytes are provably a prefix of data. Returns (offer, final reply)."""
        offer = self.command("PUT %s %d" % (percent_encode(path), len(data)))
        if offer is None or not offer.startswith("OK "):
            return offer, None
        _, held, held_digest = offer.split(" ")
        held = int(held)
        start = 0
        if resume and 0 < held <= len(data) and digest_hex(data[:held]) == held_digest:
            start = held
        self.send_line("FROM %d" % start)
        for at in range(start, len(data), frame):
            self.send_frame(data[at:at + frame])
        self.send_header(0)
        self.send_line(DIGEST_NAME + " " + (digest or digest_hex(data)))
        return offer, self.read_line()

    def get(self, path, offset=0, digest=None):
        """Sends `GET path offset digest|-`; returns the reply line."""
        return self.command("GET %s %d %s" % (percent_encode(path), offset, digest or "-"))

    def download(self, path, offset=0, digest=None):
        """GET and read the whole answer: (reply, data, trailer); data and trailer are None
        after an ERR reply."""
        reply = self.get(path, offset, digest)
        if reply is None or not reply.startswith("OK "):
            return reply, None, None
        data, trailer = self.read_download()
        return reply, data, trailer

    def read_download(self):
        """After `OK <size> <stored> <start>` of a GET: returns (data, trailer line)."""
        data = self.read_frames()
        return data, self.read_line()

    def at_eof(self):
        """True if the peer closed the stream (after any buffered data)."""
        return not self.buffer and not self._fill()

    def command(self, line):
        self.send_line(line)
        return self.read_line()

    def greet_and_login(self, user, password):
        greeting = self.read_line()
        if greeting != "SFS 1":
            raise AssertionError("unexpected greeting %r" % greeting)
        return self.command("LOGIN %s %s" % (percent_encode(user), percent_encode(password)))


def open_login_connection(port, source=None, notices=True, timeout=60.0):
    """A RawConnection from `source` past the greeting, having asked for DELAY
    notices (`NOTICES delay`) unless notices is False."""
    conn = RawConnection(port, timeout=timeout, source=source)
    try:
        if conn.read_line() != "SFS 1":
            raise AssertionError("no greeting")
        if notices and conn.command("NOTICES delay") != "OK delay":
            raise AssertionError("NOTICES delay refused")
    except BaseException:
        conn.close()
        raise
    return conn


def login_attempt(conn, user, password):
    """Sends LOGIN on conn; returns (DELAY milliseconds or None, reply or None if
    the server closed the connection)."""
    try:
        conn.send_line("LOGIN %s %s" % (percent_encode(user), percent_encode(password)))
        line = conn.read_line()
        delay = None
        if line is not None and line.startswith("DELAY "):
            delay = int(line.split(" ")[1])
            line = conn.read_line()
    except (BrokenPipeError, ConnectionResetError):
        return None, None
    return delay, line


# --------------------------------------------------------------------------
# Fault injection

TLS_FULL_RECORD = 16384 + 17  # length field of a full TLS 1.3 application-data record
UP, DOWN = "up", "down"       # client -> server, server -> client


class TlsRecordLog:
    """Follows the TLS record layer of one direction of a stream.

    records lists (offset of the record header in the stream, content type,
    length field). Only the 5-byte headers are read; nothing is decrypted.
    """

    def __init__(self):
        self.records = []
        self._header = b""
        self._left = 0    # payload bytes of the current record still to come
        self._fed = 0     # stream bytes seen so far

    def feed(self, data):
        i, n = 0, len(data)
        while i < n:
            if self._left > 0:
                step = min(self._left, n - i)
                self._left -= step
                i += step
                continue
            take = data[i:i + 5 - len(self._header)]
            self._header += take
            i += len(take)
            if len(self._header) == 5:
                (length,) = struct.unpack(">H", self._header[3:5])
                self.records.append((self._fed + i - 5, self._header[0], length))
                self._header = b""
                self._left = length
        self._fed += n

    def first_full_record(self):
        """Stream offset of the first full-size record (the first one of file data in a
        transfer of more than 16 KiB: protocol lines are far shorter), or None."""
        for offset, _, length in self.records:
            if length >= TLS_FULL_RECORD:
                return offset
        return None


class AtData:
    """A cut position `delta` bytes after the start of the first full-size TLS record
    of the direction (see TlsRecordLog.first_full_record): stable across sessions,
    unlike the size of the handshake before it."""

    def __init__(self, delta):
        self.delta = delta

    def resolve(self, log):
        start = log.first_full_record()
        return None if start is None else start + self.delta

    def __repr__(self):
        return "AtData(%d)" % self.delta


def data_delta(records, payload_offset, frame=256 << 10):
    """For a transfer whose TLS records (from a complete run, same sizes) are given,
    the AtData delta at which to cut so that the receiver gets exactly the complete
    records before the one carrying file byte `payload_offset`.

    The data stream is frames of `frame` bytes, each with a 4-byte header, written
    from the start of the first full-size record on. payload_offset may equal the
    file size: then the cut falls right after the last data record, before the
    end frame.
    """
    start = next(i for i, r in enumerate(records) if r[2] >= TLS_FULL_RECORD)
    base = records[start][0]
    # Plaintext position of the file byte in the stream of frames.
    position = payload_offset + 4 * (payload_offset // frame + 1)
    if payload_offset > 0 and payload_offset % frame == 0:
        position -= 4  # exactly at a frame boundary: cut before the next frame's header
    plain = 0
    for offset, ctype, length in records[start:]:
        size = length - 17  # content type byte and AEAD tag
        if position == plain:
            return offset - base
        if position < plain + size:
            return offset - base + 5 + (position - plain)
        plain += size
    raise ValueError("offset %d beyond the recorded transfer" % payload_offset)


class ProxyConnection:
    """One connection through a FaultProxy: byte counters, TLS record logs, fate."""

    def __init__(self, client, server, cut, rate):
        self.client = client
        self.server = server
        self.cut_at = dict(cut)      # direction -> None, int (bytes) or AtData
        self.rate = dict(rate)       # direction -> None or bytes per second
        self.moved = {UP: 0, DOWN: 0}
        self.logs = {UP: TlsRecordLog(), DOWN: TlsRecordLog()}
        self.cut = None              # the direction whose limit cut the connection
        self.finished = threading.Event()
        self._lock = threading.Lock()
        self._pumps_left = 2

    @property
    def up(self):
        return self.moved[UP]

    @property
    def down(self):
        return self.moved[DOWN]

    def close(self):
        with self._lock:
            for sock in (self.client, self.server):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                try:
                    sock.close()
                except OSError:
                    pass
        self.finished.set()

    def cut_now(self, direction):
        if self.cut is None:
            self.cut = direction
        self.close()

    def pump_done(self):
        with self._lock:
            self._pumps_left -= 1
            last = self._pumps_left == 0
        if last:
            self.close()


class FaultProxy:
    """A loopback TCP proxy in front of 127.0.0.1:target_port, for fault injection.

    Each accepted connection is forwarded both ways by two threads. The
    settings in force when a connection is accepted apply to it:
      cut[UP] / cut[DOWN]: after forwarding that many bytes client->server
        (UP) or server->client (DOWN), close both sides. None: never; an int
        counts bytes from the connection's start (TLS handshake included);
        AtData(delta) counts from the first full-size TLS record.
      rate[UP] / rate[DOWN]: at most that many bytes per second (None: no limit).
    connections lists a ProxyConnection per accepted connection. Use as a
    context manager, or call close().
    """

    def __init__(self, target_port):
        self.target_port = target_port
        self.cut = {UP: None, DOWN: None}
        self.rate = {UP: None, DOWN: None}
        self.connections = []
        self._threads = []
        self._stopping = threading.Event()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((HOST, 0))
        self._listener.listen(64)
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._start_thread(self._accept_loop)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def configure(self, cut_up=None, cut_down=None, rate_up=None, rate_down=None):
        """Settings for the connections accepted from now on."""
        self.cut = {UP: cut_up, DOWN: cut_down}
        self.rate = {UP: rate_up, DOWN: rate_down}

    def set_rate(self, up=None, down=None):
        """Changes the rate limits of the live connections and of the next ones."""
        self.rate = {UP: up, DOWN: down}
        for conn in list(self.connections):
            conn.rate = dict(self.rate)

    def last(self):
        return self.connections[-1] if self.connections else None

    def wait_for_connection(self, count=1, timeout=10.0):
        """Waits until at least `count` connections were accepted; returns the last one."""
        wait_until(lambda: len(self.connections) >= count, timeout)
        return self.connections[count - 1] if len(self.connections) >= count else None

    def close(self):
        self._stopping.set()
        try:
            self._listener.close()
        except OSError:
            pass
        for conn in list(self.connections):
            conn.close()
        for thread in self._threads:
            thread.join(timeout=STOP_TIMEOUT)

    def _start_thread(self, target, *args):
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self):
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            client.settimeout(None)
            try:
                server = socket.create_connection((HOST, self.target_port), timeout=RAW_TIMEOUT)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = ProxyConnection(client, server, self.cut, self.rate)
            self.connections.append(conn)
            self._start_thread(self._pump, conn, UP, client, server)
            self._start_thread(self._pump, conn, DOWN, server, client)

    @staticmethod
    def _limit(conn, direction):
        limit = conn.cut_at[direction]
        if isinstance(limit, AtData):
            return limit.resolve(conn.logs[direction])
        return limit

    def _pump(self, conn, direction, src, dst):
        log = conn.logs[direction]
        started = time.monotonic()
        try:
            while True:
                limit = self._limit(conn, direction)
                if limit is not None and conn.moved[direction] >= limit:
                    conn.cut_now(direction)
                    return
                rate = conn.rate[direction]
                want = 65536 if not rate else max(512, min(65536, rate // 20))
                chunk = src.recv(want)
                if not chunk:
                    try:
                        dst.shutdown(socket.SHUT_WR)  # pass the half-close on
                    except OSError:
                        pass
                    return
                log.feed(chunk)
                limit = self._limit(conn, direction)
                if limit is not None:
                    chunk = chunk[:max(0, limit - conn.moved[direction])]
                dst.sendall(chunk)
                conn.moved[direction] += len(chunk)
                if limit is not None and conn.moved[direction] >= limit:
                    conn.cut_now(direction)
                    return
                if rate:
                    # Paced from the start of the connection, or from now if the rate
                    # was lowered mid-way.
                    delay = started + conn.moved[direction] / rate - time.monotonic()
                    if delay > 0:
                        time.sleep(min(delay, 1.0))
                    elif delay < -1.0:
                        started -= delay + 1.0
        except OSError:
            conn.close()
        finally:
            conn.pump_done()


# --------------------------------------------------------------------------
# Pseudo-terminal


class PtyProcess:
    """Runs a program with a new pty as stdin/stdout/stderr and controlling terminal."""

    def __init__(self, args, cwd, env):
        master, slave = os.openpty()
        self.master = master
        self.output = b""      # not yet consumed by expect()
        self.transcript = b""  # everything the program wrote
        try:
            self.process = subprocess.Popen(
                args, cwd=cwd, env=env, stdin=slave, stdout=slave, stderr=slave,
                start_new_session=True, preexec_fn=_take_controlling_tty)
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)

    def expect(self, text, timeout=10.0):
        """Reads until `text` (bytes) appears after everything consumed so far."""
        deadline = time.monotonic() + timeout
        while text not in self.output:
            left = deadline - time.monotonic()
            if left <= 0 or not self._read(left):
                raise AssertionError("did not see %r on the terminal; got %r" % (text, self.output))
        index = self.output.index(text) + len(text)
        seen, self.output = self.output[:index], self.output[index:]
        return seen

    def _read(self, timeout):
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 4096)
        except OSError as e:  # EIO: the child closed the terminal
            if e.errno == errno.EIO:
                return False
            raise
        self.output += chunk
        self.transcript += chunk
        return bool(chunk)

    def send(self, data):
        os.write(self.master, data)

    def finish(self, timeout=CLIENT_TIMEOUT):
        """Collects the remaining output and waits for exit; returns (status, output)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._read(max(0.0, deadline - time.monotonic())):
            pass
        try:
            status = self.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.process.kill()
            status = self.process.wait(timeout=STOP_TIMEOUT)
        return status, self.output

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)
        try:
            os.close(self.master)
        except OSError:
            pass


def _take_controlling_tty():
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


# --------------------------------------------------------------------------
# Test case bases


class ServerTestCase(unittest.TestCase):
    """A server (self.server) and a fresh client sandbox (self.client) for each test.

    The server is shared by the whole class, unless server_per_test is set
    (for tests that stop or break it).
    """

    users = None
    server_kwargs = {}
    server_per_test = False

    @classmethod
    def start_server(cls):
        server = Server(users=cls.users, **cls.server_kwargs)
        server.start()
        return server

    @classmethod
    def setUpClass(cls):
        if not cls.server_per_test:
            cls.server = cls.start_server()

    @classmethod
    def tearDownClass(cls):
        if not cls.server_per_test:
            cls.server.close()

    def setUp(self):
        if self.server_per_test:
            self.server = self.start_server()
            self.addCleanup(self.server.close)
        self.client = self.new_client("alice")

    def new_client(self, user="alice", **kwargs):
        client = Client(self.server, user, **kwargs)
        self.addCleanup(client.close)
        return client

    def new_temp_dir(self):
        path = make_temp_dir()
        self.addCleanup(remove_tree, path)
        return path

    def new_proxy(self, server=None):
        """A FaultProxy in front of the server, closed at cleanup."""
        proxy = FaultProxy((server or self.server).port)
        self.addCleanup(proxy.close)
        return proxy

    def assertOk(self, result):
        self.assertEqual(result.returncode, EXIT_OK,
                         "client failed: %r\nstderr: %s" % (result.args, result.stderr.decode(
                             errors="replace")))

    def assertFails(self, result, code, message=None):
        """Exit `code` and exactly one stderr line, `sfs: <message>` if message is given."""
        lines = stderr_lines(result)
        self.assertEqual(result.returncode, code,
                         "args %r: stderr %r" % (result.args, result.stderr))
        self.assertEqual(len(lines), 1, "expected one stderr line, got %r" % lines)
        self.assertTrue(lines[0].startswith("sfs: "), lines)
        if message is not None:
            self.assertEqual(lines[0], "sfs: " + message)

    def assertNoLogin(self, mark, server=None):
        """The server logged no LOGIN attempt (ok or failed) after mark."""
        server = server or self.server
        time.sleep(0.2)  # let the server log the end of the connection
        log = server.log_since(mark)
        self.assertIsNone(re.search(r"login (ok|failed)", log), log)

    def upload(self, data, name, client=None):
        """Uploads bytes as `name` through the real client; asserts success."""
        client = client or self.client
        local = client.path("upload-" + hashlib.sha256(name.encode()).hexdigest()[:12])
        write_file(local, data)
        self.assertOk(client.run("put", local, name))
        os.unlink(local)
