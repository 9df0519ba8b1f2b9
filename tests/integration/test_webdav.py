"""The HTTPS face (--https-port, WebDAV at /dav/) with curl: every method,
bytes, statuses and headers; Basic auth; the two doors on the same files;
huge and slow headers bounded (docs/webdav.md)."""

import base64
import os
import ssl
import unittest
from xml.etree import ElementTree

from sfs_harness import (WebDavCase, digest_hex, read_file, read_until_closed, tcp_connect,
                         tls13_context, wait_until, write_file)

BASIC = 'Basic realm="sfs", charset="UTF-8"'


class MethodsTest(WebDavCase):
    def test_options_says_dav_class_1_and_2_and_the_methods(self):
        r = self.dav("OPTIONS", "")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers["dav"], "1, 2")
        for method in ("GET", "PUT", "PROPFIND", "MKCOL", "COPY", "MOVE", "DELETE"):
            self.assertIn(method, r.headers["allow"])

    def test_put_then_get_gives_the_same_bytes_and_safe_headers(self):
        data = os.urandom(300_000)
        self.assertEqual(self.put_bytes("m-put.bin", data).status, 201)
        self.assertEqual(self.put_bytes("m-put.bin", data).status, 204)  # replaced
        out = os.path.join(self.new_temp_dir(), "got")
        r = self.dav("GET", "m-put.bin", output=out)
        self.assertEqual(r.status, 200)
        self.assertEqual(read_file(out), data)
        self.assertEqual(r.headers["etag"], '"%s"' % digest_hex(data))
        self.assertEqual(r.headers["content-disposition"], "attachment")
        self.assertEqual(r.headers["x-content-type-options"], "nosniff")
        self.assertEqual(r.headers["content-type"], "application/octet-stream")
        self.assertIn("last-modified", r.headers)
        self.assertNotIn("access-control-allow-origin", r.headers)

    def test_head_says_the_length_without_a_body(self):
        self.put_bytes("m-head.bin", b"x" * 1234)
        r = self.dav("HEAD", "m-head.bin")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers["content-length"], "1234")

    def test_single_ranges(self):
        data = bytes(range(256)) * 4
        self.put_bytes("m-range.bin", data)
        r = self.dav("GET", "m-range.bin", headers=["Range: bytes=10-19"])
        self.assertEqual((r.status, r.body), (206, data[10:20]))
        self.assertEqual(r.headers["content-range"], "bytes 10-19/1024")
        r = self.dav("GET", "m-range.bin", headers=["Range: bytes=-5"])
        self.assertEqual((r.status, r.body), (206, data[-5:]))
        r = self.dav("GET", "m-range.bin", headers=["Range: bytes=1000-"])
        self.assertEqual((r.status, r.body), (206, data[1000:]))
        r = self.dav("GET", "m-range.bin", headers=["Range: bytes=5000-"])
        self.assertEqual(r.status, 416)
        self.assertEqual(r.headers["content-range"], "bytes */1024")

    def test_conditional_requests(self):
        data = b"conditional"
        self.put_bytes("m-cond.txt", data)
        etag = '"%s"' % digest_hex(data)
        self.assertEqual(self.dav("GET", "m-cond.txt", headers=["If-None-Match: " + etag]).status,
                         304)
        self.assertEqual(self.dav("GET", "m-cond.txt", headers=['If-Match: "other"']).status, 412)
        self.assertEqual(self.dav("GET", "m-cond.txt", headers=["If-Match: " + etag]).status, 200)
        later = "Fri, 01 Jan 2100 00:00:00 GMT"
        earlier = "Thu, 01 Jan 1970 00:00:00 GMT"
        self.assertEqual(
            self.dav("GET", "m-cond.txt", headers=["If-Modified-Since: " + later]).status, 304)
        self.assertEqual(
            self.dav("GET", "m-cond.txt", headers=["If-Unmodified-Since: " + earlier]).status, 412)
        # PUT only if absent: refused since it exists, nothing changed.
        self.assertEqual(self.put_bytes("m-cond.txt", b"new", headers=["If-None-Match: *"]).status,
                         412)
        self.assertEqual(self.dav("GET", "m-cond.txt").body, data)

    def test_mkcol_and_its_conflicts(self):
        self.assertEqual(self.dav("MKCOL", "m-col").status, 201)
        self.assertEqual(self.dav("MKCOL", "m-col").status, 405)
        self.assertEqual(self.dav("MKCOL", "m-none/deeper").status, 409)
        self.assertEqual(self.put_bytes("m-none/file.txt", b"x").status, 409)
        self.assertEqual(self.dav("MKCOL", "m-col2", data=b"<x/>").status, 415)

    def test_propfind_depth_0_and_1_and_infinity_refused(self):
        self.dav("MKCOL", "m-pf")
        self.put_bytes("m-pf/a%20b.txt", b"12345")
        r = self.dav("PROPFIND", "m-pf/", headers=["Depth: 1"])
        self.assertEqual(r.status, 207)
        body = r.body.decode()
        self.assertIn("<D:href>/dav/m-pf/</D:href>", body)
        self.assertIn("<D:href>/dav/m-pf/a%20b.txt</D:href>", body)
        self.assertIn("<D:getcontentlength>5</D:getcontentlength>", body)
        self.assertIn("<D:collection/>", body)
        # The ETag as a client's XML parser reads it (escaping may differ).
        etags = [e.text for e in ElementTree.fromstring(r.body).iter("{DAV:}getetag")]
        self.assertEqual(etags, ['"%s"' % digest_hex(b"12345")])
        r = self.dav("PROPFIND", "m-pf/", headers=["Depth: 0"])
        self.assertNotIn("a%20b.txt", r.body.decode())
        r = self.dav("PROPFIND", "m-pf/", headers=["Depth: infinity"])
        self.assertEqual(r.status, 403)
        self.assertIn("propfind-finite-depth", r.body.decode())
        self.assertEqual(self.dav("PROPFIND", "m-nothing", headers=["Depth: 0"]).status, 404)

    def test_copy_and_move_with_overwrite(self):
        dest = lambda p: "Destination: https://127.0.0.1:%d/dav/%s" % (self.server.https_port, p)
        self.put_bytes("m-src.txt", b"source")
        self.put_bytes("m-other.txt", b"other")
        self.assertEqual(self.dav("COPY", "m-src.txt", headers=[dest("m-copy.txt")]).status, 201)
        self.assertEqual(self.dav("GET", "m-copy.txt").body, b"source")
        r = self.dav("COPY", "m-src.txt", headers=[dest("m-other.txt"), "Overwrite: F"])
        self.assertEqual(r.status, 412)
        self.assertEqual(self.dav("COPY", "m-src.txt", headers=[dest("m-other.txt")]).status, 204)
        self.assertEqual(self.dav("GET", "m-other.txt").body, b"source")
        self.assertEqual(self.dav("MOVE", "m-copy.txt", headers=[dest("m-moved.txt")]).status, 201)
        self.assertEqual(self.dav("GET", "m-copy.txt").status, 404)
        self.assertEqual(self.dav("GET", "m-moved.txt").body, b"source")
        other = "Destination: https://elsewhere.example/dav/x"
        self.assertEqual(self.dav("COPY", "m-src.txt", headers=[other]).status, 502)
        self.assertEqual(self.dav("COPY", "m-src.txt", headers=[dest("m-no/x")]).status, 409)

    def test_copy_of_a_collection_deep_and_shallow_then_recursive_delete(self):
        self.dav("MKCOL", "m-tree")
        self.dav("MKCOL", "m-tree/sub")
        self.put_bytes("m-tree/sub/f.txt", b"deep")
        dest = lambda p: "Destination: /dav/%s" % p
        self.assertEqual(self.dav("COPY", "m-tree", headers=[dest("m-tree2")]).status, 201)
        self.assertEqual(self.dav("GET", "m-tree2/sub/f.txt").body, b"deep")
        r = self.dav("COPY", "m-tree", headers=[dest("m-tree3"), "Depth: 0"])
        self.assertEqual(r.status, 201)
        self.assertEqual(self.dav("PROPFIND", "m-tree3", headers=["Depth: 0"]).status, 207)
        self.assertEqual(self.dav("GET", "m-tree3/sub/f.txt").status, 404)
        self.assertEqual(self.dav("DELETE", "m-tree").status, 204)
        self.assertEqual(self.dav("PROPFIND", "m-tree", headers=["Depth: 0"]).status, 404)
        self.assertEqual(self.dav("DELETE", "m-tree").status, 404)

    def test_paths_follow_the_sfs_rules(self):
        self.assertEqual(self.put_bytes(".sfs-x", b"x").status, 403)
        self.assertEqual(self.dav("GET", "%2e%2e/etc/passwd").status, 403)
        self.assertEqual(self.dav("GET", "", url="https://127.0.0.1:%d/elsewhere"
                                  % self.server.https_port).status, 404)
        self.assertEqual(self.dav("DELETE", "").status, 403)

    def test_unknown_method_is_405(self):
        self.assertEqual(self.dav("TRACE", "x").status, 405)


class TwoDoorsTest(WebDavCase):
    def test_webdav_upload_is_downloaded_by_sfs_with_the_same_digest(self):
        data = os.urandom(200_000)
        self.assertEqual(self.put_bytes("d-up.bin", data).status, 201)
        result = self.client.run("hash", "d-up.bin")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(result.stdout.decode().startswith(digest_hex(data)))
        copy = self.client.path("d-up.copy")
        result = self.client.run("get", "d-up.bin", copy)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(read_file(copy), data)

    def test_sfs_upload_is_downloaded_by_webdav_with_the_same_digest(self):
        data = os.urandom(150_000)
        local = self.client.path("s-up.bin")
        write_file(local, data)
        result = self.client.run("put", local, "s-up.bin")
        self.assertEqual(result.returncode, 0, result.stderr)
        r = self.dav("GET", "s-up.bin")
        self.assertEqual(r.body, data)
        self.assertEqual(r.headers["etag"], '"%s"' % digest_hex(data))

    def test_users_see_only_their_own_space(self):
        self.put_bytes("d-private.txt", b"alice's")
        self.assertEqual(self.dav("GET", "d-private.txt", user="bob").status, 404)


class AuthTest(WebDavCase):
    def test_no_credentials_gets_401_with_the_basic_challenge(self):
        r = self.dav("GET", "x", user=None)
        self.assertEqual(r.status, 401)
        self.assertEqual(r.headers["www-authenticate"], BASIC)

    def test_wrong_password_gets_401_and_is_logged_as_a_failed_login(self):
        r = self.dav("GET", "x", password="wrong")
        self.assertEqual(r.status, 401)
        self.assertEqual(r.headers["www-authenticate"], BASIC)
        wait_until(lambda: "alice" in self.server.log_text() and
                   "fail" in self.server.log_text().lower(), timeout=30)

    def test_unknown_user_gets_the_same_answer(self):
        r = self.dav("GET", "x", user="nobody", password="pw")
        self.assertEqual(r.status, 401)
        self.assertEqual(r.headers["www-authenticate"], BASIC)


class PenaltyTest(WebDavCase):
    server_per_test = True

    def test_repeated_failures_are_penalized_like_sfs_logins(self):
        # The same Authenticator as LOGIN: after the free failures the next
        # attempts from this address are held (delayed) before their 401.
        for _ in range(5):
            r = self.dav("GET", "x", password="wrong")
            self.assertEqual(r.status, 401)
            self.assertEqual(r.headers["www-authenticate"], BASIC)
        wait_until(lambda: "login delayed" in self.server.log_text(), timeout=30)
        self.assertIn("login failed", self.server.log_text())


class SessionTicketTest(WebDavCase):
    def options_over(self, sock):
        token = base64.b64encode(b"alice:" + self.server.users["alice"].encode()).decode()
        sock.sendall(b"OPTIONS /dav/ HTTP/1.1\r\nHost: h\r\nAuthorization: Basic %s\r\n"
                     b"Connection: close\r\n\r\n" % token.encode())
        return read_until_closed(sock)

    def test_the_https_door_sends_tickets_and_a_resumed_session_is_served(self):
        # HTTP clients resume sessions; neon (litmus, davfs2) waits 61 ms after
        # each handshake for a ticket when none comes.
        ctx = tls13_context()
        with ctx.wrap_socket(tcp_connect(self.server.https_port, timeout=60)) as first:
            reply = self.options_over(first)  # the tickets arrive with the reply
            self.assertTrue(reply.startswith(b"HTTP/1.1 200"), reply[:100])
            session = first.session
        self.assertTrue(session.has_ticket)
        raw = tcp_connect(self.server.https_port, timeout=60)
        with ctx.wrap_socket(raw, session=session) as again:
            self.assertTrue(again.session_reused)
            reply = self.options_over(again)
        self.assertTrue(reply.startswith(b"HTTP/1.1 200"), reply[:100])
        self.assertIn(b"DAV: 1, 2", reply)


class LimitsTest(WebDavCase):
    server_per_test = True

    extra_args = ("--login-timeout", "3")

    def connect(self):
        raw = tcp_connect(self.server.https_port, timeout=60)
        return tls13_context().wrap_socket(raw)

    def test_huge_headers_get_431_and_the_connection_closes(self):
        with self.connect() as sock:
            try:
                sock.sendall(b"GET /dav/x HTTP/1.1\r\nHost: h\r\nX-Big: ")
                for _ in range(64):  # 1 MiB of one header, 16 KiB at a time
                    sock.sendall(b"a" * 16384)
            except (ConnectionError, ssl.SSLError):
                pass  # closed by the server before it all went: expected
            reply = read_until_closed(sock)
        # The 431 may be lost to the reset of a connection closed with unread
        # bytes; the server's log says what it did either way.
        self.assertTrue(reply == b"" or reply.startswith(b"HTTP/1.1 431"), reply[:100])
        wait_until(lambda: "request header over 16384 bytes" in self.server.log_text(), timeout=30)

    def test_slow_headers_are_cut_at_the_login_deadline(self):
        with self.connect() as sock:
            sock.sendall(b"GET /dav/x HTTP/1.1\r\n")
            peer = "%s:%d" % sock.getsockname()
            reply = read_until_closed(sock)  # the server closes; nothing is answered
        self.assertEqual(reply, b"")
        # Closed by the login deadline, not by anything else (the socket's
        # own timeout would raise instead of returning b"").
        wait_until(lambda: "peer=%s https closed before a login: connection timed out" % peer
                   in self.server.log_text(), timeout=30)
        self.assertIn("peer=%s https closed before a login: connection timed out" % peer,
                      self.server.log_text())

    def test_many_requests_without_credentials_end_the_connection(self):
        request = b"OPTIONS /dav/ HTTP/1.1\r\nHost: h\r\n\r\n"
        with self.connect() as sock:
            sock.sendall(request * 20)
            reply = read_until_closed(sock)
        self.assertLess(reply.count(b"HTTP/1.1 401"), 20)
        self.assertGreater(reply.count(b"HTTP/1.1 401"), 0)


if __name__ == "__main__":
    unittest.main()
