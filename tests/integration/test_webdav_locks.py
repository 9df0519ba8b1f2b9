"""WebDAV class 2 on the HTTPS face: a lock taken by one client is respected
by another (423), its token lets the owner write, UNLOCK, a lock on an
unmapped URL, locks on collections, expiry, the per-user cap
(docs/webdav.md, "Locks")."""

import base64
import http.client
import os
import ssl
import time
import unittest

from sfs_harness import HOST, WebDavCase, write_file

LOCK_BODY = (b'<?xml version="1.0" encoding="utf-8"?>'
             b'<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:%s/></D:lockscope>'
             b'<D:locktype><D:write/></D:locktype><D:owner>%s</D:owner></D:lockinfo>')
MAX_LOCKS_PER_USER = 1000  # files::kMaxLocksPerUser
EXPIRY_POLLS = 120         # bounded polling, not a time limit: each poll waits 0.5 s


class Dav:
    """One keep-alive HTTPS connection of one WebDAV client."""

    def __init__(self, server, user="alice"):
        ctx = ssl.create_default_context(cafile=server.cert_path)
        ctx.check_hostname = False
        self.conn = http.client.HTTPSConnection(HOST, server.https_port, context=ctx, timeout=60)
        token = base64.b64encode(("%s:%s" % (user, server.users[user])).encode()).decode()
        self.auth = "Basic " + token

    def request(self, method, path, body=None, headers=None):
        """(status, headers dict with lower-case names, body bytes)."""
        hdrs = {"Authorization": self.auth}
        hdrs.update(headers or {})
        if body is None and method in ("PUT",):
            body = b""
        self.conn.request(method, "/dav/" + path, body=body, headers=hdrs)
        r = self.conn.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data

    def lock(self, path, scope="exclusive", depth="0", timeout=None, owner=b"me"):
        headers = {"Depth": depth, "Content-Type": "application/xml"}
        if timeout:
            headers["Timeout"] = timeout
        status, hdrs, body = self.request("LOCK", path, LOCK_BODY % (scope.encode(), owner),
                                          headers)
        token = hdrs.get("lock-token", "").strip("<>")
        return status, token, body

    def close(self):
        self.conn.close()


class LockCase(WebDavCase):
    def dav(self, user="alice"):
        d = Dav(self.server, user)
        self.addCleanup(d.close)
        return d


class LocksTest(LockCase):
    def test_options_says_class_2(self):
        status, hdrs, _ = self.dav().request("OPTIONS", "")
        self.assertEqual(status, 200)
        self.assertEqual(hdrs["dav"], "1, 2")
        self.assertIn("LOCK", hdrs["allow"])
        self.assertIn("UNLOCK", hdrs["allow"])

    def test_a_lock_is_respected_by_another_client_and_its_token_lets_the_owner_write(self):
        owner, other = self.dav(), self.dav()
        self.assertEqual(owner.request("PUT", "l-file.txt", b"before")[0], 201)
        status, token, body = owner.lock("l-file.txt")
        self.assertEqual(status, 200, body)
        self.assertTrue(token.startswith("urn:uuid:"), token)
        self.assertIn(token.encode(), body)
        # Another client, without the token: every write is refused.
        status, _, body = other.request("PUT", "l-file.txt", b"intruder")
        self.assertEqual(status, 423)
        self.assertIn(b"lock-token-submitted", body)
        self.assertEqual(other.request("DELETE", "l-file.txt")[0], 423)
        self.assertEqual(other.request("MOVE", "l-file.txt", headers={
            "Destination": "/dav/l-moved.txt"})[0], 423)
        self.assertEqual(other.request("PUT", "l-other.txt", b"x")[0], 201)
        self.assertEqual(other.request("COPY", "l-other.txt", headers={
            "Destination": "/dav/l-file.txt"})[0], 423)
        self.assertEqual(other.lock("l-file.txt")[0], 423)
        self.assertEqual(other.request("GET", "l-file.txt")[2], b"before")
        # The owner writes with the token in If.
        status, _, _ = owner.request("PUT", "l-file.txt", b"owner", {"If": "(<%s>)" % token})
        self.assertEqual(status, 204)
        # A wrong token is a 409 for UNLOCK; the right one unlocks.
        wrong = "urn:uuid:00000000-0000-4000-8000-000000000000"
        self.assertEqual(other.request("UNLOCK", "l-file.txt",
                                       headers={"Lock-Token": "<%s>" % wrong})[0], 409)
        self.assertEqual(owner.request("UNLOCK", "l-file.txt",
                                       headers={"Lock-Token": "<%s>" % token})[0], 204)
        self.assertEqual(other.request("PUT", "l-file.txt", b"after")[0], 204)
        self.assertEqual(other.request("GET", "l-file.txt")[2], b"after")

    def test_if_header_conditions(self):
        d = self.dav()
        d.request("PUT", "l-if.txt", b"data")
        etag = d.request("HEAD", "l-if.txt")[1]["etag"]
        self.assertEqual(d.request("PUT", "l-if.txt", b"x", {"If": "(<DAV:no-lock>)"})[0], 412)
        self.assertEqual(d.request("PUT", "l-if.txt", b"x", {"If": "([%s])" % etag})[0], 204)
        self.assertEqual(d.request("PUT", "l-if.txt", b"x", {"If": "(garbage"})[0], 400)

    def test_lock_on_an_unmapped_url_maps_it_and_propfind_shows_the_lock(self):
        d = self.dav()
        status, token, _ = d.lock("l-new.txt")
        self.assertEqual(status, 201)
        status, _, body = d.request("GET", "l-new.txt")
        self.assertEqual((status, body), (200, b""))
        status, _, body = d.request("PROPFIND", "l-new.txt", headers={"Depth": "0"})
        self.assertEqual(status, 207)
        self.assertIn(token.encode(), body)
        self.assertIn(b"<D:supportedlock>", body)
        self.assertEqual(d.lock("l-missing/x.txt")[0], 409)  # no parent

    def test_collection_locks_cover_members_and_go_with_a_delete(self):
        owner, other = self.dav(), self.dav()
        self.assertEqual(owner.request("MKCOL", "l-coll")[0], 201)
        status, token, _ = owner.lock("l-coll", depth="infinity")
        self.assertEqual(status, 200)
        self.assertEqual(other.request("PUT", "l-coll/member.txt", b"m")[0], 423)
        self.assertEqual(owner.request("PUT", "l-coll/member.txt", b"m",
                                       {"If": "(<%s>)" % token})[0], 201)
        # A lock beneath a collection keeps the collection from being deleted.
        self.assertEqual(owner.request("MKCOL", "l-tree")[0], 201)
        owner.request("PUT", "l-tree/inner.txt", b"i")
        status, inner, _ = owner.lock("l-tree/inner.txt")
        self.assertEqual(status, 200)
        self.assertEqual(other.request("DELETE", "l-tree")[0], 423)
        self.assertEqual(owner.request("DELETE", "l-tree", headers={
            "If": "<%s> (<%s>)" % ("/dav/l-tree/inner.txt", inner)})[0], 204)
        # Its lock went with it: the same path is free again.
        owner.request("MKCOL", "l-tree")
        self.assertEqual(other.request("PUT", "l-tree/inner.txt", b"free")[0], 201)

    def test_refresh_restarts_the_timeout(self):
        d = self.dav()
        d.request("PUT", "l-refresh.txt", b"r")
        status, token, _ = d.lock("l-refresh.txt", timeout="Second-100")
        self.assertEqual(status, 200)
        status, _, body = d.request("LOCK", "l-refresh.txt",
                                    headers={"If": "(<%s>)" % token, "Timeout": "Second-900"})
        self.assertEqual(status, 200)
        self.assertIn(b"Second-900", body)
        self.assertIn(token.encode(), body)
        self.assertEqual(d.request("LOCK", "l-refresh.txt", headers={
            "If": "(<urn:uuid:00000000-0000-4000-8000-000000000000>)"})[0], 412)

    def test_a_short_lock_expires(self):
        owner, other = self.dav(), self.dav()
        owner.request("PUT", "l-expire.txt", b"e")
        status, _, body = owner.lock("l-expire.txt", timeout="Second-1")
        self.assertEqual(status, 200)
        self.assertIn(b"Second-1<", body)
        for _ in range(EXPIRY_POLLS):
            if other.request("PUT", "l-expire.txt", b"later")[0] == 204:
                break
            time.sleep(0.5)
        else:
            self.fail("the lock never expired")
        _, _, body = other.request("PROPFIND", "l-expire.txt", headers={"Depth": "0"})
        self.assertNotIn(b"activelock", body)

    def test_locks_never_cross_users(self):
        alice, bob = self.dav("alice"), self.dav("bob")
        alice.request("PUT", "l-mine.txt", b"a")
        bob.request("PUT", "l-mine.txt", b"b")
        self.assertEqual(alice.lock("l-mine.txt")[0], 200)
        self.assertEqual(bob.request("PUT", "l-mine.txt", b"b2")[0], 204)  # bob's own file


class SfsDoorTest(LockCase):
    def test_a_webdav_lock_refuses_sfs_protocol_writes(self):
        d = self.dav()
        d.request("PUT", "l-door.txt", b"webdav")
        d.request("MKCOL", "l-door-dir")
        d.request("PUT", "l-door-dir/in.txt", b"in")
        status, token, _ = d.lock("l-door.txt")
        self.assertEqual(status, 200)
        self.assertEqual(d.lock("l-door-dir/in.txt")[0], 200)
        local = os.path.join(self.new_temp_dir(), "up.txt")
        write_file(local, b"sfs")
        for args in (("put", local, "l-door.txt"), ("rm", "l-door.txt"),
                     ("mv", "l-door.txt", "l-door-moved.txt"), ("rmdir", "l-door-dir")):
            result = self.client.run(*args)
            self.assertNotEqual(result.returncode, 0, args)
            self.assertIn("locked over WebDAV: /l-door", result.stderr.decode(), args)
        self.assertEqual(d.request("GET", "l-door.txt")[2], b"webdav")
        # Unlocked, the same put goes through.
        d.request("UNLOCK", "l-door.txt", headers={"Lock-Token": "<%s>" % token})
        self.assertEqual(self.client.run("put", local, "l-door.txt").returncode, 0)
        self.assertEqual(d.request("GET", "l-door.txt")[2], b"sfs")


class LockCapTest(LockCase):
    def test_the_cap_of_locks_per_user(self):
        d = self.dav()
        d.request("PUT", "l-cap.txt", b"c")
        tokens = []
        for _ in range(MAX_LOCKS_PER_USER):
            status, token, _ = d.lock("l-cap.txt", scope="shared")
            self.assertEqual(status, 200)
            tokens.append(token)
        status, _, body = d.request("LOCK", "l-cap.txt", LOCK_BODY % (b"shared", b"me"))
        self.assertEqual(status, 503)
        self.assertRegex(body.decode(), r"too many locks: at most %d" % MAX_LOCKS_PER_USER)
        # Another user is not affected; and an UNLOCK frees a place.
        bob = self.dav("bob")
        bob.request("PUT", "l-cap.txt", b"c")
        self.assertEqual(bob.lock("l-cap.txt")[0], 200)
        self.assertEqual(d.request("UNLOCK", "l-cap.txt",
                                   headers={"Lock-Token": "<%s>" % tokens[0]})[0], 204)
        self.assertEqual(d.lock("l-cap.txt", scope="shared")[0], 200)


if __name__ == "__main__":
    unittest.main()
