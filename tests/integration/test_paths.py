"""Remote paths as users type them (issue 16, item 8): a leading '/' is the
user's top folder, '.' components are dropped, a trailing '/' means "into
this folder", on the command line as in the shell."""

import os
import unittest

from sfs_harness import ServerTestCase, parse_listing, read_file, write_file
from test_shell import ShellTestCase


class CommandLinePathsTest(ServerTestCase):
    server_per_test = True

    def home(self, *names):
        return os.path.join(self.server.user_dir("alice"), *names)

    def test_leading_slash_dot_and_trailing_slash(self):
        self.upload(b"notes\n", "notes.txt")
        self.upload(b"inner\n", "docs/inner.txt")
        top = self.client.run("ls", "/")
        self.assertOk(top)
        self.assertEqual(sorted(parse_listing(top.stdout)), ["docs/", "notes.txt"])
        self.assertOk(self.client.run("get", "/notes.txt"))
        self.assertEqual(read_file(self.client.path("notes.txt")), b"notes\n")
        docs = self.client.run("ls", "./docs/")
        self.assertOk(docs)
        self.assertEqual(sorted(parse_listing(docs.stdout)), ["inner.txt"])
        self.assertOk(self.client.run("stat", "/docs/./inner.txt"))
        # A trailing '/': into that folder, created if missing.
        self.assertOk(self.client.run("put", "notes.txt", "newdir/"))
        self.assertEqual(read_file(self.home("newdir", "notes.txt")), b"notes\n")
        self.assertOk(self.client.run("get", "/docs/inner.txt", "fresh/"))
        self.assertEqual(read_file(self.client.path("fresh", "inner.txt")), b"inner\n")
        self.assertOk(self.client.run("mv", "/notes.txt", "./docs/"))
        self.assertEqual(read_file(self.home("docs", "notes.txt")), b"notes\n")
        self.assertFalse(os.path.exists(self.home("notes.txt")))


class ShellPathsTest(ShellTestCase):
    server_per_test = True

    def test_the_shell_takes_what_it_prints(self):
        os.makedirs(os.path.join(self.server.user_dir("alice"), "docs"), mode=0o700)
        self.upload(b"top\n", "top.txt")
        write_file(self.client.path("up.txt"), b"up\n")
        term = self.start_shell()
        self.assertEqual(self.command(term, "cd ./docs/"), b"")
        self.assertEqual(self.command(term, "pwd"), b"/docs\r\n")
        self.assertEqual(self.command(term, "view /top.txt"), b"top\r\n")
        self.transfer(term, "put up.txt sub/")
        self.assertEqual(read_file(os.path.join(self.server.user_dir("alice"), "docs", "sub",
                                                "up.txt")), b"up\n")
        self.transfer(term, "get /top.txt ./copy.txt")
        self.assertEqual(read_file(self.client.path("copy.txt")), b"top\n")
        self.exit_shell(term)


if __name__ == "__main__":
    unittest.main()
