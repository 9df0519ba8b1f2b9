"""One user against the quotas: a flood of folders, and a loop of refused uploads.

--quota-files counts files and folders (and the partial files of interrupted
uploads), so MKDIR and `mkdir -p` stop at the quota with one clear line. A
quota check looks the user's usage up in the server's ledger, measured by one
scan of the tree off the network threads and then kept up to date: a loop of
refused uploads by one user walks nothing, and another user's login, STAT and
PUT go on meanwhile (docs/security.md).
"""

import os
import re
import threading
import unittest

from sfs_harness import (EXIT_TOO_LARGE, NO_OFFER, RawConnection, ServerTestCase, ok_put,
                         partial_files_in)

QUOTA_FILES = 5
FULL = "ERR TOOLARGE quota exceeded: %d files and folders" % QUOTA_FILES


class QuotaFloodTestCase(ServerTestCase):
    server_per_test = True
    server_kwargs = {"extra_args": ["--quota-files", str(QUOTA_FILES)]}

    def raw(self, user="alice"):
        conn = RawConnection(self.server.port)
        self.addCleanup(conn.close)
        self.assertEqual(conn.greet_and_login(user, self.server.users[user]), "OK")
        return conn

    def folders_of(self, user="alice"):
        top = self.server.user_dir(user)
        return sorted(os.path.relpath(os.path.join(root, d), top)
                      for root, dirs, _ in os.walk(top) for d in dirs)

    def scans_of(self, user):
        return re.findall(r"user=%s usage scanned: " % user, self.server.log_text())


class FolderFloodTest(QuotaFloodTestCase):

    def test_a_flood_of_folders_stops_at_the_quota(self):
        conn = self.raw()
        replies = [conn.command("MKDIR flood-%03d 0" % i) for i in range(50)]
        self.assertEqual(replies, ["OK"] * QUOTA_FILES + [FULL] * (50 - QUOTA_FILES))
        self.assertEqual(self.folders_of(), ["flood-%03d" % i for i in range(QUOTA_FILES)])
        # A file is refused as well: folders and files share the quota.
        self.assertEqual(conn.command("PUT one.txt 1"), FULL)
        # RMDIR makes room again.
        self.assertEqual(conn.command("RMDIR flood-000"), "OK")
        self.assertEqual(conn.command("MKDIR again 0"), "OK")
        self.assertEqual(conn.command("MKDIR more 0"), FULL)
        log = self.server.log_text()
        self.assertTrue(re.search(r"user=alice peer=\S+ op=MKDIR path=more bytes=0 "
                                  r"result=TOOLARGE \(quota exceeded: 5 files and folders\)",
                                  log), log)

    def test_mkdir_parents_counts_every_folder_it_makes(self):
        conn = self.raw()
        self.assertEqual(conn.command("MKDIR a/b/c 1"), "OK")                # 3
        _, reply = conn.put("a/f.txt", b"f")                                  # 4
        self.assertEqual(reply, ok_put(b"f"))
        self.assertEqual(conn.command("MKDIR a/b/c/d/e 1"), FULL)            # would be 6
        self.assertEqual(self.folders_of(), ["a", "a/b", "a/b/c"])           # nothing made
        self.assertEqual(conn.command("MKDIR a/b/c 1"), "OK")                # nothing new
        self.assertEqual(conn.command("MKDIR a/b/c/d 1"), "OK")              # 5
        self.assertEqual(conn.command("MKDIR x 1"), FULL)
        # Replacing a file at the quota is fine; moving makes nothing new.
        _, reply = conn.put("a/f.txt", b"g")
        self.assertEqual(reply, ok_put(b"g"))
        self.assertEqual(conn.command("MOVE a/f.txt a/b/f.txt"), "OK a/b/f.txt")
        # The client says it in one line, with the quota's exit status.
        result = self.client.run("mkdir", "-p", "y/z")
        self.assertFails(result, EXIT_TOO_LARGE, "quota exceeded: 5 files and folders")
        self.assertEqual(self.folders_of(), ["a", "a/b", "a/b/c", "a/b/c/d"])

    def test_an_interrupted_upload_counts_until_it_is_resumed(self):
        conn = self.raw()
        for i in range(QUOTA_FILES - 1):
            self.assertEqual(conn.command("MKDIR d%d 0" % i), "OK")
        data = os.urandom(50000)
        cut = self.raw()
        self.assertEqual(cut.start_put("big.bin", len(data)), NO_OFFER)
        cut.send_frame(data[:20000])
        cut.close()
        directory = self.server.user_dir("alice")
        # Once the server has seen the cut, the kept partial is the fifth entry.
        self.assertTrue(self.server.wait_for_log(r"op=PUT path=big\.bin .*result=NETWORK"))
        self.assertEqual(len(partial_files_in(directory)), 1)
        self.assertEqual(conn.command("MKDIR d9 0"), FULL)
        # Its resume turns it into the file: still five.
        offer, reply = self.raw().put("big.bin", data, resume=True)
        self.assertTrue(offer.startswith("OK 20000 "), offer)
        self.assertEqual(reply, ok_put(data))
        self.assertEqual(partial_files_in(directory), [])
        self.assertEqual(conn.command("MKDIR d9 0"), FULL)


class RefusedPutLoopTest(QuotaFloodTestCase):
    """alice's tree, made outside the server, is far over the quota; she loops
    PUTs that are all refused while bob logs in, stats and uploads."""

    ALICE_FOLDERS = 3000
    ALICE_PUTS = 300
    BOB_ROUNDS = 5

    def setUp(self):
        super().setUp()
        top = self.server.user_dir("alice")
        os.makedirs(top, mode=0o700, exist_ok=True)
        for i in range(self.ALICE_FOLDERS):
            os.mkdir(os.path.join(top, "dir-%04d" % i), 0o700)

    def test_refused_puts_by_one_user_leave_another_user_served(self):
        alice = self.raw("alice")
        self.assertEqual(alice.command("PUT warm.txt 1"), FULL)  # the one scan
        replies = []

        def loop():
            for i in range(self.ALICE_PUTS):
                replies.append(alice.command("PUT refused-%d.txt 10" % i))

        looper = threading.Thread(target=loop, daemon=True)
        looper.start()
        bob_results = []
        for i in range(self.BOB_ROUNDS):
            bob = RawConnection(self.server.port)
            try:
                login = bob.greet_and_login("bob", self.server.users["bob"])
                data = b"bob %d" % i
                _, put = bob.put("b%d.txt" % i, data)
                stat = bob.command("STAT b%d.txt" % i)
                bob_results.append((login, put, stat.split(" ")[:3]))
            finally:
                bob.close()
        looper.join(timeout=120)
        self.assertFalse(looper.is_alive(), "alice's loop did not end")
        self.assertEqual(replies, [FULL] * self.ALICE_PUTS)
        self.assertEqual(bob_results,
                         [("OK", ok_put(b"bob %d" % i), ["OK", "f", str(len(b"bob %d" % i))])
                          for i in range(self.BOB_ROUNDS)])
        # One walk of alice's tree for all her PUTs, none per PUT.
        self.assertEqual(len(self.scans_of("alice")), 1, self.server.log_text()[-3000:])
        self.assertTrue(re.search(r"user=alice usage scanned: 0 bytes, %d files and folders"
                                  % self.ALICE_FOLDERS, self.server.log_text()))
        self.assertEqual(len(os.listdir(self.server.user_dir("alice"))), self.ALICE_FOLDERS)
        self.assertEqual(sorted(os.listdir(self.server.user_dir("bob"))),
                         ["b%d.txt" % i for i in range(self.BOB_ROUNDS)])


if __name__ == "__main__":
    unittest.main()
