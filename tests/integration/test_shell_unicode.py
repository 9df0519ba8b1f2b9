"""Non-ASCII input at the `sfs>` prompt (issue 16, item 3): typed, completed
with Tab and shown as UTF-8, also when the environment's locale is "C" (the
harness runs every client with LANG=C, as many containers do)."""

import os
import unittest

from sfs_harness import read_file, write_file
from test_shell import ShellTestCase

FOLDER = "ünïcødé 日本"


class ShellUnicodeTest(ShellTestCase):

    def setUp(self):
        super().setUp()
        top = self.server.user_dir("alice")
        os.makedirs(os.path.join(top, "box", FOLDER), exist_ok=True)
        write_file(os.path.join(top, "résumé.txt"), "résumé\n".encode())
        write_file(os.path.join(top, "über.txt"), b"uber\n")

    def test_typed_non_ascii_names_reach_the_server(self):
        term = self.start_shell()
        self.transfer(term, "get résumé.txt")
        self.assertEqual(read_file(self.client.path("résumé.txt")), "résumé\n".encode())
        self.assertIn("get résumé.txt".encode(), term.transcript)
        self.exit_shell(term)

    def test_tab_completes_non_ascii_names(self):
        term = self.start_shell()
        # A word that starts with a non-ASCII letter.
        self.assertEqual(self.command(term, "view üb\t"), b"uber\r\n")
        # A folder whose only entry is a non-ASCII name with a space.
        self.assertEqual(self.command(term, "cd box/\t"), b"")
        self.assertEqual(self.command(term, "pwd"), ("/box/%s\r\n" % FOLDER).encode())
        self.assertEqual(self.command(term, "cd"), b"")
        # Non-ASCII text before the word being completed.
        self.assertEqual(self.command(term, "mv über.txt box/ü\t"), b"")
        self.assertEqual(read_file(self.server.stored("alice", "box/%s/über.txt" % FOLDER)),
                         b"uber\n")
        self.exit_shell(term)


if __name__ == "__main__":
    unittest.main()
