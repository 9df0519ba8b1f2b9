"""Password guessing: penalties per (address, user name), per address and per user name.

docs/security.md, "Login throttling": 3 free failures, then 0.5 s doubling;
a penalty over 30 s refuses the attempt without checking the password (the
reply says when to try again); a burst is judged as if sent in a row (past
the free failures, one at a time); a client that sent NOTICES delay hears
`DELAY <ms>` before a held reply; unknown users and wrong passwords get the
same bytes; one log line per check, with the source, never a password.

Every assertion is on what the server did (replies, DELAY lines, log lines),
never on how long it took. The auth file holds Argon2id hashes made by the
real sfs-admin. Each test has a server of its own (the penalties live in the
server), and guesses come from other loopback addresses (127.0.0.2 ...).
"""

import re
import threading
import unittest

from sfs_harness import (EXIT_AUTH, EXIT_OK, Client, RawConnection, Server, hashed_auth_text,
                         login_attempt, open_login_connection, stderr_lines, wait_until)

USERS = {"alice": "alice-Real-Pw-1", "carol": "carol-Real-Pw-2", "dave": "dave-Real-Pw-3",
         "erin": "erin-Real-Pw-4"}
FAILED = "ERR AUTH login failed"
REFUSED = re.compile(r"ERR AUTH too many failed logins for this account or address; "
                     r"try again in (\d+) s")
BUSY = "ERR AUTH too many logins in progress for this account or address; try again later"
AUTH_TEXT = None  # the hashed auth file, made once by setUpModule


def setUpModule():
    global AUTH_TEXT
    AUTH_TEXT = hashed_auth_text(USERS)


def guess(port, source, passwords, user="carol", notices=True):
    """One connection from `source` trying each password in turn; returns
    [(delay, reply)], stopping when the server closes the connection or says OK."""
    out = []
    with open_login_connection(port, source, notices) as conn:
        for password in passwords:
            delay, reply = login_attempt(conn, user, password)
            out.append((delay, reply))
            if reply is None or reply == "OK":
                break
    return out


def once(port, source, user, password, notices=True):
    """(delay, reply) of one LOGIN on a fresh connection from source."""
    (result,) = guess(port, source, [password], user=user, notices=notices)
    return result


def log_lines(server, what):
    return re.findall(r"^.* %s.*$" % what, server.log_text(), re.M)


def wait_for_lines(server, what, count):
    """Waits until the log has `count` lines with `what`; returns them."""
    return wait_until(lambda: len(log_lines(server, what)) >= count and log_lines(server, what))


def push_name_past_clean_level(test, port, user, first_address):
    """Fails once on `user` from fresh addresses (127.0.N.1, .2 ...) until one of
    them, clean, is held back: then the name's score is past 13.5, where clean
    sources start to pay for it, far past 8.9, where failing ones are refused."""
    for i in range(1, 31):
        delay, reply = once(port, first_address % i, user, "x-Pw")
        test.assertEqual(reply, FAILED)
        if delay is not None:
            return
    test.fail("30 failures from fresh addresses and none was held back")


class BruteForceTest(unittest.TestCase):

    def start_server(self, *extra):
        server = Server(auth_text=AUTH_TEXT, extra_args=list(extra))
        server.start()
        self.addCleanup(server.close)
        return server

    def test_fourth_attempt_is_delayed_and_the_client_is_told(self):
        """After 3 free failures the next attempt waits 0.5 s; a client that sent
        NOTICES delay hears DELAY first, one that did not hears nothing extra."""
        server = self.start_server()
        results = guess(server.port, "127.0.0.3", ["w1-Pw", "w2-Pw", "w3-Pw"])
        self.assertEqual(results, [(None, FAILED)] * 3)
        delay, reply = once(server.port, "127.0.0.3", "carol", "w4-Pw")
        self.assertEqual(reply, FAILED)
        # 0.5 s exactly: what the three failures decayed meanwhile is free.
        self.assertEqual(delay, 500, "the 4th failed login from one address was not held")
        self.assertTrue(server.wait_for_log(
            r"user=carol peer=127\.0\.0\.3:\d+ login delayed \d+ ms source=failing$"))
        # Without NOTICES delay: held too (the 5th: about 1 s), but no DELAY line.
        with open_login_connection(server.port, "127.0.0.3", notices=False) as conn:
            conn.send_line("LOGIN carol w5-Pw")
            self.assertEqual(conn.read_line(), FAILED)
        self.assertEqual(len(wait_for_lines(server, "login failed", 5)), 5)
        self.assertEqual(len(log_lines(server, r"login delayed")), 2)

    def test_a_hold_past_the_time_to_log_in_still_gets_its_reply(self):
        """A hold does not count against the time to log in, so the connection must
        not be cut when that time passes during the hold: a client that did not ask
        for notices (no DELAY line was written) and is held for several seconds, with
        2 s to log in, still gets its reply (the server once closed it silently)."""
        server = self.start_server("--login-timeout", "2")
        # Seven failures from 127.0.0.8, one per connection (each has 2 s to log
        # in; holds are told by DELAY): 3 free, then held 0.5, 1, 2 and 4 s. The
        # next one earns 8 s, which stays over 2 s for half a minute of decay.
        for i in range(7):
            self.assertEqual(once(server.port, "127.0.0.8", "carol", "w%d-Pw" % i)[1], FAILED)
        mark = server.log_mark()
        with open_login_connection(server.port, "127.0.0.8", notices=False) as conn:
            conn.send_line("LOGIN carol w7-Pw")
            self.assertEqual(conn.read_line(), FAILED, server.log_since(mark))
        self.assertTrue(wait_until(lambda: "login failed" in server.log_since(mark)))
        held = re.search(r"login delayed (\d+) ms source=failing", server.log_since(mark))
        self.assertIsNotNone(held, server.log_since(mark))
        self.assertGreater(int(held.group(1)), 2000, "the hold did not outlast the time to log in")

    def test_simultaneous_guesses_are_judged_as_if_sent_in_a_row(self):
        """20 guesses sent at the same moment on 20 connections from one address: 3 are
        checked together (were they all to fail, each would still have been free); the
        others wait for those verdicts and then go one at a time, each held for what the
        failures before it earned (0.5 s, 1 s, 2 s ... less what decayed meanwhile),
        until the penalty passes 30 s or the waiting connections' 30 s to log in run
        out: those are answered unchecked."""
        server = self.start_server()
        conns = [open_login_connection(server.port, "127.0.0.4") for _ in range(20)]
        try:
            results = [None] * len(conns)
            barrier = threading.Barrier(len(conns))

            def one(i):
                barrier.wait()
                results[i] = login_attempt(conns[i], "carol", "Burst-%02d-Pw" % i)

            threads = [threading.Thread(target=one, args=(i,)) for i in range(len(conns))]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=90)
        finally:
            for conn in conns:
                conn.close()
        # Every LOGIN is answered: none is left waiting, none is cut without a reply
        # (the server once let its deadline watchdog close a busy connection just as
        # its reply was due, when the machine was slow).
        self.assertNotIn(None, results)
        self.assertNotIn((None, None), results, server.log_text()[-4000:])
        checked = [(d, r) for d, r in results if r == FAILED]
        unchecked = [(d, r) for d, r in results if r == BUSY or REFUSED.fullmatch(r or "")]
        self.assertEqual(len(checked) + len(unchecked), 20, results)
        self.assertTrue(all(d is None for d, _ in unchecked), unchecked)
        free = [r for d, r in checked if d is None]
        self.assertEqual(len(free), 3, results)
        held = sorted(d for d, _ in checked if d is not None)
        self.assertGreaterEqual(len(held), 1, results)
        # One at a time, each held longer than the one before it and no longer than
        # its place in the doubling; all but the last were served before the waiting
        # connections' 30 s to log in ran out.
        self.assertEqual(len(set(held)), len(held), held)
        for delay, nominal in zip(held, (500, 1000, 2000, 4000, 8000, 16000, 30000, 30000)):
            self.assertLessEqual(delay, nominal)
        self.assertLess(sum(held[:-1]), 30000, held)
        # What the server logged matches: one line per check, per hold, per refusal.
        self.assertEqual(len(wait_for_lines(server, "login failed", len(checked))), len(checked))
        self.assertEqual(len(log_lines(server, "login delayed")), len(held))
        self.assertEqual(len(log_lines(server, "login refused")), len(unchecked))

    def test_a_refused_attempt_is_told_when_to_try_again(self):
        """A penalty over 30 s is not served: the reply comes at once and says when."""
        server = self.start_server()
        push_name_past_clean_level(self, server.port, "carol", "127.0.1.%d")
        # An address with a failure of its own pays carol's penalty past 3 failures:
        # 0.5 s * 2^10 and more, so it is refused, unchecked, with a time to try again
        # (for 14 failures or more to halve down to 8.9: 40 s or more).
        self.assertEqual(once(server.port, "127.0.0.5", "dave", "y-Pw"), (None, FAILED))
        mark = server.log_mark()
        delay, reply = once(server.port, "127.0.0.5", "carol", USERS["carol"])
        self.assertIsNone(delay)
        match = REFUSED.fullmatch(reply or "")
        self.assertIsNotNone(match, reply)
        retry = int(match.group(1))
        self.assertGreaterEqual(retry, 1)
        self.assertTrue(server.wait_for_log(r"login refused"))
        self.assertRegex(server.log_since(mark),
                         r"user=carol peer=127\.0\.0\.5:\d+ login refused source=failing "
                         r"retry=%ds\n" % retry)
        self.assertNotRegex(server.log_since(mark), "login (ok|failed)")
        # Meanwhile a clean address gets in (held at most a little for the name).
        delay, reply = once(server.port, "127.0.0.6", "carol", USERS["carol"])
        self.assertEqual(reply, "OK")

    def test_the_client_says_why_its_login_is_delayed_or_refused(self):
        """The real client prints one line when the server holds its login back, and
        another when the server refuses to check it."""
        server = self.start_server()
        client = Client(server, user="alice", password=USERS["alice"])
        self.addCleanup(client.close)
        failed = "sfs: login failed: wrong user name or password"
        delayed = re.compile(r"sfs: login delayed (\d+) s after repeated failures for this "
                             r"account or address")
        # Wrong passwords from 127.0.0.1 until the server holds one back (the 4th)...
        for attempt in range(1, 7):
            result = client.run("ls", password="wrong-Pw")
            self.assertEqual(result.returncode, EXIT_AUTH, result.stderr)
            lines = stderr_lines(result)
            self.assertEqual(lines[-1], failed)
            if len(lines) == 2:
                self.assertRegex(lines[0], delayed)
                break
            self.assertEqual(len(lines), 1, lines)
        self.assertEqual(attempt, 4)
        # ... then the right one: told, held, let in.
        result = client.run("ls")
        self.assertEqual(result.returncode, EXIT_OK, result.stderr)
        lines = stderr_lines(result)
        self.assertEqual(len(lines), 1, lines)
        self.assertIn(int(delayed.fullmatch(lines[0]).group(1)), (1, 2))
        # carol's name pushed past what failing addresses may try; carol from
        # 127.0.0.1, which has failures of its own, is refused.
        push_name_past_clean_level(self, server.port, "carol", "127.0.2.%d")
        result = client.run("ls", user="carol", password=USERS["carol"])
        self.assertEqual(result.returncode, EXIT_AUTH, result.stderr)
        lines = stderr_lines(result)
        self.assertEqual(len(lines), 1, lines)
        self.assertRegex(lines[0], r"^sfs: login refused: too many failed logins for this "
                                   r"account or address; try again in \d+ s$")

    def test_unknown_user_and_wrong_password_look_the_same(self):
        server = self.start_server()
        wrong = guess(server.port, "127.0.0.5", ["x1-Pw", "x2-Pw", "x3-Pw", "x4-Pw"],
                      user="carol")
        unknown = guess(server.port, "127.0.0.6", ["x1-Pw", "x2-Pw", "x3-Pw", "x4-Pw"],
                        user="nosuchuser")
        # Byte for byte the same replies, and the same close after the third.
        self.assertEqual(wrong, [(None, FAILED)] * 3 + [(None, None)])
        self.assertEqual(unknown, wrong)
        # Both checked by one Argon2id run (unknown users against a dummy hash).
        wait_for_lines(server, "login failed", 6)
        for user in ("carol", "nosuchuser"):
            lines = [l for l in log_lines(server, "login failed") if " user=%s " % user in l]
            self.assertEqual(len(lines), 3, lines)
            for line in lines:
                self.assertTrue(line.endswith(" check=argon2id source=clean") or
                                line.endswith(" check=argon2id source=failing"), line)
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
        self.assertEqual(once(server.port, "127.0.0.8", evil, "Sec ret%\n-1"), (None, FAILED))
        self.assertEqual(once(server.port, "127.0.0.8", "carol", "Sec-ret-2"), (None, FAILED))
        wait_for_lines(server, "login failed", 2)
        log = server.log_text()
        failed = [l for l in log.splitlines() if "login failed" in l]
        self.assertEqual(len(failed), 2, failed)
        self.assertRegex(failed[0], r" user=evil%0Auser=alice%20peer=1\.2\.3\.4:5%20login%20ok "
                                    r"peer=127\.0\.0\.8:\d+ login failed check=argon2id "
                                    r"source=clean$")
        self.assertRegex(failed[1], r" user=carol peer=127\.0\.0\.8:\d+ login failed "
                                    r"check=argon2id source=failing$")
        self.assertNotRegex(log, r"(?m)^user=alice")
        self.assertNotRegex(log, r"login ok")
        for secret in ("Sec ret", "Sec%20ret", "Sec-ret-2", "ret%25"):
            self.assertNotIn(secret, log)

    def test_a_success_clears_its_own_penalty_and_trusts_the_address(self):
        server = self.start_server()
        results = guess(server.port, "127.0.0.9", ["y1-Pw", "y2-Pw", "y3-Pw"], user="dave")
        results += guess(server.port, "127.0.0.9", ["y4-Pw", "y5-Pw"], user="dave")
        self.assertEqual([r for _, r in results], [FAILED] * 5)
        self.assertEqual([d is None for d, _ in results], [True] * 3 + [False] * 2)
        # Penalised now: the right password still waits (5 failures: 2 s), then gets in.
        delay, reply = once(server.port, "127.0.0.9", "dave", USERS["dave"])
        self.assertEqual(reply, "OK")
        self.assertIsNotNone(delay)
        self.assertGreater(delay, 1000)
        # Which cleared the (address, dave) penalty and made the address trusted for
        # dave: a typo is checked at once, and the address's other failures do not count.
        delay, reply = once(server.port, "127.0.0.9", "dave", "typo-Pw")
        self.assertEqual((delay, reply), (None, FAILED))
        self.assertTrue(server.wait_for_log(
            r"user=dave peer=127\.0\.0\.9:\d+ login failed check=argon2id source=trusted$"))
        # For another name the address is still failing: 6 failures, 4 s.
        delay, reply = once(server.port, "127.0.0.9", "erin", "z-Pw")
        self.assertEqual(reply, FAILED)
        self.assertIsNotNone(delay)
        self.assertGreater(delay, 2000)

    def test_failures_on_a_name_do_not_slow_a_clean_address(self):
        server = self.start_server()
        # Five failures for erin, each from another address: no address is penalised,
        # but erin's name has five failures...
        for i in range(5):
            self.assertEqual(once(server.port, "127.0.0.%d" % (20 + i), "erin", "z%d-Pw" % i),
                             (None, FAILED))
        # ... which an address that failed pays (5 failures: 2 s) ...
        delay, reply = once(server.port, "127.0.0.20", "erin", USERS["erin"])
        self.assertEqual(reply, "OK")
        self.assertIsNotNone(delay)
        self.assertGreater(delay, 1000)
        # ... and a clean address does not.
        self.assertEqual(once(server.port, "127.0.0.30", "erin", USERS["erin"]), (None, "OK"))
        self.assertTrue(server.wait_for_log(
            r"user=erin peer=127\.0\.0\.30:\d+ login ok check=\w+ source=clean$"))


if __name__ == "__main__":
    unittest.main()
