"""A user cannot reach anything outside their own directory."""

import os
import shutil
import unittest

from sfs_harness import (EXIT_NOT_FOUND, EXIT_REFUSED, RawConnection, ServerTestCase,
                         read_file, write_file)

SECRET = b"alice's secret, not for bob\n"
OUTSIDE = b"a file outside the storage\n"

ABOVE = "'..' leads above your top directory: "

# (path, expected client exit code, expected message or None). The client
# normalizes a path before sending it ('.' and empty components dropped, '..'
# taken back, a leading '/' for the top), so what it cannot take back it
# refuses itself; the server refuses such paths on the wire as well
# (test_raw_bad_paths).
TRAVERSALS = [
    ("../alice/secret.txt", EXIT_REFUSED, ABOVE + "../alice/secret.txt"),
    ("..", EXIT_REFUSED, ABOVE + ".."),
    ("a/../../alice/secret.txt", EXIT_REFUSED, ABOVE + "a/../../alice/secret.txt"),
    ("../../../../../../etc/passwd", EXIT_REFUSED, ABOVE + "../../../../../../etc/passwd"),
    (".sfs-tmp-0123", EXIT_REFUSED, None),
    (".sfs-part-0123-5", EXIT_REFUSED, None),
    ("alice/secret.txt", EXIT_NOT_FOUND, "no such file: alice/secret.txt"),
    ("alice/./secret.txt", EXIT_NOT_FOUND, "no such file: alice/secret.txt"),
    ("a//alice/secret.txt", EXIT_NOT_FOUND, "no such file: a/alice/secret.txt"),
]


class ConfinementTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.outside = os.path.join(cls.server.directory, "outside")
        os.mkdir(cls.outside)
        write_file(os.path.join(cls.outside, "o.txt"), OUTSIDE)
        for user in ("alice", "bob"):
            os.makedirs(cls.server.user_dir(user), mode=0o700, exist_ok=True)
        cls.secret = write_file(cls.server.stored("alice", "secret.txt"), SECRET, mode=0o600)
        bob = cls.server.user_dir("bob")
        # Links an administrator (or an attacker with local access) might plant.
        os.symlink(cls.secret, os.path.join(bob, "link-to-secret"))
        os.symlink("../alice/secret.txt", os.path.join(bob, "relative-link"))
        os.symlink(cls.outside, os.path.join(bob, "link-to-outside"))
        os.symlink(os.path.join(cls.outside, "gone.txt"), os.path.join(bob, "dangling"))
        # Named like a system directory, but pointing into the test's own
        # tree: a broken server running as root must not be able to hurt the
        # machine.
        os.symlink(cls.outside, os.path.join(bob, "etc"))

    def setUp(self):
        super().setUp()
        self.bob = self.new_client("bob")
        self.payload = write_file(self.bob.path("payload.txt"), b"bob overwrites\n")

    def tearDown(self):
        self.assertEqual(read_file(self.secret), SECRET, "alice's file was changed")
        self.assertEqual(os.listdir(self.server.user_dir("alice")), ["secret.txt"])
        self.assertEqual(sorted(os.listdir(self.outside)), ["o.txt"])
        self.assertEqual(read_file(os.path.join(self.outside, "o.txt")), OUTSIDE)
        for link in ("link-to-secret", "relative-link", "link-to-outside", "dangling", "etc"):
            self.assertTrue(os.path.islink(os.path.join(self.server.user_dir("bob"), link)), link)

    def assertRefused(self, code, message, *command):
        result = self.bob.run(*command)
        self.assertFails(result, code, message)
        self.assertEqual(result.stdout, b"")

    def check_all_commands(self, path, code, message, write=True):
        """get, view, hash, and (when write) rm and put of path are all refused."""
        with self.subTest(command="get", path=path):
            self.assertRefused(code, message, "get", path, self.bob.path("got"))
            self.assertEqual(sorted(os.listdir(self.bob.cwd)), ["payload.txt"])
        with self.subTest(command="get-default-name", path=path):
            if os.path.basename(path) not in ("", ".", ".."):
                self.bob.run("get", path)
                self.assertEqual(sorted(os.listdir(self.bob.cwd)), ["payload.txt"])
        with self.subTest(command="view", path=path):
            self.assertRefused(code, message, "view", path)
        with self.subTest(command="hash", path=path):
            self.assertRefused(code, message, "hash", path)
        if not write:
            return
        with self.subTest(command="rm", path=path):
            self.assertRefused(code, message, "rm", path)
        with self.subTest(command="put", path=path):
            if code == EXIT_NOT_FOUND:
                # `sfs put` creates missing parents, in bob's own tree: the
                # upload lands there and alice's file stays untouched.
                self.assertOk(self.bob.run("put", self.payload, path))
                self.assertEqual(read_file(self.server.stored("bob", path)),
                                 read_file(self.payload))
                shutil.rmtree(os.path.join(self.server.user_dir("bob"), path.split("/")[0]))
            else:
                self.assertRefused(code, message, "put", self.payload, path)

    def test_traversal_paths(self):
        for path, code, message in TRAVERSALS:
            self.check_all_commands(path, code, message)

    def test_absolute_paths_start_at_the_users_top(self):
        # A leading '/' is bob's own top folder, never the server's filesystem.
        outside = os.path.join(self.outside, "o.txt")
        for path in (self.secret, outside):
            self.check_all_commands(path, EXIT_NOT_FOUND, "no such file: " + path.lstrip("/"),
                                    write=False)
        # bob's "etc" is a planted symlink to outside: refused like any symlink.
        self.check_all_commands("/etc/passwd", EXIT_REFUSED, None, write=False)
        self.assertOk(self.bob.run("put", self.payload, "/inbox/p.txt"))
        self.assertEqual(read_file(self.server.stored("bob", "inbox/p.txt")),
                         read_file(self.payload))
        shutil.rmtree(os.path.join(self.server.user_dir("bob"), "inbox"))

    def test_symlink_to_other_users_file(self):
        for link in ("link-to-secret", "relative-link"):
            self.check_all_commands(link, EXIT_REFUSED, None)

    def test_symlink_to_outside_directory(self):
        for path in ("link-to-outside/o.txt", "link-to-outside/new.txt", "etc/o.txt",
                     "etc/passwd"):
            self.check_all_commands(path, EXIT_REFUSED, None)

    def test_dangling_symlink(self):
        self.check_all_commands("dangling", EXIT_REFUSED, None)
        self.assertFalse(os.path.exists(os.path.join(self.outside, "gone.txt")))

    def test_symlinks_are_not_listed(self):
        result = self.bob.run("ls")
        self.assertOk(result)
        for link in ("link-to-secret", "relative-link", "link-to-outside", "dangling", "etc"):
            self.assertNotIn(link.encode(), result.stdout)

    def test_other_user_sees_only_own_files(self):
        self.upload(b"bob's own", "own.txt", client=self.bob)
        result = self.bob.run("ls")
        self.assertOk(result)
        self.assertIn(b"own.txt", result.stdout)
        self.assertNotIn(b"secret.txt", result.stdout)
        self.assertFails(self.bob.run("get", "secret.txt"), EXIT_NOT_FOUND,
                         "no such file: secret.txt")
        os.unlink(self.server.stored("bob", "own.txt"))

    def raw_bob(self):
        raw = RawConnection(self.server.port)
        self.addCleanup(raw.close)
        self.assertEqual(raw.greet_and_login("bob", self.server.users["bob"]), "OK")
        return raw

    def test_raw_bad_paths(self):
        long_component = "a" * 5000
        bad_paths = [
            "x%00y", "%00", "secret.txt%00.jpg", long_component, "dir/" + long_component,
            "a" * 256, "%2Fetc%2Fpasswd", "..%2Falice%2Fsecret.txt", "%2E%2E", "%FF",
            "%C0%AE%C0%AE", "a%2F%2Fb", ".sfs-tmp-x", "sub%2F.sfs-x",
            ".sfs-part-0123-3",
            "/".join(["d"] * 2100),
        ]
        raw = self.raw_bob()
        for path in bad_paths:
            for command in ("GET %s 0 -", "VIEW %s 10", "DELETE %s", "PUT %s 3", "HASH %s"):
                line = command % path
                with self.subTest(line=line[:80]):
                    reply = raw.command(line)
                    self.assertTrue(reply is not None and reply.startswith("ERR BADPATH "),
                                    "%r -> %r" % (line[:80], reply))
        # The session is still usable after all those errors.
        self.assertEqual(raw.command("LIST").split(" ")[0], "OK")

    def test_raw_malformed_percent_encoding(self):
        raw = self.raw_bob()
        for path in ("%", "%4", "%GG", "abc%"):
            reply = raw.command("GET %s 0 -" % path)
            self.assertTrue(reply.startswith("ERR "), reply)
            self.assertFalse(reply.startswith("ERR NOTFOUND"), reply)
        self.assertEqual(raw.command("LIST").split(" ")[0], "OK")

    def test_raw_symlink_is_badpath(self):
        raw = self.raw_bob()
        for line in ("GET link-to-secret 0 -", "VIEW link-to-outside%2Fo.txt 5",
                     "DELETE relative-link", "GET etc%2Fo.txt 0 -", "PUT link-to-secret 3",
                     "PUT dangling 3", "PUT link-to-outside%2Fnew.txt 3", "DELETE etc%2Fo.txt",
                     "HASH link-to-secret", "HASH etc%2Fo.txt"):
            reply = raw.command(line)
            self.assertTrue(reply.startswith("ERR BADPATH "), "%r -> %r" % (line, reply))
        self.assertEqual(raw.command("LIST").split(" ")[0], "OK")


if __name__ == "__main__":
    unittest.main()
