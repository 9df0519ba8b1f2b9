"""Issue 16, item 5: global options anywhere, `did you mean` for unknown commands,
`sfs help CMD`, and --version on sfs, sfs-server and sfs-admin."""

import json
import os
import re
import subprocess
import unittest

from sfs_harness import (ADMIN_BIN, CLIENT_BIN, EXIT_OK, EXIT_USAGE, HOST, SERVER_BIN, REPO,
                         ServerTestCase, free_port, make_temp_dir, parse_listing, read_file,
                         remove_tree, run_client, write_file)


def project_version():
    text = read_file(os.path.join(REPO, "CMakeLists.txt")).decode()
    return re.search(r"project\(sfs VERSION ([0-9.]+)", text).group(1)


class OfflineTest(unittest.TestCase):
    """No server listens: none of this may need one."""

    def setUp(self):
        self.dir = make_temp_dir("sfs-it-everyday-")
        self.addCleanup(remove_tree, self.dir)
        self.port = free_port()  # nothing listens here

    def sfs(self, *args):
        return run_client(["--host", HOST, "--port", str(self.port), "--user", "alice"]
                          + list(args), config_home=self.dir, cwd=self.dir, password="pw",
                          timeout=30)

    def test_unknown_command_says_what_was_meant(self):
        # Before: "The following argument was not expected: x.txt docs/renamed.txt rename".
        result = self.sfs("rename", "x.txt", "docs/renamed.txt")
        self.assertEqual(result.returncode, EXIT_USAGE, result)
        self.assertEqual(result.stderr, b"sfs: unknown command 'rename'; did you mean 'mv'?\n")
        self.assertEqual(result.stdout, b"")
        for typo, meant in (("lst", "ls"), ("downlaod", "get"), ("cat", "view"), ("du", "df")):
            with self.subTest(typo=typo):
                result = self.sfs(typo, "x")
                self.assertEqual(result.stderr.decode(),
                                 "sfs: unknown command '%s'; did you mean '%s'?\n" % (typo, meant))
        result = self.sfs("frobnicate")
        self.assertEqual(result.stderr, b"sfs: unknown command 'frobnicate' (try sfs help)\n")

    def test_help_command(self):
        result = self.sfs("help", "put")
        self.assertEqual(result.returncode, EXIT_OK, result)  # no server was needed
        out = result.stdout.decode()
        self.assertTrue(out.startswith("usage: put "), out)
        self.assertIn("--recursive, -r", out)
        self.assertIn("Examples:\n  sfs put report.pdf", out)
        listing = self.sfs("help")
        self.assertEqual(listing.returncode, EXIT_OK, listing)
        for name in (b"put", b"get", b"ls", b"mv", b"df", b"trust", b"shell"):
            self.assertRegex(listing.stdout, rb"(?m)^  " + name + rb"\b")
        self.assertIn(b"sfs help COMMAND", listing.stdout)
        self.assertNotIn(b"alias: ?", listing.stdout)  # the shell's, not `sfs ?`
        # The shell's own commands are explained too.
        self.assertEqual(self.sfs("help", "lcd").returncode, EXIT_OK)
        unknown = self.sfs("help", "rename")
        self.assertEqual(unknown.returncode, EXIT_USAGE)
        self.assertEqual(unknown.stderr, b"sfs: unknown command 'rename'; did you mean 'mv'?\n")

    def test_version_on_all_three_binaries(self):
        version = project_version()
        for binary, name in ((CLIENT_BIN, "sfs"), (SERVER_BIN, "sfs-server"),
                             (ADMIN_BIN, "sfs-admin")):
            with self.subTest(binary=name):
                result = subprocess.run([binary, "--version"], capture_output=True, timeout=30,
                                        cwd=self.dir, stdin=subprocess.DEVNULL)
                self.assertEqual(result.returncode, 0, result)
                self.assertEqual(result.stdout.decode().strip(), "%s %s" % (name, version))
        self.assertEqual(os.listdir(self.dir), [])  # the server started nothing

    def test_ls_dash_h_is_human_sizes_not_help(self):
        # -h was --help for every subcommand; ls -h now means sizes, --help stays.
        result = self.sfs("ls", "--help")
        self.assertEqual(result.returncode, EXIT_OK)
        self.assertIn(b"--human-readable", result.stdout)
        self.assertIn(b"--all", result.stdout)
        result = self.sfs("ls", "-h")  # tries to connect: nothing listens
        self.assertNotIn(b"Usage", result.stdout)
        self.assertRegex(result.stderr, b"cannot connect")


class GlobalOptionsAnywhereTest(ServerTestCase):
    """`sfs ls --json`, `sfs put --compress f`, `sfs ls --port P --user alice`."""

    def run_bare(self, *args):
        """sfs with exactly these arguments (no connection flags added in front)."""
        return run_client(list(args), config_home=self.client.config_home, cwd=self.client.cwd,
                          password=self.client.password)

    def test_options_after_the_command(self):
        write_file(self.client.path("f.txt"), b"global options anywhere\n")
        connect = ["--host", HOST, "--port", str(self.server.port), "--user", "alice",
                   "--ca-file", self.server.cert_path]
        # Before: "The following argument was not expected: ...".
        self.assertOk(self.run_bare("put", "--compress", "f.txt", *connect))
        self.assertEqual(read_file(self.server.stored("alice", "f.txt")),
                         b"global options anywhere\n")
        result = self.run_bare("ls", *connect)
        self.assertOk(result)
        self.assertIn("f.txt", parse_listing(result.stdout))
        result = self.run_bare("ls", "--json", *connect)
        self.assertOk(result)
        self.assertEqual([e["path"] for e in json.loads(result.stdout)], ["f.txt"])
        # Split around the command, and after its own arguments and flags.
        result = self.run_bare("--host", HOST, "stat", "f.txt", "--port", str(self.server.port),
                               "--json", "--user", "alice", "--ca-file", self.server.cert_path)
        self.assertOk(result)
        self.assertEqual(json.loads(result.stdout)["size"], 24)


if __name__ == "__main__":
    unittest.main()
