"""A full disk (ENOSPC) on the server (issue 4).

The storage lives on a 16 MiB tmpfs the test mounts (root or CAP_SYS_ADMIN
needed; skipped otherwise). An upload bigger than the free space fails
cleanly, leaves nothing behind and harms nothing, and the server goes on.
"""

import os
import subprocess
import unittest

from sfs_harness import (EXIT_SERVER_IO, NO_OFFER, Client, RawConnection, Server, make_temp_dir,
                         parse_listing, partial_files_in, read_file, remove_tree, digest_hex,
                         stderr_lines, stored_digest, temp_files_in, write_file,
                         write_random_file)

TMPFS_SIZE = 16 << 20
TOO_BIG = 24 << 20


def mount_tmpfs(directory, size):
    """Mounts a tmpfs of `size` bytes on directory; returns None or why it failed."""
    try:
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%d,mode=0700" % size,
                                 "tmpfs", directory], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return str(e)
    if result.returncode != 0:
        return result.stderr.decode(errors="replace").strip() or "exit %d" % result.returncode
    return None


def unmount(directory):
    if subprocess.run(["umount", directory], capture_output=True, timeout=30).returncode != 0:
        subprocess.run(["umount", "-l", directory], capture_output=True, timeout=30)


def free_bytes(directory):
    st = os.statvfs(directory)
    return st.f_bavail * st.f_frsize


class DiskFullTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.mount_point = make_temp_dir("sfs-it-tmpfs-")
        why = mount_tmpfs(cls.mount_point, TMPFS_SIZE)
        if why is not None:
            remove_tree(cls.mount_point)
            raise unittest.SkipTest("cannot mount a %d MiB tmpfs for the storage (needs root or "
                                    "CAP_SYS_ADMIN): %s" % (TMPFS_SIZE >> 20, why))
        try:
            cls.server = Server(storage=os.path.join(cls.mount_point, "storage"))
            cls.server.start()
        except BaseException:
            unmount(cls.mount_point)
            remove_tree(cls.mount_point)
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.server.close()
        finally:
            unmount(cls.mount_point)
            remove_tree(cls.mount_point)

    def setUp(self):
        self.client = Client(self.server)
        self.addCleanup(self.client.close)
        self.user_dir = self.server.user_dir("alice")

    def tearDown(self):
        self.assertTrue(self.server.running(), "sfs-server died")
        self.assertEqual(temp_files_in(self.user_dir), [])
        self.assertEqual(partial_files_in(self.user_dir), [])

    def put(self, name, data):
        local = write_file(self.client.path("local-" + name), data)
        return self.client.run("put", local, name)

    def assertServerIoError(self, result):
        self.assertEqual(result.returncode, EXIT_SERVER_IO,
                         "args %r: stderr %r" % (result.args, result.stderr))
        lines = stderr_lines(result)
        self.assertEqual(len(lines), 1, lines)
        self.assertTrue(lines[0].startswith("sfs: "), lines)
        self.assertRegex(lines[0].lower(), r"full|space", "the message does not say why")

    def existing_files(self):
        """Two files already stored, (name, data) pairs; stored again if missing."""
        files = [("one.bin", b"1" * (1 << 20)), ("two.txt", b"two\n" * 1000)]
        for name, data in files:
            if not os.path.exists(self.server.stored("alice", name)):
                self.assertEqual(self.put(name, data).returncode, 0)
        return files

    def assertIntact(self, files):
        for name, data in files:
            path = self.server.stored("alice", name)
            self.assertEqual(read_file(path), data, name)
            self.assertEqual(stored_digest(path), digest_hex(data), name)

    def test_upload_bigger_than_the_disk(self):
        files = self.existing_files()
        free_before = free_bytes(self.mount_point)
        big = self.client.path("big.bin")
        write_random_file(big, TOO_BIG)
        self.assertServerIoError(self.client.run("put", big, "big.bin", timeout=120))
        self.assertFalse(os.path.exists(self.server.stored("alice", "big.bin")))
        self.assertIntact(files)
        # The partial data is gone: the space is free again.
        self.assertGreaterEqual(free_bytes(self.mount_point), free_before - (64 << 10))
        listed = self.client.run("ls")
        self.assertEqual(listed.returncode, 0, listed.stderr)
        self.assertEqual(sorted(parse_listing(listed.stdout)), ["one.bin", "two.txt"])
        # The server goes on: a small upload works.
        self.assertEqual(self.put("small.txt", b"small").returncode, 0)
        self.assertEqual(read_file(self.server.stored("alice", "small.txt")), b"small")
        os.unlink(self.server.stored("alice", "small.txt"))

    def test_replacing_a_file_with_one_too_big_keeps_the_old_one(self):
        files = self.existing_files()
        big = self.client.path("big.bin")
        write_random_file(big, TOO_BIG)
        self.assertServerIoError(self.client.run("put", big, "one.bin", timeout=120))
        self.assertIntact(files)
        copy = self.client.path("copy")
        self.assertEqual(self.client.run("get", "one.bin", copy).returncode, 0)
        self.assertEqual(read_file(copy), files[0][1])

    def test_session_stays_usable_after_a_full_disk(self):
        """docs/protocol.md: the server reads the rest of the upload and replies ERR IO,
        so the session goes on."""
        files = self.existing_files()
        raw = RawConnection(self.server.port, timeout=60)
        self.addCleanup(raw.close)
        self.assertEqual(raw.greet_and_login("alice", self.server.users["alice"]), "OK")
        offer, final = raw.put("raw-big.bin", os.urandom(TOO_BIG))
        self.assertEqual(offer, NO_OFFER)
        self.assertTrue(final is not None and final.startswith("ERR IO "), final)
        reply = raw.command("LIST")
        self.assertEqual(reply, "OK %d" % len(files), "the session is out of step after ERR IO")
        for _ in files:
            raw.read_line()
        self.assertEqual(raw.put("after.txt", b"after"), (NO_OFFER, "OK 5 " + digest_hex(b"after")))
        self.assertEqual(raw.command("DELETE after.txt"), "OK")
        self.assertIntact(files)

    def test_menu_goes_on_after_a_full_disk(self):
        """One session for several commands: a failed upload must not leave it out of step."""
        files = self.existing_files()
        write_random_file(self.client.path("big.bin"), TOO_BIG)
        result = self.client.run(input=b"1\nbig.bin\n\n5\n6\n", timeout=120)
        out = result.stdout.decode(errors="replace")
        lines = stderr_lines(result)
        self.assertEqual(len(lines), 1, lines)
        self.assertRegex(lines[0], r"^sfs: .*(full|space)")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("two.txt\n", out, "the listing after the failed upload is missing")
        self.assertTrue(out.endswith("Bye.\n"), out)
        self.assertIntact(files)


if __name__ == "__main__":
    unittest.main()
