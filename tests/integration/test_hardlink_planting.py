"""Hard links planted in a user's folder.

No sfs user can make a hard link over the protocol, but anyone who can write
into the storage on the server's host can plant one: a second name, inside
alice's folder, for a file elsewhere on the same filesystem (another user's
file, a server file). Without a defence alice could download it, and a
planted `.sfs-part-*` partial would turn her next upload of that name and
size into a truncate-and-overwrite of the linked file, its resume offer
handing out the digest of the linked file's first bytes (an oracle to test
guesses of its content against).

The server refuses a regular file with other hard links for reading,
overwriting and moving onto (ERR BADPATH), lists it without a digest and
lets alice remove it (that drops her name only), and discards a partial it
did not make itself (other links, another owner) without writing it."""

import os
import unittest

from sfs_harness import (EXIT_REFUSED, NO_OFFER, RawConnection, ServerTestCase, digest_hex,
                         ok_put, read_file, write_file)

SECRET = b"the server's secret, on the same filesystem as the storage\n"
REFUSAL = "ERR BADPATH path refused (file has other hard links): "


def partial_name(leaf, size):
    """The name of the partial file an upload of `leaf` with `size` bytes resumes
    from (src/storage/user_tree.cc): the digest of the name and the size."""
    return ".sfs-part-%s-%d" % (digest_hex(leaf.encode()), size)


class HardlinkPlantingTest(ServerTestCase):
    server_per_test = True

    def setUp(self):
        super().setUp()
        self.upload(b"alice's own file", "own.txt")  # makes alice's folder
        self.home = self.server.user_dir("alice")
        self.secret = os.path.join(self.server.directory, "secret.txt")
        write_file(self.secret, SECRET, mode=0o600)

    def plant(self, name):
        path = os.path.join(self.home, name)
        os.link(self.secret, path)
        return path

    def assertSecretUntouched(self):
        self.assertEqual(read_file(self.secret), SECRET)
        self.assertEqual(os.listxattr(self.secret), [])

    def login(self):
        conn = RawConnection(self.server.port)
        self.addCleanup(conn.close)
        self.assertEqual(conn.greet_and_login("alice", self.server.users["alice"]), "OK")
        return conn

    def test_a_planted_link_is_not_served(self):
        self.plant("stolen.txt")
        conn = self.login()
        self.assertEqual(conn.get("stolen.txt"), REFUSAL + "stolen.txt")
        self.assertEqual(conn.get("stolen.txt", 5, digest_hex(SECRET[:5])),
                         REFUSAL + "stolen.txt")
        self.assertEqual(conn.command("VIEW stolen.txt 64"), REFUSAL + "stolen.txt")
        self.assertEqual(conn.command("HASH stolen.txt"), REFUSAL + "stolen.txt")
        verify = conn.command("VERIFY")
        self.assertEqual(verify, "OK 2")
        checks = sorted(conn.read_line() for _ in range(2))
        self.assertEqual(checks[1].split(" ")[-1], "stolen.txt")
        self.assertNotEqual(checks[1].split(" ")[0], "ok")
        # The real client: one clear line, the refused exit status, nothing written.
        local = self.client.path("got.txt")
        result = self.client.run("get", "stolen.txt", local)
        self.assertEqual(result.returncode, EXIT_REFUSED, result.stderr)
        self.assertIn(b"file has other hard links", result.stderr)
        self.assertFalse(os.path.exists(local))
        self.assertSecretUntouched()

    def test_a_planted_link_is_not_overwritten_or_moved_onto(self):
        self.plant("stolen.txt")
        conn = self.login()
        self.assertEqual(conn.command("PUT stolen.txt 5"), REFUSAL + "stolen.txt")
        self.assertEqual(conn.command("MOVE own.txt stolen.txt"), REFUSAL + "stolen.txt")
        self.assertEqual(conn.command("MKDIR d 0"), "OK")
        self.plant("d/own.txt")
        self.assertEqual(conn.command("MOVE own.txt d"), REFUSAL + "d/own.txt")
        self.assertEqual(read_file(os.path.join(self.home, "own.txt")), b"alice's own file")
        self.assertSecretUntouched()
        self.assertEqual(os.stat(self.secret).st_nlink, 3)

    def test_a_planted_link_is_listed_without_digest_and_can_be_removed(self):
        self.plant("stolen.txt")
        os.setxattr(self.secret, "user.sfs.xxh128", digest_hex(SECRET).encode())
        conn = self.login()
        self.assertEqual(conn.command("LIST"), "OK 2")
        lines = dict((line.split(" ")[-1], line.split(" ")) for line in
                     (conn.read_line(), conn.read_line()))
        kind, size, _, digest, _ = lines["stolen.txt"]
        self.assertEqual((kind, int(size), digest), ("f", len(SECRET), "-"))
        self.assertNotEqual(lines["own.txt"][3], "-")
        stat = conn.command("STAT stolen.txt").split(" ")
        self.assertEqual((stat[0], stat[4]), ("OK", "-"))
        # rm drops alice's name only.
        self.assertEqual(conn.command("DELETE stolen.txt"), "OK")
        self.assertEqual(read_file(self.secret), SECRET)
        self.assertEqual(os.stat(self.secret).st_nlink, 1)

    def test_a_planted_partial_is_neither_offered_nor_written(self):
        size = len(SECRET) + 10
        self.plant(partial_name("x.bin", size))
        conn = self.login()
        data = b"u" * size
        offer, reply = conn.put("x.bin", data, resume=True)
        # No digest oracle: nothing is offered from the linked file.
        self.assertEqual(offer, NO_OFFER)
        self.assertEqual(reply, ok_put(data))
        self.assertEqual(read_file(os.path.join(self.home, "x.bin")), data)
        self.assertSecretUntouched()
        self.assertEqual(os.stat(self.secret).st_nlink, 1)  # the planted name is gone
        self.assertEqual([n for n in os.listdir(self.home) if n.startswith(".sfs-")], [])

    def test_a_partial_linked_out_of_the_tree_is_not_written_on(self):
        """A partial the server made, to which someone added a second name (to read
        what the upload writes next), is dropped, not resumed into."""
        conn = self.login()
        data = os.urandom(100)
        offer = conn.start_put("y.bin", len(data))
        self.assertEqual(offer, NO_OFFER)
        conn.send_frame(data[:40])
        conn.close()  # cut: the server keeps the 40 bytes for a resume
        partial = os.path.join(self.home, partial_name("y.bin", len(data)))
        self.assertTrue(self.server.wait_for_log(r"op=PUT path=y\.bin .*result="))
        self.assertEqual(read_file(partial), data[:40])
        spy = os.path.join(self.server.directory, "spy")
        os.link(partial, spy)
        conn = self.login()
        offer, reply = conn.put("y.bin", data, resume=True)
        self.assertEqual(offer, NO_OFFER)
        self.assertEqual(reply, ok_put(data))
        self.assertEqual(read_file(spy), data[:40])
        self.assertEqual(os.stat(spy).st_nlink, 1)

    @unittest.skipUnless(os.geteuid() == 0, "needs root to plant a file of another owner")
    def test_a_partial_of_another_owner_is_neither_offered_nor_written(self):
        size = 64
        planted = os.path.join(self.home, partial_name("z.bin", size))
        write_file(planted, b"planted by someone else")
        os.chown(planted, 65534, 65534)
        with open(planted, "rb") as held:  # the planted file itself, whatever its name becomes
            conn = self.login()
            data = b"z" * size
            offer, reply = conn.put("z.bin", data, resume=True)
            self.assertEqual(offer, NO_OFFER)
            self.assertEqual(reply, ok_put(data))
            held.seek(0)
            self.assertEqual(held.read(), b"planted by someone else")
        self.assertEqual(read_file(os.path.join(self.home, "z.bin")), data)


if __name__ == "__main__":
    unittest.main()
