"""`sfs view`: raw bytes of the start of a remote file on stdout."""

import os
import unittest

from sfs_harness import EXIT_NOT_FOUND, EXIT_USAGE, ServerTestCase


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


if __name__ == "__main__":
    unittest.main()
