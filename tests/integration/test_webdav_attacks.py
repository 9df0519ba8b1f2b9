"""Attacks on the HTTPS door (docs/security.md, "The HTTPS door"): slow and
huge headers, a 10 GB Content-Length with no body, PROPFIND bombs, Depth
infinity on a large tree, floods of requests and connections that never log
in. Each is bounded by a named limit, and while it runs another user's
requests, through WebDAV and through the sfs client, are served.

Every assertion is on what happened (statuses, the server's log lines,
closed sockets, files on disk, the server's memory), never on how long it
took: the socket timeouts are safety nets only.
"""

import base64
import os
import re
import socket
import ssl
import unittest
from xml.etree import ElementTree

from sfs_harness import (WebDavCase, curl, read_until_closed, tcp_connect, tls13_context,
                         wait_until, write_file)

GIB = 1 << 30
QUOTA = GIB
MAX_FILE = 16 * GIB
LOGIN_TIMEOUT = 3
MAX_HEADER = 16384  # --max-http-header's default
MAX_XML_BODY = 1 << 20  # http::Settings::max_xml_body_bytes
MAX_ANONYMOUS = 8  # http::Settings::max_unauthenticated_requests
SAFETY = 60  # socket timeout: a net for a hung test, never a measure


def closed_by_server(sock):
    """True once the server closed the TCP connection under `sock` (EOF or
    reset) and nothing is left to read, without waiting. A TLS socket is
    looked at through a plain duplicate of its descriptor."""
    with socket.socket(fileno=os.dup(sock.fileno())) as plain:
        try:
            return plain.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except BlockingIOError:
            return False
        except (ConnectionResetError, BrokenPipeError):
            return True



def statuses(reply):
    return [int(s) for s in re.findall(rb"^HTTP/1\.1 (\d{3})", reply, re.M)]


def rss_bytes(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS for pid %d" % pid)


def files_under(root):
    """Every file below root, as paths relative to it."""
    found = set()
    for directory, _, names in os.walk(root):
        for name in names:
            found.add(os.path.relpath(os.path.join(directory, name), root))
    return found


class AttackCase(WebDavCase):
    """A server with the HTTPS door, a short login deadline, a quota and a
    largest file size; helpers for raw requests and for the bystander."""

    users = {"alice": "alice-pw-7Qx", "bob": "bob-pw-3Kz", "carol": "carol-pw-9Lm"}
    login_timeout = LOGIN_TIMEOUT
    more_args = []

    @classmethod
    def server_args(cls):
        return ["--login-timeout", str(cls.login_timeout), "--quota-bytes", str(QUOTA),
                "--max-file-size", str(MAX_FILE)] + cls.more_args


    def connect(self, source=None):
        raw = tcp_connect(self.server.https_port, source=source, timeout=SAFETY)
        sock = tls13_context().wrap_socket(raw)
        self.addCleanup(sock.close)
        return sock

    def peer(self, sock):
        return "%s:%d" % sock.getsockname()

    def authorization(self, user="alice"):
        token = "%s:%s" % (user, self.server.users[user])
        return "Authorization: Basic %s\r\n" % base64.b64encode(token.encode()).decode()

    def request(self, method, path, headers=(), user="alice"):
        """The bytes of a request's head (no body), logged in as `user`."""
        head = "%s /dav/%s HTTP/1.1\r\nHost: h\r\n" % (method, path)
        head += self.authorization(user) if user else ""
        head += "".join(h + "\r\n" for h in headers)
        return (head + "\r\n").encode()

    def assertLogged(self, pattern):
        self.assertTrue(wait_until(lambda: re.search(pattern, self.server.log_text()),
                                   timeout=SAFETY),
                        "not in the server log: %s" % pattern)

    def assertBystanderServed(self, tag):
        """Bob's WebDAV PUT and GET and carol's sfs client go through."""
        data = os.urandom(4096) + tag.encode()
        local = os.path.join(self.new_temp_dir(), "body")
        write_file(local, data)
        name = "bystander-%s.bin" % tag
        put = curl(self.server, "PUT", name, user="bob", upload_file=local)
        self.assertIn(put.status, (201, 204), put.body)
        got = curl(self.server, "GET", name, user="bob")
        self.assertEqual((got.status, got.body), (200, data))
        client = self.new_client("carol")
        write_file(client.path("c.bin"), data)
        self.assertOk(client.run("put", client.path("c.bin"), name))
        listing = client.run("ls")
        self.assertOk(listing)
        self.assertIn(name.encode(), listing.stdout)


class HeaderAttacksTest(AttackCase):
    def test_slow_headers_are_cut_at_the_login_deadline(self):
        sock = self.connect()
        sock.sendall(b"GET /dav/x HTTP/1.1\r\nHost: h\r\n")  # and never the rest
        self.assertBystanderServed("slow-headers")
        self.assertEqual(read_until_closed(sock), b"")  # nothing answered, then closed
        self.assertLogged(r"peer=%s https closed before a login: connection timed out"
                          % re.escape(self.peer(sock)))

    def test_a_mebibyte_of_headers_gets_431_and_the_connection_closes(self):
        sock = self.connect()
        sent = 0
        try:
            sock.sendall(b"GET /dav/x HTTP/1.1\r\nHost: h\r\nX-Big: ")
            for _ in range(64):  # 1 MiB of one header, 16 KiB at a time
                sock.sendall(b"a" * 16384)
                sent += 16384
        except (ConnectionError, ssl.SSLError):
            pass  # closed by the server before it all went: expected
        reply = read_until_closed(sock)
        # The 431 may be lost to the reset of a connection closed with unread
        # bytes; the server's log says what it did either way.
        self.assertTrue(reply == b"" or statuses(reply) == [431], reply[:100])
        self.assertLogged(r"peer=%s https closed: request header over %d bytes"
                          % (re.escape(self.peer(sock)), MAX_HEADER))
        # It closes after its lingering close (at most 2 s of dropping what
        # still comes), so the close is waited for, bounded.
        self.assertTrue(wait_until(lambda: closed_by_server(sock), timeout=SAFETY))
        self.assertBystanderServed("huge-headers")


class BodyAttacksTest(AttackCase):
    def refused_before_the_body(self, declared, status, extra=()):
        """A PUT declaring `declared` bytes and sending none is refused with
        `status` and the connection closed; nothing stays on disk and the
        server's memory does not grow by what was declared."""
        before_files = files_under(self.server.storage)
        before_rss = rss_bytes(self.server.process.pid)
        sock = self.connect()
        head = self.request("PUT", "huge-%d.bin" % declared,
                            ["Content-Length: %d" % declared] + list(extra))
        sock.sendall(head)
        # No body went: a reply at all proves the server did not wait for it.
        reply = read_until_closed(sock)
        self.assertEqual(statuses(reply), [status], reply[:200])
        self.assertIn(b"Connection: close", reply)
        self.assertLogged(r"user=alice peer=%s https PUT path=huge-%d\.bin status=%d bytes=0"
                          % (re.escape(self.peer(sock)), declared, status))
        self.assertEqual(files_under(self.server.storage), before_files)
        self.assertLess(rss_bytes(self.server.process.pid) - before_rss, 64 << 20)

    def test_ten_gigabytes_declared_over_the_quota_are_refused_with_507(self):
        self.refused_before_the_body(10 * 10**9, 507)
        self.assertBystanderServed("ten-gb")

    def test_a_size_over_the_largest_file_is_refused_with_413_without_100_continue(self):
        self.refused_before_the_body(MAX_FILE + 1, 413, ["Expect: 100-continue"])
        self.assertBystanderServed("over-max")

    def test_a_refused_body_sent_at_once_still_gets_its_reply(self):
        """A client that sends its body without waiting for 100-continue
        (curl does for small bodies) reads the refusal: the server drops what
        still comes before it closes, where closing at once would make the
        kernel reset the connection and destroy the reply."""
        sock = self.connect()
        head = self.request("PUT", "eager.bin", ["Content-Length: %d" % (2 * QUOTA)])
        sock.sendall(head + bytes(2 << 20))  # the first 2 MiB of it, at once
        reply = read_until_closed(sock)
        self.assertEqual(statuses(reply), [507], reply[:200])
        self.assertFalse(os.path.exists(self.server.stored("alice", "eager.bin")))

    def test_a_100_mb_propfind_body_declared_is_refused_unread(self):
        sock = self.connect()
        sock.sendall(self.request("PROPFIND", "", ["Depth: 0", "Content-Length: %d" % (100 << 20)]))
        reply = read_until_closed(sock)
        self.assertEqual(statuses(reply), [413], reply[:200])
        self.assertBystanderServed("propfind-declared")

    def test_a_100_mb_chunked_propfind_body_is_cut_at_the_xml_limit(self):
        sock = self.connect()
        sent = 0
        chunk = b"%x\r\n%s\r\n" % (65536, b"<" * 65536)
        try:
            sock.sendall(self.request("PROPFIND", "", ["Depth: 0", "Transfer-Encoding: chunked"]))
            self.assertBystanderServed("propfind-chunked")
            while sent < 100 << 20:
                sock.sendall(chunk)
                sent += 65536
        except (ConnectionError, ssl.SSLError):
            pass  # the server closed after its 413: expected
        read_until_closed(sock)
        self.assertLogged(r"user=alice peer=%s https PROPFIND path= status=413"
                          % re.escape(self.peer(sock)))
        self.assertLess(sent, 100 << 20)  # it stopped reading, we could not send it all


class SmugglingTest(AttackCase):
    def test_conflicting_framing_closes_the_connection_unserved(self):
        # Content-Length and Transfer-Encoding together: where a proxy and
        # the server could disagree on where the body ends. Beast refuses
        # the header; nothing is stored and the connection ends.
        sock = self.connect()
        smuggled = b"GET /dav/ HTTP/1.1\r\nHost: h\r\n\r\n"
        sock.sendall(self.request("PUT", "smuggle.bin", [
            "Content-Length: %d" % len(smuggled), "Transfer-Encoding: chunked"]) + smuggled)
        self.assertEqual(read_until_closed(sock), b"")
        self.assertLogged(r"peer=%s https closed before a login: bad Transfer-Encoding"
                          % re.escape(self.peer(sock)))
        self.assertFalse(os.path.exists(self.server.stored("alice", "smuggle.bin")))
        self.assertBystanderServed("smuggling")


BOMBS = {
    "deep nesting": b'<?xml version="1.0"?>' + b"<a>" * 100_000 + b"</a>" * 100_000,
    "billion laughs": b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<D:propfind xmlns:D="DAV:"><D:prop><D:displayname>&lol9;</D:displayname></D:prop></D:propfind>
""",
    "external entity": b"""<?xml version="1.0"?>
<!DOCTYPE p [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<D:propfind xmlns:D="DAV:"><D:prop><D:displayname>&xxe;</D:displayname></D:prop></D:propfind>
""",
}


class XmlBombsTest(AttackCase):
    def setUp(self):
        super().setUp()
        # The door reads PROPFIND bodies with dav/propfind.h once the
        # properties work is merged; before that it ignores them (and these
        # bombs are harmless, being never parsed).
        probe = curl(self.server, "PROPFIND", "", headers=["Depth: 0"], data=b"<not-xml")
        if probe.status == 207:
            self.skipTest("this door does not parse PROPFIND bodies yet")

    def test_each_bomb_is_refused_and_others_are_served(self):
        for name, body in BOMBS.items():
            with self.subTest(name):
                r = curl(self.server, "PROPFIND", "", headers=["Depth: 0"], data=body)
                self.assertIn(r.status, (400, 413), r.body[:200])
                self.assertNotIn(b"root:", r.body)  # no external entity was read
                self.assertNotIn(b"lollol", r.body)  # no entity was expanded
        self.assertBystanderServed("bombs")


class DepthInfinityTest(AttackCase):
    def test_depth_infinity_on_a_large_tree_is_refused_with_403(self):
        # 50 folders of 100 files each, made on disk: only their number matters.
        self.assertEqual(curl(self.server, "MKCOL", "tree").status, 201)
        root = self.server.user_dir("alice")
        for d in range(50):
            os.mkdir(os.path.join(root, "tree", "d%02d" % d))
            for f in range(100):
                write_file(os.path.join(root, "tree", "d%02d" % d, "f%03d" % f), b"x")
        listing = curl(self.server, "PROPFIND", "tree/", headers=["Depth: 1"])
        self.assertEqual(listing.status, 207)
        self.assertEqual(len(list(ElementTree.fromstring(listing.body).iter("{DAV:}response"))),
                         51)
        for headers in (["Depth: infinity"], []):  # no Depth means infinity
            with self.subTest(headers=headers):
                r = curl(self.server, "PROPFIND", "", headers=headers)
                self.assertEqual(r.status, 403)
                self.assertIn(b"propfind-finite-depth", r.body)
                self.assertNotIn(b"f000", r.body)
        self.assertBystanderServed("depth")


class AnonymousRequestsTest(AttackCase):
    server_per_test = True
    login_timeout = 600  # the held connections stay until the test ends
    more_args = ["--max-connections-per-ip", "6"]

    def test_requests_without_credentials_end_each_connection_after_the_limit(self):
        request = b"OPTIONS /dav/ HTTP/1.1\r\nHost: h\r\n\r\n"
        for _ in range(3):  # new connections start again, each up to the limit
            sock = self.connect(source="127.0.0.2")
            sock.sendall(request * 20)
            reply = read_until_closed(sock)
            self.assertEqual(statuses(reply), [401] * (MAX_ANONYMOUS + 1))
            # The FIN follows close_notify after the lingering close starts.
            self.assertTrue(wait_until(lambda: closed_by_server(sock), timeout=SAFETY))
        self.assertBystanderServed("anonymous")

    def test_connections_from_one_address_are_capped_over_https(self):
        held = [self.connect(source="127.0.0.2") for _ in range(6)]
        refused = tcp_connect(self.server.https_port, source="127.0.0.2", timeout=SAFETY)
        self.addCleanup(refused.close)
        self.assertTrue(wait_until(lambda: closed_by_server(refused), timeout=SAFETY))
        self.assertLogged(r"peer=127\.0\.0\.2 refused: per-address connection limit \(6\) reached")
        self.assertFalse(any(closed_by_server(s) for s in held))
        self.assertBystanderServed("per-address")


class PreloginFloodTest(AttackCase):
    """The HTTPS door shares the sfs door's pre-login pool and its shares
    per address (server/admission.h): silent HTTPS connections cannot keep
    the owner out of either door."""

    server_per_test = True
    POOL = 16
    login_timeout = 600  # the flood holds its places until the test ends
    more_args = ["--handshake-timeout", "600", "--max-unauthenticated", str(POOL)]

    def flood(self, port, source):
        """Fills the pool from `source` (and 4 more, which the server refuses:
        once they are closed, the pool is known to be full)."""
        socks = []
        self.addCleanup(lambda: [s.close() for s in socks])
        for _ in range(self.POOL + 4):
            sock = tcp_connect(port, source)
            sock.setblocking(False)
            socks.append(sock)
        self.assertTrue(wait_until(lambda: self.closed(socks) >= 4, timeout=SAFETY))
        return socks

    @staticmethod
    def closed(socks):
        return sum(map(closed_by_server, socks))

    def evictions(self):
        return re.findall(r"peer=(\S+) evicted: the oldest of its \d+ connections not logged "
                          r"in yet, to admit (\S+) \(pool", self.server.log_text())

    def test_a_silent_https_flood_leaves_room_for_both_doors(self):
        flood = self.flood(self.server.https_port, "127.0.0.2")
        # The pool is full of 127.0.0.2's HTTPS connections: the first of the
        # bystander's connections takes the place of the oldest of them (and
        # leaves the pool once logged in, so the next ones find room).
        self.assertBystanderServed("https-flood")
        self.assertTrue(wait_until(lambda: self.closed(flood) >= 5, timeout=SAFETY))
        self.assertIn(("127.0.0.2", "127.0.0.1"), self.evictions())
        self.assertNotIn("127.0.0.1", {victim for victim, _ in self.evictions()})

    def test_a_silent_sfs_flood_leaves_room_for_webdav(self):
        flood = self.flood(self.server.port, "127.0.0.2")
        r = curl(self.server, "PROPFIND", "", headers=["Depth: 0"])
        self.assertEqual(r.status, 207)
        self.assertTrue(wait_until(lambda: self.closed(flood) >= 5, timeout=SAFETY))
        self.assertEqual(self.evictions(), [("127.0.0.2", "127.0.0.1")])


if __name__ == "__main__":
    unittest.main()
