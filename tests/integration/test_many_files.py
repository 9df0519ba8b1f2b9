"""Several files at once (issue 16, item 1): several operands for put, get and
rm as scp takes them, globs expanded in the shell and batch mode (local names
for put, the server's listing for get and rm), mput and mget, and the guard
that keeps a glob of the user's shell from uploading one file under another's
name."""

import os
import unittest

from sfs_harness import (EXIT_NOT_FOUND, EXIT_OK, EXIT_REFUSED, ServerTestCase, read_file,
                         stderr_lines, write_file)
from test_shell import ShellTestCase


class ManyFilesCase(ServerTestCase):
    server_per_test = True

    def home(self, *names):
        return os.path.join(self.server.user_dir("alice"), *names)

    def remote_names(self, *folder):
        path = self.home(*folder)
        return sorted(os.listdir(path)) if os.path.isdir(path) else []

    def local_files(self, **files):
        for name, data in files.items():
            write_file(self.client.path(name), data)


class CommandLineTest(ManyFilesCase):

    def test_two_local_files_are_not_one_upload_under_the_others_name(self):
        # `sfs put *.txt` as the user's shell runs it: put a.txt b.txt.
        self.local_files(**{"a.txt": b"AAA", "b.txt": b"BBB"})
        result = self.client.run("put", "a.txt", "b.txt")
        self.assertFails(result, EXIT_REFUSED)
        message = stderr_lines(result)[0]
        self.assertIn("b.txt is also a local file", message)
        self.assertIn("mput", message)
        self.assertIn("/b.txt", message)
        self.assertEqual(self.remote_names(), [])
        # Three files: c.txt is no remote folder for the other two either.
        self.local_files(**{"c.txt": b"CCC"})
        self.assertFails(self.client.run("put", "a.txt", "b.txt", "c.txt"), EXIT_REFUSED)
        self.assertEqual(self.remote_names(), [])
        # mput uploads each under its own name, however many.
        self.assertOk(self.client.run("mput", "a.txt", "b.txt", "c.txt"))
        for name, data in (("a.txt", b"AAA"), ("b.txt", b"BBB"), ("c.txt", b"CCC")):
            self.assertEqual(read_file(self.home(name)), data)
        # Meaning it: the target written from the top is a remote name.
        self.assertOk(self.client.run("put", "a.txt", "/b.txt"))
        self.assertEqual(read_file(self.home("b.txt")), b"AAA")

    def test_several_sources_go_into_a_folder(self):
        self.local_files(**{"a.txt": b"AAA", "b.txt": b"BBB"})
        self.assertOk(self.client.run("put", "a.txt", "b.txt", "docs"))
        self.assertEqual(self.remote_names("docs"), ["a.txt", "b.txt"])
        self.assertOk(self.client.run("mput", "a.txt", "b.txt", "more/"))
        self.assertEqual(self.remote_names("more"), ["a.txt", "b.txt"])
        os.mkdir(self.client.path("back"))
        self.assertOk(self.client.run("get", "docs/a.txt", "more/b.txt", "back"))
        self.assertEqual(sorted(os.listdir(self.client.path("back"))), ["a.txt", "b.txt"])
        self.assertEqual(read_file(self.client.path("back", "b.txt")), b"BBB")

    def test_mput_and_mget_take_force_and_no_times(self):
        self.local_files(**{"a.txt": b"AAA", "b.txt": b"BBB"})
        for name in ("a.txt", "b.txt"):
            os.utime(self.client.path(name), (1577836800, 1577836800))  # 2020-01-01
        self.assertOk(self.client.run("mput", "a.txt", "b.txt"))
        again = self.client.run("mput", "a.txt", "b.txt")
        self.assertOk(again)
        self.assertIn("unchanged", again.stderr.decode())
        forced = self.client.run("mput", "--force", "a.txt", "b.txt")
        self.assertOk(forced)
        self.assertNotIn("unchanged", forced.stderr.decode())
        os.mkdir(self.client.path("kept"))
        os.mkdir(self.client.path("now"))
        self.assertOk(self.client.run("mget", "a.txt", "b.txt", "kept/"))
        self.assertOk(self.client.run("mget", "--no-times", "a.txt", "b.txt", "now/"))
        for name in ("a.txt", "b.txt"):
            self.assertEqual(int(os.stat(self.client.path("kept", name)).st_mtime), 1577836800)
            self.assertGreater(os.stat(self.client.path("now", name)).st_mtime, 1577836800 + 86400)

    def test_remote_globs_on_the_command_line(self):
        for name in ("one.log", "two.log", "keep.txt", ".hidden.log"):
            self.upload(name.encode(), "logs/" + name)
        self.assertOk(self.client.run("get", "logs/*.log", "got/"))
        self.assertEqual(sorted(os.listdir(self.client.path("got"))), ["one.log", "two.log"])
        self.assertOk(self.client.run("mget", "/logs/k*"))
        self.assertEqual(read_file(self.client.path("keep.txt")), b"keep.txt")
        self.assertOk(self.client.run("rm", "logs/*.log", "logs/keep.txt"))
        self.assertEqual(self.remote_names("logs"), [".hidden.log"])
        self.assertFails(self.client.run("get", "logs/*.none"), EXIT_NOT_FOUND,
                         "no such file: logs/*.none")
        # As in sh, a pattern that matches nothing is a name: brackets in names work.
        self.upload(b"draft", "report [draft].txt")
        self.assertOk(self.client.run("get", "report [draft].txt"))
        self.assertEqual(read_file(self.client.path("report [draft].txt")), b"draft")

    def test_one_failure_does_not_stop_the_others(self):
        self.local_files(**{"a.txt": b"AAA", "c.txt": b"CCC"})
        result = self.client.run("mput", "a.txt", "missing.txt", "c.txt")
        self.assertNotEqual(result.returncode, EXIT_OK)
        self.assertEqual(self.remote_names(), ["a.txt", "c.txt"])
        lines = stderr_lines(result)
        self.assertEqual(len(lines), 2, lines)
        self.assertIn("missing.txt", lines[0])
        self.assertEqual(lines[1], "sfs: put: 1 of 3 failed")


class ShellGlobTest(ShellTestCase):
    server_per_test = True

    def transfers(self, term, line):
        """Runs a command that moves several files: one progress line each, no error."""
        out = self.command(term, line)
        self.assertNotIn(b"sfs:", out)
        self.assertRegex(out, rb"^((\r(put|get) [^\r\n]*\x1b\[K)*\r\n)+$")

    def test_put_get_rm_globs_in_the_shell(self):
        for name, data in (("a.txt", b"AAA"), ("b.txt", b"BBB"), ("c.md", b"CCC")):
            write_file(self.client.path(name), data)
        home = self.server.user_dir("alice")
        term = self.start_shell()
        self.transfers(term, "put *.txt")
        self.assertEqual(read_file(os.path.join(home, "a.txt")), b"AAA")
        self.assertEqual(read_file(os.path.join(home, "b.txt")), b"BBB")
        self.assertFalse(os.path.exists(os.path.join(home, "c.md")))
        self.transfers(term, "mput *.txt *.md docs/")
        self.assertEqual(sorted(os.listdir(os.path.join(home, "docs"))),
                         ["a.txt", "b.txt", "c.md"])
        # A quoted glob is a name.
        self.assertEqual(self.command(term, "put '*.txt'"),
                         b"sfs: no such local file or directory: *.txt\r\n")
        self.assertEqual(self.command(term, "cd docs"), b"")
        self.assertEqual(self.command(term, "lcd .."), b"")
        os.mkdir(os.path.join(os.path.dirname(self.client.cwd), "down"))
        self.transfers(term, "get [ab].txt down")
        self.assertEqual(sorted(os.listdir(os.path.join(os.path.dirname(self.client.cwd),
                                                        "down"))), ["a.txt", "b.txt"])
        self.assertEqual(self.command(term, "rm *.txt"), b"")
        self.assertEqual(os.listdir(os.path.join(home, "docs")), ["c.md"])
        self.exit_shell(term)

    def test_globs_in_batch_mode(self):
        for name in ("x1.csv", "x2.csv"):
            write_file(self.client.path(name), name.encode())
        batch = self.client.path("cmds.sfs")
        write_file(batch, b"put x?.csv   # both\nmget *.csv out/\nrm x*\n")
        result = self.client.run("-b", batch)
        self.assertEqual(result.returncode, EXIT_OK, result.stderr)
        self.assertEqual(sorted(os.listdir(self.client.path("out"))), ["x1.csv", "x2.csv"])
        self.assertEqual(os.listdir(self.server.user_dir("alice")), [])


if __name__ == "__main__":
    unittest.main()
