"""Upload and download through the real client: bytes, names, modes, listing, errors."""

import os
import re
import unittest

from sfs_harness import (EXIT_NOT_FOUND, EXIT_LOCAL, EXIT_REFUSED, ServerTestCase, file_mode,
                         parse_listing, read_file, sha256_file, stderr_lines, write_file,
                         write_random_file, on_disk_only)


class RoundTripTest(ServerTestCase):

    def roundtrip(self, data, name):
        """put LOCAL NAME, then get NAME COPY; returns the downloaded bytes."""
        local = write_file(self.client.path("src-" + name), data)
        self.assertOk(self.client.run("put", local, name))
        self.assertEqual(read_file(self.server.stored("alice", name)), data)
        copy = self.client.path("copy-" + name)
        self.assertOk(self.client.run("get", name, copy))
        return read_file(copy)

    def test_small_sizes_byte_for_byte(self):
        for size in (0, 1, 1023, 1024, 1025):
            with self.subTest(size=size):
                data = os.urandom(size)
                self.assertEqual(self.roundtrip(data, "size-%d.bin" % size), data)

    def test_64_mib_random_file(self):
        size = 64 << 20
        local = self.client.path("big.bin")
        digest = write_random_file(local, size)
        self.assertOk(self.client.run("put", local, "big.bin", timeout=120))
        stored = self.server.stored("alice", "big.bin")
        self.assertEqual(os.path.getsize(stored), size)
        self.assertEqual(sha256_file(stored), digest)
        copy = self.client.path("big-copy.bin")
        self.assertOk(self.client.run("get", "big.bin", copy, timeout=120))
        self.assertEqual(os.path.getsize(copy), size)
        self.assertEqual(sha256_file(copy), digest)
        os.unlink(stored)

    def test_put_without_remote_uses_the_local_file_name(self):
        data = b"default name\n"
        write_file(self.client.path("plain-name.txt"), data)
        self.assertOk(self.client.run("put", self.client.path("plain-name.txt")))
        self.assertEqual(read_file(self.server.stored("alice", "plain-name.txt")), data)

    def test_get_without_local_writes_into_cwd(self):
        self.upload(b"into cwd", "cwd-target.txt")
        self.assertOk(self.client.run("get", "cwd-target.txt"))
        self.assertEqual(read_file(self.client.path("cwd-target.txt")), b"into cwd")

    def test_get_into_existing_directory(self):
        self.upload(b"into a directory", "in-dir.txt")
        os.mkdir(self.client.path("downloads"))
        self.assertOk(self.client.run("get", "in-dir.txt", self.client.path("downloads")))
        self.assertEqual(read_file(self.client.path("downloads", "in-dir.txt")),
                         b"into a directory")
        self.assertEqual(os.listdir(self.client.path("downloads")), ["in-dir.txt"])

    def test_aliases(self):
        local = write_file(self.client.path("alias.txt"), b"alias content")
        self.assertOk(self.client.run("upload", local, "alias.txt"))
        self.assertOk(self.client.run("download", "alias.txt", self.client.path("alias-copy")))
        self.assertEqual(read_file(self.client.path("alias-copy")), b"alias content")
        listed = self.client.run("list")
        self.assertOk(listed)
        self.assertEqual(parse_listing(listed.stdout).get("alias.txt"), len(b"alias content"))
        self.assertOk(self.client.run("delete", "alias.txt"))
        self.assertFalse(os.path.exists(self.server.stored("alice", "alias.txt")))

    @on_disk_only("checks file modes")
    def test_server_side_modes(self):
        self.upload(b"mode check", "modes.txt")
        self.assertEqual(file_mode(self.server.stored("alice", "modes.txt")), 0o600)
        self.assertEqual(file_mode(self.server.user_dir("alice")), 0o700)

    def test_ls_lists_names_and_sizes(self):
        client = self.new_client("bob")  # bob's directory holds only this test's files
        files = {"one.txt": b"1", "two words.txt": b"22", "caf\u00e9.bin": os.urandom(5000),
                 "empty": b"", "percent%41.txt": b"%"}
        for name, data in files.items():
            self.upload(data, name, client=client)
        listed = client.run("ls")
        self.assertOk(listed)
        self.assertEqual(listed.stderr, b"")
        self.assertEqual(parse_listing(listed.stdout),
                         {name: len(data) for name, data in files.items()})
        for name, data in files.items():
            self.assertEqual(read_file(self.server.stored("bob", name)), data)
        lines = listed.stdout.decode().splitlines()
        self.assertEqual(lines, sorted(lines, key=lambda line: line.split("  ")[-1].encode()))
        self.assertIn("%12d  " % 5000, listed.stdout.decode())

    @on_disk_only("plants a folder")
    def test_ls_shows_directories_and_get_inside_them(self):
        os.makedirs(os.path.join(self.server.user_dir("alice"), "sub"), mode=0o700,
                    exist_ok=True)
        write_file(os.path.join(self.server.user_dir("alice"), "sub", "inner.txt"), b"inner")
        listed = self.client.run("ls")
        self.assertOk(listed)
        self.assertIn("sub/", parse_listing(listed.stdout))
        self.assertOk(self.client.run("get", "sub/inner.txt"))
        self.assertEqual(read_file(self.client.path("inner.txt")), b"inner")
        self.assertFails(self.client.run("get", "sub", self.client.path("dir-copy")),
                         EXIT_REFUSED, "is a directory: sub (get -r downloads a folder)")
        self.assertFalse(os.path.exists(self.client.path("dir-copy")))
        self.assertFails(self.client.run("rm", "sub"), EXIT_REFUSED,
                         "is a directory: sub (rm -r deletes a folder with everything in it)")
        self.assertTrue(os.path.isdir(os.path.join(self.server.user_dir("alice"), "sub")))

    def test_rm_removes(self):
        self.upload(b"to delete", "doomed.txt")
        self.assertOk(self.client.run("rm", "doomed.txt"))
        self.assertFalse(os.path.exists(self.server.stored("alice", "doomed.txt")))
        listed = self.client.run("ls")
        self.assertOk(listed)
        self.assertNotIn("doomed.txt", parse_listing(listed.stdout))

    def test_get_missing_file(self):
        result = self.client.run("get", "missing.txt")
        self.assertFails(result, EXIT_NOT_FOUND, "no such file: missing.txt")
        self.assertEqual(os.listdir(self.client.cwd), [])

    def test_rm_missing_file(self):
        self.assertFails(self.client.run("rm", "missing.txt"), EXIT_NOT_FOUND,
                         "no such file: missing.txt")

    def test_put_missing_local_file(self):
        missing = self.client.path("not-here.txt")
        result = self.client.run("put", missing, "x.txt")
        self.assertFails(result, EXIT_NOT_FOUND)
        self.assertRegex(stderr_lines(result)[0],
                         "^sfs: no such local file(?: or directory)?: %s$" % re.escape(missing))
        self.assertFalse(os.path.exists(self.server.stored("alice", "x.txt")))

    def test_put_a_directory_is_a_local_error(self):
        os.mkdir(self.client.path("a-dir"))
        result = self.client.run("put", self.client.path("a-dir"), "a-dir")
        self.assertFails(result, EXIT_LOCAL)
        self.assertIn(b"(put -r uploads a folder)", result.stderr)
        self.assertFalse(os.path.exists(self.server.stored("alice", "a-dir")))

    def test_get_into_missing_local_directory(self):
        self.upload(b"content", "nowhere.txt")
        target = os.path.join(self.client.root, "no-such-dir", "out.txt")
        result = self.client.run("get", "nowhere.txt", target)
        # A local problem (8), not a missing remote file (4); the message names
        # the user's folder, not the client's temporary file.
        self.assertFails(result, EXIT_LOCAL,
                         "no such local directory: %s" % os.path.dirname(target))
        self.assertFalse(os.path.exists(os.path.dirname(target)))

    def test_overwrite_replaces_content(self):
        self.upload(b"first version, rather long\n" * 100, "over.txt")
        self.upload(b"second\n", "over.txt")
        self.assertEqual(read_file(self.server.stored("alice", "over.txt")), b"second\n")
        self.assertOk(self.client.run("get", "over.txt", self.client.path("over-copy")))
        self.assertEqual(read_file(self.client.path("over-copy")), b"second\n")

    def test_get_overwrites_existing_local_file(self):
        self.upload(b"fresh", "fresh.txt")
        write_file(self.client.path("fresh.txt"), b"stale local content")
        self.assertOk(self.client.run("get", "fresh.txt"))
        self.assertEqual(read_file(self.client.path("fresh.txt")), b"fresh")
        self.assertEqual(sorted(os.listdir(self.client.cwd)), ["fresh.txt"])


if __name__ == "__main__":
    unittest.main()
