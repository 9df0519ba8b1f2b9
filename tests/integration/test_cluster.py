"""Three sfs-server nodes behind HAProxy (issue 15, docs/cluster.md): the nodes
on 127.0.0.2-4 keep their files in one bucket of a one-node Ceph (the S3
backend), their users in one PostgreSQL (--db, scripts/pg-one-node) and
share one certificate, so the client's pinned certificate matches whichever
node serves; HAProxy on 127.0.0.1 balances both doors round-robin in TCP
mode, TLS passed through, and checks every node with GET /health.

Every client operation works whichever node serves it; a user added with
sfs-admin --db logs in on every node; an upload cut on one node resumes on
another, and two resumes of it at the same moment through two nodes
continue it once (the claims on partials are the database's: the other
starts over, as a second resume does on one node); WebDAV goes through too; a node told to stop (SIGTERM) leaves the
pool at once through its health check while its transfer in flight
finishes, and rejoins when started again; a node killed (SIGKILL) in the
middle of 10 uploads and 10 downloads loses none of them: the clients
reconnect through HAProxy to the other nodes and resume.

Which node served a connection is read from the nodes' logs (each logs its
logins); every wait is bounded and no assertion compares a clock.
"""

import os
import re
import signal
import unittest

from harness.auth_files import hashed_auth_text
from harness.ceph import SANITIZED, ceph_missing
from harness.client import finish_all, kill_all
from harness.haproxy import HAProxy, Node, haproxy_missing
from harness.postgres import PostgresServer, postgres_missing
from harness.s3_objects import TestBucket
from sfs_harness import (DEFAULT_USERS, UP, Client, FaultProxy, RawConnection, Server, curl,
                         digest_hex, finish, free_port, make_temp_dir, parse_listing, read_file,
                         remove_tree, run_admin, stderr_lines, wait_until, write_file)

MISSING = ceph_missing() or haproxy_missing() or postgres_missing()
BUCKET = "sfs-cluster-it"
ADDRESSES = ("127.0.0.2", "127.0.0.3", "127.0.0.4")
# On SIGTERM a node goes on serving this long while its health check says
# 503 (--drain-grace): far longer than HAProxy needs to take it out (two
# checks 0.3 s apart), so the 503 is what takes it out, however busy the
# machine.
GRACE = 8
SFS_LOGIN = r"user=alice peer=\S+ login ok"
HTTPS_LOGIN = r"user=alice peer=\S+ https login ok"


class Front:
    """What the clients see: HAProxy's ports on 127.0.0.1, the nodes' shared
    certificate and users (what harness Client and curl need of a server)."""

    def __init__(self, haproxy, cert_path, users):
        self.port = haproxy.sfs_port
        self.https_port = haproxy.https_port
        self.cert_path = cert_path
        self.users = users


@unittest.skipIf(SANITIZED, "the Ceph cluster is not under test; it costs minutes there")
@unittest.skipIf(MISSING, MISSING or "")
class ClusterTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.bucket = None
        cls.pg = None
        cls.nodes = []
        cls.haproxy = None
        cls.saved_passfile = os.environ.get("PGPASSFILE")
        cls.shared = make_temp_dir("sfs-it-cluster-")
        try:
            cls.bucket = TestBucket(BUCKET).start()
            cls.pg = PostgresServer()
            cls.pg.start()
            os.environ["PGPASSFILE"] = cls.pg.passfile  # for the nodes and sfs-admin
            auth_file = os.path.join(cls.shared, "id_passwd.txt")
            write_file(auth_file, hashed_auth_text(DEFAULT_USERS))
            imported = run_admin(["--db", cls.pg.url, "import", auth_file])
            if imported.returncode != 0:
                raise AssertionError("sfs-admin import failed: %r" % imported.stderr)
            for address in ADDRESSES:
                cls.nodes.append(cls.start_node(address))
            cls.haproxy = HAProxy([Node("n%d" % (i + 1), n.host, n.port, n.https_port)
                                   for i, n in enumerate(cls.nodes)])
            cls.haproxy.start()
            if not cls.haproxy.wait_for_states({cls.name(n): "UP" for n in cls.nodes}):
                raise AssertionError("the nodes did not come UP in HAProxy: %s\n%s"
                                     % (cls.haproxy.states(), cls.haproxy.log_text()))
            cls.front = Front(cls.haproxy, cls.nodes[0].cert_path, DEFAULT_USERS)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def start_node(cls, address):
        """A node on `address`: fixed ports (HAProxy's config names them; a
        restart keeps them), the shared bucket prefix, database and, past the
        first node, the first node's certificate and key."""
        https_port = free_port(address)
        kwargs = cls.bucket.server_kwargs(
            "cluster", extra_args=["--https-port", str(https_port), "--db", cls.pg.url,
                                   "--drain-grace", str(GRACE)])
        if cls.nodes:
            kwargs.update(cert=cls.nodes[0].cert_path, key=cls.nodes[0].key_path)
        node = Server(host=address, port=free_port(address), **kwargs)
        node.https_port = https_port
        node.start()
        return node

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.haproxy is not None:
                cls.haproxy.close()
            for node in cls.nodes:
                node.close()
        finally:
            try:
                if cls.bucket is not None:
                    cls.bucket.close()
                if cls.pg is not None:
                    cls.pg.close()
            finally:
                if cls.saved_passfile is None:
                    os.environ.pop("PGPASSFILE", None)
                else:
                    os.environ["PGPASSFILE"] = cls.saved_passfile
                remove_tree(cls.shared)

    @classmethod
    def name(cls, node):
        return "n%d" % (cls.nodes.index(node) + 1)

    def setUp(self):
        self.client = Client(self.front, "alice")
        self.addCleanup(self.client.close)

    # helpers
    def marks(self):
        return [n.log_mark() for n in self.nodes]

    def logins_since(self, marks, pattern=SFS_LOGIN):
        """How many logins each node logged since marks."""
        return [len(re.findall(pattern, n.log_since(m))) for n, m in zip(self.nodes, marks)]

    def run_ok(self, *args, **kwargs):
        result = self.client.run(*args, **kwargs)
        self.assertEqual(result.returncode, 0, "sfs %s failed: %s" % (
            " ".join(str(a) for a in args), result.stderr.decode(errors="replace")))
        return result

    def node_of_op(self, marks, op, name, ok=True):
        """The node that logged `op` on `name` since marks (bounded wait), and its
        log line's match (from=N when it resumed)."""
        regex = re.compile(r"user=alice peer=\S+ op=%s path=%s( from=(\d+))? bytes=(\d+) "
                           r"result=%s" % (op, re.escape(name), "ok" if ok else "(?!ok)"))

        def found():
            for node, mark in zip(self.nodes, marks):
                match = regex.search(node.log_since(mark))
                if match:
                    return node, match
            return None
        hit = wait_until(found, timeout=20)
        self.assertIsNotNone(hit, "no node logged %s %s (ok=%s)" % (op, name, ok))
        return hit

    # tests
    def test_every_operation_works_whichever_node_serves(self):
        marks = self.marks()
        data = os.urandom(300 << 10)
        local = write_file(self.client.path("a.bin"), data)
        self.run_ok("put", local, "a.bin")
        self.assertEqual(parse_listing(self.run_ok("ls").stdout).get("a.bin"), len(data))
        self.run_ok("get", "a.bin", self.client.path("back.bin"))
        self.assertEqual(read_file(self.client.path("back.bin")), data)
        self.run_ok("mkdir", "docs")
        self.run_ok("mv", "a.bin", "docs/a.bin")
        self.assertEqual(self.run_ok("hash", "docs/a.bin").stdout.decode(),
                         "%s  docs/a.bin\n" % digest_hex(data))
        self.assertIn("0 damaged", self.run_ok("verify").stdout.decode())
        self.run_ok("get", "docs/a.bin", self.client.path("again.bin"))
        self.assertEqual(read_file(self.client.path("again.bin")), data)
        self.run_ok("rm", "docs/a.bin")
        self.assertNotIn("a.bin", parse_listing(self.run_ok("ls", "docs").stdout))
        self.run_ok("rm", "-r", "docs")
        # Eleven connections round-robin over three nodes: each served some.
        served = self.logins_since(marks)
        self.assertTrue(all(count > 0 for count in served), served)

    def test_recursive_put_and_get(self):
        top = self.client.path("tree")
        files = {}
        for i in range(24):
            rel = os.path.join("d%d" % (i % 3), "f%02d" % i)
            files[rel] = os.urandom(1000 + i)
            os.makedirs(os.path.join(top, os.path.dirname(rel)), exist_ok=True)
            write_file(os.path.join(top, rel), files[rel])
        self.run_ok("put", "-r", top, "tree")
        out = self.client.path("back")
        self.run_ok("get", "-r", "tree", out)  # on the next node
        for rel, data in files.items():
            self.assertEqual(read_file(os.path.join(out, rel)), data, rel)
        self.run_ok("rm", "-r", "tree")

    def test_an_upload_cut_on_one_node_resumes_on_another(self):
        name = "resumed.bin"
        data = os.urandom(4 << 20)
        local = write_file(self.client.path(name), data)
        proxy = FaultProxy(self.front.port)  # in front of HAProxy: cuts the client off
        self.addCleanup(proxy.close)
        proxy.configure(cut_up=2 << 20)  # about half the file, within the first S3 part
        marks = self.marks()
        cut = self.client.run("put", local, name, port=proxy.port)
        self.assertNotEqual(cut.returncode, 0, cut.stderr)
        self.assertEqual(proxy.last().cut, UP, "the proxy did not cut the upload")
        first, _ = self.node_of_op(marks, "PUT", name, ok=False)  # its partial is saved

        marks = self.marks()
        result = self.run_ok("put", local, name)  # round-robin: the next node
        second, match = self.node_of_op(marks, "PUT", name)
        self.assertIsNot(first, second, "both attempts on one node")
        self.assertIn(b"resuming at", result.stderr)
        self.assertIsNotNone(match.group(2), "the second node started over")
        self.assertGreater(int(match.group(2)), 0)
        self.assertEqual(len(data) - int(match.group(2)), int(match.group(3)))
        self.run_ok("get", name, self.client.path("back.bin"))
        self.assertEqual(read_file(self.client.path("back.bin")), data)
        self.run_ok("rm", name)

    def test_two_resumes_of_one_partial_through_two_nodes_at_once(self):
        name = "contested.bin"
        data = os.urandom(4 << 20)
        local = write_file(self.client.path(name), data)
        proxy = FaultProxy(self.front.port)
        self.addCleanup(proxy.close)
        proxy.configure(cut_up=2 << 20)  # about half the file: a partial is kept
        marks = self.marks()
        cut = self.client.run("put", local, name, port=proxy.port)
        self.assertNotEqual(cut.returncode, 0, cut.stderr)
        self.node_of_op(marks, "PUT", name, ok=False)
        # The same upload again, at once, through the first two nodes directly
        # (127.0.0.2 and .3), each slowed so that the two overlap: the resume
        # sends 2 MiB and the fresh start 4 MiB at 1 MiB/s.
        starts = []
        for node in self.nodes[:2]:
            direct = FaultProxy(node.port, node.host)
            self.addCleanup(direct.close)
            direct.configure(rate_up=1 << 20)
            client = Client(self.front, "alice")
            self.addCleanup(client.close)
            starts.append((client, direct))
        marks = self.marks()
        processes = [c.start("put", local, name, port=d.port) for c, d in starts]
        results = finish_all(processes, timeout=120)
        # As on one node: both succeed, one continues the partial (its claim,
        # in the database, is seen by the other node), the other starts over.
        for result in results:
            self.assertEqual(result.returncode, 0, result.stderr)
        resumed = [r for r in results if any("resuming at" in l for l in stderr_lines(r))]
        self.assertEqual(len(resumed), 1, [stderr_lines(r) for r in results])
        regex = re.compile(r"op=PUT path=%s( from=(\d+))? bytes=\d+ result=ok" % re.escape(name))

        def both_logged():
            found = [regex.search(n.log_since(k)) for n, k in zip(self.nodes[:2], marks[:2])]
            return found if all(found) else None
        logged = wait_until(both_logged, timeout=20)
        self.assertIsNotNone(logged, "the two nodes did not both log the PUT")
        self.assertEqual(sorted(m.group(2) is None for m in logged), [False, True],
                         [m.group(0) for m in logged])
        self.run_ok("get", name, self.client.path("back.bin"))
        self.assertEqual(read_file(self.client.path("back.bin")), data)
        self.assertFalse([n for n in parse_listing(self.run_ok("ls").stdout) if "part" in n])
        self.run_ok("rm", name)

    def test_webdav_and_health_through_haproxy(self):
        marks = self.marks()
        body = os.urandom(5000)
        put = curl(self.front, "PUT", "dav-file.bin", data=body)
        self.assertIn(put.status, (201, 204), put.body)
        got = self.client.path("dav-back.bin")
        for _ in range(3):  # three connections: three nodes
            reply = curl(self.front, "GET", "dav-file.bin", output=got)
            self.assertEqual(reply.status, 200)
            self.assertEqual(read_file(got), body)
        served = self.logins_since(marks, HTTPS_LOGIN)
        self.assertTrue(all(count > 0 for count in served), served)
        # The same file through the sfs door.
        self.run_ok("get", "dav-file.bin", self.client.path("sfs-back.bin"))
        self.assertEqual(read_file(self.client.path("sfs-back.bin")), body)
        # The health check answers without a login, through HAProxy too.
        health = curl(self.front, "GET", "", user=None,
                      url="https://127.0.0.1:%d/health" % self.front.https_port,
                      output=self.client.path("health.txt"))
        self.assertEqual(health.status, 200)
        self.assertEqual(read_file(self.client.path("health.txt")), b"ok\n")
        self.run_ok("rm", "dav-file.bin")

    def test_a_stopped_node_leaves_the_pool_finishes_its_transfer_and_rejoins(self):
        name = "in-flight.bin"
        data = os.urandom(3 << 20)
        local = write_file(self.client.path(name), data)
        # A slow upload (through a rate-limited proxy in front of HAProxy).
        proxy = FaultProxy(self.front.port)
        self.addCleanup(proxy.close)
        proxy.configure(rate_up=256 << 10)
        marks = self.marks()
        upload = self.client.start("put", local, name, port=proxy.port)
        conn = proxy.wait_for_connection(1)
        self.assertIsNotNone(conn, "the upload did not connect")
        self.assertTrue(wait_until(lambda: conn.up > 256 << 10, timeout=30),
                        "the upload did not start")
        hit = wait_until(lambda: [n for n, c in zip(self.nodes, self.logins_since(marks)) if c],
                         timeout=20)
        self.assertEqual(len(hit), 1, hit)
        victim = hit[0]
        others = [n for n in self.nodes if n is not victim]

        victim.process.send_signal(signal.SIGTERM)
        # Its health check says so at once (it still serves, for the grace)...
        # (Its certificate names 127.0.0.1, HAProxy's address, not the node's.)
        health = curl(victim, "GET", "", user=None, output=self.client.path("health.txt"),
                      url="https://%s:%d/health" % (victim.host, victim.https_port),
                      extra=["--insecure"])
        self.assertEqual(health.status, 503)
        self.assertEqual(read_file(self.client.path("health.txt")), b"draining\n")
        # ...so HAProxy takes it out, on that 503...
        self.assertTrue(self.haproxy.wait_for_states({self.name(victim): "DOWN"}),
                        self.haproxy.states())
        self.assertRegex(self.haproxy.log_text(),
                         r"Server sfs_nodes/%s is DOWN, reason: Layer7 wrong status, code: 503"
                         % self.name(victim))
        # ...and new connections all go to the others.
        marks = self.marks()
        for _ in range(4):
            self.run_ok("ls")
        served = dict(zip(self.nodes, self.logins_since(marks)))
        self.assertEqual(served[victim], 0, "a new connection went to the leaving node")
        self.assertEqual(sum(served[n] for n in others), 4)
        # The upload in flight finishes on it; then it exits, not cut.
        result = finish(upload, timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(victim.wait(120), 0, victim.log_text()[-2000:])
        self.assertNotIn("drain timeout", victim.log_text())
        log = victim.log_text()
        signalled = re.search(r"signal \d+ received", log)
        self.assertIsNotNone(signalled, log[-2000:])
        self.assertRegex(log[signalled.end():], r"op=PUT path=%s .*result=ok" % re.escape(name))
        self.run_ok("get", name, self.client.path("back.bin"))
        self.assertEqual(read_file(self.client.path("back.bin")), data)

        # Started again, it rejoins and serves again.
        victim.stop()
        victim.start()
        self.assertTrue(self.haproxy.wait_for_states({self.name(victim): "UP"}),
                        self.haproxy.states())
        marks = self.marks()
        for _ in range(2 * len(self.nodes)):  # round-robin: its turn comes within this
            self.run_ok("ls")
            if self.logins_since(marks)[self.nodes.index(victim)] > 0:
                break
        served = dict(zip(self.nodes, self.logins_since(marks)))
        self.assertGreater(served[victim], 0, "the restarted node serves no connection")
        self.run_ok("rm", name)

    def test_a_user_added_with_sfs_admin_logs_in_on_every_node(self):
        added = run_admin(["--db", self.pg.url, "user", "add", "frank", "--password-stdin"],
                          input=b"frank-Pw-0123456\n")
        self.assertEqual(added.returncode, 0, added.stderr)
        self.addCleanup(run_admin, ["--db", self.pg.url, "user", "del", "frank"])
        pattern = r"user=frank peer=\S+ login ok"
        marks = self.marks()

        def logged_in_everywhere():
            # Round-robin: one login per node per round (a node that has not
            # reloaded yet answers "login failed"; a second later all have).
            with RawConnection(self.front.port) as conn:
                conn.greet_and_login("frank", "frank-Pw-0123456")
            return all(count > 0 for count in self.logins_since(marks, pattern))
        self.assertTrue(wait_until(logged_in_everywhere, timeout=60),
                        self.logins_since(marks, pattern))

    def test_a_node_killed_mid_transfer_loses_no_transfer(self):
        count, size = 10, 2 << 20
        ups = [os.urandom(size) for _ in range(count)]
        downs = [os.urandom(size) for _ in range(count)]
        for i, data in enumerate(downs):
            self.run_ok("put", write_file(self.client.path("d%d.bin" % i), data), "d%d.bin" % i)
        # Slow (through a rate-limited proxy in front of HAProxy) until the kill.
        proxy = FaultProxy(self.front.port)
        self.addCleanup(proxy.close)
        proxy.configure(rate_up=256 << 10, rate_down=256 << 10)
        client = Client(self.front, "alice", retries=12)
        self.addCleanup(client.close)
        marks = self.marks()
        processes = []
        for i, data in enumerate(ups):
            local = write_file(client.path("u%d.bin" % i), data)
            processes.append(client.start("put", local, "u%d.bin" % i, port=proxy.port))
        for i in range(count):
            processes.append(client.start("get", "d%d.bin" % i, client.path("got%d.bin" % i),
                                          port=proxy.port))
        try:
            # All 20 logged in (round-robin: about 7 on each node), then one node dies.
            self.assertTrue(wait_until(lambda: sum(self.logins_since(marks)) >= 2 * count,
                                       timeout=120), self.logins_since(marks))
            victim = self.nodes[0]
            self.assertGreater(self.logins_since(marks)[0], 0)
            victim.stop(signal.SIGKILL)
            proxy.set_rate()  # full speed from now on
            results = [finish(p, timeout=300) for p in processes]
        finally:
            kill_all(processes)
        for result in results:
            self.assertEqual(result.returncode, 0, result.stderr)
        reconnected = [r for r in results
                       if any("reconnecting in" in line for line in stderr_lines(r))]
        self.assertTrue(reconnected, "no transfer was on the killed node")
        for i, data in enumerate(downs):
            self.assertEqual(read_file(client.path("got%d.bin" % i)), data)
        # Every upload is there whole, and nothing partial is listed.
        listing = parse_listing(self.run_ok("ls").stdout)
        for i, data in enumerate(ups):
            self.assertEqual(listing.get("u%d.bin" % i), size)
            self.run_ok("get", "u%d.bin" % i, self.client.path("back%d.bin" % i))
            self.assertEqual(digest_hex(read_file(self.client.path("back%d.bin" % i))),
                             digest_hex(data))
        self.assertFalse([n for n in listing if "part" in n], listing)
        # Started again, it rejoins.
        victim.start()
        self.assertTrue(self.haproxy.wait_for_states({self.name(victim): "UP"}),
                        self.haproxy.states())
        for i in range(count):
            self.run_ok("rm", "u%d.bin" % i)
            self.run_ok("rm", "d%d.bin" % i)


if __name__ == "__main__":
    unittest.main()
