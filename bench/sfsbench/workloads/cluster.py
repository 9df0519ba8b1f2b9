"""What workloads 17 and 18 (the cluster of issue 15, docs/cluster.md) share: a
throwaway PostgreSQL holding the users (scripts/pg-one-node), sfs-server nodes on
127.0.0.2-4 with --db, one storage directory and one certificate, and HAProxy on
127.0.0.1 in TCP mode in front of them. PostgreSQL and HAProxy are started by the
integration tests' harness (tests/integration/harness/postgres.py and haproxy.py:
the same config shape as docs/cluster.md), wrapped here so that the bench stops
them like its other servers (by pid, also on error or ctrl-c).

Without haproxy or PostgreSQL installed, the workloads record why they were
skipped (missing()) and the report says so; the run goes on."""

import importlib
import subprocess
import sys

from ..common import PASSWORD, REPO, BenchError, log
from ..servers import SfsServer

HARNESS_DIR = REPO / "tests" / "integration"
NODE_ADDRESSES = ("127.0.0.2", "127.0.0.3", "127.0.0.4")
# Raised like the main sfs-server's: 100 clients from one address (HAProxy's, or
# 127.0.0.1) must not meet the per-address limits, which are not measured here.
NODE_MAX_CONNECTIONS = 10000
SKIP_KEY = "skipped"


def harness(module):
    """tests/integration/harness/<module> (imported from the integration tests, not
    copied: one HAProxy config and one PostgreSQL start for tests and bench)."""
    if str(HARNESS_DIR) not in sys.path:
        sys.path.insert(0, str(HARNESS_DIR))
    return importlib.import_module(f"harness.{module}")


def missing():
    """Why the cluster workloads cannot run here (for the report), or None."""
    try:
        if harness("haproxy").haproxy_missing():
            return "haproxy not installed"
        if harness("postgres").postgres_missing():
            return "PostgreSQL not installed"
    except ImportError as e:  # a checkout without tests/
        return f"the integration tests' harness is missing ({e})"
    return None


def skip(b, name, why):
    """Records that workload `name` did not run, and why (the report says it)."""
    log(f"{name}: skipped: {why}")
    b.add(name, SKIP_KEY, dict(ok=True, why=why))


def skipped(bench, name):
    """The reason workload `name` was skipped, or None."""
    runs = bench.results.get(name, {}).get(SKIP_KEY)
    return runs[0]["why"] if runs else None


class Pid:
    """What Bench needs of a server's process: its pid (CPU of its tree)."""

    def __init__(self, pid):
        self.pid = pid


class Database:
    """A throwaway PostgreSQL (scripts/pg-one-node, through the harness) holding the
    users of every --db server of the run; one per run, started by the first workload
    that needs it (database(b)). proc is the postmaster (its tree: the backends)."""

    name = "postgresql"

    def __init__(self):
        self.server = harness("postgres").PostgresServer()
        self.proc = None

    def start(self):
        try:
            self.server.start()
        except Exception as e:  # the harness's start errors and timeouts
            raise BenchError(f"PostgreSQL did not start: {e}") from e
        with open(f"{self.server.home}/data/postmaster.pid") as f:
            self.proc = Pid(int(f.readline()))

    @property
    def url(self):
        return self.server.url

    def env(self, base=None):
        """The environment of sfs-server and sfs-admin: PGPASSFILE (the password never
        goes in the URL)."""
        return self.server.env(base)

    def add_user(self, bins, user):
        subprocess.run([str(bins["sfs-admin"]), "--db", self.url, "user", "add", user,
                        "--password-stdin"], input=PASSWORD + "\n", text=True, check=True,
                       capture_output=True, timeout=60, env=self.env())

    def check_alive(self):
        pass

    def stop(self):
        if self.server.directory is not None:
            self.server.close()
        self.proc = None


def database(b):
    """The run's PostgreSQL, started on first use; Bench stops it at the end."""
    db = getattr(b, "database", None)
    if db is None:
        db = Database()
        b.extra_servers.append(db)
        db.start()
        b.database = db
        log(f"PostgreSQL up: {db.url}")
    return db


def start_server(b, sub, **kwargs):
    """An sfs-server of a cluster workload, stopped by Bench at the end at the latest."""
    srv = SfsServer(b.t, b.bins, NODE_MAX_CONNECTIONS, plain_user=False, sub=sub, **kwargs)
    b.extra_servers.append(srv)
    srv.start()
    return srv


def show_server(b, workload, srv):
    """The server's command line in the report, with the workload's commands."""
    b.show(workload, f"sfs-server {srv.dir.name}", srv.command)


def start_nodes(b, db, count, storage, extra_args=()):
    """count nodes on NODE_ADDRESSES, users from db, one storage directory, the first
    node's certificate and key for all (a client pins one certificate)."""
    nodes = []
    for i, address in enumerate(NODE_ADDRESSES[:count]):
        identity = (nodes[0].cert, nodes[0].key) if nodes else None
        nodes.append(start_server(b, f"node{i + 1}", users=(), host=address, storage=storage,
                                  identity=identity, db=db, extra_args=extra_args))
    return nodes


class Balancer:
    """HAProxy (the harness's, TCP mode, round-robin, GET /health checks) on
    127.0.0.1 in front of `nodes`; client() is the sfs command line through it."""

    name = "haproxy"

    def __init__(self, b, nodes):
        hp = harness("haproxy")
        self.b, self.nodes = b, nodes
        self.haproxy = hp.HAProxy([hp.Node(f"n{i + 1}", n.host, n.port, n.https_port)
                                   for i, n in enumerate(nodes)])
        self.proc = None

    def start(self):
        self.b.extra_servers.append(self)
        try:
            self.haproxy.start()
        except Exception as e:  # the harness's start errors and timeouts
            raise BenchError(f"HAProxy did not start: {e}") from e
        self.proc = self.haproxy.process
        self.port = self.haproxy.sfs_port
        with open(self.haproxy.config_path) as f:
            self.config_text = f.read()
        names = {f"n{i + 1}": "UP" for i in range(len(self.nodes))}
        if not self.haproxy.wait_for_states(names):
            raise BenchError(f"the nodes did not come UP in HAProxy: {self.haproxy.states()}\n"
                             f"{self.haproxy.log_text()[-2000:]}")
        return self

    def client(self, *args, user="bench"):
        return [self.b.bins["sfs"], "--host", "127.0.0.1", "--port", self.port, "--user", user,
                "--ca-file", self.nodes[0].cert, *args]

    def check_alive(self):
        if self.proc is None or self.proc.poll() is not None:
            raise BenchError("haproxy died; see its log")

    def settle(self, timeout=10):
        return True

    def stop(self):
        if self.haproxy.directory is not None:
            self.haproxy.close()
        self.proc = None
