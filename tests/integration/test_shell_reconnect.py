"""`sfs shell` outlives the server's idle timeout (issue 16, item 7): the next
command logs in again on its own, with the remote and local working
directories kept, instead of failing with "connection closed by peer"."""

import os
import unittest

from harness.waiting import wait_until
from sfs_harness import read_file, write_file
from test_shell import ShellTestCase

RECONNECTED = b"sfs: the server had closed the idle connection; logged in again\r\n"


class ShellReconnectTest(ShellTestCase):
    server_kwargs = {"extra_args": ["--idle-timeout", "2"]}

    def quiet(self, out):
        """`out` without the note of a reconnect (a slow machine may take
        longer than the idle timeout between two commands)."""
        return out.replace(RECONNECTED, b"")

    def test_the_next_command_logs_in_again_keeping_cd_and_lcd(self):
        os.makedirs(os.path.join(self.server.user_dir("alice"), "docs"), exist_ok=True)
        os.mkdir(self.client.path("sub"))
        write_file(self.client.path("sub", "n.txt"), b"kept\n")
        term = self.start_shell()
        self.assertEqual(self.quiet(self.command(term, "cd docs")), b"")
        self.assertEqual(self.quiet(self.command(term, "lcd sub")), b"")
        # The server ends the idle session (its log says so), then pwd is typed.
        ended = r"user=alice peer=\S+ disconnected"
        before = self.server.log_count(ended)
        self.assertGreater(self.server.wait_for_log_count(ended, before + 1, timeout=30.0), before)
        mark = self.server.log_mark()
        out = self.command(term, "pwd")
        self.assertEqual(out, RECONNECTED + b"/docs\r\n")
        # (the server may log the login just after the client has its answer)
        self.assertTrue(wait_until(lambda: "login ok" in self.server.log_since(mark), timeout=30))
        self.transfer(term, "put n.txt")  # from the local directory kept too
        self.assertEqual(read_file(self.server.stored("alice", "docs/n.txt")), b"kept\n")
        self.exit_shell(term)


if __name__ == "__main__":
    unittest.main()
