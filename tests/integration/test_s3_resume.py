"""Resume through the sfs door on the S3 backend (sfs-server --storage
s3://... on scripts/ceph-one-node): an upload cut by a proxy keeps its
partial in the bucket (its sidecar holds the bytes short of a whole part),
and the next put of the same file continues from there; the file then
downloads byte for byte with its digest. Past a whole part the sidecar
also keeps the digest state of the parts sent (S3 cannot read them back),
so an upload cut after two 8 MiB parts resumes past them too."""

import os
import re
import unittest

from harness.ceph import SANITIZED, ceph_missing
from harness.s3_objects import TestBucket
from sfs_harness import UP, digest_hex, read_file, write_file
from test_resume import SIZE, ResumeTestBase

MISSING = ceph_missing()
BUCKET = "sfs-resume-it"
PART = 8 << 20
UNITS = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}


def announced_resume(stderr):
    """The offset in the client's "resuming at 20.1 MiB" line, in bytes (rounded as
    shown), or None."""
    match = re.search(rb"resuming at ([0-9.]+) (B|KiB|MiB|GiB)", stderr)
    if match is None:
        return None
    return float(match.group(1)) * UNITS[match.group(2).decode()]


@unittest.skipIf(SANITIZED, "the Ceph cluster is not under test; it costs minutes there")
@unittest.skipIf(MISSING, MISSING or "")
class S3ResumeTest(ResumeTestBase):
    @classmethod
    def setUpClass(cls):
        cls.bucket = TestBucket(BUCKET).start()
        try:
            cls.server_kwargs = cls.bucket.server_kwargs("resume", part_size=PART)
            super().setUpClass()
        except BaseException:
            cls.bucket.close()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.bucket.close()

    def test_an_upload_cut_within_its_first_part_resumes(self):
        name = "cut.bin"
        offset = SIZE // 2  # about 2 MiB: inside the first 8 MiB part
        local = self.cut_upload(name, offset)
        mark = self.server.log_mark()
        result = self.client.run("put", local, name)
        self.assertOk(result)
        start, moved = self.wait_for_op("PUT", name, mark)
        self.assertIsNotNone(start, "the upload started over")
        self.assertIn(b"resuming at", result.stderr)
        self.assertTrue(0 < start <= offset, (start, offset))
        self.assertEqual(SIZE - start, moved)
        self.assertOk(self.client.run("get", name, self.client.path("back.bin")))
        self.assertEqual(self.data, read_file(self.client.path("back.bin")))
        self.assertEqual("%s  %s\n" % (digest_hex(self.data), name),
                         self.client.run("hash", name).stdout.decode())

    def test_an_upload_cut_after_two_parts_resumes_past_them(self):
        name = "past-parts.bin"
        data = os.urandom(30 << 20)
        local = write_file(self.client.path(name), data)
        # Cut after about 20 MiB of TLS bytes: two whole parts sent and a tail
        # of about 4 MiB in the sidecar.
        self.proxy.configure(cut_up=20 << 20)
        mark = self.server.log_mark()
        self.assertCutClean(self.run_via_proxy("put", local, name))
        self.assertEqual(self.proxy.last().cut, UP, "the proxy did not cut the connection")
        self.wait_for_op("PUT", name, mark, ok=False)
        self.proxy.configure()

        mark = self.server.log_mark()
        result = self.client.run("put", local, name)
        self.assertOk(result)
        start, moved = self.wait_for_op("PUT", name, mark)
        self.assertIsNotNone(start, "the upload started over:\n%s" % self.server.log_since(mark))
        self.assertTrue(2 * PART < start <= 20 << 20, (start, 2 * PART))
        self.assertEqual(len(data) - start, moved)
        announced = announced_resume(result.stderr)
        self.assertIsNotNone(announced, result.stderr)
        self.assertGreater(announced, 2 * PART, result.stderr)
        self.assertNotIn("starts over", self.server.log_since(mark))
        self.assertOk(self.client.run("get", name, self.client.path("past-parts-back.bin")))
        self.assertEqual(data, read_file(self.client.path("past-parts-back.bin")))
        self.assertEqual("%s  %s\n" % (digest_hex(data), name),
                         self.client.run("hash", name).stdout.decode())


if __name__ == "__main__":
    unittest.main()
