"""Admission caps and slow clients (slowloris).

--max-connections, --max-connections-per-ip and --max-unauthenticated close
a connection over a cap right after accept (evicting another instead when
only the pre-login pool is full: see test_prelogin_flood.py); --handshake-timeout,
--login-timeout, --idle-timeout and --io-timeout close silent or trickling
peers at their deadline, while everybody else is served. Small caps and
short timeouts keep these tests fast; the extra clients come from other
loopback addresses (127.0.0.2 ...).

No assertion compares wall-clock times (the machine may be busy): a refusal
at accept is told from a close at a deadline by the server's log record
(`refused: ...` against `closed: TLS handshake timed out`), a trickler cut at
its deadline by how few of its bytes it got to send, and "served meanwhile"
by the reply arriving at all (the read timeouts are only a safety net).
"""

import os
import re
import select
import ssl
import threading
import time
import unittest

from sfs_harness import (DEFAULT_USERS, RAW_TIMEOUT, RawConnection, Server, percent_encode,
                         tcp_connect, wait_until)

ALICE = DEFAULT_USERS["alice"]


class Watch:
    """Open plain TCP connections and which of them the server closed."""

    def __init__(self, port):
        self.port = port
        self.socks = []
        self.opened = {}
        self.closed = {}

    def open(self, source, count=1):
        for _ in range(count):
            sock = tcp_connect(self.port, source)
            sock.setblocking(False)
            self.socks.append(sock)
            self.opened[sock] = time.monotonic()
        return self.socks[-count:]

    def poll(self, timeout):
        """Waits up to timeout, recording the connections the server closed."""
        deadline = time.monotonic() + timeout
        while True:
            live = [s for s in self.socks if s not in self.closed]
            left = deadline - time.monotonic()
            if not live or left <= 0:
                return
            ready, _, _ = select.select(live, [], [], left)
            now = time.monotonic()
            for sock in ready:
                try:
                    data = sock.recv(4096)
                except (ConnectionResetError, BlockingIOError):
                    data = b""
                if not data:
                    self.closed[sock] = now - self.opened[sock]

    def closed_times(self, socks):
        """For each of socks, seconds from connect to the close, or None if still open
        (the times are for messages only: no test compares them with a threshold)."""
        return [self.closed.get(s) for s in socks]

    def wait_closed(self, socks, timeout=20.0):
        """Polls until the server closed every one of socks (timeout is a safety net)."""
        deadline = time.monotonic() + timeout
        while any(s not in self.closed for s in socks) and time.monotonic() < deadline:
            self.poll(0.1)

    def close(self):
        for sock in self.socks:
            sock.close()


def login(port, source=None, user="alice", password=ALICE, timeout=5.0):
    """A logged-in RawConnection, or None if the server refused or closed it."""
    try:
        conn = RawConnection(port, timeout=timeout, source=source)
    except (ConnectionResetError, ssl.SSLError, OSError):
        return None
    try:
        if conn.greet_and_login(user, password) == "OK":
            return conn
    except (AssertionError, ConnectionResetError, ssl.SSLError, OSError):
        pass
    conn.close()
    return None


def can_log_in(port, source=None):
    """True if a client from source logs in (the read timeout is a safety net)."""
    conn = login(port, source, timeout=RAW_TIMEOUT)
    if conn is not None:
        conn.close()
    return conn is not None


class LimitsTestCase(unittest.TestCase):

    def start_server(self, *extra):
        server = Server(extra_args=list(extra))
        server.start()
        self.addCleanup(server.close)
        return server

    def watch(self, server):
        watch = Watch(server.port)
        self.addCleanup(watch.close)
        return watch

    def assertRefused(self, server, watch, socks, pattern, what):
        """socks are closed, each by a refusal right after accept: the log holds one
        record matching pattern per refused connection (a close at the handshake
        deadline would log `closed: TLS handshake timed out` instead)."""
        watch.wait_closed(socks)
        self.assertEqual(watch.closed_times(socks).count(None), 0, "%s: not closed" % what)
        self.assertEqual(server.wait_for_log_count(pattern, len(socks)), len(socks),
                         "%s: %s" % (what, server.log_text()[-2000:]))
        self.assertEqual(server.log_count(r"closed: TLS handshake timed out"), 0, what)

    def assertClosedAtHandshakeDeadline(self, server, watch, socks, what):
        """socks are closed by the handshake timeout, not before for another reason."""
        watch.wait_closed(socks, timeout=30)
        self.assertEqual(watch.closed_times(socks).count(None), 0, "%s: not closed" % what)
        self.assertEqual(
            server.wait_for_log_count(r"closed: TLS handshake timed out", len(socks)),
            len(socks), "%s: %s" % (what, server.log_text()[-2000:]))

    def assertOpen(self, times, what):
        self.assertEqual(times, [None] * len(times), what)


class AdmissionTest(LimitsTestCase):

    def test_per_address_cap(self):
        # A handshake timeout far beyond the test: every close seen here is a refusal.
        server = self.start_server("--max-connections-per-ip", "3", "--handshake-timeout", "300")
        watch = self.watch(server)
        admitted = watch.open("127.0.0.2", 3)
        watch.poll(0.3)
        extra = watch.open("127.0.0.2", 2)
        self.assertRefused(server, watch, extra,
                           r"warning peer=127\.0\.0\.2 refused: per-address connection limit "
                           r"\(3\) reached", "the 4th and 5th from 127.0.0.2")
        self.assertOpen(watch.closed_times(admitted), "the first 3 from 127.0.0.2")
        # Another address is served, also while 127.0.0.2 is full.
        self.assertTrue(can_log_in(server.port, "127.0.0.3"))
        self.assertEqual(len(re.findall(r"peer=127\.0\.0\.2 refused", server.log_text())), 2)
        # A connection that ends gives its place back.
        admitted[0].close()
        watch.socks.remove(admitted[0])
        conn = wait_until(lambda: login(server.port, "127.0.0.2"), timeout=20, interval=0.1)
        self.assertIsNotNone(conn, "127.0.0.2 did not get its place back")
        conn.close()

    def test_logged_in_sessions_count_per_address_too(self):
        server = self.start_server("--max-connections-per-ip", "2")
        sessions = [login(server.port, "127.0.0.2") for _ in range(2)]
        try:
            self.assertNotIn(None, sessions)
            watch = self.watch(server)
            extra = watch.open("127.0.0.2")
            self.assertRefused(server, watch, extra,
                               r"peer=127\.0\.0\.2 refused: per-address connection limit "
                               r"\(2\) reached", "3rd from 127.0.0.2")
            for conn in sessions:
                self.assertTrue(conn.command("LIST").startswith("OK "))
        finally:
            for conn in sessions:
                if conn:
                    conn.close()

    def test_total_cap(self):
        server = self.start_server("--max-connections", "4", "--handshake-timeout", "300")
        sessions = [login(server.port, "127.0.0.2"), login(server.port, "127.0.0.3")]
        try:
            self.assertNotIn(None, sessions)
            watch = self.watch(server)
            silent = watch.open("127.0.0.4") + watch.open("127.0.0.5")
            watch.poll(0.3)
            extra = watch.open("127.0.0.6") + watch.open("127.0.0.2") + watch.open("127.0.0.1")
            self.assertRefused(server, watch, extra, r"refused: connection limit \(4\) reached",
                               "the 5th connection, any address")
            self.assertOpen(watch.closed_times(silent), "connections 3 and 4")
            # The sessions in place are served as usual.
            for conn in sessions:
                self.assertTrue(conn.command("LIST").startswith("OK "))
            # One leaves: someone else gets in.
            self.assertEqual(sessions[0].command("QUIT"), "OK")
            sessions[0].close()
            conn = wait_until(lambda: login(server.port, "127.0.0.7"), timeout=20, interval=0.1)
            self.assertIsNotNone(conn)
            conn.close()
        finally:
            for conn in sessions:
                if conn:
                    conn.close()

    def test_unauthenticated_cap_spares_logged_in_sessions(self):
        server = self.start_server("--max-unauthenticated", "5", "--handshake-timeout", "2")
        session = login(server.port)
        self.addCleanup(session.close)
        watch = self.watch(server)
        silent = []
        for i in range(5):
            silent += watch.open("127.0.0.%d" % (2 + i))
        watch.poll(0.3)
        extra = watch.open("127.0.0.2") + watch.open("127.0.0.6")
        # The cap is clear: the 6th not-logged-in connection is refused when its
        # address holds as many as any other (one; from an address holding fewer
        # it would evict the oldest, see test_prelogin_flood.py). A refusal means
        # the 5 silent ones held the pool then, so the refusals are logged before
        # any of them reached its handshake deadline...
        refused = r"refused: too many connections not logged in yet \(5\)"
        watch.wait_closed(extra)
        self.assertEqual(watch.closed_times(extra).count(None), 0, "the 6th stayed open")
        self.assertEqual(server.wait_for_log_count(refused, 2), 2, server.log_text()[-2000:])
        log = server.log_text()
        first_timeout = log.find("closed: TLS handshake timed out")
        last_refusal = max(m.end() for m in re.finditer(refused, log))
        self.assertTrue(first_timeout == -1 or last_refusal < first_timeout, log[-2000:])
        self.assertNotIn(" evicted:", log)
        # ...while the session logged in before is served as usual,
        self.assertTrue(session.command("LIST").startswith("OK "))
        # and the silent ones are closed at their handshake deadline,
        self.assertClosedAtHandshakeDeadline(server, watch, silent, "the 5 silent connections")
        # after which newcomers are served again.
        self.assertTrue(can_log_in(server.port, "127.0.0.9"))
        self.assertEqual(len(re.findall(r"closed: TLS handshake timed out", server.log_text())), 5)


class SlowlorisTest(LimitsTestCase):

    def test_silent_connections_before_the_handshake(self):
        server = self.start_server("--max-unauthenticated", "5", "--max-connections-per-ip", "3",
                                   "--handshake-timeout", "2", "--login-timeout", "3")
        watch = self.watch(server)
        first = watch.open("127.0.0.2", 3)
        watch.poll(0.2)
        rest = watch.open("127.0.0.2", 7)
        watch.wait_closed(rest)
        self.assertEqual(watch.closed_times(rest).count(None), 0,
                         "silent ones over the per-address cap stayed open")
        # Refused, not closed at a deadline (that would be logged as a timeout).
        self.assertEqual(server.wait_for_log_count(
            r"peer=127\.0\.0\.2 refused: per-address connection limit \(3\)", 7), 7,
            server.log_text()[-2000:])
        # A normal client from elsewhere is served meanwhile,
        for _ in range(3):
            self.assertTrue(can_log_in(server.port, "127.0.0.1"))
        # and the silent ones are closed at their handshake deadline.
        self.assertClosedAtHandshakeDeadline(server, watch, first, "the first 3 from 127.0.0.2")

    def trickle(self, port, source, payload, log_in, results):
        """Opens a TLS connection from source (logging in first if asked), then sends
        payload at most one byte per second until the server closes the connection;
        appends (seconds from the first byte, or None if still open at the end; bytes
        sent). A busy machine only sends fewer bytes before the server's deadline."""
        conn = RawConnection(port, timeout=10, source=source)
        try:
            if log_in:
                self.assertEqual(conn.greet_and_login("alice", ALICE), "OK")
            else:
                self.assertEqual(conn.read_line(), "SFS 1")
            conn.sock.setblocking(False)
            started = time.monotonic()
            sent = 0
            while sent < len(payload):
                ready, _, _ = select.select([conn.sock], [], [], 1.0)
                if ready or conn.sock.pending():
                    try:
                        data = conn.sock.recv(4096)
                    except ssl.SSLWantReadError:
                        continue
                    except (ssl.SSLError, OSError):
                        data = b""
                    if not data:
                        results.append((time.monotonic() - started, sent))
                        return
                    continue  # a reply: keep trickling
                try:
                    conn.sock.send(payload[sent:sent + 1])
                    sent += 1
                except (ssl.SSLWantWriteError, ssl.SSLError, OSError):
                    results.append((time.monotonic() - started, sent))
                    return
            results.append((None, sent))
        finally:
            conn.close()

    def run_trickles(self, server, specs):
        results = []
        threads = [threading.Thread(target=self.trickle, args=(server.port,) + spec + (results,))
                   for spec in specs]
        for t in threads:
            t.start()
        return threads, results

    def test_one_byte_per_second_before_login(self):
        server = self.start_server("--max-unauthenticated", "5", "--max-connections-per-ip", "2",
                                   "--login-timeout", "3")
        line = ("LOGIN alice %s\n" % percent_encode(ALICE)).encode() * 3
        specs = [(source, line, False) for source in ("127.0.0.2", "127.0.0.2", "127.0.0.3",
                                                    "127.0.0.3")]
        threads, results = self.run_trickles(server, specs)
        time.sleep(0.5)
        for _ in range(3):
            self.assertTrue(can_log_in(server.port, "127.0.0.1"))
        for t in threads:
            t.join(timeout=60)
        self.assertEqual(len(results), 4)
        # Cut at the login deadline: not one whole LOGIN line got through (at one
        # byte a second it takes far longer than the 3 s deadline).
        first_line = len(line) // 3
        for seconds, sent in results:
            self.assertIsNotNone(seconds, "a trickling client was never closed")
            self.assertLess(sent, first_line, "closed after %.1f s, %d bytes" % (seconds, sent))
        self.assertNotIn("login ok", " ".join(
            l for l in server.log_text().splitlines() if "127.0.0.2" in l or "127.0.0.3" in l))

    def test_one_byte_per_second_after_login(self):
        server = self.start_server("--idle-timeout", "3", "--io-timeout", "2")
        # Command lines trickled in (the idle timeout covers the whole line), and
        # file data trickled into a frame (each read has the 2 s I/O deadline).
        specs = [("127.0.0.2", b"HASH some-rather-long-name.txt\n", True),
                 ("127.0.0.3", b"LIST\n", True)]
        threads, results = self.run_trickles(server, specs)
        frame_result = []

        def slow_frame():
            conn = login(server.port, "127.0.0.4")
            try:
                self.assertTrue(conn.command("PUT slow.bin 100").startswith("OK "))
                conn.send_line("FROM 0")
                conn.send(b"\x00\x00\x00\x64")  # a 100-byte frame, then 1 byte per second
                started = time.monotonic()
                for _ in range(100):
                    conn.send(b"z")
                    ready, _, _ = select.select([conn.sock], [], [], 1.0)
                    if ready:
                        frame_result.append((time.monotonic() - started, conn.read_line()))
                        return
                frame_result.append((None, None))
            except OSError as e:
                frame_result.append((time.monotonic() - started, repr(e)))
            finally:
                conn.close()

        framer = threading.Thread(target=slow_frame)
        framer.start()
        threads.append(framer)
        time.sleep(0.5)
        # Others are served meanwhile.
        conn = login(server.port, "127.0.0.1")
        self.assertIsNotNone(conn)
        offer, reply = conn.put("fast.txt", b"fast" * 1000)
        self.assertTrue(reply.startswith("OK "), reply)
        conn.close()
        for t in threads:
            t.join(timeout=60)
        self.assertEqual(len(results), 2)
        # Both trickled lines are cut at the idle deadline (3 s), unfinished: the
        # deadline covers the whole line, not each byte (at most one a second, so
        # even "LIST\n" takes longer than the deadline).
        shortest = min(len(payload) for _, payload, _ in specs)
        for seconds, sent in results:
            self.assertIsNotNone(seconds, "a trickled command line was never cut")
            self.assertLess(sent, shortest, (seconds, sent))
        # The trickled frame is cut at the I/O deadline (2 s), long before its 100
        # bytes are in; nothing is stored.
        (seconds, reply), = frame_result
        self.assertIsNotNone(seconds, "a frame trickled at 1 byte/s was never cut")
        self.assertFalse(reply and reply.startswith("OK"), reply)
        self.assertFalse(os.path.exists(server.stored("alice", "slow.bin")))


if __name__ == "__main__":
    unittest.main()
