"""Resume through the sfs door on the S3 backend (sfs-server --storage
s3://... on scripts/ceph-one-node): an upload cut by a proxy keeps its
partial in the bucket (its sidecar holds the bytes short of a whole part),
and the next put of the same file continues from there; the file then
downloads byte for byte with its digest. (Past one part the offer falls
back to a fresh upload: docs/storage.md, "S3".)"""

import os
import unittest

from harness.ceph import SANITIZED, CephCluster, ceph_missing
from sfs_harness import digest_hex, make_temp_dir, read_file, remove_tree, write_file
from test_resume import SIZE, ResumeTestBase
from harness.s3_objects import make_bucket

MISSING = ceph_missing()
BUCKET = "sfs-resume-it"


@unittest.skipIf(SANITIZED, "the Ceph cluster is not under test; it costs minutes there")
@unittest.skipIf(MISSING, MISSING or "")
class S3ResumeTest(ResumeTestBase):
    @classmethod
    def setUpClass(cls):
        cls.ceph = CephCluster()
        cls.ceph.start()
        cls.keys_dir = make_temp_dir()
        try:
            make_bucket(cls.ceph, BUCKET)
            keys = os.path.join(cls.keys_dir, "s3-keys")
            write_file(keys, ("aws_access_key_id = %s\naws_secret_access_key = %s\n"
                              % (cls.ceph.access_key, cls.ceph.secret_key)).encode(), mode=0o600)
            cls.server_kwargs = {
                "storage": "s3://%s/resume" % BUCKET,
                "extra_args": ["--s3-endpoint", cls.ceph.endpoint, "--s3-credentials", keys]}
            super().setUpClass()
        except BaseException:
            cls.ceph.close()
            remove_tree(cls.keys_dir)
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.ceph.close()
            remove_tree(cls.keys_dir)

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


if __name__ == "__main__":
    unittest.main()
