"""Graceful stop on SIGTERM/SIGINT (issue 4): the server stops accepting,
closes idle sessions, lets transfers in flight finish within --drain-timeout,
then exits 0. A transfer that cannot finish in time is cut, and nothing
half-written becomes visible."""

import os
import re
import signal
import socket
import ssl
import unittest

from sfs_harness import (EXIT_NETWORK, HOST, RawConnection, ServerTestCase, finish,
                         parse_listing, read_file, digest_hex, stderr_lines, stored_digest,
                         temp_files_in, wait_until, write_file)

# Far beyond any transfer here: a server that exits while this has not passed did
# not wait for the drain timeout, however busy the machine (no clock is compared).
DEADLINE = 300
DRAINING = r"signal \d+ received: finishing transfers in flight, then stopping"
CUT = r"drain timeout: closing (\d+) connection\(s\) with transfers in flight"


def connection_refused(port):
    """True if a TCP connection to port is refused (nothing listens)."""
    try:
        sock = socket.create_connection((HOST, port), timeout=2)
    except ConnectionRefusedError:
        return True
    except OSError:
        return False
    sock.close()
    return False


def closed_by_peer(raw, timeout):
    """True if the server closes the raw connection within timeout."""
    raw.sock.settimeout(timeout)
    try:
        return raw.at_eof()
    except (socket.timeout, TimeoutError):
        return False
    except (ssl.SSLError, OSError):
        return True


class DrainTest(ServerTestCase):

    server_per_test = True
    server_kwargs = {"extra_args": ["--drain-timeout", str(DEADLINE)]}

    def login(self):
        raw = RawConnection(self.server.port)
        self.addCleanup(raw.close)
        self.assertEqual(raw.greet_and_login("alice", self.server.users["alice"]), "OK")
        return raw

    def signal_server(self, sig=signal.SIGTERM):
        self.server.process.send_signal(sig)

    def wait_for_exit(self, timeout=60):
        """The server's exit status; it must come long before the drain timeout
        (DEADLINE), so a server that waits for the timeout fails here."""
        status = self.server.wait(timeout)
        self.assertIsNotNone(status, "sfs-server still running after the signal: %s"
                             % self.server.log_text()[-2000:])
        self.assertIsNotNone(re.search(DRAINING, self.server.log_text()))
        self.assertIsNone(re.search(CUT, self.server.log_text()), "a transfer was cut")
        return status

    def assertInOrder(self, first, then):
        """The log holds a record matching first, and after it one matching then (the
        transfer finished while the server drained, not before the signal)."""
        log = self.server.log_text()
        a = re.search(first, log)
        self.assertIsNotNone(a, log[-2000:])
        self.assertIsNotNone(re.compile(then).search(log, a.end()),
                             "no %r after %r: %s" % (then, first, log[-2000:]))

    def slow_upload(self, name, data, rate):
        """Starts `sfs put` of data as name through a proxy limited to rate bytes/s and
        waits until it is well under way; returns (process, proxy connection)."""
        proxy = self.new_proxy()
        proxy.configure(rate_up=rate)
        local = write_file(self.client.path(name), data)
        process = self.client.start("put", local, name, port=proxy.port)
        conn = proxy.wait_for_connection(1)
        self.assertIsNotNone(conn, "the upload did not connect")
        self.assertTrue(wait_until(lambda: conn.up > 256 << 10, timeout=20),
                        "the upload did not start")
        return process, conn

    def test_upload_in_flight_finishes(self):
        data = os.urandom(3 << 20)
        idle = self.login()  # logged in, waiting for a command
        fresh = RawConnection(self.server.port)  # connected, not logged in yet
        self.addCleanup(fresh.close)
        self.assertEqual(fresh.read_line(), "SFS 1")
        process, conn = self.slow_upload("drained.bin", data, rate=1 << 20)

        self.signal_server()
        # No new connections...
        self.assertTrue(wait_until(lambda: connection_refused(self.server.port), timeout=20),
                        "the server still accepts connections after SIGTERM")
        refused = self.client.run("ls")
        self.assertEqual(refused.returncode, EXIT_NETWORK, refused.stderr)
        self.assertTrue(stderr_lines(refused)[-1].startswith("sfs: "), refused.stderr)
        # ...idle sessions are closed...
        self.assertTrue(closed_by_peer(idle, 20), "an idle session stayed open")
        self.assertTrue(closed_by_peer(fresh, 20), "a session waiting for LOGIN stayed open")
        # ...while the transfer goes on.
        result = finish(process, timeout=120)
        self.assertOk(result)
        path = self.server.stored("alice", "drained.bin")
        self.assertEqual(digest_hex(read_file(path)), digest_hex(data))
        self.assertEqual(stored_digest(path), digest_hex(data))
        # Then the server exits after the last transfer, not at the drain timeout.
        status = self.wait_for_exit()
        self.assertEqual(status, 0, self.server.log_text()[-2000:])
        self.assertInOrder(DRAINING, r"op=PUT path=drained\.bin .*result=ok")

    def test_download_in_flight_finishes(self):
        data = os.urandom(3 << 20)
        self.upload(data, "slow-get.bin")
        proxy = self.new_proxy()
        proxy.configure(rate_down=1 << 20)
        target = self.client.path("copy.bin")
        process = self.client.start("get", "slow-get.bin", target, port=proxy.port)
        conn = proxy.wait_for_connection(1)
        self.assertTrue(wait_until(lambda: conn.down > 256 << 10, timeout=20))
        self.signal_server(signal.SIGINT)  # SIGINT drains the same way
        result = finish(process, timeout=120)
        self.assertOk(result)
        self.assertEqual(digest_hex(read_file(target)), digest_hex(data))
        self.assertEqual(self.wait_for_exit(), 0)

    def test_idle_server_exits_at_once(self):
        idle = self.login()
        self.signal_server()
        # An idle session holds nothing up: the exit comes long before the drain
        # timeout (wait_for_exit fails otherwise).
        self.assertEqual(self.wait_for_exit(), 0)
        self.assertTrue(closed_by_peer(idle, 10))


class DrainTimeoutTest(ServerTestCase):

    server_per_test = True
    server_kwargs = {"extra_args": ["--drain-timeout", "1"]}

    def test_transfer_that_cannot_finish_is_cut(self):
        old = os.urandom(100_000)
        self.upload(old, "slow.bin")
        new = os.urandom(4 << 20)  # 16 s at 256 KiB/s: far beyond the 1 s timeout
        proxy = self.new_proxy()
        proxy.configure(rate_up=256 << 10)
        local = write_file(self.client.path("new.bin"), new)
        process = self.client.start("put", local, "slow.bin", port=proxy.port)
        conn = proxy.wait_for_connection(1)
        self.assertTrue(wait_until(lambda: conn.up > 128 << 10, timeout=20))

        self.server.process.send_signal(signal.SIGTERM)
        status = self.server.wait(60)  # a safety net: the upload alone takes 16 s
        self.assertIsNotNone(status, "sfs-server did not exit after SIGTERM with "
                             "--drain-timeout 1")
        self.assertEqual(status, 0, self.server.log_text()[-2000:])
        # The transfer was given its time (the drain began) and then cut at the
        # timeout, in that order; the client's upload failed (below).
        log = self.server.log_text()
        draining = re.search(DRAINING, log)
        cut = re.search(CUT, log)
        self.assertIsNotNone(draining, log[-2000:])
        self.assertIsNotNone(cut, "the transfer was not cut at the drain timeout")
        self.assertEqual(cut.group(1), "1")
        self.assertLess(draining.start(), cut.start())

        result = finish(process, timeout=30)
        self.assertNotEqual(result.returncode, 0)
        lines = stderr_lines(result)
        self.assertEqual(len(lines), 1, lines)
        self.assertTrue(lines[0].startswith("sfs: "), lines)

        # Nothing half-written is visible: the old version stands.
        user_dir = self.server.user_dir("alice")
        self.assertEqual(read_file(self.server.stored("alice", "slow.bin")), old)
        self.assertEqual(stored_digest(self.server.stored("alice", "slow.bin")), digest_hex(old))
        self.assertEqual(temp_files_in(user_dir), [])
        visible = [n for n in os.listdir(user_dir) if not n.startswith(".sfs-part-")]
        self.assertEqual(visible, ["slow.bin"])

        # After a restart the upload resumes from what was kept.
        self.server.restart()
        listed = self.client.run("ls")
        self.assertOk(listed)
        self.assertEqual(parse_listing(listed.stdout), {"slow.bin": len(old)})
        mark = self.server.log_mark()
        self.assertOk(self.client.run("put", local, "slow.bin"))
        self.assertEqual(read_file(self.server.stored("alice", "slow.bin")), new)
        self.assertRegex(self.server.log_since(mark),
                         r"op=PUT path=slow\.bin from=[1-9]\d* bytes=\d+ result=ok")


if __name__ == "__main__":
    unittest.main()
