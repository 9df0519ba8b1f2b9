"""Account changes reach a running server without a restart.

The server reloads its auth file on SIGHUP and when the file changes on disk
(checked every 2 s), ends the open sessions of deleted users and of users
whose password changed, and logs what it did. A file it cannot take leaves
the users it had. Its own rehash of a password is no password change.

The reloads are waited for by their log lines, in bounded loops; nothing
here depends on how long a reload takes.
"""

import os
import re
import select
import signal
import subprocess
import time
import unittest

import test_rehash
from sfs_harness import (EXIT_AUTH, STOP_TIMEOUT, RawConnection, Server, ServerTestCase,
                         digest_hex, finish, ok_put, partial_files_in, read_file, run_admin,
                         stderr_lines, wait_until)

RELOAD_WAIT = 30.0  # bound on waiting for a reload (one comes every 2 s)
CHECK_INTERVAL = 2.0  # the server's, for the one test that waits for checks to pass
NEW_BOB = "bob-New-pw-9Tq"
ENDED_CHANGED = "ERR AUTH session ended: the password was changed; log in again"
ENDED_DELETED = "ERR AUTH session ended: the account was deleted"


def stop_process(process):
    if process.poll() is None:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT)


def log_in(port, user, password):
    """A new connection's LOGIN reply."""
    with RawConnection(port) as conn:
        return conn.greet_and_login(user, password)


class AccountChangeTestCase(ServerTestCase):
    server_per_test = True

    @property
    def auth_file(self):
        return os.path.join(self.server.directory, "id_passwd.txt")

    def admin(self, *args, input=None):
        result = run_admin(["--auth-file", self.auth_file, "--storage", self.server.storage]
                           + list(args), cwd=self.server.directory, input=input)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout.decode()

    def replace_auth_file(self, text):
        """Writes the auth file as sfs-admin does: a new file renamed over it."""
        temp = self.auth_file + ".new"
        with open(temp, "wb") as f:
            f.write(text)
        os.chmod(temp, 0o600)
        os.replace(temp, self.auth_file)

    def wait_for_reload(self, mark, pattern):
        """Waits for a log line after mark that starts with 'auth file reloaded' and
        matches pattern; returns it."""
        regex = re.compile(r"auth file reloaded.*$", re.M)

        def found():
            for line in regex.findall(self.server.log_since(mark)):
                if re.search(pattern, line):
                    return line
            return None
        line = wait_until(found, timeout=RELOAD_WAIT)
        self.assertIsNotNone(line, "no reload matching %r; log:\n%s" % (
            pattern, self.server.log_since(mark)))
        return line

    def logged_in(self, user, password=None):
        conn = RawConnection(self.server.port)
        self.addCleanup(conn.close)
        reply = conn.greet_and_login(user, password or self.server.users[user])
        self.assertEqual(reply, "OK")
        return conn

    def assertServes(self, conn):
        reply = conn.command("LIST")
        self.assertIsNotNone(reply)
        self.assertRegex(reply, r"^OK \d+$")
        for _ in range(int(reply.split()[1])):
            self.assertIsNotNone(conn.read_line())


class PasswordChangeTest(AccountChangeTestCase):

    def test_the_new_password_works_and_the_old_one_fails_at_once(self):
        bob = self.logged_in("bob")
        alice = self.logged_in("alice")
        mark = self.server.log_mark()
        out = self.admin("user", "passwd", "bob", "--password-stdin",
                         input=NEW_BOB.encode() + b"\n")
        self.assertIn("a running sfs-server checks this file every 2 s (at once on SIGHUP) and "
                      "then ends bob's open sessions\n", out)
        self.assertEqual(self.wait_for_reload(mark, "changed"),
                         "auth file reloaded: 2 users (0 added, 0 removed, 1 changed); "
                         "ended 1 session; changed: bob")
        # Bob's idle session is told why, then closed; Alice's goes on.
        self.assertEqual(bob.read_line(), ENDED_CHANGED)
        self.assertTrue(bob.at_eof())
        self.assertServes(alice)
        self.assertEqual(log_in(self.server.port, "bob", self.server.users["bob"]),
                         "ERR AUTH login failed")
        self.assertEqual(log_in(self.server.port, "bob", NEW_BOB), "OK")
        self.assertTrue(self.server.wait_for_log(
            r"user=bob peer=\S+ session ended after an auth file reload: the password was "
            r"changed$"))
        self.assertNotIn(NEW_BOB, self.server.log_text())
        self.assertTrue(self.server.running())

    def test_an_upload_in_flight_is_cut_and_resumes_with_the_new_password(self):
        bob = self.logged_in("bob")
        data = os.urandom(3 << 20)
        frame = 256 << 10
        self.assertEqual(bob.start_put("big.bin", len(data)), "OK 0 -")
        bob.send_frame(data[:frame])
        bob_dir = self.server.user_dir("bob")

        def held():
            names = partial_files_in(bob_dir)
            return names and os.path.getsize(os.path.join(bob_dir, names[0])) >= frame
        self.assertTrue(wait_until(held, timeout=RELOAD_WAIT), "the frame never reached the disk")
        mark = self.server.log_mark()
        self.admin("user", "passwd", "bob", "--password-stdin", input=NEW_BOB.encode() + b"\n")
        self.wait_for_reload(mark, r"ended 1 session; changed: bob$")
        # Cut like a lost connection: no reply line, and the data kept for resume.
        self.assertIsNone(bob.read_line())
        self.assertTrue(self.server.wait_for_log(
            r"user=bob peer=\S+ session ended after an auth file reload"))
        self.assertFalse(os.path.exists(os.path.join(bob_dir, "big.bin")))
        with RawConnection(self.server.port) as again:
            self.assertEqual(again.greet_and_login("bob", NEW_BOB), "OK")
            offer, final = again.put("big.bin", data, resume=True)
            held_bytes = int(offer.split()[1])
            self.assertGreaterEqual(held_bytes, frame, offer)
            self.assertEqual(offer, "OK %d %s" % (held_bytes, digest_hex(data[:held_bytes])))
            self.assertEqual(final, ok_put(data))
        self.assertEqual(read_file(os.path.join(bob_dir, "big.bin")), data)


class DeletedUserTest(AccountChangeTestCase):

    def read_until(self, shell, text, timeout=RELOAD_WAIT):
        """What the shell printed on stdout up to and including `text` (a shell
        fed by a pipe prints no prompts)."""
        out = b""
        deadline = time.monotonic() + timeout
        while not out.endswith(text):
            left = deadline - time.monotonic()
            ready, _, _ = select.select([shell.stdout], [], [], max(0.0, left))
            if not ready:
                raise AssertionError("no %r from the shell; got %r" % (text, out))
            chunk = os.read(shell.stdout.fileno(), 4096)
            if not chunk:
                raise AssertionError("the shell ended; got %r" % out)
            out += chunk
        return out

    def test_an_open_shell_ends_and_new_logins_fail(self):
        bob = self.new_client("bob")
        self.upload(b"bob's", "mine.txt", client=bob)
        shell = bob.start("shell", stdin=subprocess.PIPE)
        self.addCleanup(stop_process, shell)
        shell.stdin.write(b"ls\n")
        shell.stdin.flush()
        self.assertIn(b"mine.txt", self.read_until(shell, b"mine.txt\n"))

        mark = self.server.log_mark()
        out = self.admin("user", "del", "bob", "--purge")
        self.assertIn("and then ends bob's open sessions\n", out)
        self.assertFalse(os.path.exists(self.server.user_dir("bob")))
        self.assertEqual(self.wait_for_reload(mark, "removed"),
                         "auth file reloaded: 1 user (0 added, 1 removed, 0 changed); "
                         "ended 1 session; removed: bob")
        self.assertTrue(self.server.wait_for_log(
            r"user=bob peer=\S+ session ended after an auth file reload: the account was "
            r"deleted$"))
        # The shell's next command says why, and the shell ends.
        result = finish(shell, input=b"ls\npwd\n")
        self.assertEqual(result.returncode, EXIT_AUTH, result.stderr)
        self.assertEqual(stderr_lines(result), ["sfs: session ended: the account was deleted"])
        self.assertFails(bob.run("ls"), EXIT_AUTH, "login failed: wrong user name or password")
        self.assertOk(self.client.run("ls"))  # alice
        self.assertFalse(os.path.exists(self.server.user_dir("bob")))


class SighupTest(AccountChangeTestCase):

    def test_sighup_reloads_logs_and_keeps_serving(self):
        alice = self.logged_in("alice")
        for round_ in range(2):  # the handler stays armed
            mark = self.server.log_mark()
            self.server.process.send_signal(signal.SIGHUP)
            self.assertEqual(self.wait_for_reload(mark, "SIGHUP"),
                             "auth file reloaded (SIGHUP): 2 users (0 added, 0 removed, "
                             "0 changed); ended 0 sessions")
            self.assertTrue(self.server.running())
            self.assertServes(alice)
            self.assertOk(self.client.run("ls"))
        self.assertEqual(self.server.log_text().count("auth file reloaded (SIGHUP)"), 2)

    def test_a_user_added_then_sighup_logs_in(self):
        out = self.admin("user", "add", "carol", "--password-stdin", input=b"carol-Pw-5\n")
        self.assertIn("and then lets carol log in\n", out)
        mark = self.server.log_mark()
        self.server.process.send_signal(signal.SIGHUP)
        self.wait_for_reload(mark, "SIGHUP")
        self.assertEqual(log_in(self.server.port, "carol", "carol-Pw-5"), "OK")
        self.assertIn("added: carol", self.server.log_text())


class BadAuthFileTest(AccountChangeTestCase):

    def test_an_invalid_file_keeps_the_users_and_logs_one_error(self):
        alice = self.logged_in("alice")
        mark = self.server.log_mark()
        self.replace_auth_file(b"alice:new-alice-pw\nthis line has no colon\n")
        error = re.compile(r"^.*auth file reload failed: \S*id_passwd\.txt:2: expected "
                           r"user:password; keeping the 2 users loaded before$", re.M)
        self.assertTrue(wait_until(lambda: error.search(self.server.log_since(mark)),
                                   timeout=RELOAD_WAIT), self.server.log_since(mark))
        self.assertIn(" error ", error.search(self.server.log_since(mark)).group(0))
        # The users as they were, sessions included.
        self.assertServes(alice)
        self.assertOk(self.client.run("ls"))
        self.assertEqual(log_in(self.server.port, "bob", self.server.users["bob"]), "OK")
        self.assertEqual(log_in(self.server.port, "alice", "new-alice-pw"),
                         "ERR AUTH login failed")
        # One error for one bad file, not one per check.
        time.sleep(2.5 * CHECK_INTERVAL)
        self.assertEqual(len(error.findall(self.server.log_since(mark))), 1)
        # A missing file is no different.
        os.unlink(self.auth_file)
        self.assertTrue(self.server.wait_for_log(r"auth file reload failed: auth file \S+ not "
                                                 r"found; keeping the 2 users", RELOAD_WAIT))
        self.assertServes(alice)
        # Once fixed, the file is taken.
        mark = self.server.log_mark()
        self.replace_auth_file(b"alice:new-alice-pw\n")
        self.wait_for_reload(mark, r"1 user \(0 added, 1 removed, 1 changed\); ended 1 session")
        self.assertEqual(alice.read_line(), ENDED_CHANGED)
        self.assertEqual(log_in(self.server.port, "alice", "new-alice-pw"), "OK")


@unittest.skipIf(test_rehash.SODIUM is None, "no libsodium to make a weak Argon2id hash with")
class RehashIsNoChangeTest(AccountChangeTestCase):
    PASSWORD = "alice-Weak-Hash-Pw"

    @classmethod
    def start_server(cls):
        weak = test_rehash.argon2id(cls.PASSWORD, 1, 8 << 20)  # outdated costs: rehashed
        server = Server(users={"alice": cls.PASSWORD, "bob": "bob-pw-3Kz"},
                        auth_text=("alice:%s\nbob:bob-pw-3Kz\n" % weak).encode())
        server.start()
        return server

    def test_a_rehash_at_login_ends_no_session(self):
        mark = self.server.log_mark()
        first = self.logged_in("alice")  # its login rewrites alice's line
        self.assertTrue(self.server.wait_for_log(
            r"user=alice password rehashed with the current Argon2id costs$"))
        second = self.logged_in("alice")
        self.assertEqual(self.wait_for_reload(mark, ""),
                         "auth file reloaded: 2 users (0 added, 0 removed, 0 changed); "
                         "ended 0 sessions")
        self.assertServes(first)
        self.assertServes(second)
        self.assertEqual(log_in(self.server.port, "alice", self.PASSWORD), "OK")
        self.assertNotIn("session ended", self.server.log_text())


if __name__ == "__main__":
    unittest.main()
