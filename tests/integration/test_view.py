"""`sfs view`: raw bytes of the start of a remote file on stdout; on a
terminal, text as text and binary data as a hex dump."""

import os
import unittest

from sfs_harness import (CLIENT_BIN, EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE, PtyProcess,
                         ServerTestCase, client_env)


class ViewTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.data = os.urandom(3000)
        os.makedirs(cls.server.user_dir("alice"), mode=0o700, exist_ok=True)
        with open(cls.server.stored("alice", "view.bin"), "wb") as f:
            f.write(cls.data)

    def test_default_is_first_1024_bytes(self):
        result = self.client.run("view", "view.bin")
        self.assertOk(result)
        self.assertEqual(result.stdout, self.data[:1024])
        self.assertEqual(result.stderr, b"")

    def test_bytes_option(self):
        for n in (0, 1, 2, 1023, 1024, 1025, 2999, 3000, 3001, 1 << 20):
            for option in ("--bytes", "-n"):
                with self.subTest(n=n, option=option):
                    result = self.client.run("view", "view.bin", option, str(n))
                    self.assertOk(result)
                    self.assertEqual(result.stdout, self.data[:n])

    def test_file_smaller_than_default(self):
        self.upload(b"short\x00\xffbinary", "short.bin")
        result = self.client.run("view", "short.bin")
        self.assertOk(result)
        self.assertEqual(result.stdout, b"short\x00\xffbinary")

    def test_empty_file(self):
        self.upload(b"", "empty.bin")
        result = self.client.run("view", "empty.bin")
        self.assertOk(result)
        self.assertEqual(result.stdout, b"")

    def test_missing_file(self):
        result = self.client.run("view", "missing.bin")
        self.assertFails(result, EXIT_NOT_FOUND, "no such file: missing.bin")
        self.assertEqual(result.stdout, b"")

    def test_bad_byte_count_is_usage_error(self):
        for value in ("-1", "abc"):
            with self.subTest(value=value):
                result = self.client.run("view", "view.bin", "--bytes", value)
                self.assertEqual(result.returncode, EXIT_USAGE, result.stderr)
                self.assertEqual(result.stdout, b"")

    def view_on_terminal(self, *args):
        """Runs `sfs view ARGS` with a pty as stdout; returns what it showed."""
        term = PtyProcess([CLIENT_BIN] + self.client.common_args() + ["view"] + list(args),
                          cwd=self.client.cwd,
                          env=client_env(self.client.config_home, self.client.password))
        self.addCleanup(term.close)
        status, out = term.finish()
        self.assertEqual(status, EXIT_OK, out)
        return out

    def test_binary_on_a_terminal_is_a_hex_dump(self):
        self.upload(b"short\x00\xffbinary\x1b[2J and more than sixteen", "dump.bin")
        self.assertEqual(
            self.view_on_terminal("dump.bin"),
            b"00000000: 7368 6f72 7400 ff62 696e 6172 791b 5b32  short..binary.[2\r\n"
            b"00000010: 4a20 616e 6420 6d6f 7265 2074 6861 6e20  J and more than \r\n"
            b"00000020: 7369 7874 6565 6e                        sixteen\r\n")
        self.assertEqual(self.view_on_terminal("dump.bin", "--bytes", "6"),
                         b"00000000: 7368 6f72 7400" + b" " * 27 + b"short.\r\n")
        # The first three bytes alone are text.
        self.assertEqual(self.view_on_terminal("dump.bin", "--bytes", "3"), b"sho\r\n")

    def test_text_on_a_terminal_is_text(self):
        self.upload("caf\u00e9 menu\n\tline two".encode(), "menu.txt")
        # The pty turns \n into \r\n; a missing final newline is added.
        self.assertEqual(self.view_on_terminal("menu.txt"),
                         "caf\u00e9 menu\r\n\tline two\r\n".encode())
        # Cut in the middle of the two-byte \u00e9: still text.
        self.assertEqual(self.view_on_terminal("menu.txt", "-n", "4"), b"caf\xc3\r\n")

    def test_binary_through_a_pipe_is_exact(self):
        data = bytes(range(256)) * 3
        self.upload(data, "all-bytes.bin")
        result = self.client.run("view", "all-bytes.bin", "--bytes", "700")
        self.assertOk(result)
        self.assertEqual(result.stdout, data[:700])


if __name__ == "__main__":
    unittest.main()
