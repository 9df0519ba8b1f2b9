"""SIGKILL of the server in the middle of concurrent replacements (issue 4).

Ten clients replace ten existing files with new content at once; the server
is killed at a different point each round and restarted on the same
storage. Every file must then hold exactly its old or its new content, with
the matching stored digest; nothing else may be visible, and no plain temp
file may survive the restart. The failed uploads are then run again (they
may resume from what the killed server kept) and must give the new content.
"""

import os
import random
import re
import signal
import time
import unittest

from sfs_harness import (EXIT_NETWORK, EXIT_OK, Client, Server, finish, parse_listing,
                         read_file, digest_hex, stderr_lines, stored_digest, temp_files_in,
                         wait_until, write_file)

FILES = 10
ROUNDS = 20
# A few sizes only, so that later rounds meet the parts kept by earlier ones
# (same name and size) and must refuse them by their digest.
SIZES = (700_000, (2 << 20) + 1, (3 << 20) - 7)


class CrashTest(unittest.TestCase):

    def setUp(self):
        self.server = Server()
        self.server.start()
        self.addCleanup(self.server.close)
        self.client = Client(self.server)
        self.addCleanup(self.client.close)
        self.random = random.Random(4)  # reproducible schedule and sizes
        self.names = ["file-%02d.bin" % i for i in range(FILES)]
        self.current = {}
        for name in self.names:
            data = os.urandom(self.random.choice(SIZES))
            self.put_ok(name, data)
            self.current[name] = data

    @property
    def user_dir(self):
        return self.server.user_dir("alice")

    def put_ok(self, name, data):
        local = write_file(self.client.path("local-" + name), data)
        result = self.client.run("put", local, name)
        self.assertEqual(result.returncode, EXIT_OK, result.stderr)

    def kill_point(self, round_number):
        """Waits for this round's moment to kill; returns a description of it."""
        kind = round_number % 4
        log_mark = self.server.log_mark()
        if kind == 0:  # early: during start-up of the clients, handshakes, logins
            delay = self.random.uniform(0.0, 0.08)
            time.sleep(delay)
            return "after %.3f s" % delay
        if kind == 1:  # while data is being written
            wait_until(lambda: any(
                n.startswith((".sfs-part-", ".sfs-tmp-")) and
                _size(os.path.join(self.user_dir, n)) > 0
                for n in _listdir(self.user_dir)), timeout=10, interval=0.002)
            delay = self.random.uniform(0.0, 0.02)
            time.sleep(delay)
            return "%.3f s after data arrived" % delay
        if kind == 2:  # some uploads committed, others in flight
            wait_until(lambda: re.search(r"op=PUT .* result=ok",
                                         self.server.log_since(log_mark)),
                       timeout=10, interval=0.002)
            return "right after a first commit"
        delay = self.random.uniform(0.0, 0.4)  # anywhere
        time.sleep(delay)
        return "after %.3f s" % delay

    def test_sigkill_during_concurrent_replacements(self):
        for round_number in range(ROUNDS):
            new = {name: os.urandom(self.random.choice(SIZES)) for name in self.names}
            locals_ = {name: write_file(self.client.path("local-" + name), data)
                       for name, data in new.items()}
            processes = {name: self.client.start("put", locals_[name], name)
                         for name in self.names}
            when = self.kill_point(round_number)
            self.server.restart(signal.SIGKILL)
            results = {name: finish(process, timeout=60) for name, process in processes.items()}
            context = "round %d, killed %s" % (round_number, when)

            for name in self.names:
                result = results[name]
                self.assertIn(result.returncode, (EXIT_OK, EXIT_NETWORK),
                              "%s: %s: %r" % (context, name, result.stderr))
                if result.returncode != EXIT_OK:
                    lines = stderr_lines(result)
                    self.assertTrue(lines and lines[-1].startswith("sfs: "), (context, lines))
                path = self.server.stored("alice", name)
                digest = digest_hex(read_file(path))
                old_digest, new_digest = digest_hex(self.current[name]), digest_hex(new[name])
                self.assertIn(digest, (old_digest, new_digest),
                              "%s: %s holds neither its old nor its new content" % (context, name))
                if result.returncode == EXIT_OK:  # acknowledged: must be the new one
                    self.assertEqual(digest, new_digest, "%s: %s lost an acknowledged upload"
                                     % (context, name))
                # Content and digest appear together.
                self.assertEqual(stored_digest(path), digest, "%s: %s" % (context, name))

            listed = self.client.run("ls")
            self.assertEqual(listed.returncode, EXIT_OK, listed.stderr)
            self.assertEqual(sorted(parse_listing(listed.stdout)), self.names, context)
            self.assertEqual(temp_files_in(self.user_dir), [], context)
            visible = [n for n in _listdir(self.user_dir) if not n.startswith(".sfs-part-")]
            self.assertEqual(sorted(visible), self.names, context)

            # What failed goes through now, resuming or not, and gives the new content.
            for name in self.names:
                if results[name].returncode != EXIT_OK:
                    result = self.client.run("put", locals_[name], name)
                    self.assertEqual(result.returncode, EXIT_OK, "%s: retry of %s: %r"
                                     % (context, name, result.stderr))
                path = self.server.stored("alice", name)
                self.assertEqual(digest_hex(read_file(path)), digest_hex(new[name]), context)
                self.assertEqual(stored_digest(path), digest_hex(new[name]), context)
            self.current = new
        self.assertEqual(temp_files_in(self.user_dir), [])


def _size(path):
    try:
        return os.path.getsize(path)
    except FileNotFoundError:
        return 0


def _listdir(directory):
    try:
        return os.listdir(directory)
    except FileNotFoundError:
        return []


if __name__ == "__main__":
    unittest.main()
