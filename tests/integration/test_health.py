"""The load balancer's health check (issue 15, docs/cluster.md): GET /health on
the HTTPS face answers 200 "ok" without a login while the server serves, and
503 "draining" from the moment it is told to stop (SIGTERM), through the
--drain-grace during which it still serves as usual. Each answer ends its
connection, so checks cost what any request before a login costs; they are
not counted as requests without credentials, and they log nothing at the
default level (HAProxy checks every node every few seconds)."""

import re
import signal
import socket
import unittest

from sfs_harness import (HOST, RAW_TIMEOUT, WebDavCase, https_server, read_until_closed,
                         tls13_context, wait_until)

GRACE = 300  # far beyond the test: the server is stopped by a second signal


def ask(port, request):
    """Sends one raw HTTP request over TLS (the way HAProxy's check-ssl does);
    returns everything the server sent until it closed the connection."""
    sock = socket.create_connection((HOST, port), timeout=RAW_TIMEOUT)
    tls = tls13_context().wrap_socket(sock)
    try:
        tls.sendall(request)
        return read_until_closed(tls)
    finally:
        tls.close()


def check(port, method=b"GET", target=b"/health"):
    """HAProxy's `option httpchk GET /health`: HTTP/1.0, no Host."""
    return ask(port, method + b" " + target + b" HTTP/1.0\r\n\r\n")


class HealthTest(WebDavCase):

    def test_ok_without_login_and_the_connection_closes(self):
        reply = check(self.server.https_port)
        self.assertTrue(reply.startswith(b"HTTP/1.1 200 OK\r\n"), reply)
        self.assertTrue(reply.endswith(b"\r\n\r\nok\n"), reply)
        self.assertIn(b"Connection: close\r\n", reply)
        head = check(self.server.https_port, b"HEAD")
        self.assertTrue(head.startswith(b"HTTP/1.1 200 OK\r\n"), head)
        self.assertTrue(head.endswith(b"\r\n\r\n"), head)

    def test_curl_sees_ok(self):
        reply = self.dav("GET", "", user=None,
                         url="https://%s:%d/health" % (HOST, self.server.https_port))
        self.assertEqual((reply.status, reply.body), (200, b"ok\n"))

    def test_only_the_exact_target_is_the_health_check(self):
        for target in (b"/health/", b"/health?x=1", b"/healthz", b"/dav/health"):
            reply = check(self.server.https_port, target=target)
            self.assertTrue(reply.startswith(b"HTTP/1.1 401 "), (target, reply))
        reply = check(self.server.https_port, b"POST")
        self.assertTrue(reply.startswith(b"HTTP/1.1 401 "), reply)

    def test_many_checks_are_answered_and_log_nothing(self):
        mark = self.server.log_mark()
        # More than a connection's requests without credentials (8), each on
        # a connection of its own, as HAProxy's checks come.
        for _ in range(12):
            self.assertTrue(check(self.server.https_port).startswith(b"HTTP/1.1 200 "))
        # One more request logs its line: everything before it is in the log.
        self.dav("GET", "logged.txt")
        self.assertTrue(self.server.wait_for_log(r"https GET path=logged\.txt status=404"))
        log = self.server.log_since(mark)
        self.assertEqual(re.findall(r"^.*health.*$", log, re.M), [])
        self.assertEqual(len(re.findall(r"https closed", log)), 0, log)


class HealthWhileLeavingTest(WebDavCase):
    """With --drain-grace, SIGTERM turns the check to 503 at once while the
    server goes on serving; a second signal stops it."""

    server_per_test = True

    @classmethod
    def start_server(cls):
        server = https_server(extra_args=["--drain-grace", str(GRACE)])
        server.start()
        return server

    def test_503_draining_during_the_grace_while_still_serving(self):
        self.assertTrue(check(self.server.https_port).startswith(b"HTTP/1.1 200 "))
        self.server.process.send_signal(signal.SIGTERM)
        self.assertTrue(self.server.wait_for_log(r"health check answers 503"))
        reply = check(self.server.https_port)
        self.assertTrue(reply.startswith(b"HTTP/1.1 503 Service Unavailable\r\n"), reply)
        self.assertTrue(reply.endswith(b"\r\n\r\ndraining\n"), reply)
        # Still serving both doors meanwhile.
        self.assertOk(self.client.run("ls"))
        self.assertEqual(self.dav("PROPFIND", "", headers=["Depth: 0"]).status, 207)
        # A second signal stops it at once.
        self.server.process.send_signal(signal.SIGTERM)
        self.assertTrue(wait_until(lambda: not self.server.running(), timeout=30),
                        "the second signal did not stop the server")


class NoGraceTest(WebDavCase):
    """Without --drain-grace (the default) the drain starts at once: the
    listeners close, so the check fails to connect, as the load balancer
    sees it."""

    server_per_test = True

    def test_the_check_is_refused_once_draining(self):
        port = self.server.https_port
        self.server.process.send_signal(signal.SIGTERM)

        def refused():
            try:
                socket.create_connection((HOST, port), timeout=2).close()
                return False
            except ConnectionRefusedError:
                return True
        self.assertTrue(wait_until(refused, timeout=20))


if __name__ == "__main__":
    unittest.main()
