"""One user's VERIFYs of big files must not stall another user.

HASH and VERIFY run on a queue of their own where users take turns, each user
runs one such job at a time and may have at most 8 queued; a PUT or GET with
nothing to hash for a resume waits for no pool at all (docs/security.md). So
while alice's VERIFYs grind through her big file, bob's upload, download and
HASH are answered before any of alice's VERIFYs.
"""

import os
import threading
import unittest

from sfs_harness import (RawConnection, ServerTestCase, digest_hex, ok_get, ok_put,
                         trailer, wait_until, write_file, write_sparse_file)

BIG = 768 << 20      # a sparse file: costs no disk, but VERIFY reads every byte
VERIFIES = 8         # alice's VERIFYs, at the server's cap per user
BUSY = ("ERR TOOLARGE busy: 8 slow requests (HASH, VERIFY) of this user already queued; "
        "try again when one has ended")
SLOW_TIMEOUT = 300.0  # reading one VERIFY reply (they run one after another)


class VerifyStarvationTest(ServerTestCase):
    server_per_test = True
    # At the end, do not wait for alice's queued VERIFYs.
    server_kwargs = {"extra_args": ["--drain-timeout", "1"]}

    def login(self, user, timeout=None):
        conn = (RawConnection(self.server.port) if timeout is None
                else RawConnection(self.server.port, timeout=timeout))
        self.addCleanup(conn.close)
        self.assertEqual(conn.greet_and_login(user, self.server.users[user]), "OK")
        return conn

    def test_another_users_transfers_and_hash_go_first(self):
        alice_dir = self.server.user_dir("alice")
        bob_dir = self.server.user_dir("bob")
        for directory in (alice_dir, bob_dir):
            os.makedirs(directory, mode=0o700, exist_ok=True)
        write_sparse_file(os.path.join(alice_dir, "big.bin"), BIG)
        write_file(os.path.join(bob_dir, "unhashed.txt"), b"stored before digests")
        bob = self.login("bob")
        alices = [self.login("alice", timeout=SLOW_TIMEOUT) for _ in range(VERIFIES + 1)]

        events = []  # in the order they happened
        lock = threading.Lock()

        def note(what):
            with lock:
                events.append(what)

        def verify(conn):
            conn.send_line("VERIFY")
            reply = conn.read_line()
            if reply is not None and reply.startswith("OK "):
                note("alice VERIFY " + reply)
                for _ in range(int(reply.split(" ")[1])):
                    conn.read_line()
            else:
                note("alice refused " + str(reply))

        threads = [threading.Thread(target=verify, args=(c,), daemon=True) for c in alices]
        for t in threads:
            t.start()
        # One of the nine is past the cap: its refusal comes at once, and proves
        # the other eight are queued or running.
        self.assertTrue(wait_until(lambda: any(e.startswith("alice refused") for e in events),
                                   timeout=30.0, interval=0.002), events)

        data = b"x"
        _, put = bob.put("one.bin", data)
        note("bob PUT " + put)
        reply, got, tail = bob.download("one.bin")
        note("bob GET " + reply)
        hashed = bob.command("HASH unhashed.txt")
        note("bob HASH " + hashed)
        with lock:
            seen = list(events)

        self.assertEqual(put, ok_put(data))
        self.assertEqual((reply, got, tail), (ok_get(data), data, trailer(data)))
        self.assertEqual(hashed, "OK " + digest_hex(b"stored before digests"))
        # bob was answered before any of alice's VERIFYs.
        self.assertEqual([e for e in seen if not e.startswith("alice refused")],
                         ["bob PUT " + put, "bob GET " + reply, "bob HASH " + hashed], seen)
        self.assertEqual([e for e in seen if e.startswith("alice refused")],
                         ["alice refused " + BUSY])

        # alice's first VERIFY still ends, and reports her file.
        self.assertTrue(wait_until(lambda: any(e.startswith("alice VERIFY") for e in events),
                                   timeout=SLOW_TIMEOUT), events)
        with lock:
            first = [e for e in events if e.startswith("alice VERIFY")][0]
        self.assertEqual(first, "alice VERIFY OK 1")


if __name__ == "__main__":
    unittest.main()
