"""Chaos on the S3 backend: sfs-server --storage s3://... on a real one-node
Ceph (scripts/ceph-one-node) loses radosgw (SIGKILL, the rest of the cluster
running) in the middle of an upload of several 8 MiB parts and in the middle
of a download. The client gets one clear line (storage unavailable), nothing
partial is ever listed, the server stays up and answers every user, and once
radosgw is started again (same port) the same transfers finish byte for byte
with the right digest.

Both resume, and the client says "resuming at" exactly where the server's
log shows the transfer began. The upload: the server cannot write the
partial's sidecar while the store is down, so it keeps it in memory and
continues from the whole parts the store already holds (the tail is sent
again). The download: the server's abort says "storage unavailable", so the
client keeps its partial copy and continues from it."""

import os
import re
import subprocess
import unittest
import urllib.parse

from harness.ceph import SANITIZED, ceph_missing
from harness.s3_objects import TestBucket, curl_s3
from sfs_harness import (EXIT_OK, Client, FaultProxy, Server, digest_hex, local_partial,
                         parse_listing, read_file, stderr_lines, wait_until, write_file)

MISSING = ceph_missing()
BUCKET = "sfs-chaos-it"
PREFIX = "chaos"
PART = 8 << 20
# Seven parts. Big enough that radosgw dies with much of the transfer still
# to go: a download reads up to two 8 MiB blocks ahead of what it sent
# (storage/s3/s3_read.cc), and the sockets and the proxy hold a few MiB
# more, so with four parts the server could hold all of it by then.
SIZE = 6 * PART + 12345
# Slow enough that radosgw dies with most of the transfer still to go.
RATE = 4 << 20
# Safety nets, not measurements: a transfer that hangs fails the test.
WAIT = 60.0
TRANSFER_TIMEOUT = 120.0


def s3_get(ceph, query):
    """A signed GET of the bucket with `query` (curl, the test's keys); "" if it fails."""
    done = curl_s3(ceph.access_key, ceph.secret_key,
                   "%s/%s?%s" % (ceph.endpoint, BUCKET, query))
    return done.stdout.decode() if done.returncode == 0 else ""


def multipart_keys(ceph):
    """The keys of the multipart uploads in progress under the server's prefix."""
    xml = s3_get(ceph, "prefix=%s%%2F&uploads=" % PREFIX)
    return re.findall(r"<Upload><Key>([^<]*)</Key>", xml)


def landed_parts(ceph):
    """How many parts the multipart uploads under the server's prefix hold."""
    xml = s3_get(ceph, "prefix=%s%%2F&uploads=" % PREFIX)
    count = 0
    for key, upload_id in re.findall(
            r"<Upload><Key>([^<]*)</Key><UploadId>([^<]*)</UploadId>", xml):
        done = curl_s3(ceph.access_key, ceph.secret_key, "%s/%s/%s?uploadId=%s" % (
            ceph.endpoint, BUCKET, urllib.parse.quote(key), urllib.parse.quote(upload_id)))
        count += done.stdout.decode().count("<Part>") if done.returncode == 0 else 0
    return count


@unittest.skipIf(SANITIZED, "the Ceph cluster is not under test; it costs minutes there")
@unittest.skipIf(MISSING, MISSING or "")
class S3ChaosTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bucket = TestBucket(BUCKET).start()
        cls.ceph = cls.bucket.ceph
        try:
            cls.server = Server(**cls.bucket.server_kwargs(PREFIX, part_size=PART))
            cls.server.start()
        except BaseException:
            cls.bucket.close()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.server.close()
        finally:
            cls.bucket.close()

    def setUp(self):
        self.client = Client(self.server)
        self.proxy = FaultProxy(self.server.port)
        self.data = os.urandom(SIZE)
        self.rgw_down = False

    def tearDown(self):
        self.proxy.close()
        self.client.close()
        if self.rgw_down:
            self.ceph.start_rgw()  # the next test needs it whatever happened here

    # helpers
    def ok(self, *args, **kwargs):
        result = self.client.run(*args, **kwargs)
        self.assertEqual(EXIT_OK, result.returncode, result.stderr.decode(errors="replace"))
        return result

    def names(self, user=None):
        return sorted(parse_listing(self.ok("ls", user=user).stdout))

    def kill_rgw(self):
        self.rgw_down = True
        self.ceph.kill_rgw()  # returns once it is gone
        self.assertEqual("", s3_get(self.ceph, "uploads="), "radosgw still answers")
        self.assertTrue(self.server.running(), "the server died with radosgw")

    def start_rgw(self):
        old = self.ceph.rgw_pid()
        self.ceph.start_rgw()
        self.rgw_down = False
        self.assertNotEqual(old, self.ceph.rgw_pid(), "no new radosgw recorded")

    def assertStorageUnavailable(self, result):
        """One clear line from the client, a failure exit, never a crash."""
        self.assertNotEqual(EXIT_OK, result.returncode, result)
        self.assertGreater(result.returncode, 0, "the client died of a signal: %r" % (result,))
        lines = stderr_lines(result)
        self.assertEqual(1, len(lines), lines)
        self.assertRegex(lines[0], r"^sfs: .*storage unavailable")

    def assertServesWhileDown(self):
        """With radosgw gone the server still answers: every user gets the
        same clear line for a listing, nothing partial, and can log in."""
        for user in ("alice", "bob"):
            self.assertStorageUnavailable(
                self.client.run("ls", user=user, password=self.server.users[user]))
        self.assertTrue(self.server.running())

    def assertSaysWhetherItResumed(self, op, name, mark, result):
        """The server's log line of the transfer says where it began: from
        past 0, the client must have said it resumed; else it started over."""
        regex = re.compile(r"user=alice peer=\S+ op=%s path=%s( from=(\d+))? bytes=(\d+) "
                           r"result=ok" % (op, re.escape(name)))
        found = wait_until(lambda: regex.search(self.server.log_since(mark)), WAIT)
        self.assertIsNotNone(found, self.server.log_since(mark))
        start = int(found.group(2) or 0)
        if start > 0:
            self.assertIn(b"resuming at", result.stderr)
        else:
            self.assertNotIn(b"resuming at", result.stderr)
        self.assertEqual(SIZE - start, int(found.group(3)))
        return start

    def assertRoundTrip(self, name):
        back = self.client.path(name + ".back")
        if os.path.exists(back):
            os.unlink(back)
        self.ok("get", name, back)
        self.assertEqual(self.data, read_file(back))
        self.assertEqual("%s  %s\n" % (digest_hex(self.data), name),
                         self.ok("hash", name).stdout.decode())

    # the tests
    def test_radosgw_killed_mid_upload(self):
        name = "up.bin"
        local = write_file(self.client.path(name), self.data)
        self.proxy.configure(rate_up=RATE)
        process = self.client.start("put", local, name, port=self.proxy.port)
        try:
            # Mid-upload, with a part in the store whose answer the server
            # surely has (the second goes out seconds after it, at RATE).
            began = wait_until(lambda: landed_parts(self.ceph) >= 2 or process.poll() is not None,
                               WAIT, interval=0.05)
            self.assertIsNone(process.poll(), "the upload ended before radosgw was killed")
            self.assertTrue(began, "no part of a multipart upload landed")
            self.assertEqual([], self.names())  # its parts are no file yet
            self.kill_rgw()
            out, err = process.communicate(timeout=TRANSFER_TIMEOUT)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate(timeout=WAIT)
        self.assertStorageUnavailable(subprocess.CompletedProcess(process.args, process.returncode,
                                                                  out, err))
        self.assertServesWhileDown()

        self.start_rgw()
        self.assertEqual([], self.names())  # nothing partial, nothing hidden
        mark = self.server.log_mark()
        result = self.ok("put", local, name)
        start = self.assertSaysWhetherItResumed("PUT", name, mark, result)
        self.assertGreater(start, 0, "the upload started over")
        self.assertEqual(0, start % PART, "a resume from whole parts")
        self.assertEqual([name], self.names())
        self.assertRoundTrip(name)
        self.ok("rm", name)

    def test_radosgw_killed_mid_download(self):
        name = "down.bin"
        local = write_file(self.client.path(name), self.data)
        self.ok("put", local, name)
        target = self.client.path("got.bin")
        partial = local_partial(target)
        self.proxy.configure(rate_down=RATE)
        process = self.client.start("get", name, target, port=self.proxy.port)
        try:
            moving = wait_until(
                lambda: (os.path.exists(partial) and os.path.getsize(partial) >= PART // 2)
                or process.poll() is not None, WAIT, interval=0.05)
            self.assertIsNone(process.poll(), "the download ended before radosgw was killed")
            self.assertTrue(moving)
            self.kill_rgw()
            out, err = process.communicate(timeout=TRANSFER_TIMEOUT)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate(timeout=WAIT)
        self.assertStorageUnavailable(subprocess.CompletedProcess(process.args, process.returncode,
                                                                  out, err))
        self.assertFalse(os.path.exists(target), "a cut download created its target")
        self.assertTrue(os.path.exists(partial), "the cut download kept nothing to resume")
        self.assertServesWhileDown()

        self.start_rgw()
        self.assertEqual([name], self.names())
        self.proxy.configure()
        mark = self.server.log_mark()
        result = self.ok("get", name, target)
        self.assertEqual(self.data, read_file(target))
        start = self.assertSaysWhetherItResumed("GET", name, mark, result)
        self.assertGreater(start, 0, "the download started over")
        self.assertFalse(os.path.exists(partial))
        self.assertRoundTrip(name)
        self.ok("rm", name)


if __name__ == "__main__":
    unittest.main()
