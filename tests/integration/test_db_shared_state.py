"""WebDAV locks, tus uploads and browser sessions in PostgreSQL (issue 15,
docs/cluster.md): with --db every node serves what another took.

One throwaway PostgreSQL (scripts/pg-one-node) and two or three servers
with --https-port on one storage directory stand for the nodes behind
HAProxy (each client here talks to one node directly, as a balancer may
send consecutive requests anywhere). A LOCK taken on one node refuses a
write without its token on another (423) and lets one with it through; an
UNLOCK on another frees it; a tus upload begun on one node goes on through
another to a byte-identical file; a browser login on one node gives a
cookie valid on another, a logout anywhere ends it everywhere, and a
password change (sfs-admin) ends the user's sessions on every node. With
the database away, the three answer 503, never hang, and serve again once
it is back.
"""

import os
import unittest

from sfs_harness import Server, free_port, make_temp_dir, read_file, remove_tree, run_admin, wait_until
from harness.ceph import SANITIZED
from harness.postgres import WithPostgres, postgres_missing
from harness.webapp import AppClient
from test_tus import Tus, metadata
from test_webdav_locks import Dav

USER = "erin"
PASSWORD = "erin-Pw-0123456"
NEW_PASSWORD = "erin-New-pw-987"
RELOAD_WAIT = 30.0  # bound on waiting for a node to see a password change (checks every 500 ms)


@unittest.skipIf(SANITIZED, "starts PostgreSQL: not run again under the sanitizers")
@unittest.skipIf(postgres_missing(), postgres_missing() or "")
class SharedStateTest(WithPostgres, unittest.TestCase):
    def setUp(self):
        self.pg.reset_sfs_schema()
        self.dir = make_temp_dir("sfs-it-dbs-")
        self.addCleanup(remove_tree, self.dir)
        self.storage = os.path.join(self.dir, "shared-storage")
        os.mkdir(self.storage)
        self.admin("user", "add", USER, "--password-stdin", input=PASSWORD.encode() + b"\n")

    def admin(self, *args, input=None):
        result = run_admin(["--db", self.pg.url] + list(args), cwd=self.dir, input=input)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result

    def node(self):
        port = free_port()
        server = Server(users={}, storage=self.storage,
                        extra_args=["--db", self.pg.url, "--https-port", str(port)])
        server.https_port = port
        server.start()
        self.addCleanup(server.close)
        server.users = {USER: PASSWORD}  # what the clients log in with (the users are in the db)
        return server

    def dav(self, server):
        d = Dav(server, USER)
        self.addCleanup(d.close)
        return d

    def tus(self, server):
        t = Tus(server, USER)
        self.addCleanup(t.close)
        return t

    def rows(self, table):
        return int(self.pg.psql("SELECT count(*) FROM %s" % table))

    def test_a_lock_taken_on_one_node_holds_on_the_others(self):
        a, b, c = self.node(), self.node(), self.node()
        self.assertEqual(self.dav(a).request("PUT", "doc.txt", b"first")[0], 201)
        status, token, _ = self.dav(a).lock("doc.txt")
        self.assertEqual(status, 200)
        self.assertRegex(token, r"^urn:uuid:")
        self.assertEqual(self.rows("sfs_locks"), 1)
        # Another node refuses a write without the token, lets one with it through.
        status, _, body = self.dav(b).request("PUT", "doc.txt", b"second")
        self.assertEqual(status, 423, body)
        self.assertIn(b"lock-token-submitted", body)
        status, _, _ = self.dav(b).request("PUT", "doc.txt", b"third",
                                           {"If": "(<%s>)" % token})
        self.assertIn(status, (200, 204))
        # The third node shows the lock in PROPFIND, and a second LOCK conflicts there.
        status, _, body = self.dav(c).request("PROPFIND", "doc.txt", headers={"Depth": "0"})
        self.assertEqual(status, 207)
        self.assertIn(token.encode(), body)
        self.assertEqual(self.dav(c).lock("doc.txt")[0], 423)
        # UNLOCK on b frees it on a.
        status, _, _ = self.dav(b).request("UNLOCK", "doc.txt",
                                           headers={"Lock-Token": "<%s>" % token})
        self.assertEqual(status, 204)
        self.assertIn(self.dav(a).request("PUT", "doc.txt", b"fourth")[0], (200, 204))
        self.assertEqual(read_file(a.stored(USER, "doc.txt")), b"fourth")
        self.assertEqual(self.rows("sfs_locks"), 0)

    def test_a_tus_upload_begun_on_one_node_goes_on_through_another(self):
        a, b = self.node(), self.node()
        data = os.urandom(3 * 1024 * 1024 + 5)
        ta, tb = self.tus(a), self.tus(b)
        r = ta.create(len(data), metadata("moved.bin"))
        self.assertEqual(r.status, 201, r.data)
        url = r.getheader("Location")
        half = len(data) // 2
        self.assertEqual(ta.patch(url, 0, data[:half]).status, 204)
        r = tb.head(url)
        self.assertEqual((r.status, r.getheader("Upload-Offset")), (200, str(half)))
        self.assertEqual(r.getheader("Upload-Metadata"), metadata("moved.bin"))
        # A PATCH at a stale offset is refused on b as on a (409).
        self.assertEqual(tb.patch(url, 0, data[:10]).status, 409)
        # The refused PATCH let go of its claim before its 409, so the next
        # one, sent right behind it, finds the upload free.
        r = tb.patch(url, half, data[half:])
        self.assertEqual(r.status, 204, r.data)
        self.assertEqual(r.getheader("Upload-Offset"), str(len(data)))
        self.assertEqual(read_file(a.stored(USER, "moved.bin")), data)
        r = ta.head(url)
        self.assertEqual((r.status, r.getheader("Upload-Offset")), (200, str(len(data))))
        # Terminated on a: gone on b.
        self.assertEqual(ta.delete(url).status, 204)
        self.assertEqual(tb.head(url).status, 404)

    def test_a_claim_held_through_one_node_makes_another_answer_busy(self):
        a, b = self.node(), self.node()
        r = self.tus(a).create(10, metadata("busy.bin"))
        self.assertEqual(r.status, 201, r.data)
        upload = r.getheader("Location").rsplit("/", 1)[1]
        # A request holding it (as a PATCH in flight on a does): b answers 423.
        self.pg.psql("UPDATE sfs_uploads SET busy_until = now() + interval '1 hour', "
                     "claim = 'elsewhere' WHERE id = '%s'" % upload)
        self.assertEqual(self.tus(b).patch("/tus/" + upload, 0, b"0123456789").status, 423)
        # Its node died: the lease runs out, and the upload is free again.
        self.pg.psql("UPDATE sfs_uploads SET busy_until = now() - interval '1 second' "
                     "WHERE id = '%s'" % upload)
        self.assertEqual(self.tus(b).patch("/tus/" + upload, 0, b"0123456789").status, 204)
        self.assertEqual(read_file(a.stored(USER, "busy.bin")), b"0123456789")

    def test_a_browser_session_is_valid_on_every_node_and_ends_everywhere(self):
        a, b = self.node(), self.node()
        browser = AppClient(a)
        self.assertEqual(browser.login(USER).status, 200)
        self.assertEqual(self.pg.psql("SELECT count(*) FROM sfs_web_sessions WHERE key = '%s'"
                                      % browser.cookie), "0")  # only its digest is kept
        on_b = AppClient(b)
        on_b.cookie, on_b.csrf = browser.cookie, browser.csrf
        self.assertEqual(on_b.api("GET", "list", {"path": ""}).status, 200)
        # Logout on a ends it on b.
        self.assertEqual(browser.api("POST", "logout").status, 204)
        self.assertEqual(on_b.api("GET", "list", {"path": ""}).status, 401)
        self.assertEqual(self.rows("sfs_web_sessions"), 0)

    def test_a_password_change_ends_the_sessions_on_every_node(self):
        a, b = self.node(), self.node()
        first, second = AppClient(a), AppClient(b)
        self.assertEqual(first.login(USER).status, 200)
        self.assertEqual(second.login(USER).status, 200)
        for browser, server in ((first, b), (second, a)):  # each valid on the other node
            crossed = AppClient(server)
            crossed.cookie, crossed.csrf = browser.cookie, browser.csrf
            self.assertEqual(crossed.api("GET", "list", {"path": ""}).status, 200)
        self.admin("user", "passwd", USER, "--password-stdin",
                   input=NEW_PASSWORD.encode() + b"\n")
        for browser in (first, second):
            self.assertEqual(browser.api("GET", "list", {"path": ""}).status, 401)
        # A login with the new password works on both (once each has reloaded).
        for server in (a, b):
            fresh = AppClient(server)
            self.assertTrue(wait_until(lambda: fresh.login(USER, NEW_PASSWORD).status == 200,
                                       timeout=RELOAD_WAIT))
            self.assertEqual(fresh.api("GET", "list", {"path": ""}).status, 200)

    def test_with_the_database_away_the_doors_answer_503_and_recover(self):
        a = self.node()
        browser = AppClient(a)
        self.assertEqual(browser.login(USER).status, 200)
        # Logged in before the database goes (a login needs it): the
        # connections keep their login, so what answers is the tables.
        d, t = self.dav(a), self.tus(a)
        self.assertEqual(d.request("PROPFIND", "", headers={"Depth": "0"})[0], 207)
        r = t.create(4, metadata("later.bin"))
        self.assertEqual(r.status, 201, r.data)
        url = r.getheader("Location")
        self.pg.stop()
        try:
            status, _, body = d.lock("away.txt")
            self.assertEqual(status, 503, body)
            self.assertIn(b"unavailable", body)
            self.assertEqual(d.request("PROPFIND", "", headers={"Depth": "0"})[0], 503)
            self.assertEqual(d.request("PUT", "away.txt", b"x")[0], 503)
            self.assertEqual(t.head(url).status, 503)
            self.assertEqual(t.patch(url, 0, b"0123").status, 503)
            self.assertEqual(browser.api("GET", "list", {"path": ""}).status, 503)
        finally:
            self.pg.restart()
        self.assertTrue(wait_until(lambda: self.tus(a).head(url).status == 200, timeout=60))
        self.assertEqual(self.tus(a).patch(url, 0, b"0123").status, 204)
        self.assertEqual(read_file(a.stored(USER, "later.bin")), b"0123")
        self.assertEqual(browser.api("GET", "list", {"path": ""}).status, 200)
        self.assertEqual(self.dav(a).lock("away.txt")[0], 201)

if __name__ == "__main__":
    unittest.main()
