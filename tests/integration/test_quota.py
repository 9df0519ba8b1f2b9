"""--max-file-size, --quota-bytes and --quota-files.

An upload over a limit fails with one clear line and exit 9, before any data
is stored; the files already there stay intact and no temporary or partial
file is left behind. Replacing a file counts only the difference, and the
part an interrupted upload left counts as used (docs/security.md).
"""

import os
import re
import time
import unittest

from sfs_harness import (EXIT_TOO_LARGE, NO_OFFER, RawConnection, ServerTestCase, ok_put,
                         partial_files_in, read_file, digest_hex, temp_files_in, trailer,
                         write_file, on_disk_only)

MAX_FILE = 60000
QUOTA_BYTES = 100000
QUOTA_FILES = 3


class QuotaTestCase(ServerTestCase):
    server_per_test = True
    users = {"alice": "alice-pw-7Qx", "bob": "bob-pw-3Kz"}

    def put(self, name, data, client=None):
        client = client or self.client
        local = client.path("local-" + name.replace("/", "_"))
        write_file(local, data)
        return client.run("put", local, name)

    def assertStored(self, files, user="alice"):
        """The user's directory holds exactly these {name: bytes}, no temp or partial."""
        directory = self.server.user_dir(user)
        self.assertEqual(temp_files_in(directory) + partial_files_in(directory), [])
        names = sorted(n for n in os.listdir(directory))
        self.assertEqual(names, sorted(files))
        for name, data in files.items():
            self.assertEqual(digest_hex(read_file(os.path.join(directory, name))),
                             digest_hex(data), name)

    def assertTooLarge(self, result, pattern):
        self.assertFails(result, EXIT_TOO_LARGE)
        self.assertRegex(result.stderr.decode().strip(), pattern)

    def raw(self, user="alice"):
        conn = RawConnection(self.server.port)
        self.addCleanup(conn.close)
        self.assertEqual(conn.greet_and_login(user, self.server.users[user]), "OK")
        return conn


class MaxFileSizeTest(QuotaTestCase):
    server_kwargs = {"extra_args": ["--max-file-size", str(MAX_FILE)]}

    def test_a_file_over_the_limit_is_refused(self):
        old = os.urandom(1000)
        exact = os.urandom(MAX_FILE)
        self.assertOk(self.put("doc.bin", old))
        self.assertOk(self.put("exact.bin", exact))
        result = self.put("doc.bin", os.urandom(MAX_FILE + 1))
        # The message says the limit, so the user knows what would fit.
        self.assertTooLarge(result, r"^sfs: .*larger than the server's limit of %d bytes" % MAX_FILE)
        self.assertStored({"doc.bin": old, "exact.bin": exact})
        self.assertTrue(self.server.wait_for_log(
            r"user=alice peer=\S+ op=PUT path=doc\.bin bytes=0 result=TOOLARGE"))

    def test_raw_put_over_the_limit_is_refused_before_any_data(self):
        conn = self.raw()
        self.assertEqual(conn.command("PUT huge.bin %d" % (1 << 50)),
                         "ERR TOOLARGE file larger than the server's limit of %d bytes" % MAX_FILE)
        self.assertEqual(conn.command("PUT huge.bin %d" % (MAX_FILE + 1)),
                         "ERR TOOLARGE file larger than the server's limit of %d bytes" % MAX_FILE)
        # The session goes on.
        _, reply = conn.put("small.bin", b"small")
        self.assertEqual(reply, ok_put(b"small"))
        self.assertStored({"small.bin": b"small"})


class QuotaBytesTest(QuotaTestCase):
    server_kwargs = {"extra_args": ["--quota-bytes", str(QUOTA_BYTES)]}

    def test_uploads_past_the_quota_are_refused(self):
        a, b = os.urandom(50000), os.urandom(40000)
        self.assertOk(self.put("a.bin", a))
        self.assertOk(self.put("b.bin", b))
        result = self.put("c.bin", os.urandom(20000))
        self.assertTooLarge(result, r"^sfs: quota exceeded: 90000 of 100000 bytes used, "
                                    r"this file needs 20000$")
        self.assertStored({"a.bin": a, "b.bin": b})
        # Replacing a file counts the new size instead of the old one: 40000 + 60000 fits.
        a2 = os.urandom(60000)
        self.assertOk(self.put("a.bin", a2))
        self.assertStored({"a.bin": a2, "b.bin": b})
        # 40000 + 60001 does not; the old a.bin stays.
        self.assertTooLarge(self.put("a.bin", os.urandom(60001)), r"^sfs: quota exceeded")
        self.assertStored({"a.bin": a2, "b.bin": b})
        # Deleting makes room again.
        self.assertOk(self.client.run("rm", "b.bin"))
        c = os.urandom(40000)
        self.assertOk(self.put("c.bin", c))
        self.assertStored({"a.bin": a2, "c.bin": c})

    def test_the_quota_is_per_user(self):
        self.assertOk(self.put("a.bin", os.urandom(QUOTA_BYTES)))
        self.assertTooLarge(self.put("b.bin", b"1"), r"^sfs: quota exceeded")
        bob = self.new_client("bob")
        data = os.urandom(QUOTA_BYTES)
        self.assertOk(self.put("b.bin", data, client=bob))
        self.assertStored({"b.bin": data}, user="bob")

    @on_disk_only("waits for the partial file")
    def test_an_interrupted_upload_counts_until_it_is_resumed(self):
        # 70000 announced, 50000 sent, then the connection is cut: the server keeps
        # the 50000 bytes for a resume, and they count.
        data = os.urandom(70000)
        conn = RawConnection(self.server.port)
        self.assertEqual(conn.greet_and_login("alice", "alice-pw-7Qx"), "OK")
        self.assertEqual(conn.start_put("big.bin", len(data)), NO_OFFER)
        conn.send_frame(data[:50000])
        conn.close()
        directory = self.server.user_dir("alice")
        self.assertTrue(self.wait_for_partial(directory))
        result = self.put("other.bin", os.urandom(60000))
        self.assertTooLarge(result, r"^sfs: quota exceeded: 50000 of 100000 bytes used")
        # The same upload may resume: its own partial is not counted twice.
        conn = RawConnection(self.server.port)
        self.addCleanup(conn.close)
        self.assertEqual(conn.greet_and_login("alice", "alice-pw-7Qx"), "OK")
        offer, reply = conn.put("big.bin", data, resume=True)
        self.assertEqual(offer, "OK 50000 " + digest_hex(data[:50000]))
        self.assertEqual(reply, ok_put(data))
        self.assertStored({"big.bin": data})

    def test_concurrent_uploads_cannot_overshoot_the_quota_together(self):
        # Each fits alone (60000 of 100000); both together would not. The
        # second is refused while the first is still in flight, and accepted
        # once it is over.
        first = self.raw()
        second = self.raw()
        self.assertEqual(first.start_put("one.bin", 60000), NO_OFFER)
        self.assertEqual(second.command("PUT two.bin 60000"),
                         "ERR TOOLARGE quota exceeded: 60000 of 100000 bytes used, "
                         "this file needs 60000")
        one = os.urandom(60000)
        first.send_frame(one)
        first.send_header(0)
        first.send_line(trailer(one))
        self.assertEqual(first.read_line(), ok_put(one))
        # The reservation ended with the upload: now only what is stored counts.
        self.assertEqual(second.command("PUT two.bin 40000"), NO_OFFER)
        second.send_line("FROM 0")
        two = os.urandom(40000)
        second.send_frame(two)
        second.send_header(0)
        second.send_line(trailer(two))
        self.assertEqual(second.read_line(), ok_put(two))
        self.assertStored({"one.bin": one, "two.bin": two})

    def wait_for_partial(self, directory, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            names = partial_files_in(directory)
            if names and os.path.getsize(os.path.join(directory, names[0])) == 50000:
                return True
            time.sleep(0.05)
        return False


class QuotaFilesTest(QuotaTestCase):
    server_kwargs = {"extra_args": ["--quota-files", str(QUOTA_FILES)]}

    def test_files_past_the_quota_are_refused(self):
        files = {"f%d.txt" % i: os.urandom(100) for i in range(QUOTA_FILES)}
        for name, data in files.items():
            self.assertOk(self.put(name, data))
        result = self.put("one-more.txt", b"x")
        self.assertTooLarge(result, r"^sfs: quota exceeded: 3 files and folders$")
        self.assertStored(files)
        # Replacing one at the cap is fine.
        files["f0.txt"] = os.urandom(200)
        self.assertOk(self.put("f0.txt", files["f0.txt"]))
        self.assertStored(files)
        # Raw: the same error, and the session goes on.
        conn = self.raw()
        self.assertEqual(conn.command("PUT new.txt 1"),
                         "ERR TOOLARGE quota exceeded: 3 files and folders")
        self.assertEqual(conn.command("DELETE f1.txt"), "OK")
        del files["f1.txt"]
        _, reply = conn.put("new.txt", b"n")
        self.assertEqual(reply, ok_put(b"n"))
        files["new.txt"] = b"n"
        self.assertStored(files)
        log = self.server.log_text()
        self.assertTrue(re.search(r"op=PUT path=one-more\.txt bytes=0 result=TOOLARGE "
                                  r"\(quota exceeded: 3 files and folders\)", log), log)


if __name__ == "__main__":
    unittest.main()
