"""The PROXY protocol from a trusted balancer (issue 15, docs/cluster.md): a
node with local storage on 127.0.0.2 behind HAProxy (send-proxy-v2,
check-send-proxy), trusting only HAProxy's address (--proxy-protocol-from).

Clients from different loopback sources through HAProxy are seen by the node
with their own addresses, in its log and in its login penalties and
connection limits; HAProxy's health checks (the LOCAL command) keep the
node UP; a connection from the balancer's address without a header is
refused, and a header sent from any other address is never read: it is
garbage in place of TLS.

No Ceph, no database: the PROXY protocol does not need them. Every
assertion is on what the node did (replies, DELAY lines, log lines), never
on how long it took.
"""

import base64
import re
import socket
import unittest

from harness.haproxy import BALANCER_SOURCE, HAProxy, Node, haproxy_missing
from sfs_harness import (DEFAULT_USERS, RAW_TIMEOUT, Server, free_port, login_attempt,
                         open_login_connection, read_until_closed, tls13_context, wait_until)

MISSING = haproxy_missing()
NODE = "127.0.0.2"
FIRST, SECOND = "127.0.0.5", "127.0.0.6"
# Low, so that one client's connections reach it through the balancer.
PER_ADDRESS = 3
FAILED = "ERR AUTH login failed"


def connect(host, port, source):
    """A plain TCP connection to host:port from the loopback address `source`."""
    return socket.create_connection((host, port), timeout=RAW_TIMEOUT,
                                    source_address=(source, 0))


@unittest.skipIf(MISSING, MISSING or "")
class ProxyProtocolTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.node = None
        cls.haproxy = None
        try:
            https_port = free_port(NODE)
            cls.node = Server(host=NODE, port=free_port(NODE), extra_args=[
                "--https-port", str(https_port), "--proxy-protocol-from", BALANCER_SOURCE,
                "--max-connections-per-ip", str(PER_ADDRESS)])
            cls.node.https_port = https_port
            cls.node.start()
            cls.haproxy = HAProxy([Node("n1", NODE, cls.node.port, https_port)], send_proxy=True)
            cls.haproxy.start()
            # The checks begin with a LOCAL header: UP means the node took them.
            if not cls.haproxy.wait_for_states({"n1": "UP"}):
                raise AssertionError("the node did not come UP in HAProxy: %s\n%s\n%s"
                                     % (cls.haproxy.states(), cls.haproxy.log_text(),
                                        cls.node.log_text()))
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.haproxy is not None:
                cls.haproxy.close()
        finally:
            if cls.node is not None:
                cls.node.close()

    def wait_for_log(self, mark, pattern):
        """The node's log since mark once it matches pattern (bounded wait)."""
        regex = re.compile(pattern, re.M)
        if not wait_until(lambda: regex.search(self.node.log_since(mark))):
            self.fail("the node never logged %r; it logged:\n%s"
                      % (pattern, self.node.log_since(mark)))
        return self.node.log_since(mark)

    def login(self, source, user, password):
        """(DELAY ms or None, reply) of one LOGIN through HAProxy from source."""
        with open_login_connection(self.haproxy.sfs_port, source) as conn:
            return login_attempt(conn, user, password)

    def test_clients_are_seen_and_penalized_by_their_own_address(self):
        mark = self.node.log_mark()
        # A guesser from FIRST: 3 free failures on one connection, the 4th held.
        with open_login_connection(self.haproxy.sfs_port, FIRST) as conn:
            for i in range(3):
                self.assertEqual(login_attempt(conn, "mallory", "guess-%d" % i), (None, FAILED))
        self.assertEqual(self.login(FIRST, "mallory", "guess-3"), (500, FAILED))
        # SECOND's first login is not held for FIRST's failures...
        self.assertEqual(self.login(SECOND, "alice", DEFAULT_USERS["alice"]), (None, "OK"))
        # ...while FIRST's is: the node counts FIRST apart (behind a balancer
        # without the PROXY protocol, both would be the balancer's address).
        delay, reply = self.login(FIRST, "alice", DEFAULT_USERS["alice"])
        self.assertIsNotNone(delay)
        self.assertEqual(reply, "OK")
        log = self.wait_for_log(mark, r"user=alice peer=127\.0\.0\.5:\d+ login ok")
        self.assertRegex(log, r"user=alice peer=127\.0\.0\.6:\d+ login ok")
        self.assertRegex(log, r"user=mallory peer=127\.0\.0\.5:\d+ login delayed 500 ms")
        self.assertNotRegex(log, r"peer=127\.0\.0\.1:\d+ login")
        self.assertNotIn("refused", log)

    def test_https_face_sees_the_client(self):
        mark = self.node.log_mark()
        credentials = base64.b64encode(("alice:%s" % DEFAULT_USERS["alice"]).encode())
        with tls13_context().wrap_socket(connect("127.0.0.1", self.haproxy.https_port,
                                                 SECOND)) as tls:
            tls.sendall(b"PROPFIND /dav/ HTTP/1.1\r\nHost: sfs\r\nDepth: 0\r\n"
                        b"Authorization: Basic " + credentials + b"\r\n"
                        b"Connection: close\r\n\r\n")
            reply = read_until_closed(tls)
        self.assertTrue(reply.startswith(b"HTTP/1.1 207 "), reply[:300])
        self.wait_for_log(mark, r"user=alice peer=127\.0\.0\.6:\d+ https login ok")

    def test_connection_limit_per_client_address(self):
        mark = self.node.log_mark()
        held = []
        try:
            for _ in range(PER_ADDRESS):
                held.append(open_login_connection(self.haproxy.sfs_port, "127.0.0.8"))
            # The next from that client is refused; another client still gets in.
            with self.assertRaises((OSError, AssertionError)):
                open_login_connection(self.haproxy.sfs_port, "127.0.0.8").close()
            self.assertEqual(self.login("127.0.0.9", "bob", DEFAULT_USERS["bob"]), (None, "OK"))
        finally:
            for conn in held:
                conn.close()
        self.wait_for_log(mark, r"peer=127\.0\.0\.8 refused: .*")

    def test_the_balancer_address_without_a_header_is_refused(self):
        for port in (self.node.port, self.node.https_port):
            mark = self.node.log_mark()
            with self.assertRaises(OSError):  # ssl.SSLError, a reset or an EOF
                with tls13_context().wrap_socket(connect(NODE, port, BALANCER_SOURCE)) as tls:
                    tls.sendall(b"x")
                    if not tls.recv(1):
                        raise ConnectionResetError("closed")
            self.wait_for_log(mark, r"peer=127\.0\.0\.1:\d+ refused: trusted balancer, but "
                                    r"no PROXY protocol header")

    def test_a_header_from_another_address_is_garbage_tls(self):
        mark = self.node.log_mark()
        with connect(NODE, self.node.port, "127.0.0.7") as sock:
            sock.sendall(b"PROXY TCP4 192.0.2.99 127.0.0.2 1111 9001\r\n")
            with self.assertRaises(OSError):  # ssl.SSLError, or a reset
                with tls13_context().wrap_socket(sock) as tls:
                    tls.recv(1)
        log = self.wait_for_log(mark, r"peer=127\.0\.0\.7:\d+ closed: ")
        self.assertNotIn("192.0.2.99", log)
        self.assertNotIn("refused", log)


if __name__ == "__main__":
    unittest.main()
