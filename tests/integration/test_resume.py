"""Resumable put and get (issue 4): transfers cut by a fault-injecting proxy at
chosen offsets continue where they stopped, proven by their digests, and never
produce anything but the exact file.

The proxy cuts after a number of TLS bytes. To aim at a file offset, a
complete transfer of the same size is recorded first: from its first
full-size TLS record on (the first one of file data) the record layout is
the same in every session, so data_delta() maps a file offset to the byte
where the cut falls, whatever the handshake before it cost.
"""

import os
import re
import signal
import time
import unittest

from harness.config import S3_SERVER
from sfs_harness import (DOWN, EXIT_INTEGRITY, EXIT_NETWORK, UP, AtData, Server, ServerTestCase,
                         data_delta, finish, local_partial, partial_files_in, read_file,
                         digest_hex, stderr_lines, stored_digest, temp_files_in, write_file,
                         xattrs_supported)

FRAME = 256 << 10
SIZE = (4 << 20) + 12345  # a little over 4 MiB: 17 frames, the last one short
CUTS = [("0", 0), ("1", 1), ("1KiB", 1024), ("middle", SIZE // 2), ("size-1", SIZE - 1),
        ("size", SIZE)]


class ResumeTestBase(ServerTestCase):
    """Helpers to cut transfers through a proxy and to read the server's log."""

    data = None
    records = {}  # direction -> TLS records of a complete transfer of SIZE bytes

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.data = os.urandom(SIZE)

    def setUp(self):
        super().setUp()
        self.proxy = self.new_proxy()

    @property
    def user_dir(self):
        return self.server.user_dir("alice")

    def run_via_proxy(self, *args, **kwargs):
        return self.client.run(*args, port=self.proxy.port, **kwargs)

    def calibrate(self, direction):
        """Records a complete transfer of SIZE bytes in `direction` through the proxy."""
        cls = type(self)
        if direction not in cls.records:
            self.proxy.configure()
            if direction == UP:
                local = write_file(self.client.path("calibrate.bin"), self.data)
                self.assertOk(self.run_via_proxy("put", local, "calibrate-up.bin"))
            else:
                self.upload(self.data, "calibrate-down.bin")
                self.assertOk(self.run_via_proxy("get", "calibrate-down.bin",
                                                 self.client.path("calibrate-copy.bin")))
            conn = self.proxy.last()
            self.assertTrue(conn.finished.wait(10), "calibration connection still open")
            records = conn.logs[direction].records
            self.assertIsNotNone(conn.logs[direction].first_full_record(),
                                 "no full-size TLS record in a %d-byte transfer" % SIZE)
            cls.records[direction] = records
        return cls.records[direction]

    def cut_at(self, direction, offset):
        """Makes the next connection lose everything from file byte `offset` on."""
        delta = data_delta(self.calibrate(direction), offset)
        if direction == UP:
            self.proxy.configure(cut_up=AtData(delta))
        else:
            self.proxy.configure(cut_down=AtData(delta))

    def assertCutClean(self, result):
        """The client noticed the cut: network exit code, one clear `sfs:` line."""
        self.assertEqual(result.returncode, EXIT_NETWORK,
                         "args %r: stderr %r" % (result.args, result.stderr))
        lines = stderr_lines(result)
        self.assertEqual(len(lines), 1, lines)
        self.assertRegex(lines[0], r"^sfs: \S.{8,}")

    def wait_for_op(self, op, name, mark, ok=True, timeout=10.0):
        """Waits for the server's log line of `op` on `name` after mark; returns
        (from or None, bytes) of it."""
        regex = re.compile(r"user=alice peer=\S+ op=%s path=%s( from=(\d+))? bytes=(\d+) "
                           r"result=%s" % (op, re.escape(name), "ok" if ok else "(?!ok)"))
        match = None
        deadline = time.monotonic() + timeout
        while match is None and time.monotonic() < deadline:
            match = regex.search(self.server.log_since(mark))
            if match is None:
                time.sleep(0.02)
        self.assertIsNotNone(match, "no %s line for %s in the log:\n%s"
                             % ("ok" if ok else "failed", name, self.server.log_since(mark)))
        start = int(match.group(2)) if match.group(2) is not None else None
        return start, int(match.group(3))

    def cut_upload(self, name, offset, data=None):
        """An upload of data (default self.data) as name, cut at file offset; returns the
        local path."""
        data = self.data if data is None else data
        local = write_file(self.client.path(name), data)
        self.cut_at(UP, offset)
        mark = self.server.log_mark()
        result = self.run_via_proxy("put", local, name)
        self.assertCutClean(result)
        self.assertEqual(self.proxy.last().cut, UP, "the proxy did not cut the connection")
        # The server is done with the cut session (and its lock on the part) before
        # the next attempt.
        self.wait_for_op("PUT", name, mark, ok=False)
        self.assertFalse(os.path.exists(self.server.stored("alice", name)))
        self.proxy.configure()
        return local

    def require_local_xattrs(self):
        if not xattrs_supported(self.client.cwd):
            self.skipTest("the client's temp directory %s has no user xattrs: downloads "
                          "cannot resume there" % self.client.cwd)

    def cut_download(self, name, offset, target):
        self.require_local_xattrs()
        self.cut_at(DOWN, offset)
        result = self.run_via_proxy("get", name, target)
        self.assertCutClean(result)
        self.assertEqual(self.proxy.last().cut, DOWN, "the proxy did not cut the connection")
        self.assertFalse(os.path.exists(target), "a cut download created its target")
        self.proxy.configure()

    def assertStored(self, name, data):
        path = self.server.stored("alice", name)
        self.assertEqual(digest_hex(read_file(path)), digest_hex(data))
        self.assertEqual(stored_digest(path), digest_hex(data))


class ResumeTest(ResumeTestBase):

    def test_upload_resumes_after_a_cut(self):
        for label, offset in CUTS:
            with self.subTest(cut=label):
                name = "put-cut-%s.bin" % label
                parts_before = partial_files_in(self.user_dir)  # other tests' parts
                local = self.cut_upload(name, offset)
                mark = self.server.log_mark()
                result = self.client.run("put", local, name)
                self.assertOk(result)
                self.assertStored(name, self.data)
                start, moved = self.wait_for_op("PUT", name, mark)
                if offset >= FRAME:
                    self.assertIsNotNone(start, "the upload cut at %d started over" % offset)
                # A resumed transfer says so, and from where.
                self.assertEqual(b"resuming at" in result.stderr, start is not None,
                                 result.stderr)
                if start is not None:
                    # It cannot hold more than arrived before the cut.
                    self.assertTrue(0 < start <= offset, (start, offset))
                    self.assertEqual(moved, SIZE - start)
                    self.assertLess(moved, SIZE)
                else:
                    self.assertEqual(moved, SIZE)
                # The part became the file: nothing hidden is left behind.
                self.assertEqual(partial_files_in(self.user_dir), parts_before)
                self.assertEqual(temp_files_in(self.user_dir), [])

    def test_download_resumes_after_a_cut(self):
        name = "get-cut.bin"
        self.upload(self.data, name)
        for label, offset in CUTS:
            with self.subTest(cut=label):
                target = self.client.path("copy-%s.bin" % label)
                self.cut_download(name, offset, target)
                partial = local_partial(target)
                if os.path.exists(partial):
                    self.assertLessEqual(os.path.getsize(partial), offset)
                    self.assertEqual(os.getxattr(partial, "user.sfs.xxh128").decode(),
                                     digest_hex(self.data))
                elif offset >= FRAME:
                    self.fail("a download cut at %d kept no partial copy" % offset)
                mark = self.server.log_mark()
                result = self.run_via_proxy("get", name, target)
                self.assertOk(result)
                self.assertEqual(digest_hex(read_file(target)), digest_hex(self.data))
                self.assertFalse(os.path.exists(partial), "partial copy left after success")
                start, moved = self.wait_for_op("GET", name, mark)
                if offset >= FRAME:
                    self.assertIsNotNone(start, "the download cut at %d started over" % offset)
                self.assertEqual(b"resuming at" in result.stderr, start is not None,
                                 result.stderr)
                if start is not None:
                    self.assertTrue(0 < start <= offset, (start, offset))
                    self.assertEqual(moved, SIZE - start)
                    self.assertLess(moved, SIZE)
                else:
                    self.assertEqual(moved, SIZE)

    def test_no_resume_upload_starts_over(self):
        name = "no-resume-put.bin"
        parts_before = partial_files_in(self.user_dir)
        local = self.cut_upload(name, SIZE // 2)
        self.assertEqual(len(partial_files_in(self.user_dir)), len(parts_before) + 1)
        mark = self.server.log_mark()
        self.assertOk(self.client.run("--no-resume", "put", local, name))
        self.assertStored(name, self.data)
        self.assertEqual(self.wait_for_op("PUT", name, mark), (None, SIZE))
        self.assertEqual(partial_files_in(self.user_dir), parts_before)

    def test_no_resume_download_starts_over(self):
        name = "no-resume-get.bin"
        self.upload(self.data, name)
        target = self.client.path("no-resume-copy.bin")
        self.cut_download(name, SIZE // 2, target)
        self.assertGreater(os.path.getsize(local_partial(target)), 0)
        mark = self.server.log_mark()
        self.assertOk(self.client.run("--no-resume", "get", name, target))
        self.assertEqual(digest_hex(read_file(target)), digest_hex(self.data))
        self.assertEqual(self.wait_for_op("GET", name, mark), (None, SIZE))
        self.assertFalse(os.path.exists(local_partial(target)))

    def test_upload_of_a_changed_local_file_restarts(self):
        name = "changed-head.bin"
        parts_before = partial_files_in(self.user_dir)
        local = self.cut_upload(name, SIZE // 2)
        new = bytes([self.data[0] ^ 0xFF]) + self.data[1:]  # same size, first byte differs
        write_file(local, new)
        mark = self.server.log_mark()
        self.assertOk(self.client.run("put", local, name))
        self.assertStored(name, new)
        self.assertEqual(self.wait_for_op("PUT", name, mark), (None, SIZE))
        self.assertEqual(partial_files_in(self.user_dir), parts_before)

    def test_upload_of_a_file_changed_after_the_held_part_sends_the_new_tail(self):
        name = "changed-tail.bin"
        local = self.cut_upload(name, SIZE // 2)
        new = self.data[:-1] + bytes([self.data[-1] ^ 0xFF])
        write_file(local, new)
        mark = self.server.log_mark()
        self.assertOk(self.client.run("put", local, name))
        self.assertStored(name, new)
        start, moved = self.wait_for_op("PUT", name, mark)
        self.assertEqual(moved, SIZE - (start or 0))

    def test_upload_of_a_changed_size_is_a_new_upload(self):
        name = "changed-size.bin"
        local = self.cut_upload(name, SIZE // 2)
        new = self.data + b"more"
        write_file(local, new)
        mark = self.server.log_mark()
        self.assertOk(self.client.run("put", local, name))
        self.assertStored(name, new)
        self.assertEqual(self.wait_for_op("PUT", name, mark), (None, len(new)))

    def test_resumed_download_of_a_replaced_file_gets_the_new_file(self):
        name = "replaced-between.bin"
        self.upload(self.data, name)
        target = self.client.path("replaced-copy.bin")
        self.cut_download(name, SIZE // 2, target)
        new = os.urandom(SIZE)
        self.upload(new, name)
        mark = self.server.log_mark()
        self.assertOk(self.client.run("get", name, target))
        self.assertEqual(digest_hex(read_file(target)), digest_hex(new))
        self.assertEqual(self.wait_for_op("GET", name, mark), (None, SIZE))

    def test_damaged_local_partial_is_not_passed_off_as_good(self):
        name = "damaged-partial.bin"
        self.upload(self.data, name)
        target = self.client.path("damaged-copy.bin")
        self.cut_download(name, SIZE // 2, target)
        partial = local_partial(target)
        self.assertGreater(os.path.getsize(partial), 1000)
        with open(partial, "r+b") as f:
            f.seek(1000)
            byte = f.read(1)
            f.seek(1000)
            f.write(bytes([byte[0] ^ 0x01]))
        result = self.client.run("get", name, target)
        if result.returncode == 0:
            self.assertEqual(digest_hex(read_file(target)), digest_hex(self.data))
        else:
            # The resume is announced ("resuming at ..."), then the failure.
            self.assertEqual(result.returncode, EXIT_INTEGRITY, result.stderr)
            self.assertIn(b"resuming at", result.stderr)
            self.assertIn(b"does not match its digest", result.stderr.splitlines()[-1])
            self.assertFalse(os.path.exists(target))
            # The next attempt starts over and succeeds.
            self.assertOk(self.client.run("get", name, target))
            self.assertEqual(digest_hex(read_file(target)), digest_hex(self.data))
        self.assertFalse(os.path.exists(partial))

    def test_killed_client_upload_resumes(self):
        """Not only a cut network: a SIGKILLed client leaves a resumable part too.

        The file is far bigger than the socket buffers, so that what the killed
        client had already handed to its kernel cannot complete the upload."""
        name = "killed-client.bin"
        size = 24 << 20
        data = os.urandom(size)
        local = write_file(self.client.path(name), data)
        self.proxy.configure(rate_up=6 << 20)
        mark = self.server.log_mark()
        process = self.client.start("put", local, name, port=self.proxy.port)
        conn = self.proxy.wait_for_connection(1, timeout=10)
        self.assertIsNotNone(conn)
        self.assertTrue(_wait(lambda: conn.up > 6 << 20, 20), conn.up)
        os.kill(process.pid, signal.SIGKILL)
        finish(process)
        self.wait_for_op("PUT", name, mark, ok=False, timeout=20)
        self.proxy.configure()
        mark = self.server.log_mark()
        self.assertOk(self.client.run("put", local, name))
        self.assertStored(name, data)
        start, moved = self.wait_for_op("PUT", name, mark)
        self.assertIsNotNone(start, "the upload started over")
        self.assertGreaterEqual(start, 6 << 20)
        self.assertEqual(moved, size - start)


def _wait(predicate, timeout):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


class PartialTtlTest(ResumeTestBase):
    """--partial-ttl: how long the part of an interrupted upload is kept."""

    server_per_test = True
    ttl = None

    @classmethod
    def start_server(cls):
        extra = [] if cls.ttl is None else ["--partial-ttl", str(cls.ttl)]
        server = Server(users=cls.users, extra_args=extra)
        server.start()
        return server

    def restart_server(self):
        self.server.restart()
        self.proxy.target_port = self.server.port


class ShortPartialTtlTest(PartialTtlTest):
    ttl = 1

    def test_expired_part_is_removed_by_a_restart(self):
        name = "expires.bin"
        local = self.cut_upload(name, SIZE // 2)
        # (The hourly cleaner runs every second with this TTL, so the part may
        # already be gone before the restart.)
        time.sleep(1.5)
        self.restart_server()
        # On disk the start removes it before the server answers; on S3 the
        # first sweep runs as the server starts (bounded wait).
        if S3_SERVER:
            self.assertTrue(_wait(lambda: not partial_files_in(self.user_dir), 10),
                            partial_files_in(self.user_dir))
        self.assertEqual(partial_files_in(self.user_dir), [])
        mark = self.server.log_mark()
        self.assertOk(self.client.run("put", local, name))
        self.assertStored(name, self.data)
        self.assertEqual(self.wait_for_op("PUT", name, mark), (None, SIZE))


    def test_expired_part_is_removed_while_running(self):
        # The periodic cleaner runs every min(TTL, 1 h), at least every second.
        self.cut_upload("expires-too.bin", SIZE // 2)
        self.assertTrue(_wait(lambda: not partial_files_in(self.user_dir), 5),
                        "the expired part is still there 5 s later: %r"
                        % partial_files_in(self.user_dir))
        self.assertTrue(self.server.running())


class DefaultPartialTtlTest(PartialTtlTest):

    def test_part_survives_a_restart_and_resumes(self):
        name = "kept.bin"
        local = self.cut_upload(name, SIZE // 2)
        held = partial_files_in(self.user_dir)
        self.assertEqual(len(held), 1)
        time.sleep(1.5)
        self.restart_server()
        self.assertEqual(partial_files_in(self.user_dir), held)
        listed = self.client.run("ls")
        self.assertOk(listed)
        self.assertNotIn(b"kept.bin", listed.stdout)  # the part is never listed
        self.assertNotIn(b".sfs", listed.stdout)
        mark = self.server.log_mark()
        self.assertOk(self.client.run("put", local, name))
        self.assertStored(name, self.data)
        start, moved = self.wait_for_op("PUT", name, mark)
        self.assertIsNotNone(start)
        self.assertTrue(0 < start <= SIZE // 2)
        self.assertEqual(moved, SIZE - start)
        self.assertEqual(partial_files_in(self.user_dir), [])  # the part became the file


if __name__ == "__main__":
    unittest.main()
