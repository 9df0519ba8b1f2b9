"""End-to-end digests (XXH3-128): digests checked on upload and download, kept with each
stored file, `sfs hash` and `sfs verify`, and damaged files refused."""

import os
import unittest

from sfs_harness import (DIGEST_HEX_LENGTH, DIGEST_NAME, EXIT_INTEGRITY, NO_OFFER, RawConnection, ServerTestCase, on_disk_only, ok_get, ok_put,
                         partial_files_in, read_file, digest_hex, temp_files_in, write_file)


def flip_byte(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0x01]))


class IntegrityTest(ServerTestCase):

    def raw_login(self):
        raw = RawConnection(self.server.port)
        self.addCleanup(raw.close)
        self.assertEqual(raw.greet_and_login("alice", self.server.users["alice"]), "OK")
        return raw

    def test_digest_is_stored_with_the_file(self):
        data = os.urandom(700000)
        self.upload(data, "kept.bin")
        stored = os.getxattr(self.server.stored("alice", "kept.bin"), "user.sfs.xxh128")
        self.assertEqual(stored.decode(), digest_hex(data))

    def test_hash_prints_the_digest(self):
        data = os.urandom(5000)
        self.upload(data, "h.bin")
        result = self.client.run("hash", "h.bin")
        self.assertOk(result)
        self.assertEqual(result.stdout.decode(), "%s  h.bin\n" % digest_hex(data))

    @on_disk_only("plants a file without its digest")
    def test_hash_of_a_file_without_digest_computes_and_keeps_it(self):
        data = b"placed by hand"
        write_file(self.server.stored("alice", "by-hand.txt"), data)
        result = self.client.run("hash", "by-hand.txt")
        self.assertOk(result)
        self.assertTrue(result.stdout.decode().startswith(digest_hex(data)))
        stored = os.getxattr(self.server.stored("alice", "by-hand.txt"), "user.sfs.xxh128")
        self.assertEqual(stored.decode(), digest_hex(data))

    @on_disk_only("plants the file to keep")
    def test_upload_with_wrong_digest_replaces_nothing(self):
        write_file(self.server.stored("alice", "victim.bin"), b"previous")
        raw = self.raw_login()
        first, final = raw.put("victim.bin", b"new content", digest="0" * DIGEST_HEX_LENGTH)
        self.assertEqual(first, NO_OFFER)
        self.assertTrue(final.startswith("ERR INTEGRITY "), final)
        self.assertEqual(read_file(self.server.stored("alice", "victim.bin")), b"previous")
        self.assertEqual(temp_files_in(self.server.user_dir("alice")), [])
        # Data that failed its check is not kept for a resume either.
        self.assertEqual(partial_files_in(self.server.user_dir("alice")), [])
        # The session goes on.
        self.assertEqual(raw.put("after.bin", b"ok"), (NO_OFFER, ok_put(b"ok")))

    def test_malformed_trailer_is_a_protocol_error(self):
        raw = self.raw_login()
        self.assertEqual(raw.start_put("t.bin", 2), NO_OFFER)
        raw.send_frame(b"ab")
        raw.send_header(0)
        raw.send_line(DIGEST_NAME + " xyz")
        reply = raw.read_line()
        self.assertTrue(reply is None or reply.startswith("ERR PROTOCOL "), reply)
        self.assertTrue(raw.at_eof())
        self.assertFalse(os.path.exists(self.server.stored("alice", "t.bin")))
        self.assertEqual(partial_files_in(self.server.user_dir("alice")), [])

    @on_disk_only("damages a stored file")
    def test_damaged_file_is_refused_and_reported(self):
        data = os.urandom(300000)
        self.upload(data, "rot.bin")
        self.upload(b"healthy", "fine.txt")
        flip_byte(self.server.stored("alice", "rot.bin"), 123456)

        target = self.client.path("rot.bin")
        write_file(target, b"local copy")
        result = self.client.run("get", "rot.bin", target)
        self.assertFails(result, EXIT_INTEGRITY)
        self.assertIn("damaged", result.stderr.decode())
        self.assertEqual(read_file(target), b"local copy")
        self.assertEqual([n for n in os.listdir(self.client.path(".")) if "sfs-part" in n], [])

        result = self.client.run("verify")
        self.assertEqual(result.returncode, EXIT_INTEGRITY, result.stderr)
        out = result.stdout.decode()
        self.assertIn("corrupt: rot.bin\n", out)
        self.assertNotIn("fine.txt", out)
        self.assertIn("2 file(s) checked, 1 damaged or unreadable", out)

        # The other file still downloads, in the same kind of session.
        result = self.client.run("get", "fine.txt", self.client.path("fine.txt"))
        self.assertOk(result)
        self.assertEqual(read_file(self.client.path("fine.txt")), b"healthy")

    @on_disk_only("damages a stored file")
    def test_raw_get_of_damaged_file_aborts_with_reason(self):
        data = os.urandom(1000)
        self.upload(data, "rot2.bin")
        flip_byte(self.server.stored("alice", "rot2.bin"), 10)
        raw = self.raw_login()
        self.assertEqual(raw.get("rot2.bin"), ok_get(data))
        with self.assertRaises(EOFError):
            raw.read_frames()
        reply = raw.read_line()
        self.assertTrue(reply.startswith("ERR INTEGRITY "), reply)
        self.assertTrue(raw.command("LIST").startswith("OK "))

    def test_verify_clean_tree(self):
        bob = self.new_client("bob")  # alice's tree holds the damaged files of other tests
        self.upload(b"one", "v1.txt", client=bob)
        result = bob.run("verify")
        self.assertOk(result)
        self.assertEqual(result.stdout.decode(), "1 file(s) checked, 0 damaged or unreadable\n")


if __name__ == "__main__":
    unittest.main()
