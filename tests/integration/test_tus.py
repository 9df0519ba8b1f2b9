"""tus 1.0 on the HTTPS face (/tus/, docs/tus.md), spoken with http.client
over TLS: creation, offsets, PATCH in pieces, a PATCH cut mid-body and
resumed to a byte-identical file that `sfs get` sees, the refusals (409,
415, 413/507 before a byte, 404 for another user's upload, 400 for
malformed headers), termination, expiry, and a bystander served while an
upload waits."""

import base64
import http.client
import os
import socket
import ssl
import unittest

from sfs_harness import (HOST, WebDavCase, curl, digest_hex, partial_files_in, read_file,
                         wait_until)

PATCH_TYPE = "application/offset+octet-stream"
WAIT = 30.0


def b64(text):
    return base64.b64encode(text.encode()).decode()


def metadata(filename, folder=None):
    pairs = ["filename " + b64(filename)]
    if folder is not None:
        pairs.append("folder " + b64(folder))
    return ",".join(pairs)


def basic(server, user):
    secret = "%s:%s" % (user, server.users[user])
    return "Basic " + base64.b64encode(secret.encode()).decode()


class Tus:
    """One keep-alive connection to the server's /tus/ as `user`."""

    def __init__(self, server, user="alice"):
        self.server = server
        self.auth = basic(server, user)
        ctx = ssl.create_default_context(cafile=server.cert_path)
        ctx.check_hostname = False
        self.conn = http.client.HTTPSConnection(HOST, server.https_port, context=ctx, timeout=WAIT)

    def close(self):
        self.conn.close()

    def request(self, method, url, body=None, headers=None, version=True):
        h = {"Authorization": self.auth}
        if version:
            h["Tus-Resumable"] = "1.0.0"
        h.update(headers or {})
        self.conn.request(method, url, body=body, headers=h)
        reply = self.conn.getresponse()
        reply.data = reply.read()
        if reply.getheader("Connection", "").lower() == "close":
            self.conn.close()  # http.client reconnects on the next request
        return reply

    def create(self, length, meta, **kwargs):
        return self.request("POST", "/tus/", headers={"Upload-Length": str(length),
                                                      "Upload-Metadata": meta}, **kwargs)

    def head(self, url):
        return self.request("HEAD", url)

    def patch(self, url, offset, data, content_type=PATCH_TYPE):
        return self.request("PATCH", url, body=data, headers={
            "Upload-Offset": str(offset), "Content-Type": content_type,
            "Content-Length": str(len(data))})

    def delete(self, url):
        return self.request("DELETE", url)


class TusCase(WebDavCase):
    """A server with the HTTPS face, and tus connections closed at cleanup."""

    def tus(self, user="alice"):
        t = Tus(self.server, user)
        self.addCleanup(t.close)
        return t

    def new_upload(self, t, length, name, folder=None):
        r = t.create(length, metadata(name, folder))
        self.assertEqual(r.status, 201, r.data)
        url = r.getheader("Location")
        self.assertRegex(url, r"^/tus/[0-9a-f]{32}$")
        return url

    def stored_bytes(self, name, user="alice"):
        """The file as `sfs get` downloads it."""
        client = self.client if user == "alice" else self.new_client(user)
        local = client.path("got-" + name.replace("/", "_"))
        self.assertOk(client.run("get", name, local))
        return read_file(local)


class ProtocolTest(TusCase):
    def test_options_tells_version_extensions_and_max_size(self):
        r = self.tus().request("OPTIONS", "/tus/", version=False)
        self.assertEqual(r.status, 204)
        self.assertEqual(r.getheader("Tus-Version"), "1.0.0")
        self.assertEqual(r.getheader("Tus-Resumable"), "1.0.0")
        self.assertEqual(set(r.getheader("Tus-Extension").split(",")),
                         {"creation", "termination", "expiration"})
        self.assertEqual(int(r.getheader("Tus-Max-Size")), 1 << 40)

    def test_creation_then_patches_in_pieces_commit_the_file(self):
        data = os.urandom(3 * 1024 * 1024 + 17)
        t = self.tus()
        url = self.new_upload(t, len(data), "pieces.bin", "tus/in/pieces")
        r = t.head(url)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("Upload-Offset"), "0")
        self.assertEqual(r.getheader("Upload-Length"), str(len(data)))
        self.assertEqual(r.getheader("Cache-Control"), "no-store")
        self.assertIsNotNone(r.getheader("Upload-Expires"))
        self.assertEqual(r.getheader("Upload-Metadata"), metadata("pieces.bin", "tus/in/pieces"))
        cuts = [0, 1, 1024 * 1024, 2 * 1024 * 1024 + 5, len(data)]
        for start, end in zip(cuts, cuts[1:]):
            r = t.patch(url, start, data[start:end])
            self.assertEqual(r.status, 204, r.data)
            self.assertEqual(r.getheader("Upload-Offset"), str(end))
            if end < len(data):
                self.assertFalse(os.path.exists(
                    self.server.stored("alice", "tus/in/pieces/pieces.bin")))
                self.assertEqual(t.head(url).getheader("Upload-Offset"), str(end))
        self.assertEqual(self.stored_bytes("tus/in/pieces/pieces.bin"), data)
        # Finished: HEAD still says so until it expires (a lost 204 is harmless).
        r = t.head(url)
        self.assertEqual((r.status, r.getheader("Upload-Offset")), (200, str(len(data))))
        self.assertEqual(t.patch(url, len(data), b"").status, 204)
        # ETag of the WebDAV face is the stored digest.
        r = curl(self.server, "HEAD", "tus/in/pieces/pieces.bin")
        self.assertEqual(r.headers["etag"], '"%s"' % digest_hex(data))

    def test_empty_upload_is_stored_at_creation(self):
        t = self.tus()
        url = self.new_upload(t, 0, "empty.txt")
        self.assertEqual(t.head(url).getheader("Upload-Offset"), "0")
        self.assertEqual(read_file(self.server.stored("alice", "empty.txt")), b"")

    def test_wrong_offset_is_409_and_wrong_type_415(self):
        t = self.tus()
        url = self.new_upload(t, 10, "offsets.bin")
        self.assertEqual(t.patch(url, 0, b"01234").status, 204)
        r = t.patch(url, 3, b"34567")
        self.assertEqual(r.status, 409)
        self.assertEqual(r.getheader("Upload-Offset"), "5")
        self.assertEqual(t.patch(url, 5, b"56789", "application/octet-stream").status, 415)
        r = t.patch(url, 5, b"56789abc")  # past Upload-Length
        self.assertEqual(r.status, 413)
        self.assertEqual(t.head(url).getheader("Upload-Offset"), "5")
        self.assertEqual(t.patch(url, 5, b"56789").status, 204)
        self.assertEqual(self.stored_bytes("offsets.bin"), b"0123456789")

    def test_malformed_headers_are_400_and_others_refused(self):
        t = self.tus()
        for length, meta in (("abc", metadata("m.bin")), ("-1", metadata("m.bin")),
                             ("10", "filename ***"), ("10", "filename"),
                             ("10", metadata("../m.bin")), ("10", metadata("m.bin", "a/../..")),
                             ("10", metadata(".sfs-part-x")), ("10", "filename %s,filename %s" % (
                                 b64("a"), b64("b")))):
            r = t.request("POST", "/tus/", headers={"Upload-Length": length,
                                                    "Upload-Metadata": meta})
            self.assertEqual(r.status, 400, (length, meta, r.data))
        self.assertEqual(t.create(10, metadata("m.bin"), version=False).status, 412)
        url = self.new_upload(t, 10, "m.bin")
        r = t.request("PATCH", url, body=b"x", headers={"Upload-Offset": "0x0",
                                                       "Content-Type": PATCH_TYPE})
        self.assertEqual(r.status, 400)
        self.assertEqual(t.head("/tus/" + "0" * 32).status, 404)
        self.assertEqual(t.head("/tus/../dav/x").status, 404)
        self.assertEqual(t.request("GET", url).status, 405)
        self.assertFalse(os.path.exists(self.server.stored("alice", "m.bin")))

    def test_another_users_upload_is_404_and_stays_intact(self):
        alice, bob = self.tus("alice"), self.tus("bob")
        url = self.new_upload(alice, 8, "mine.bin")
        self.assertEqual(alice.patch(url, 0, b"abcd").status, 204)
        self.assertEqual(bob.head(url).status, 404)
        self.assertEqual(bob.patch(url, 4, b"efgh").status, 404)
        self.assertEqual(bob.delete(url).status, 404)
        self.assertEqual(alice.head(url).getheader("Upload-Offset"), "4")
        self.assertEqual(alice.patch(url, 4, b"efgh").status, 204)
        self.assertEqual(self.stored_bytes("mine.bin"), b"abcdefgh")

    def test_termination_drops_the_stored_part(self):
        t = self.tus()
        url = self.new_upload(t, 100_000, "gone.bin", "term")
        self.assertEqual(t.patch(url, 0, os.urandom(50_000)).status, 204)
        folder = os.path.join(self.server.user_dir("alice"), "term")
        self.assertEqual(len(partial_files_in(folder)), 1)
        self.assertEqual(t.delete(url).status, 204)
        self.assertEqual(partial_files_in(folder), [])
        self.assertEqual(t.head(url).status, 404)
        self.assertEqual(t.patch(url, 50_000, b"x").status, 404)
        self.assertEqual(t.delete(url).status, 404)
        self.assertFalse(os.path.exists(os.path.join(folder, "gone.bin")))


def raw_patch_cut(server, url, offset, data, send):
    """Sends a PATCH of `data` at `offset` but only its first `send` bytes,
    then ends the connection (a client gone mid-body): a FIN, then waits for the
    server to close. (A close right away would be a reset, since the client
    never read the session tickets the server sent, and a reset drops what the
    server has not read yet.)"""
    ctx = ssl.create_default_context(cafile=server.cert_path)
    ctx.check_hostname = False
    with socket.create_connection((HOST, server.https_port), timeout=WAIT) as tcp:
        with ctx.wrap_socket(tcp) as tls:
            head = ("PATCH %s HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nTus-Resumable: 1.0.0\r\n"
                    "Upload-Offset: %d\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n" % (
                        url, basic(server, "alice"), offset, PATCH_TYPE, len(data)))
            tls.sendall(head.encode() + data[:send])
            tls.shutdown(socket.SHUT_WR)
            try:
                while tls.recv(65536):
                    pass
            except OSError:
                pass


class ResumeTest(TusCase):
    def settled_offset(self, t, url, above):
        """The upload's offset once the server let the cut request go."""
        def offset():
            r = t.head(url)
            value = int(r.getheader("Upload-Offset"))
            return value if value > above else None
        got = wait_until(offset, timeout=WAIT)
        self.assertIsNotNone(got, "the cut PATCH's bytes were never recorded")
        return got

    def test_cut_patch_resumes_to_a_byte_identical_file(self):
        data = os.urandom(6 * 1024 * 1024 + 333)
        t = self.tus()
        url = self.new_upload(t, len(data), "resumed.bin", "cut")
        raw_patch_cut(self.server, url, 0, data, 3 * 1024 * 1024 + 100)
        offset = self.settled_offset(t, url, 0)
        self.assertLessEqual(offset, 3 * 1024 * 1024 + 100)
        self.assertFalse(os.path.exists(self.server.stored("alice", "cut/resumed.bin")))

        def patched():
            r = t.patch(url, offset, data[offset:])
            return r if r.status != 423 else None  # the cut request still lets go
        r = wait_until(patched, timeout=WAIT)
        self.assertEqual(r.status, 204, r.data)
        self.assertEqual(r.getheader("Upload-Offset"), str(len(data)))
        self.assertEqual(self.stored_bytes("cut/resumed.bin"), data)
        self.assertEqual(partial_files_in(os.path.join(self.server.user_dir("alice"), "cut")), [])

    def test_a_bystander_is_served_while_an_upload_waits(self):
        data = os.urandom(2 * 1024 * 1024)
        t = self.tus()
        url = self.new_upload(t, len(data), "slow.bin")
        ctx = ssl.create_default_context(cafile=self.server.cert_path)
        ctx.check_hostname = False
        with socket.create_connection((HOST, self.server.https_port), timeout=WAIT) as tcp:
            with ctx.wrap_socket(tcp) as tls:
                head = ("PATCH %s HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n"
                        "Tus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: %s\r\n"
                        "Content-Length: %d\r\n\r\n" % (url, basic(self.server, "alice"),
                                                        PATCH_TYPE, len(data)))
                tls.sendall(head.encode() + data[:1000])
                # Meanwhile: bob over WebDAV and the sfs door, alice's HEAD.
                self.assertEqual(self.put_bytes("bystander.txt", b"hello", user="bob").status,
                                 201)
                self.assertOk(self.new_client("bob").run("ls"))
                self.assertEqual(t.head(url).getheader("Upload-Offset"), "0")
                self.assertEqual(t.patch(url, 0, data).status, 423)  # one writer at a time
                tls.sendall(data[1000:])
                reply = b""
                while b"\r\n\r\n" not in reply:  # bounded by the socket's timeout
                    chunk = tls.recv(4096)
                    self.assertTrue(chunk, "closed before the reply")
                    reply += chunk
                reply = reply.decode("latin-1")
                self.assertRegex(reply, r"^HTTP/1.1 204")
                self.assertIn("Upload-Offset: %d" % len(data), reply)
        self.assertEqual(self.stored_bytes("slow.bin"), data)


class QuotaTest(TusCase):
    extra_args = ("--quota-bytes", "1000000", "--max-file-size", "600000")

    def test_over_the_limits_refused_before_a_byte(self):
        t = self.tus()
        r = t.create(700_000, metadata("big.bin"))
        self.assertEqual(r.status, 413, r.data)
        self.assertIn(b"600000", r.data)
        url = self.new_upload(t, 500_000, "half.bin")
        self.assertEqual(t.patch(url, 0, os.urandom(500_000)).status, 204)
        r = t.create(600_000, metadata("more.bin"))
        self.assertEqual(r.status, 507, r.data)
        self.assertIn(b"quota", r.data)
        # A started upload's stored part counts too.
        url = self.new_upload(t, 400_000, "part.bin")
        self.assertEqual(t.patch(url, 0, os.urandom(100_000)).status, 204)
        # Its length is held again by each PATCH, not between them: what
        # counts between requests is what it stored.
        self.assertEqual(t.create(450_000, metadata("third.bin")).status, 507)
        self.assertEqual(t.delete(url).status, 204)
        self.assertEqual(self.new_upload(t, 450_000, "third.bin")[:5], "/tus/")
        self.assertEqual(sorted(os.listdir(self.server.user_dir("alice"))), ["half.bin"])


class ExpiryTest(TusCase):
    # Long enough for the POST and the PATCH that follows it at once, short
    # enough to watch the expiry (bounded waits below).
    extra_args = ("--partial-ttl", "3")

    def test_an_abandoned_upload_expires_with_its_data(self):
        t = self.tus()
        url = self.new_upload(t, 100_000, "abandoned.bin")
        r = t.patch(url, 0, os.urandom(30_000))
        self.assertEqual(r.status, 204)
        self.assertRegex(r.getheader("Upload-Expires"), r"^\w{3}, \d\d \w{3} \d{4} ")
        gone = wait_until(lambda: t.head(url).status == 404, timeout=WAIT, interval=0.2)
        self.assertTrue(gone, "the upload never expired")
        self.assertTrue(wait_until(
            lambda: partial_files_in(self.server.user_dir("alice")) == [], timeout=WAIT,
            interval=0.2), "its stored part was never swept")
        self.assertEqual(t.patch(url, 30_000, b"x").status, 404)


if __name__ == "__main__":
    unittest.main()
