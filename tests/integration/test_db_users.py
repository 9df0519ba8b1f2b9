"""Users in PostgreSQL (issue 15, docs/cluster.md): `sfs-server --db URL` and
`sfs-admin --db URL` on a real throwaway PostgreSQL (scripts/pg-one-node).

Two servers on one database stand for two nodes: a user added, changed or
deleted with sfs-admin counts on both (the reload is waited for by its log
line, in bounded loops), a deleted user's sessions end on both, passwords
are hashed on import, rehashes land in the database, and a database that is
away or wrong gets one clear line and loses nothing.
"""

import os
import re
import threading
import unittest

import test_rehash
from sfs_harness import (FaultProxy, RawConnection, Server, ServerStartError, finish, login_attempt,
                         make_temp_dir, open_login_connection, read_file, remove_tree, run_admin,
                         wait_until, write_file)
from harness.client import Client
from harness.ceph import SANITIZED
from harness.postgres import WithPostgres, postgres_missing

RELOAD_WAIT = 30.0  # bound on waiting for a reload (a check every 500 ms)
ENDED_CHANGED = "ERR AUTH session ended: the password was changed; log in again"
ENDED_DELETED = "ERR AUTH session ended: the account was deleted"
DAVE_PW = "dave-Pw-0123456"
ARGON2 = re.compile(r"^\$argon2id\$v=19\$m=65536,t=2,p=1\$")
FAILED = "ERR AUTH login failed"
UNAVAILABLE = ("ERR AUTH login unavailable: the user database cannot be reached; try again "
               "later")


def log_in(server, user, password):
    with RawConnection(server.port) as conn:
        return conn.greet_and_login(user, password)


# The database code is fuzzed (fuzz_db_url, fuzz_verdict) and its unit tests
# run under the sanitizers; a PostgreSQL per suite is not run twice.
@unittest.skipIf(SANITIZED, "starts PostgreSQL: not run again under the sanitizers")
@unittest.skipIf(postgres_missing(), postgres_missing() or "")
class DatabaseUsersTest(WithPostgres, unittest.TestCase):
    def setUp(self):
        self.pg.reset_sfs_schema()
        self.dir = make_temp_dir("sfs-it-db-")
        self.addCleanup(remove_tree, self.dir)

    def admin(self, *args, input=None, status=0):
        result = run_admin(["--db", self.pg.url] + list(args), cwd=self.dir, input=input)
        self.assertEqual(result.returncode, status, result.stderr)
        return result

    def add(self, user, password):
        self.admin("user", "add", user, "--password-stdin", input=password.encode() + b"\n")

    def node(self, extra=()):
        server = Server(users={}, extra_args=["--db", self.pg.url] + list(extra))
        server.start()
        self.addCleanup(server.close)
        return server

    def wait_for_reload(self, server, mark, pattern):
        regex = re.compile(r"user database reloaded.*$", re.M)

        def found():
            return any(re.search(pattern, line) for line in regex.findall(server.log_since(mark)))
        self.assertTrue(wait_until(found, timeout=RELOAD_WAIT),
                        "no reload matching %r; log:\n%s" % (pattern, server.log_since(mark)))

    def logged_in(self, server, user, password):
        conn = RawConnection(server.port)
        self.addCleanup(conn.close)
        self.assertEqual(conn.greet_and_login(user, password), "OK")
        return conn

    def test_a_user_added_on_one_node_logs_in_on_every_node_and_stores_files(self):
        self.add("alice", "alice-Pw-0123456")
        nodes = [self.node(), self.node()]
        marks = [n.log_mark() for n in nodes]
        out = self.admin("user", "add", "dave", "--password-stdin",
                         input=DAVE_PW.encode() + b"\n").stdout.decode()
        self.assertIn("added user 'dave' in database sfs@127.0.0.1:", out)
        self.assertIn("every sfs-server on this database sees it within 500 ms", out)
        for node, mark in zip(nodes, marks):
            self.wait_for_reload(node, mark, r"\(1 added, 0 removed, 0 changed\).*added: dave$")
            self.assertEqual(log_in(node, "dave", DAVE_PW), "OK")
            self.assertEqual(log_in(node, "dave", "wrong-one"), "ERR AUTH login failed")
            self.assertNotIn(DAVE_PW, node.log_text())
        # A whole round trip through the client, as dave.
        data = os.urandom(300 << 10)
        write_file(os.path.join(self.dir, "up.bin"), data)
        with Client(nodes[0], user="dave", password=DAVE_PW) as client:
            put = client.run("put", os.path.join(self.dir, "up.bin"), "up.bin")
            self.assertEqual(put.returncode, 0, put.stderr)
            got = client.run("get", "up.bin", os.path.join(self.dir, "down.bin"))
            self.assertEqual(got.returncode, 0, got.stderr)
        with open(os.path.join(self.dir, "down.bin"), "rb") as f:
            self.assertEqual(f.read(), data)

    def test_a_password_change_and_a_deletion_end_the_sessions_on_every_node(self):
        self.add("dave", DAVE_PW)
        nodes = [self.node(), self.node()]
        sessions = [self.logged_in(n, "dave", DAVE_PW) for n in nodes]
        marks = [n.log_mark() for n in nodes]
        self.admin("user", "passwd", "dave", "--password-stdin", input=b"dave-New-pw-987\n")
        for node, mark, session in zip(nodes, marks, sessions):
            self.wait_for_reload(node, mark, r"ended 1 session; changed: dave$")
            self.assertEqual(session.read_line(), ENDED_CHANGED)
            self.assertEqual(log_in(node, "dave", DAVE_PW), "ERR AUTH login failed")
        sessions = [self.logged_in(n, "dave", "dave-New-pw-987") for n in nodes]
        marks = [n.log_mark() for n in nodes]
        out = self.admin("user", "del", "dave").stdout.decode()
        self.assertIn("deleted user 'dave' from database", out)
        for node, mark, session in zip(nodes, marks, sessions):
            self.wait_for_reload(node, mark, r"ended 1 session; removed: dave$")
            self.assertEqual(session.read_line(), ENDED_DELETED)
            self.assertEqual(log_in(node, "dave", "dave-New-pw-987"), "ERR AUTH login failed")
        self.assertEqual(self.admin("user", "list").stdout, b"")

    def test_import_hashes_plaintext_and_keeps_users_already_there(self):
        self.add("bob", "bob-Db-pw-0123")
        auth = os.path.join(self.dir, "id_passwd.txt")
        write_file(auth, b"# old file\nalice:alice-plain-pw\nbob:bob-file-pw\n", mode=0o600)
        out = self.admin("import", auth).stdout.decode()
        self.assertIn("imported 1 user(s) from %s into database" % auth, out)
        self.assertIn("1 already there kept their password: bob", out)
        rows = self.pg.psql("SELECT name, secret FROM sfs_users ORDER BY name").splitlines()
        self.assertEqual([r.split("|")[0] for r in rows], ["alice", "bob"])
        for row in rows:
            self.assertRegex(row.split("|", 1)[1], ARGON2)  # no plaintext in the database
        self.assertEqual(self.admin("user", "list").stdout.decode(),
                         "alice\targon2id\nbob\targon2id\n")
        node = self.node()
        self.assertEqual(log_in(node, "alice", "alice-plain-pw"), "OK")
        self.assertEqual(log_in(node, "bob", "bob-Db-pw-0123"), "OK")
        self.assertEqual(log_in(node, "bob", "bob-file-pw"), "ERR AUTH login failed")

    @unittest.skipIf(test_rehash.SODIUM is None, "no libsodium to make a weak hash with")
    def test_a_login_rehashes_an_outdated_hash_in_the_database(self):
        self.add("alice", "alice-Pw-0123456")
        weak = test_rehash.argon2id("alice-Pw-0123456", 1, 8 << 20)
        self.pg.psql("UPDATE sfs_users SET secret = '%s' WHERE name = 'alice'" % weak)
        node = self.node()
        self.assertEqual(log_in(node, "alice", "alice-Pw-0123456"), "OK")
        self.assertTrue(node.wait_for_log(
            r"info user=alice password rehashed with the current Argon2id costs$"))
        self.assertRegex(self.pg.psql("SELECT secret FROM sfs_users WHERE name = 'alice'"),
                         ARGON2)
        self.assertEqual(log_in(node, "alice", "alice-Pw-0123456"), "OK")

    def test_a_url_with_a_password_is_refused_with_one_line(self):
        url = self.pg.url.replace("sfs@", "sfs:hunter2@")
        result = run_admin(["--db", url, "user", "list"], cwd=self.dir)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
        self.assertIn(b"the URL holds a password", result.stderr)
        with self.assertRaises(ServerStartError) as refused:
            Server(users={}, extra_args=["--db", url]).start()
        self.assertIn("the URL holds a password", str(refused.exception))
        self.assertNotIn("hunter2", str(refused.exception))

    def test_a_wrong_database_stops_the_start_with_one_line(self):
        port = self.pg.url.rsplit(":", 1)[1].split("/")[0]
        unreachable = self.pg.url.replace(":" + port + "/", ":1/")
        with self.assertRaises(ServerStartError) as refused:
            Server(users={}, extra_args=["--db", unreachable]).start()
        self.assertIn("database sfs@127.0.0.1:1/sfs unavailable", str(refused.exception))
        result = run_admin(["--db", unreachable, "user", "list"], cwd=self.dir)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
        # A schema a newer sfs-server made is never downgraded.
        self.admin("user", "list")
        self.pg.psql("INSERT INTO sfs_schema VALUES (999)")
        result = run_admin(["--db", self.pg.url, "user", "list"], cwd=self.dir)
        self.assertEqual(result.returncode, 1)
        self.assertIn(b"has schema version 999, newer than this program's", result.stderr)
        with self.assertRaises(ServerStartError):
            Server(users={}, extra_args=["--db", self.pg.url]).start()

    def test_penalties_are_cluster_wide(self):
        """A guesser going round the nodes meets the penalties of one node: three
        free failures, then 0.5 s, 1 s (told by DELAY), whichever node it asks;
        and a success on one node clears the (address, name) score on all."""
        self.add("carol", "carol-Pw-0123456")
        nodes = [self.node(), self.node(), self.node()]
        delays = []
        for i in range(5):
            node = nodes[i % 3]
            with open_login_connection(node.port, "127.0.0.3") as conn:
                delay, reply = login_attempt(conn, "carol", "wrong-%d" % i)
            self.assertEqual(reply, FAILED)
            delays.append(delay)
        # The 4th pays exactly 0.5 s (the decay of three failures is free); the
        # 5th pays the 1 s of four failures less their decay since: more than the
        # 4th's only if the 4th, checked on another node, was counted here.
        self.assertEqual(delays[:4], [None, None, None, 500], delays)
        self.assertTrue(500 < delays[4] <= 1000, delays)
        # The right password, held by the penalty, logs in, and trusts the address
        # everywhere: its next failure on another node is judged as trusted.
        with open_login_connection(nodes[2].port, "127.0.0.3") as conn:
            delay, reply = login_attempt(conn, "carol", "carol-Pw-0123456")
        self.assertEqual(reply, "OK")
        self.assertTrue(1000 < delay <= 2000, delay)  # five failures, from all nodes
        with open_login_connection(nodes[0].port, "127.0.0.3") as conn:
            self.assertEqual(login_attempt(conn, "carol", "wrong-again"), (None, FAILED))
        self.assertTrue(nodes[0].wait_for_log(
            r"user=carol peer=127\.0\.0\.3:\d+ login failed check=argon2id source=trusted$"))

    def test_a_burst_over_the_nodes_is_judged_as_on_one_node(self):
        """Three wrong guesses sent at the same instant, one to each node, past
        the free failures: one node would check them one after another (0.5 s,
        then about 1 s, then about 2 s), and so does the cluster, whichever node
        gets which; nodes judging alone would hold each for 0.5 s only."""
        self.add("carol", "carol-Pw-0123456")
        nodes = [self.node(), self.node(), self.node()]
        for i in range(3):
            with open_login_connection(nodes[i].port, "127.0.0.4") as conn:
                self.assertEqual(login_attempt(conn, "carol", "wrong-%d" % i), (None, FAILED))
        conns = [open_login_connection(node.port, "127.0.0.4") for node in nodes]
        for conn in conns:
            self.addCleanup(conn.close)
        results = [None] * 3
        barrier = threading.Barrier(3)

        def guess(i):
            barrier.wait(timeout=30)
            results[i] = login_attempt(conns[i], "carol", "burst-%d" % i)

        threads = [threading.Thread(target=guess, args=(i,)) for i in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        self.assertEqual([reply for _, reply in results], [FAILED] * 3, results)
        delays = sorted(delay for delay, _ in results)
        self.assertEqual(delays[0], 500, results)
        self.assertTrue(500 < delays[1] <= 1000, results)
        self.assertTrue(1000 < delays[2] <= 2000, results)

    def test_the_database_away_refuses_logins_and_keeps_the_sessions(self):
        """PostgreSQL stopped: logins fail with a clear message (a node alone
        cannot count them for the cluster), sessions and their transfers go on,
        and everything recovers when it is back."""
        self.add("dave", DAVE_PW)
        node = self.node()
        session = self.logged_in(node, "dave", DAVE_PW)
        # An upload in flight (slowed by a proxy) while the database goes away.
        data = os.urandom(2 << 20)
        local = write_file(os.path.join(self.dir, "slow.bin"), data)
        proxy = FaultProxy(node.port)
        self.addCleanup(proxy.close)
        proxy.configure(rate_up=128 << 10)  # 16 s at least, until set_rate() below
        client = Client(node, user="dave", password=DAVE_PW)
        self.addCleanup(client.close)
        upload = client.start("put", local, "slow.bin", port=proxy.port)
        conn = proxy.wait_for_connection(1)
        self.assertIsNotNone(conn, "the upload did not connect")
        self.assertTrue(wait_until(lambda: conn.up > 128 << 10, timeout=30),
                        "the upload did not start")
        mark = node.log_mark()
        self.pg.stop()
        try:
            self.assertTrue(node.wait_for_log(
                r"error user database reload failed: database sfs@\S+ unavailable: .*; keeping "
                r"the 1 users loaded before$", timeout=RELOAD_WAIT))
            result = run_admin(["--db", self.pg.url, "user", "list"], cwd=self.dir)
            self.assertEqual(result.returncode, 1)
            self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
            self.assertIn(b"unavailable", result.stderr)
            self.assertEqual(log_in(node, "dave", DAVE_PW), UNAVAILABLE)
            self.assertEqual(log_in(node, "dave", "wrong-one"), UNAVAILABLE)
            # The session logged in before goes on, and so does the upload.
            self.assertRegex(session.command("LIST"), r"^OK \d+$")
            self.assertIsNone(upload.poll(), "the upload ended before the database was back")
            proxy.set_rate()
            result = finish(upload, timeout=120)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(read_file(node.stored("dave", "slow.bin")), data)
        finally:
            self.pg.restart()
        self.add("erin", "erin-Pw-0123456")
        self.wait_for_reload(node, mark, r"added: erin$")
        self.assertTrue(wait_until(lambda: log_in(node, "erin", "erin-Pw-0123456") == "OK",
                                   timeout=RELOAD_WAIT))
        self.assertEqual(log_in(node, "dave", DAVE_PW), "OK")
        self.assertEqual(node.log_since(mark).count("reload failed"), 1,
                         "the failure is logged once, not at every check")
        self.assertTrue(node.running())


if __name__ == "__main__":
    unittest.main()
