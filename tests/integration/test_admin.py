"""sfs-admin: users and Argon2id hashes in the auth file, as the real server sees them.

Every change must rewrite the file atomically with mode 0600, keep comments
and the other lines as they were, and give a file the real sfs-server
accepts: the new password logs in, the old one no longer does.
"""

import os
import re
import threading
import unittest

from sfs_harness import (ADMIN_BIN, RawConnection, Server, file_mode, make_temp_dir, read_file,
                         remove_tree, run_admin, write_file)

ARGON2ID = re.compile(r"^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$")

MIXED = (b"# users of the test server\n"
         b"\n"
         b"alice:alice-plain-pw\n"
         b"#an unspaced comment: with a colon\n"
         b"bob:%s\n"
         b"carol:carol plain pw with spaces\n"
         b"# trailing comment\n")


def server_will(then):
    """sfs-admin's second line: what a running server does about the change."""
    return ("a running sfs-server checks this file every 2 s (at once on SIGHUP) and then %s\n"
            % then)


def entries(text):
    """{name: secret} of the non-comment lines of an auth file's bytes."""
    out = {}
    for line in text.decode().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, secret = line.split(":", 1)
        out[name] = secret
    return out


def can_log_in(server, user, password):
    with RawConnection(server.port) as conn:
        return conn.greet_and_login(user, password) == "OK"


class AdminTest(unittest.TestCase):

    def setUp(self):
        if not os.access(ADMIN_BIN, os.X_OK):
            self.skipTest("sfs-admin not built at %s (set SFS_ADMIN_BIN)" % ADMIN_BIN)
        self.dir = make_temp_dir("sfs-it-admin-")
        self.addCleanup(remove_tree, self.dir)
        self.auth = os.path.join(self.dir, "id_passwd.txt")
        self.storage = os.path.join(self.dir, "server_storage")

    # helpers
    def admin(self, *args, input=None):
        return run_admin(["--auth-file", self.auth, "--storage", self.storage] + list(args),
                         cwd=self.dir, input=input)

    def assertAdminOk(self, result):
        self.assertEqual(result.returncode, 0, "sfs-admin %r: stdout %r stderr %r" % (
            result.args[1:], result.stdout, result.stderr))
        self.assertEqual(result.stderr, b"")

    def assertAdminFails(self, result, code=1, pattern=None):
        """Exit `code`, one stderr line `sfs-admin: ...` (matching pattern if given)."""
        lines = result.stderr.decode(errors="replace").splitlines()
        self.assertEqual(result.returncode, code, "args %r: stderr %r" % (result.args, lines))
        self.assertEqual(len(lines), 1, lines)
        self.assertTrue(lines[0].startswith("sfs-admin: "), lines)
        if pattern is not None:
            self.assertRegex(lines[0], pattern)

    def add(self, name, password):
        result = self.admin("user", "add", name, "--password-stdin",
                            input=password.encode() + b"\n")
        self.assertAdminOk(result)
        self.assertEqual(result.stdout.decode(), "added user '%s' in %s\n" % (name, self.auth)
                         + server_will("lets %s log in" % name))

    def assertNoDebris(self):
        debris = [n for n in os.listdir(self.dir) if n.startswith("id_passwd.txt.")]
        self.assertEqual(debris, [])

    def server(self, **kwargs):
        """A server reading the auth file sfs-admin wrote (not a copy of it)."""
        server = Server(extra_args=["--auth-file", self.auth], **kwargs)
        server.start()
        self.addCleanup(server.close)
        return server

    # tests
    def test_add_creates_a_0600_file_of_argon2id_hashes(self):
        self.add("alice", "alice-Secret-1")
        self.add("bob.smith_2-x", "bob secret with spaces")
        self.assertEqual(file_mode(self.auth), 0o600)
        users = entries(read_file(self.auth))
        self.assertEqual(sorted(users), ["alice", "bob.smith_2-x"])
        for secret in users.values():
            self.assertRegex(secret, ARGON2ID)
            self.assertNotIn("Secret", secret)
        # A salt per hash: the same password twice gives two different strings.
        self.add("carol", "alice-Secret-1")
        users = entries(read_file(self.auth))
        self.assertNotEqual(users["alice"], users["carol"])
        listing = self.admin("user", "list")
        self.assertAdminOk(listing)
        self.assertEqual(listing.stdout.decode(),
                         "alice\targon2id\nbob.smith_2-x\targon2id\ncarol\targon2id\n")
        self.assertNoDebris()

    def test_server_accepts_the_new_password_and_refuses_the_old(self):
        self.add("alice", "first-Pw-1")
        server = self.server()
        self.assertTrue(can_log_in(server, "alice", "first-Pw-1"))
        self.assertFalse(can_log_in(server, "alice", "second-Pw-2"))
        server.close()
        result = self.admin("user", "passwd", "alice", "--password-stdin", input=b"second-Pw-2\r\n")
        self.assertAdminOk(result)
        self.assertEqual(result.stdout.decode(),
                         "changed the password of user 'alice' in %s\n" % self.auth
                         + server_will("ends alice's open sessions"))
        self.assertEqual(file_mode(self.auth), 0o600)
        server = self.server()
        self.assertTrue(can_log_in(server, "alice", "second-Pw-2"))  # the \r is not part of it
        self.assertFalse(can_log_in(server, "alice", "first-Pw-1"))
        self.assertFalse(can_log_in(server, "alice", "second-Pw-2\r"))
        log = server.log_text()
        self.assertNotIn("plaintext password", log)  # no migrate warning for a hashed file
        self.assertNotIn("can be read by group", log)
        for secret in ("first-Pw-1", "second-Pw-2"):
            self.assertNotIn(secret, log)

    def test_comments_blank_lines_and_other_users_are_kept(self):
        hashed_bob = None
        write_file(self.auth, MIXED % b"bob-plain-pw", mode=0o644)
        self.add("dave", "dave-Pw-4")
        text = read_file(self.auth)
        self.assertEqual(file_mode(self.auth), 0o600)  # a 0644 file becomes 0600
        before = (MIXED % b"bob-plain-pw").decode().splitlines()
        after = text.decode().splitlines()
        self.assertEqual(after[:len(before)], before)  # every old line, unchanged, in order
        self.assertEqual(len(after), len(before) + 1)
        self.assertRegex(after[-1], r"^dave:\$argon2id\$")
        self.assertTrue(text.endswith(b"\n"))
        # passwd rewrites one line in place, and del removes one line only.
        self.assertAdminOk(self.admin("user", "passwd", "bob", "--password-stdin",
                                      input=b"bob-New-Pw\n"))
        after = read_file(self.auth).decode().splitlines()
        hashed_bob = after[4]
        self.assertRegex(hashed_bob, r"^bob:\$argon2id\$")
        self.assertEqual(after[:4] + after[5:], before[:4] + before[5:] + [after[-1]])
        self.assertAdminOk(self.admin("user", "del", "carol"))
        final = read_file(self.auth).decode().splitlines()
        self.assertEqual(final, [line for line in after if not line.startswith("carol:")])
        self.assertIn("# trailing comment", final)
        self.assertIn("#an unspaced comment: with a colon", final)
        self.assertNoDebris()

    def test_add_of_an_existing_user_is_refused_and_changes_nothing(self):
        self.add("alice", "alice-Pw-1")
        before = read_file(self.auth)
        result = self.admin("user", "add", "alice", "--password-stdin", input=b"other-Pw\n")
        self.assertAdminFails(result, 1, r"already exists")
        self.assertEqual(read_file(self.auth), before)
        # passwd and del of an unknown user are refused the same way.
        result = self.admin("user", "passwd", "zed", "--password-stdin", input=b"zed-Pw-12\n")
        self.assertAdminFails(result, 1, r"^sfs-admin: no such user 'zed'$")
        result = self.admin("user", "del", "zed")
        self.assertAdminFails(result, 1, r"^sfs-admin: no such user 'zed'$")
        self.assertEqual(read_file(self.auth), before)
        self.assertNoDebris()

    def test_invalid_user_names_are_refused(self):
        self.add("alice", "alice-Pw-1")
        before = read_file(self.auth)
        for name in ("a b", "a/b", "../x", "a:b", ".hidden", "x" * 33, "caf\u00e9", "semi;colon",
                     "nul%00", "star*", "quote'"):
            with self.subTest(name=name):
                result = self.admin("user", "add", name, "--password-stdin", input=b"pw-Pw-12\n")
                self.assertAdminFails(result, 1, r"^sfs-admin: invalid user name")
                self.assertEqual(read_file(self.auth), before)
        # A name starting with '-' reads as an option: a usage error (2), or refused (1).
        result = self.admin("user", "add", "--", "-dash", "--password-stdin", input=b"pw-Pw-12\n")
        self.assertIn(result.returncode, (1, 2), result.stderr)
        self.assertEqual(read_file(self.auth), before)
        # The longest valid name (32) and every allowed character are accepted.
        self.add("A" * 32, "pw-Pw-12")
        self.add("Zz09._-", "pw-Pw-12")
        self.assertNoDebris()

    def test_a_refused_name_is_not_echoed_raw(self):
        """The error for a name with control characters is still one line, and does not
        pass terminal escape sequences through."""
        for name in ("new\nline", "tab\tname", "esc\x1b[2Jape", "cr\rname"):
            with self.subTest(name=name):
                result = self.admin("user", "add", name, "--password-stdin", input=b"pw-Pw-12\n")
                self.assertAdminFails(result, 1, r"^sfs-admin: invalid user name")
                self.assertNotRegex(result.stderr[:-1], rb"[\x00-\x08\x0a-\x1f\x7f]")
        self.assertFalse(os.path.exists(self.auth))

    def test_passwords_that_are_refused(self):
        self.add("alice", "alice-Pw-1")
        before = read_file(self.auth)
        result = self.admin("user", "passwd", "alice", "--password-stdin", input=b"\n")
        self.assertAdminFails(result, 1, r"^sfs-admin: empty password$")
        result = self.admin("user", "passwd", "alice", "--password-stdin", input=b"")
        self.assertAdminFails(result, 1, r"^sfs-admin: no password on standard input$")
        result = self.admin("user", "passwd", "alice", "--password-stdin",
                            input=b"x" * 1025 + b"\n")
        self.assertAdminFails(result, 1, r"1024")
        # No terminal and no --password-stdin: a clear error, not a hang.
        result = self.admin("user", "add", "bob")
        self.assertAdminFails(result, 1, r"^sfs-admin: no terminal: use --password-stdin$")
        self.assertEqual(read_file(self.auth), before)

    def test_usage_errors_exit_2(self):
        for args in ([], ["user"], ["user", "add"], ["bogus"], ["user", "del"],
                     ["user", "add", "alice", "--no-such-flag"]):
            with self.subTest(args=args):
                result = self.admin(*args)
                self.assertEqual(result.returncode, 2, result.stderr)
                self.assertTrue(result.stderr.startswith(b"sfs-admin: "), result.stderr)
        self.assertFalse(os.path.exists(self.auth))

    def test_missing_auth_file(self):
        for args in (["user", "list"], ["migrate"], ["user", "del", "alice"]):
            with self.subTest(args=args):
                self.assertAdminFails(self.admin(*args), 1, r"not found")
        self.assertFalse(os.path.exists(self.auth))

    def test_del_purge_removes_the_users_files_only(self):
        self.add("alice", "alice-Pw-1")
        self.add("bob", "bob-Pw-2")
        server = Server(extra_args=["--auth-file", self.auth], storage=self.storage)
        server.start()
        try:
            for user, password in (("alice", "alice-Pw-1"), ("bob", "bob-Pw-2")):
                with RawConnection(server.port) as conn:
                    self.assertEqual(conn.greet_and_login(user, password), "OK")
                    offer, reply = conn.put("f.txt", user.encode() * 100)
                    self.assertTrue(reply.startswith("OK "), reply)
        finally:
            server.close()
        alice_dir = os.path.join(self.storage, "u", "alice")
        bob_dir = os.path.join(self.storage, "u", "bob")
        self.assertTrue(os.path.isfile(os.path.join(alice_dir, "f.txt")))
        # Without --purge the files stay.
        self.assertAdminOk(self.admin("user", "del", "bob"))
        self.assertTrue(os.path.isfile(os.path.join(bob_dir, "f.txt")))
        self.assertEqual(sorted(entries(read_file(self.auth))), ["alice"])
        # With --purge the user's directory goes, nothing else.
        result = self.admin("user", "del", "alice", "--purge")
        self.assertAdminOk(result)
        self.assertIn("deleted user 'alice'", result.stdout.decode())
        self.assertIn(server_will("ends alice's open sessions"), result.stdout.decode())
        self.assertFalse(os.path.lexists(alice_dir))
        self.assertTrue(os.path.isfile(os.path.join(bob_dir, "f.txt")))
        self.assertEqual(entries(read_file(self.auth)), {})
        self.assertEqual(file_mode(self.auth), 0o600)
        self.assertRegex(result.stdout.decode(),
                         r"(?m)^removed %s and the 1 file\(s\) and folder\(s\) in it$"
                         % re.escape(alice_dir))
        # A purge does not follow a symlink planted as the user's directory: it
        # refuses, and changes nothing.
        self.add("carol", "carol-Pw-3")
        victim = os.path.join(self.dir, "victim")
        os.mkdir(victim)
        write_file(os.path.join(victim, "keep"), b"keep")
        os.symlink(victim, os.path.join(self.storage, "u", "carol"))
        result = self.admin("user", "del", "carol", "--purge")
        self.assertAdminFails(result, 1, r"u/carol is not a directory; nothing was changed")
        self.assertEqual(read_file(os.path.join(victim, "keep")), b"keep")
        self.assertIn("carol", entries(read_file(self.auth)))

    def test_del_purge_with_a_path_that_is_not_a_storage_root(self):
        """A mistyped --storage is refused before anything changes, never reported
        as "removed ... (0 entries)"."""
        self.add("alice", "alice-Pw-1")
        before = read_file(self.auth)
        elsewhere = os.path.join(self.dir, "not-storage")
        os.mkdir(elsewhere)
        write_file(os.path.join(elsewhere, "alice"), b"an unrelated file named alice")
        for storage in (elsewhere, os.path.join(self.dir, "missing")):
            with self.subTest(storage=storage):
                result = run_admin(["--auth-file", self.auth, "--storage", storage, "user", "del",
                                    "alice", "--purge"], cwd=self.dir)
                self.assertAdminFails(result, 1, r"^sfs-admin: %s is not an sfs storage root "
                                      r"\(it has no u/ directory\); nothing was changed"
                                      % re.escape(storage))
                self.assertEqual(result.stdout, b"")
                self.assertEqual(read_file(self.auth), before)
        self.assertEqual(os.listdir(elsewhere), ["alice"])

    def test_del_purge_of_a_user_who_never_logged_in(self):
        self.add("alice", "alice-Pw-1")
        os.makedirs(os.path.join(self.storage, "u"))
        result = self.admin("user", "del", "alice", "--purge")
        self.assertAdminOk(result)
        self.assertEqual(result.stdout.decode(),
                         "deleted user 'alice' from %s\n"
                         "a running sfs-server checks this file every 2 s (at once on SIGHUP) "
                         "and then ends alice's open sessions\n"
                         "no files to remove: %s does not exist (the user never logged in)\n"
                         % (self.auth, os.path.join(self.storage, "u", "alice")))
        self.assertEqual(entries(read_file(self.auth)), {})

    def test_short_passwords_need_allow_weak(self):
        short = "sfs-admin: password too short: use at least 8 characters (or --allow-weak to " \
                "set it anyway)"
        for password in ("a", "seven-7", "\u00e4\u00f6\u00fc\u00e4\u00f6\u00fc\u00e4"):
            with self.subTest(password=password):
                result = self.admin("user", "add", "alice", "--password-stdin",
                                    input=password.encode() + b"\n")
                self.assertAdminFails(result, 1, "^%s$" % re.escape(short))
                self.assertFalse(os.path.exists(self.auth))
        # Eight characters are enough, counted as characters, not bytes.
        self.add("alice", "\u00e4\u00f6\u00fc\u00e4\u00f6\u00fc\u00e4\u00f6")
        self.add("bob", "eight-88")
        result = self.admin("user", "passwd", "bob", "--password-stdin", input=b"short\n")
        self.assertAdminFails(result, 1, "^%s$" % re.escape(short))
        # --allow-weak sets it anyway, and the server accepts it; never an empty one.
        result = self.admin("user", "passwd", "bob", "--password-stdin", "--allow-weak",
                            input=b"x\n")
        self.assertAdminOk(result)
        result = self.admin("user", "add", "carol", "--password-stdin", "--allow-weak",
                            input=b"\n")
        self.assertAdminFails(result, 1, r"^sfs-admin: empty password$")
        server = self.server()
        self.assertTrue(can_log_in(server, "bob", "x"))
        self.assertTrue(can_log_in(server, "alice", "\u00e4\u00f6\u00fc\u00e4\u00f6\u00fc"
                                                    "\u00e4\u00f6"))

    def test_migrate_a_mixed_file(self):
        self.add("bob", "bob-Hashed-Pw")
        bob_hash = entries(read_file(self.auth))["bob"]
        write_file(self.auth, MIXED % bob_hash.encode(), mode=0o644)
        # The server warns about the two plaintext lines and the readable file, with
        # the command to fix it, and still accepts all three users.
        server = self.server()
        self.assertTrue(server.wait_for_log(
            r"2 of 3 user\(s\) in \S*id_passwd\.txt have a plaintext password; hash them with: "
            r"sfs-admin --auth-file \S*id_passwd\.txt migrate"))
        self.assertTrue(server.wait_for_log(r"can be read by group or others \(mode 644\)"))
        listing = self.admin("user", "list")
        self.assertAdminOk(listing)
        self.assertEqual(listing.stdout.decode(),
                         "alice\tplaintext (run: sfs-admin migrate)\nbob\targon2id\n"
                         "carol\tplaintext (run: sfs-admin migrate)\n")
        result = self.admin("migrate")
        self.assertAdminOk(result)
        self.assertEqual(result.stdout.decode(),
                         "hashed 2 plaintext password(s) in %s\n" % self.auth
                         + server_will("ends the open sessions of these users "
                                       "(the same passwords log in)"))
        text = read_file(self.auth)
        self.assertEqual(file_mode(self.auth), 0o600)
        users = entries(text)
        self.assertEqual(users["bob"], bob_hash)  # already hashed: untouched
        for name in ("alice", "carol"):
            self.assertRegex(users[name], ARGON2ID)
        self.assertNotIn(b"plain", text.replace(b"# users", b""))
        lines = text.decode().splitlines()
        self.assertEqual([l for l in lines if not re.match(r"^\w+:", l)],
                         ["# users of the test server", "", "#an unspaced comment: with a colon",
                          "# trailing comment"])
        self.assertEqual([l.split(":")[0] for l in lines if re.match(r"^\w+:", l)],
                         ["alice", "bob", "carol"])
        # The old passwords still work against the hashes; nothing is logged as plaintext.
        server.close()
        server = self.server()
        self.assertTrue(can_log_in(server, "alice", "alice-plain-pw"))
        self.assertTrue(can_log_in(server, "carol", "carol plain pw with spaces"))
        self.assertTrue(can_log_in(server, "bob", "bob-Hashed-Pw"))
        self.assertFalse(can_log_in(server, "alice", "carol plain pw with spaces"))
        self.assertIsNone(re.search(r"plaintext password", server.log_text()))
        # A second migrate has nothing to do and leaves the file as it is.
        mtime = os.stat(self.auth).st_mtime_ns
        result = self.admin("migrate")
        self.assertAdminOk(result)
        self.assertEqual(result.stdout.decode(),
                         "hashed 0 plaintext password(s) in %s\n" % self.auth)
        self.assertEqual(read_file(self.auth), text)
        self.assertEqual(os.stat(self.auth).st_mtime_ns, mtime)
        self.assertNoDebris()

    def test_a_malformed_file_is_refused_not_rewritten(self):
        bad = b"alice:pw\nno colon here\n"
        write_file(self.auth, bad)
        for args, stdin in ((["migrate"], None), (["user", "add", "bob", "--password-stdin"],
                                                  b"bob-Pw\n"), (["user", "list"], None)):
            with self.subTest(args=args):
                self.assertAdminFails(self.admin(*args, input=stdin), 1,
                                      r":2: expected user:password")
                self.assertEqual(read_file(self.auth), bad)
        self.assertNoDebris()

    def test_concurrent_changes_never_leave_a_partial_file_nor_lose_one(self):
        self.add("alice", "alice-Pw-1")
        names = ["user%02d" % i for i in range(20)]
        stop = threading.Event()
        problems = []
        reads = [0]

        def reader():
            while not stop.is_set():
                try:
                    text = read_file(self.auth)
                except FileNotFoundError:
                    problems.append("auth file missing for a moment")
                    continue
                reads[0] += 1
                if not text.endswith(b"\n") or b"alice:" not in text:
                    problems.append("truncated read: %r" % text[-80:])
                    continue
                for line in text.decode().splitlines():
                    if not ARGON2ID.match(line.split(":", 1)[-1]):
                        problems.append("partial line: %r" % line)

        results = {}

        def add(name):
            results[name] = self.admin("user", "add", name, "--password-stdin",
                                       input=name.encode() + b"-Pw\n")

        watcher = threading.Thread(target=reader)
        watcher.start()
        try:
            workers = [threading.Thread(target=add, args=(n,)) for n in names]
            for w in workers:
                w.start()
            for w in workers:
                w.join(timeout=60)
        finally:
            stop.set()
            watcher.join(timeout=10)
        self.assertGreater(reads[0], 0)
        self.assertEqual(problems[:5], [])
        self.assertEqual(file_mode(self.auth), 0o600)
        self.assertNoDebris()
        final = entries(read_file(self.auth))
        self.assertIn("alice", final)
        # Every add that reported success must be in the file (or it must have failed).
        succeeded = [n for n, r in results.items() if r.returncode == 0]
        for name, result in results.items():
            self.assertIn(result.returncode, (0, 1), result.stderr)
        lost = sorted(set(succeeded) - set(final))
        self.assertEqual(len(lost), 0, "%d of %d adds reported success but are not in the file "
                         "(lost updates), e.g. %s" % (len(lost), len(succeeded), lost[:3]))


if __name__ == "__main__":
    unittest.main()
