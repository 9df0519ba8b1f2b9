"""A real HAProxy (Debian's haproxy) in front of sfs-server nodes, for the
cluster tests: TCP mode, TLS passed through untouched, round-robin over the
nodes, each node checked with `GET /health` over TLS on its HTTPS port
(docs/cluster.md). It runs in the foreground (-db) as the test's user, with
its config and admin socket in a temporary directory, on loopback only, and
is stopped by its pid.

    nodes = [Node("n1", "127.0.0.2", sfs_port, https_port), ...]
    with HAProxy(nodes) as front:
        front.sfs_port, front.https_port      # on 127.0.0.1
        front.states()                        # {"n1": "UP", ...} of the sfs backend
        front.wait_for_states({"n1": "DOWN"}) # bounded

With send_proxy=True, HAProxy starts every connection to a node with a
PROXY protocol v2 header naming the client (`send-proxy-v2`), its health
checks with one of the LOCAL command (`check-send-proxy`), and connects to
the nodes from BALANCER_SOURCE (what the nodes' --proxy-protocol-from
names).
"""

import collections
import os
import shutil
import signal
import socket
import subprocess

from .config import HOST, STOP_TIMEOUT
from .files import make_temp_dir, remove_tree
from .server import free_port
from .waiting import wait_until
from .service import Service

HAPROXY_BIN = shutil.which("haproxy") or "/usr/sbin/haproxy"
# A safety net only: HAProxy starts in well under a second.
HAPROXY_START_TIMEOUT = 30.0
# Checks every CHECK_INTER ms in the tests; a node is out after FALL failed
# checks and back after RISE good ones (production: see docs/cluster.md).
CHECK_INTER_MS = 300
FALL = 2
RISE = 1
SFS_BACKEND = "sfs_nodes"
# Where HAProxy connects to the nodes from when it sends the PROXY protocol.
BALANCER_SOURCE = "127.0.0.1"
HTTPS_BACKEND = "https_nodes"

# One sfs-server node: a name for HAProxy, its address, its sfs port and its
# HTTPS port (where the health check goes).
Node = collections.namedtuple("Node", "name address sfs_port https_port")


def haproxy_missing():
    """Why HAProxy cannot run here (a skip reason), or None."""
    if not os.access(HAPROXY_BIN, os.X_OK):
        return "haproxy is not installed (scripts/install-deps)"
    return None


def config_text(nodes, sfs_port, https_port, admin_socket, send_proxy=False):
    """The config: two TCP frontends on 127.0.0.1 (the sfs protocol and the
    HTTPS face), each balanced round-robin over the nodes' same port. Each
    node is checked once, by GET /health on its HTTPS port over TLS (the
    certificate is not verified by the check: it learns nothing secret, and
    clients verify the node's certificate end to end through the
    passthrough); the HTTPS backend tracks those checks. With send_proxy,
    connections and checks begin with a PROXY protocol v2 header."""
    proxy = " send-proxy-v2 source %s" % BALANCER_SOURCE if send_proxy else ""
    check_proxy = " check-send-proxy" if send_proxy else ""
    sfs_servers = "".join(
        "    server %s %s:%d check port %d%s%s\n" % (n.name, n.address, n.sfs_port, n.https_port,
                                                  check_proxy, proxy)
        for n in nodes)
    https_servers = "".join(
        "    server %s %s:%d track %s/%s%s\n" % (n.name, n.address, n.https_port, SFS_BACKEND,
                                                 n.name, proxy)
        for n in nodes)
    return (
        "global\n"
        "    maxconn 512\n"
        "    stats socket %(admin)s mode 600 level admin\n"
        "\n"
        "defaults\n"
        "    mode tcp\n"
        "    timeout connect 5s\n"
        "    timeout client 300s\n"
        "    timeout server 300s\n"
        "    timeout check 5s\n"
        "    retries 2\n"
        "    option redispatch\n"
        "\n"
        "frontend sfs\n"
        "    bind %(host)s:%(sfs_port)d\n"
        "    default_backend %(sfs)s\n"
        "\n"
        "frontend https\n"
        "    bind %(host)s:%(https_port)d\n"
        "    default_backend %(https)s\n"
        "\n"
        "backend %(sfs)s\n"
        "    balance roundrobin\n"
        "    option httpchk GET /health\n"
        "    default-server check-ssl verify none inter %(inter)d fall %(fall)d rise %(rise)d\n"
        "%(sfs_servers)s"
        "\n"
        "backend %(https)s\n"
        "    balance roundrobin\n"
        "%(https_servers)s"
        % {"admin": admin_socket, "host": HOST, "sfs_port": sfs_port, "https_port": https_port,
           "sfs": SFS_BACKEND, "https": HTTPS_BACKEND, "inter": CHECK_INTER_MS, "fall": FALL,
           "rise": RISE, "sfs_servers": sfs_servers, "https_servers": https_servers})


class HAProxyStartError(Exception):
    pass


class HAProxy(Service):
    """Runs `haproxy -f CFG -db` in front of `nodes` (a list of Node), sending
    them the PROXY protocol when send_proxy."""

    def __init__(self, nodes, send_proxy=False):
        self.nodes = list(nodes)
        self.send_proxy = send_proxy
        self.directory = None
        self.process = None
        self.sfs_port = None
        self.https_port = None
        self.config_path = None
        self.admin_socket = None
        self.log_path = None
        self._log = None

    def start(self):
        self.directory = make_temp_dir("sfs-it-haproxy-")
        try:
            self.sfs_port = free_port()
            self.https_port = free_port()
            self.admin_socket = os.path.join(self.directory, "admin.sock")
            self.config_path = os.path.join(self.directory, "haproxy.cfg")
            self.log_path = os.path.join(self.directory, "haproxy.log")
            with open(self.config_path, "w", encoding="utf-8") as f:
                f.write(config_text(self.nodes, self.sfs_port, self.https_port,
                                    self.admin_socket, self.send_proxy))
            checked = subprocess.run([HAPROXY_BIN, "-c", "-f", self.config_path],
                                     capture_output=True, text=True, timeout=30)
            if checked.returncode != 0:
                raise HAProxyStartError("haproxy -c refused the config: %s%s"
                                        % (checked.stdout, checked.stderr))
            self._log = open(self.log_path, "ab")
            self.process = subprocess.Popen(
                [HAPROXY_BIN, "-f", self.config_path, "-db"], cwd=self.directory,
                stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                start_new_session=True)
            if not wait_until(self._answers, HAPROXY_START_TIMEOUT, interval=0.05):
                raise HAProxyStartError("haproxy did not answer on its admin socket within "
                                        "%ss: %s" % (HAPROXY_START_TIMEOUT, self.log_text()))
        except BaseException:
            self.close()
            raise

    def _answers(self):
        if self.process.poll() is not None:
            raise HAProxyStartError("haproxy exited with %s: %s"
                                    % (self.process.returncode, self.log_text()))
        # The listeners are bound before the admin socket answers.
        try:
            return "Pid:" in self.command("show info")
        except OSError:
            return False

    def command(self, line, timeout=5.0):
        """One command on the admin socket; its answer as text (OSError when
        HAProxy does not answer)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(self.admin_socket)
            s.sendall(line.encode() + b"\n")
            chunks = []
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        return b"".join(chunks).decode(errors="replace")

    def states(self, backend=SFS_BACKEND):
        """{node name: status} of a backend's servers ("UP", "DOWN", "MAINT",
        "UP 1/2" while a state changes...), from `show stat`."""
        text = self.command("show stat")
        lines = text.splitlines()
        if not lines or not lines[0].startswith("# "):
            return {}
        header = lines[0][2:].split(",")
        proxy, name, status = header.index("pxname"), header.index("svname"), header.index(
            "status")
        found = {}
        for line in lines[1:]:
            fields = line.split(",")
            if len(fields) > status and fields[proxy] == backend and fields[name] not in (
                    "FRONTEND", "BACKEND"):
                found[fields[name]] = fields[status]
        return found

    def wait_for_states(self, wanted, timeout=30.0, backends=(SFS_BACKEND, HTTPS_BACKEND)):
        """Waits until each named node has the wanted status ("UP" / "DOWN") in
        every backend; returns whether it came (the timeout is a safety net)."""
        def reached():
            try:
                return all(all(self.states(b).get(n) == s for n, s in wanted.items())
                           for b in backends)
            except OSError:
                return False
        return wait_until(reached, timeout, interval=0.05)

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except (OSError, TypeError):
            return ""

    def stop(self):
        """Stops HAProxy by its pid (SIGTERM, then SIGKILL past STOP_TIMEOUT)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT)
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def close(self):
        try:
            self.stop()
        finally:
            remove_tree(self.directory)
            self.directory = None

