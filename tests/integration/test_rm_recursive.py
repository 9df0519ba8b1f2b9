"""`rm -r` (issue 16, item 9): a remote folder with everything in it, with a
count of what went; `rm` and `rmdir` of a folder mention it."""

import json
import os
import unittest

from sfs_harness import EXIT_OK, EXIT_REFUSED, ServerTestCase
from test_shell import ShellTestCase


class RemoveRecursiveTest(ServerTestCase):
    server_per_test = True

    def home(self, *names):
        return os.path.join(self.server.user_dir("alice"), *names)

    def make_tree(self):
        for name in ("docs/a.txt", "docs/2026/b.txt", "docs/2026/q1/c.txt"):
            self.upload(name.encode(), name)
        self.assertOk(self.client.run("mkdir", "docs/empty"))

    def test_rm_r_deletes_a_tree_and_counts(self):
        self.make_tree()
        self.assertFails(self.client.run("rm", "docs"), EXIT_REFUSED,
                         "is a directory: docs (rm -r deletes a folder with everything in it)")
        self.assertFails(self.client.run("rmdir", "docs"), EXIT_REFUSED,
                         "directory not empty: docs (rm -r deletes it with everything in it)")
        result = self.client.run("rm", "-r", "docs")
        self.assertOk(result)
        self.assertEqual(result.stdout, b"removed 3 file(s) and 4 folder(s)\n")
        self.assertEqual(os.listdir(self.home()), [])

    def test_rm_r_json_and_refusing_the_top(self):
        self.make_tree()
        self.upload(b"x", "loose.txt")
        result = self.client.run("--json", "rm", "-r", "docs", "loose.txt")
        self.assertOk(result)
        self.assertEqual(json.loads(result.stdout),
                         {"command": "rm", "files": 4, "folders": 4, "ok": True})
        self.assertFails(self.client.run("rm", "-r", "/"), EXIT_REFUSED,
                         "refusing to delete your top folder /")


class ShellRemoveRecursiveTest(ShellTestCase):
    server_per_test = True

    def test_rm_r_in_the_shell(self):
        self.upload(b"1", "old/one.txt")
        self.upload(b"2", "old/deeper/two.txt")
        term = self.start_shell()
        self.assertEqual(self.command(term, "rm -r old   # all of it"),
                         b"removed 2 file(s) and 2 folder(s)\r\n")
        self.assertEqual(os.listdir(self.server.user_dir("alice")), [])
        self.exit_shell(term)


if __name__ == "__main__":
    unittest.main()
