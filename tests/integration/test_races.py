"""Races around one name (issue 4): concurrent uploads, downloads while the
file is replaced or deleted, concurrent resumes of one interrupted upload.
Whatever wins, every file is exactly one whole version with its own digest."""

import os
import re
import struct
import threading
import unittest

from sfs_harness import (AtData, EXIT_OK, UP, RawConnection, ServerTestCase, data_delta,
                         local_partial, partial_files_in, read_file, digest_hex, stored_digest,
                         temp_files_in, trailer, wait_until, write_file, on_disk_only)

WRITERS = 16
SIZE = 1 << 20


def run_all(functions, timeout=180):
    """Runs the functions in threads, all released at once; returns their results."""
    results = [None] * len(functions)
    barrier = threading.Barrier(len(functions), timeout=60)

    def worker(i):
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        results[i] = functions[i]()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True)
               for i in range(len(functions))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    return results


class RaceTest(ServerTestCase):

    @property
    def user_dir(self):
        return self.server.user_dir("alice")

    def assertOneWholeVersion(self, name, versions):
        """The stored file is exactly one of versions, and its digest (stored and
        reported by `sfs hash`) is that version's."""
        path = self.server.stored("alice", name)
        digest = digest_hex(read_file(path))
        self.assertIn(digest, [digest_hex(v) for v in versions],
                      "%s is none of the uploaded versions" % name)
        self.assertEqual(stored_digest(path), digest)
        result = self.client.run("hash", name)
        self.assertOk(result)
        self.assertEqual(result.stdout.decode(), "%s  %s\n" % (digest, name))
        return digest

    def concurrent_uploads(self, name, versions):
        clients = [self.new_client() for _ in versions]
        locals_ = [write_file(c.path("v.bin"), v) for c, v in zip(clients, versions)]
        results = run_all([lambda c=c, l=l: c.run("put", l, name, timeout=120)
                           for c, l in zip(clients, locals_)])
        for i, result in enumerate(results):
            self.assertIsNotNone(result, "writer %d did not finish" % i)
            self.assertOk(result)
        return self.assertOneWholeVersion(name, versions)

    def test_sixteen_uploads_of_one_name_same_size(self):
        # Same name and size: they compete for the same resumable part file too.
        for round_number in range(3):
            with self.subTest(round=round_number):
                versions = [os.urandom(SIZE) for _ in range(WRITERS)]
                self.concurrent_uploads("same-size.bin", versions)
                self.assertEqual(temp_files_in(self.user_dir), [])
                self.assertEqual(partial_files_in(self.user_dir), [])

    def test_sixteen_uploads_of_one_name_different_sizes(self):
        versions = [os.urandom(SIZE // 2 + 4099 * i) for i in range(WRITERS)]
        self.concurrent_uploads("sizes.bin", versions)
        self.assertEqual(temp_files_in(self.user_dir), [])
        self.assertEqual(partial_files_in(self.user_dir), [])

    def test_two_resumes_of_one_interrupted_upload(self):
        name = "resumed-twice.bin"
        first = os.urandom(SIZE + 100_000)
        other = os.urandom(len(first))
        # Calibrate, then cut an upload of `first` in the middle.
        proxy = self.new_proxy()
        calibration = write_file(self.client.path("calibration.bin"), first)
        self.assertOk(self.client.run("put", calibration, "calibration.bin", port=proxy.port))
        self.assertTrue(proxy.last().finished.wait(10))
        records = proxy.last().logs[UP].records
        proxy.configure(cut_up=AtData(data_delta(records, len(first) // 2)))
        mark = self.server.log_mark()
        local = write_file(self.client.path("first.bin"), first)
        self.assertNotEqual(self.client.run("put", local, name, port=proxy.port).returncode, 0)
        self.assertTrue(self.server.wait_for_log(r"op=PUT path=%s .*result=(?!ok)"
                                                 % re.escape(name)))
        self.assertEqual(len(partial_files_in(self.user_dir)), 1, self.server.log_since(mark))
        # Two clients upload the same name and size at once: one with the content
        # the part came from (it may resume), one with other content.
        self.concurrent_uploads(name, [first, other])
        self.assertEqual(temp_files_in(self.user_dir), [])

    def download_during(self, name, change):
        """Starts a slow download of name, runs change() while it runs, and returns
        (result, target)."""
        proxy = self.new_proxy()
        proxy.configure(rate_down=2 << 20)
        target = self.client.path("during-" + name)
        process = self.client.start("get", name, target, port=proxy.port)
        conn = proxy.wait_for_connection(1)
        self.assertIsNotNone(conn, "the download did not connect")
        self.assertTrue(wait_until(lambda: conn.down > 512 << 10, timeout=20),
                        "the download did not start")
        change()
        self.assertLess(conn.down, 3 << 20, "the download finished before the change")
        out, err = process.communicate(timeout=120)
        return process.returncode, err, target

    def assertOldOrClearError(self, status, err, target, old):
        if status == EXIT_OK:
            self.assertEqual(digest_hex(read_file(target)), digest_hex(old),
                             "the download mixed versions")
        else:
            lines = err.decode(errors="replace").splitlines()
            self.assertEqual(len(lines), 1, lines)
            self.assertTrue(lines[0].startswith("sfs: "), lines)
            self.assertFalse(os.path.exists(target))

    def test_download_while_the_file_is_replaced(self):
        old = os.urandom(5 << 20)
        new = os.urandom(4 << 20)
        self.upload(old, "replaced.bin")
        other = self.new_client()

        def replace():
            self.upload(new, "replaced.bin", client=other)

        status, err, target = self.download_during("replaced.bin", replace)
        self.assertOldOrClearError(status, err, target, old)
        self.assertEqual(read_file(self.server.stored("alice", "replaced.bin")), new)
        self.assertFalse(os.path.exists(local_partial(target)))

    def test_download_while_the_file_is_deleted(self):
        old = os.urandom(5 << 20)
        self.upload(old, "deleted.bin")
        other = self.new_client()

        def delete():
            self.assertOk(other.run("rm", "deleted.bin"))

        status, err, target = self.download_during("deleted.bin", delete)
        self.assertOldOrClearError(status, err, target, old)
        self.assertFalse(os.path.exists(self.server.stored("alice", "deleted.bin")))

    @on_disk_only("S3 keeps no copy of a replaced object, so a download it overtakes is "
                  "aborted (never mixed)")
    def test_raw_download_reads_the_file_as_opened(self):
        old = os.urandom(3 << 20)
        new = os.urandom(3 << 20)
        self.upload(old, "as-opened.bin")
        raw = RawConnection(self.server.port)
        self.addCleanup(raw.close)
        self.assertEqual(raw.greet_and_login("alice", self.server.users["alice"]), "OK")
        self.assertTrue(raw.get("as-opened.bin").startswith("OK %d " % len(old)))
        (length,) = struct.unpack(">I", raw.read_exact(4))
        head = raw.read_exact(1000)  # a little of the first frame; the rest waits
        self.upload(new, "as-opened.bin")  # same size: only the content differs
        head += raw.read_exact(length - 1000)
        data, line = raw.read_download()
        self.assertEqual(head + data, old)
        self.assertEqual(line, trailer(old))
        # A second GET on the same session sees the new file.
        self.assertEqual(raw.download("as-opened.bin")[1:], (new, trailer(new)))

    def test_delete_during_an_upload_of_the_same_name(self):
        """The delete wins or the upload wins; the file is never half there."""
        old = os.urandom(SIZE)
        new = os.urandom(3 << 20)
        self.upload(old, "contested.bin")
        proxy = self.new_proxy()
        proxy.configure(rate_up=4 << 20)
        local = write_file(self.client.path("new.bin"), new)
        process = self.client.start("put", local, "contested.bin", port=proxy.port)
        conn = proxy.wait_for_connection(1)
        self.assertTrue(wait_until(lambda: conn.up > 512 << 10, timeout=20))
        # The upload all but stops while the delete runs: otherwise a slow
        # client (under ASan its exit alone takes a while) lets the upload
        # finish in between, and the file is there again when looked at.
        proxy.set_rate(up=1024)
        self.assertOk(self.new_client().run("rm", "contested.bin"))
        self.assertFalse(os.path.exists(self.server.stored("alice", "contested.bin")))
        proxy.set_rate(up=None)
        out, err = process.communicate(timeout=120)
        self.assertEqual(process.returncode, 0, err)
        self.assertOneWholeVersion("contested.bin", [new])
        self.assertEqual(temp_files_in(self.user_dir), [])


if __name__ == "__main__":
    unittest.main()
