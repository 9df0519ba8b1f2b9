"""Command-line handling of the client, without and with a server."""

import os
import re
import unittest

from sfs_harness import (EXIT_NETWORK, EXIT_OK, EXIT_USAGE, HOST, REPO, free_port, make_temp_dir,
                         read_file, remove_tree, run_client)

SUBCOMMANDS = ("put", "upload", "get", "download", "view", "rm", "delete", "ls", "list", "menu",
               "mkdir", "rmdir", "mv", "move", "stat")


class CommandLineTest(unittest.TestCase):
    """No server is running: usage errors must be found before connecting."""

    def setUp(self):
        self.dir = make_temp_dir("sfs-it-cli-")
        self.addCleanup(remove_tree, self.dir)
        self.port = free_port()  # nothing listens here

    def sfs(self, *args, env=None):
        return run_client(["--host", HOST, "--port", str(self.port), "--user", "alice"]
                          + list(args), config_home=self.dir, cwd=self.dir, password="pw",
                          env=env, timeout=30)

    def assertUsage(self, result, *fragments):
        self.assertEqual(result.returncode, EXIT_USAGE, result)
        self.assertEqual(result.stdout, b"")
        self.assertNotEqual(result.stderr, b"")
        for fragment in fragments:
            self.assertIn(fragment, result.stderr)

    def test_help(self):
        for args in (["--help"], ["-h"]):
            with self.subTest(args=args):
                result = self.sfs(*args)
                self.assertEqual(result.returncode, EXIT_OK, result)
                for name in SUBCOMMANDS:
                    self.assertIn(name.encode(), result.stdout)
                for option in (b"--host", b"--port", b"--user", b"--ca-file", b"--trust-new",
                               b"--password-file"):
                    self.assertIn(option, result.stdout)

    def test_man_page_documents_every_option(self):
        # The commands are checked against the command table by a unit test
        # (SfsManPage); the global options live in apps/sfs.cc.
        result = self.sfs("--help")
        self.assertEqual(result.returncode, EXIT_OK, result)
        listing = result.stdout.decode().split("\nOptions:\n", 1)[1].split("\nSubcommands:\n")[0]
        options = set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", listing))
        self.assertIn("--completion", options)
        page = read_file(os.path.join(REPO, "docs", "man", "sfs.1")).decode().replace("\\-", "-")
        for option in sorted(options):
            self.assertRegex(page, r"(?m)^\.B[IR]? .*(?<![\w-])%s(?![\w-])" % re.escape(option))

    def test_subcommand_help(self):
        aliases = {"upload": "put", "download": "get", "delete": "rm", "list": "ls", "move": "mv"}
        for name in SUBCOMMANDS + ("hash", "verify", "shell"):
            with self.subTest(command=name):
                result = self.sfs(name, "--help")
                self.assertEqual(result.returncode, EXIT_OK, result)
                self.assertIn(b"Usage", result.stdout)
                # Every command's help ends with examples that use it.
                examples = result.stdout.split(b"\nExamples:\n", 1)
                self.assertEqual(len(examples), 2, result.stdout)
                self.assertIn(b"sfs " + aliases.get(name, name).encode(), examples[1])

    def test_unknown_command(self):
        self.assertUsage(self.sfs("frobnicate"), b"frobnicate")
        self.assertUsage(self.sfs("ls", "a", "extra"), b"extra")

    def test_missing_arguments(self):
        for name in ("put", "upload", "get", "download", "view", "rm", "delete", "mkdir", "rmdir",
                     "mv", "move", "stat"):
            with self.subTest(command=name):
                self.assertUsage(self.sfs(name))
        self.assertUsage(self.sfs("mv", "only-one"))

    def test_too_many_arguments(self):
        self.assertUsage(self.sfs("hash", "a", "b"))
        self.assertUsage(self.sfs("view", "a", "b"))
        self.assertUsage(self.sfs("mv", "a", "b", "c"))
        self.assertUsage(self.sfs("mkdir", "a", "b"))
        self.assertUsage(self.sfs("ls", "-x"))

    def test_two_commands(self):
        self.assertUsage(self.sfs("ls", "rm", "x"))

    def test_bad_option_values(self):
        for args in (["--port", "0", "ls"], ["--port", "65536", "ls"], ["--port", "http", "ls"],
                     ["view", "x", "--bytes", "many"], ["--no-such-option", "ls"]):
            with self.subTest(args=args):
                self.assertUsage(run_client(args, config_home=self.dir, cwd=self.dir,
                                            password="pw", timeout=30))

    def test_usage_errors_leave_no_files(self):
        self.sfs("get")
        self.sfs("frobnicate")
        self.assertEqual(os.listdir(self.dir), [])

    def test_connection_refused(self):
        result = self.sfs("ls")
        self.assertEqual(result.returncode, EXIT_NETWORK, result)
        self.assertEqual(result.stderr.decode().splitlines(),
                         ["sfs: cannot connect to %s:%d: Connection refused" % (HOST, self.port)])

    def test_no_user_name(self):
        result = run_client(["--host", HOST, "--port", str(self.port), "ls"],
                            config_home=self.dir, cwd=self.dir, password="pw", timeout=30)
        self.assertNotEqual(result.returncode, EXIT_OK)
        self.assertEqual(result.stderr, b"sfs: no user name: use --user or set SFS_USER\n")


if __name__ == "__main__":
    unittest.main()
