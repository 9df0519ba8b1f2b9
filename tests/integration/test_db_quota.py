"""The quota ledger in PostgreSQL (issue 15, docs/cluster.md): one user's
uploads through several nodes at once hold one quota together.

Three servers on one throwaway PostgreSQL (scripts/pg-one-node) and one
storage directory (the POSIX backend: temporary names are random and
commits are renames, so two processes on one root do not collide) stand
for three nodes. Every upload reserves its size before the first byte; the
reservations of all nodes are checked together in the database, so with a
quota of X no set of uploads running at once on different nodes can store
more than X. Each node would let through up to X alone if it kept its own
books (the in-memory ledger of one server).
"""

import os
import signal
import threading
import unittest

from sfs_harness import (DIGEST_NAME, EXIT_TOO_LARGE, NO_OFFER, RawConnection, Server, digest_hex,
                         make_temp_dir, partial_files_in, remove_tree, run_admin, temp_files_in,
                         wait_until, write_file)
from harness.client import Client, parse_listing
from harness.ceph import SANITIZED
from harness.postgres import WithPostgres, postgres_missing

USER = "carol"
PASSWORD = "carol-Pw-0123456"
QUOTA = 1_000_000
SIZE = 300_000   # three fit (900000), a fourth does not
UPLOADS = 9      # three per node, all held at once
HOLD_WAIT = 30.0  # bound on waiting for a node's holds to go (heartbeat 2 s, expiry 20 s)


# Starts PostgreSQL: not run again under the sanitizers (its parsers are
# fuzzed; the rules allow it, and libpq's own allocations are not ours).
@unittest.skipIf(SANITIZED, "starts PostgreSQL: not run again under the sanitizers")
@unittest.skipIf(postgres_missing(), postgres_missing() or "")
class DatabaseQuotaTest(WithPostgres, unittest.TestCase):
    def setUp(self):
        self.pg.reset_sfs_schema()
        self.dir = make_temp_dir("sfs-it-dbq-")
        self.addCleanup(remove_tree, self.dir)
        self.storage = os.path.join(self.dir, "shared-storage")
        os.mkdir(self.storage)
        result = run_admin(["--db", self.pg.url, "user", "add", USER, "--password-stdin"],
                           cwd=self.dir, input=PASSWORD.encode() + b"\n")
        self.assertEqual(result.returncode, 0, result.stderr)

    def node(self, extra=()):
        server = Server(users={}, storage=self.storage,
                        extra_args=["--db", self.pg.url, "--quota-bytes", str(QUOTA)] +
                        list(extra))
        server.start()
        self.addCleanup(server.close)
        return server

    def raw(self, server):
        conn = RawConnection(server.port)
        self.addCleanup(conn.close)
        self.assertEqual(conn.greet_and_login(USER, PASSWORD), "OK")
        return conn

    def stored(self):
        """{name: size} of the user's files in the shared storage; no temp or partial."""
        directory = os.path.join(self.storage, "u", USER)
        if not os.path.isdir(directory):
            return {}
        self.assertEqual(temp_files_in(directory) + partial_files_in(directory), [])
        return {n: os.path.getsize(os.path.join(directory, n)) for n in os.listdir(directory)}

    def holds(self):
        """The bytes all nodes hold in the database."""
        return int(self.pg.psql("SELECT coalesce(sum(bytes), 0) FROM sfs_quota_holds"))

    def test_uploads_held_at_once_on_three_nodes_never_pass_the_quota(self):
        nodes = [self.node(), self.node(), self.node()]
        conns = [self.raw(nodes[i % 3]) for i in range(UPLOADS)]
        # Every PUT is answered (reserved or refused) before any data goes:
        # all the reservations that passed are held at once.
        offers = [conn.start_put("f%d.bin" % i, SIZE) for i, conn in enumerate(conns)]
        accepted = [i for i, offer in enumerate(offers) if offer == NO_OFFER]
        refused = [i for i, offer in enumerate(offers) if offer != NO_OFFER]
        self.assertEqual(len(accepted), QUOTA // SIZE, offers)
        for i in refused:
            self.assertRegex(offers[i], r"^ERR TOOLARGE quota exceeded: \d+ of 1000000 bytes used, "
                             r"this file needs 300000$")
        # More than one node let uploads through: the quota is one.
        self.assertGreater(len({i % 3 for i in accepted}), 1, accepted)
        for i in accepted:
            data = os.urandom(SIZE)
            for at in range(0, SIZE, 64 << 10):
                conns[i].send_frame(data[at:at + (64 << 10)])
            conns[i].send_header(0)
            conns[i].send_line(DIGEST_NAME + " " + digest_hex(data))
            self.assertEqual(conns[i].read_line(), "OK %d %s" % (SIZE, digest_hex(data)), i)
        stored = self.stored()
        self.assertEqual(sorted(stored), sorted("f%d.bin" % i for i in accepted))
        self.assertLessEqual(sum(stored.values()), QUOTA)
        # Each node gives its holds back just after its OK (queued behind the
        # booking); then the books agree on every node: the next upload is
        # refused everywhere.
        self.assertTrue(wait_until(lambda: self.holds() == 0, timeout=HOLD_WAIT))
        for node in nodes:
            self.assertRegex(self.raw(node).start_put("more.bin", SIZE),
                             r"^ERR TOOLARGE quota exceeded: 900000 of 1000000 bytes used")

    def test_parallel_clients_through_different_nodes_store_at_most_the_quota(self):
        nodes = [self.node(), self.node(), self.node()]
        results = [None] * UPLOADS
        clients = []
        for i in range(UPLOADS):
            client = Client(nodes[i % 3], user=USER, password=PASSWORD)
            self.addCleanup(client.close)
            clients.append(client)
            write_file(client.path("up%d.bin" % i), os.urandom(SIZE))

        def upload(i):
            results[i] = clients[i].run("put", clients[i].path("up%d.bin" % i), "p%d.bin" % i)
        threads = [threading.Thread(target=upload, args=(i,)) for i in range(UPLOADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
            self.assertFalse(t.is_alive(), "an upload did not end")
        ok = [i for i, r in enumerate(results) if r.returncode == 0]
        failed = [i for i, r in enumerate(results) if r.returncode != 0]
        for i in failed:
            self.assertEqual(results[i].returncode, EXIT_TOO_LARGE, results[i].stderr)
            self.assertRegex(results[i].stderr.decode(), r"quota exceeded")
        self.assertGreaterEqual(len(ok), 1)
        self.assertLessEqual(len(ok), QUOTA // SIZE)
        stored = self.stored()
        self.assertEqual(sorted(stored), sorted("p%d.bin" % i for i in ok))
        self.assertLessEqual(sum(stored.values()), QUOTA)
        # Every node lists the same files, each whole.
        for node in nodes:
            with Client(node, user=USER, password=PASSWORD) as client:
                listed = client.run("ls")
                self.assertEqual(listed.returncode, 0, listed.stderr)
                self.assertEqual(parse_listing(listed.stdout), stored)
        self.assertTrue(wait_until(lambda: self.holds() == 0, timeout=HOLD_WAIT))

    def test_the_holds_of_a_node_that_died_expire(self):
        nodes = [self.node(), self.node()]
        conn = self.raw(nodes[0])
        self.assertEqual(conn.start_put("big.bin", 800_000), NO_OFFER)
        self.assertRegex(self.raw(nodes[1]).start_put("other.bin", SIZE),
                         r"^ERR TOOLARGE quota exceeded: 800000 of 1000000 bytes used")
        nodes[0].stop(signal.SIGKILL)
        # Node 0 no longer beats: its hold goes once it counts as dead.
        self.assertTrue(wait_until(lambda: self.holds() == 0, timeout=HOLD_WAIT),
                        "the dead node's hold stayed")
        self.assertEqual(self.raw(nodes[1]).start_put("other.bin", SIZE), NO_OFFER)

if __name__ == "__main__":
    unittest.main()
