"""Many real clients at once: every transfer intact, every client exits 0."""

import hashlib
import os
import select
import threading
import unittest

from sfs_harness import (DIGEST_XATTR, NO_OFFER, RawConnection, ServerTestCase, partial_files_in, read_file,
                         temp_files_in, wait_until, write_file, write_sparse_file,
                         digest_of_pieces)

CLIENTS = 50
SIZE = 1 << 20


class ConcurrencyTest(ServerTestCase):

    def test_fifty_clients_upload_and_download(self):
        users = ("alice", "bob")
        clients = [self.new_client(users[i % 2]) for i in range(CLIENTS)]
        payloads = [os.urandom(SIZE) for _ in range(CLIENTS)]
        results = [None] * CLIENTS
        start = threading.Barrier(CLIENTS, timeout=60)

        def worker(i):
            client = clients[i]
            name = "concurrent-%02d.bin" % i
            local = write_file(client.path(name), payloads[i])
            try:
                start.wait()
            except threading.BrokenBarrierError:
                pass
            put = client.run("put", local, name, timeout=120)
            get = client.run("get", name, client.path("copy.bin"), timeout=120)
            results[i] = (put, get)

        threads = [threading.Thread(target=worker, args=(i,), daemon=True)
                   for i in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=240)
        self.assertFalse(any(t.is_alive() for t in threads), "clients still running")

        for i, client in enumerate(clients):
            with self.subTest(client=i):
                self.assertIsNotNone(results[i], "worker %d did not finish" % i)
                put, get = results[i]
                self.assertOk(put)
                self.assertOk(get)
                expected = hashlib.sha256(payloads[i]).hexdigest()
                copy = read_file(client.path("copy.bin"))
                self.assertEqual(hashlib.sha256(copy).hexdigest(), expected)
                stored = read_file(self.server.stored(client.user, "concurrent-%02d.bin" % i))
                self.assertEqual(hashlib.sha256(stored).hexdigest(), expected)
        for user in users:
            self.assertEqual([n for n in os.listdir(self.server.user_dir(user))
                              if n.startswith(".")], [])
        self.assertTrue(self.server.running())

    def test_stalled_client_does_not_block_others(self):
        stalled = RawConnection(self.server.port)
        self.addCleanup(stalled.close)
        self.assertEqual(stalled.greet_and_login("bob", self.server.users["bob"]), "OK")
        self.assertEqual(stalled.start_put("stalled.bin", 1000000), NO_OFFER)
        stalled.send_frame(b"x" * 1000)  # ...and then nothing more
        self.assertTrue(wait_until(lambda: partial_files_in(self.server.user_dir("bob"))))
        data = os.urandom(SIZE)
        self.upload(data, "while-stalled.bin")
        self.assertOk(self.client.run("get", "while-stalled.bin", self.client.path("copy")))
        self.assertEqual(read_file(self.client.path("copy")), data)
        stalled.close()
        # The cut upload stays resumable (a hidden .sfs-part-* file), but nothing is
        # visible and no plain temp file is left.
        self.assertTrue(self.server.wait_for_log(r"user=bob peer=\S+ op=PUT path=stalled\.bin "
                                                 r"bytes=1000 result=(?!ok)"))
        self.assertEqual(temp_files_in(self.server.user_dir("bob")), [])
        self.assertFalse(os.path.exists(self.server.stored("bob", "stalled.bin")))
        listed = self.new_client("bob").run("ls")
        self.assertOk(listed)
        self.assertNotIn(b"stalled.bin", listed.stdout)

    def test_concurrent_overwrites_of_one_name_leave_one_whole_version(self):
        versions = [bytes([i]) * (SIZE // 4 + i) for i in range(8)]
        clients = [self.new_client("alice") for _ in versions]
        results = [None] * len(versions)

        def worker(i):
            local = write_file(clients[i].path("v.bin"), versions[i])
            results[i] = clients[i].run("put", local, "contended.bin", timeout=120)

        threads = [threading.Thread(target=worker, args=(i,), daemon=True)
                   for i in range(len(versions))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=180)
        for result in results:
            self.assertIsNotNone(result)
            self.assertOk(result)
        self.assertIn(read_file(self.server.stored("alice", "contended.bin")), versions)
        self.assertEqual(temp_files_in(self.server.user_dir("alice")), [])
        self.assertEqual(partial_files_in(self.server.user_dir("alice")), [])


def holds_open(pid, path):
    """True if process pid has path open (from /proc/PID/fd)."""
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == path:
                return True
        except OSError:
            pass  # closed meanwhile
    return False


class OneThreadTest(ServerTestCase):
    """With --threads 1, whatever one session does must not hold up the others."""

    server_kwargs = {"threads": 1}

    def test_resumed_download_of_a_big_file_does_not_block_others(self):
        # Resuming at the end of a big file means hashing everything before the
        # offset; that is disk work, which must not run on the network thread.
        size = 2 << 30
        os.makedirs(self.server.user_dir("alice"), mode=0o700, exist_ok=True)
        path = write_sparse_file(self.server.stored("alice", "big-sparse.bin"), size)
        zeros = bytes(16 << 20)
        digest = digest_of_pieces(zeros for _ in range(size // len(zeros)))
        os.setxattr(path, DIGEST_XATTR, digest.encode())
        resuming = RawConnection(self.server.port, timeout=60)
        self.addCleanup(resuming.close)
        other = RawConnection(self.server.port, timeout=60)
        self.addCleanup(other.close)
        for raw in (resuming, other):
            self.assertEqual(raw.greet_and_login("alice", self.server.users["alice"]), "OK")
        resuming.send_line("GET big-sparse.bin %d %s" % (size - 1, digest))
        # The server is at the GET once it holds the file open (to hash its prefix).
        real = os.path.realpath(path)
        self.assertTrue(wait_until(lambda: holds_open(self.server.process.pid, real), timeout=60),
                        "the server never opened the file")
        reply = other.command("LIST")
        self.assertTrue(reply.startswith("OK "), reply)
        # Ordering, not a clock: LIST is answered while the GET still hashes its 2 GiB
        # prefix (seconds of reading). Hashed on the one network thread, the GET
        # would answer first (or LIST wait until it had).
        ready, _, _ = select.select([resuming.sock], [], [], 0)
        self.assertFalse(ready or resuming.sock.pending() or resuming.buffer,
                         "LIST waited for another session's resume to hash its prefix")
        self.assertEqual(resuming.read_line(),
                         "OK %d %s %d" % (size, digest, size - 1))
        self.assertEqual(resuming.read_download()[0], b"\0")
        os.unlink(path)


if __name__ == "__main__":
    unittest.main()
