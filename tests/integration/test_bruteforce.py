"""Password guessing: penalties per source address and per user name.

docs/security.md: 3 free failures, then 0.5 s doubling up to 30 s, halving
every 60 s; only the penalised attempt waits, so others are served
meanwhile; a success clears the user's and the source's penalty; unknown
users and wrong passwords get the same bytes; one log line per failure, with
the source, never a password.

The auth file holds Argon2id hashes made by the real sfs-admin. Each test
has a server of its own (the penalties live in the server), and guesses come
from other loopback addresses (127.0.0.2 ...) than the legitimate users.
"""

import os
import re
import threading
import time
import unittest

from sfs_harness import (ADMIN_BIN, RawConnection, Server, make_temp_dir, percent_encode,
                         read_file, remove_tree, run_admin)

USERS = {"alice": "alice-Real-Pw-1", "carol": "carol-Real-Pw-2", "dave": "dave-Real-Pw-3",
         "erin": "erin-Real-Pw-4"}
FAILED = "ERR AUTH login failed"
AUTH_TEXT = None  # the hashed auth file, made once by setUpModule


def setUpModule():
    global AUTH_TEXT
    if not os.access(ADMIN_BIN, os.X_OK):
        raise unittest.SkipTest("sfs-admin not built at %s (set SFS_ADMIN_BIN)" % ADMIN_BIN)
    directory = make_temp_dir("sfs-it-bf-")
    try:
        auth = os.path.join(directory, "id_passwd.txt")
        for user, password in USERS.items():
            result = run_admin(["--auth-file", auth, "user", "add", user, "--password-stdin"],
                               input=password.encode() + b"\n")
            if result.returncode != 0:
                raise RuntimeError("sfs-admin failed: %r" % result.stderr)
        AUTH_TEXT = read_file(auth)
    finally:
        remove_tree(directory)


def guess(port, source, attempts, user="carol", timeout=40.0):
    """One connection from `source`: sends LOGIN user password for each password in
    attempts in turn. Returns [(password, reply or None if closed, seconds)], stopping
    at the first attempt the server closed the connection on."""
    out = []
    with RawConnection(port, timeout=timeout, source=source) as conn:
        if conn.read_line() != "SFS 1":
            raise AssertionError("no greeting")
        for password in attempts:
            started = time.monotonic()
            try:
                conn.send_line("LOGIN %s %s" % (percent_encode(user), percent_encode(password)))
                reply = conn.read_line()
            except (BrokenPipeError, ConnectionResetError):
                reply = None
            out.append((password, reply, time.monotonic() - started))
            if reply is None or reply == "OK":
                break
    return out


def login_time(port, source, user, password):
    """(reply, seconds) of one LOGIN on a fresh connection from source."""
    (_, reply, seconds), = guess(port, source, [password], user=user)
    return reply, seconds


class BruteForceTest(unittest.TestCase):

    def start_server(self, *extra):
        server = Server(auth_text=AUTH_TEXT, extra_args=list(extra))
        server.start()
        self.addCleanup(server.close)
        return server

    def test_guesses_get_slower_while_others_log_in_normally(self):
        server = self.start_server("--login-timeout", "3")
        passwords = ["Guess-%02d-qZ" % i for i in range(50)]
        attempts = []  # (password, reply, seconds), in order
        done = threading.Event()
        alice = []     # (reply, seconds) of alice's logins during the attack
        errors = []

        def attacker():
            try:
                left = list(passwords)
                while left:
                    results = guess(server.port, "127.0.0.2", left[:3])
                    attempts.extend(results)
                    left = left[len(results):]
            except Exception as e:  # reported below
                errors.append(e)
            finally:
                done.set()

        started = time.monotonic()
        thread = threading.Thread(target=attacker)
        thread.start()
        try:
            while not done.is_set():
                alice.append(login_time(server.port, "127.0.0.1", "alice", USERS["alice"]))
                done.wait(0.2)
        finally:
            thread.join(timeout=60)
        elapsed = time.monotonic() - started
        self.assertEqual(errors, [])
        self.assertEqual(len(attempts), 50)
        self.assertLess(elapsed, 30)
        answered = [a for a in attempts if a[1] is not None]
        for _, reply, _ in answered:
            self.assertEqual(reply, FAILED)
        # The first three are free: only the Argon2id check.
        first = [seconds for _, _, seconds in attempts[:3]]
        self.assertEqual([a[1] for a in attempts[:3]], [FAILED] * 3)
        self.assertLess(max(first), 0.5, first)
        # From the 5th attempt on, every guess is held >= 0.5 s longer than the first
        # ones, or not checked at all (the connection is closed: the penalty would pass
        # the login deadline). The 4th is left to test_fourth_attempt_is_penalised.
        base = max(first)
        for index, (_, reply, seconds) in enumerate(attempts[4:], start=5):
            if reply is not None:
                self.assertGreaterEqual(seconds, base + 0.5,
                                        "attempt %d answered after %.3f s" % (index, seconds))
        # The penalty doubles: some answered guess waited at least 1 s (0.5 s, then 1 s).
        slow = [s for _, r, s in answered[3:]]
        self.assertTrue(slow and max(slow) >= 1.0, [round(s, 3) for s in slow])
        # So only a few of the 50 passwords were ever checked.
        self.assertLessEqual(len(answered), 10, [(r, round(s, 2)) for _, r, s in attempts])
        # Meanwhile alice, from another address, logged in at once every time.
        self.assertGreaterEqual(len(alice), 5)
        for reply, seconds in alice:
            self.assertEqual(reply, "OK")
            self.assertLess(seconds, 1.0, [round(s, 3) for _, s in alice])
        # One log line per checked guess, with the source; a line per closed one;
        # no password anywhere.
        time.sleep(0.2)
        log = server.log_text()
        failed_lines = re.findall(r"^.* login failed$", log, re.M)
        self.assertEqual(len(failed_lines), len(answered), failed_lines)
        for line in failed_lines:
            self.assertRegex(line, r" warning user=carol peer=127\.0\.0\.2:\d+ login failed$")
        throttled = re.findall(r"peer=127\.0\.0\.2:\d+ login throttled past the login deadline",
                               log)
        self.assertEqual(len(throttled), 50 - len(answered))
        for password in passwords + list(USERS.values()):
            self.assertNotIn(password, log)

    def test_fourth_attempt_is_penalised(self):
        """After 3 free failures the next attempt waits 0.5 s (docs/security.md)."""
        server = self.start_server()
        results = guess(server.port, "127.0.0.3", ["w1-Pw", "w2-Pw", "w3-Pw"])
        self.assertEqual([r for _, r, _ in results], [FAILED] * 3)
        reply, seconds = login_time(server.port, "127.0.0.3", "carol", "w4-Pw")
        self.assertEqual(reply, FAILED)
        self.assertGreaterEqual(seconds, 0.45,
                                "the 4th failed login from one address was answered after "
                                "%.3f s, without the 0.5 s penalty" % seconds)

    def test_concurrent_guesses_from_one_source_are_penalised_too(self):
        """20 guesses sent at the same moment on 20 connections from one address must
        not all be checked for free: the penalty has to count attempts in flight."""
        server = self.start_server("--login-timeout", "3")
        conns = []
        try:
            for _ in range(20):
                conn = RawConnection(server.port, timeout=20, source="127.0.0.4")
                conns.append(conn)
                self.assertEqual(conn.read_line(), "SFS 1")
            results = [None] * len(conns)
            barrier = threading.Barrier(len(conns))

            def one(i):
                barrier.wait()
                started = time.monotonic()
                try:
                    reply = conns[i].command("LOGIN carol Burst-%02d-Pw" % i)
                except (BrokenPipeError, ConnectionResetError):
                    reply = None
                results[i] = (reply, time.monotonic() - started)

            threads = [threading.Thread(target=one, args=(i,)) for i in range(len(conns))]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=30)
        finally:
            for conn in conns:
                conn.close()
        checked = [r for r in results if r and r[0] == FAILED]
        self.assertLessEqual(
            len(checked), 8,
            "%d of 20 simultaneous guesses from one address were checked, answered after %s s"
            % (len(checked), sorted(round(s, 2) for _, s in checked)))

    def test_unknown_user_and_wrong_password_look_the_same(self):
        server = self.start_server()
        wrong = guess(server.port, "127.0.0.5", ["x1-Pw", "x2-Pw", "x3-Pw", "x4-Pw"],
                      user="carol")
        unknown = guess(server.port, "127.0.0.6", ["x1-Pw", "x2-Pw", "x3-Pw", "x4-Pw"],
                        user="nosuchuser")
        # Byte for byte the same replies, and the same close after the third.
        self.assertEqual([r for _, r, _ in wrong], [FAILED, FAILED, FAILED, None])
        self.assertEqual([r for _, r, _ in unknown], [r for _, r, _ in wrong])
        # And no faster: unknown users are checked against a dummy Argon2id hash.
        wrong_median = sorted(s for _, _, s in wrong[:3])[1]
        unknown_median = sorted(s for _, _, s in unknown[:3])[1]
        self.assertGreater(unknown_median, 0.4 * wrong_median, (unknown, wrong))
        # The raw bytes on the wire, including the line end.
        for user in ("carol", "nosuchuser"):
            with RawConnection(server.port, source="127.0.0.7") as conn:
                conn.read_line()
                conn.send_line("LOGIN %s x5-Pw" % user)
                while b"\n" not in conn.buffer and conn._fill():
                    pass
                self.assertEqual(conn.buffer, b"ERR AUTH login failed\n")

    def test_log_lines_are_one_per_failure_and_injection_proof(self):
        server = self.start_server()
        evil = "evil\nuser=alice peer=1.2.3.4:5 login ok"
        results = guess(server.port, "127.0.0.8", ["Sec ret%\n-1"], user=evil)
        self.assertEqual(results[0][1], FAILED)
        results = guess(server.port, "127.0.0.8", ["Sec-ret-2"], user="carol")
        self.assertEqual(results[0][1], FAILED)
        time.sleep(0.2)
        log = server.log_text()
        failed = [l for l in log.splitlines() if "login failed" in l]
        self.assertEqual(len(failed), 2, failed)
        self.assertRegex(failed[0], r" user=evil%0Auser=alice%20peer=1\.2\.3\.4:5%20login%20ok "
                                    r"peer=127\.0\.0\.8:\d+ login failed$")
        self.assertRegex(failed[1], r" user=carol peer=127\.0\.0\.8:\d+ login failed$")
        self.assertNotRegex(log, r"(?m)^user=alice")
        self.assertNotRegex(log, r"login ok")
        for secret in ("Sec ret", "Sec%20ret", "Sec-ret-2", "ret%25"):
            self.assertNotIn(secret, log)

    def test_a_success_clears_the_penalty(self):
        server = self.start_server("--login-timeout", "10")
        results = guess(server.port, "127.0.0.9", ["y1-Pw", "y2-Pw", "y3-Pw"], user="dave")
        results += guess(server.port, "127.0.0.9", ["y4-Pw", "y5-Pw"], user="dave")
        self.assertEqual([r for _, r, _ in results], [FAILED] * 5)
        # Penalised now: the right password still waits, then gets in.
        reply, seconds = login_time(server.port, "127.0.0.9", "dave", USERS["dave"])
        self.assertEqual(reply, "OK")
        self.assertGreaterEqual(seconds, 0.5)
        # Which cleared both the address's and dave's penalty: a typo is answered without
        # one. Uncleared, five fresh failures would hold it 2 s (0.5 s doubled twice);
        # cleared, it costs only a handshake and one Argon2id check, which under ASan on a
        # loaded 2-core machine can near 0.5 s.
        reply, seconds = login_time(server.port, "127.0.0.9", "dave", "typo-Pw")
        self.assertEqual(reply, FAILED)
        self.assertLess(seconds, 1.5)

    def test_the_user_name_penalty_follows_the_name_across_addresses(self):
        server = self.start_server()
        # Five failures for erin, each from another address: no address is penalised...
        for i in range(5):
            reply, _ = login_time(server.port, "127.0.0.%d" % (20 + i), "erin", "z%d-Pw" % i)
            self.assertEqual(reply, FAILED)
        # ...but erin is: her next attempt waits, from anywhere, even with her password,
        outcome = {}

        def erin():
            outcome["erin"] = login_time(server.port, "127.0.0.30", "erin", USERS["erin"])

        thread = threading.Thread(target=erin)
        thread.start()
        time.sleep(0.05)
        # while alice, from an address of the same kind, is served at once.
        reply, seconds = login_time(server.port, "127.0.0.31", "alice", USERS["alice"])
        thread.join(timeout=40)
        self.assertEqual(reply, "OK")
        self.assertLess(seconds, 1.0)
        reply, seconds = outcome["erin"]
        self.assertEqual(reply, "OK")
        self.assertGreaterEqual(seconds, 0.5)


if __name__ == "__main__":
    unittest.main()
