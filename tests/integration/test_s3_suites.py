"""The integration suites that matter for storage, and the WebDAV door's
(litmus among them), run again with every server they start keeping its
files on S3: a real one-node Ceph RGW (scripts/ceph-one-node), one bucket,
a prefix per server (harness: the SFS_TEST_S3_SERVER setting; the tests'
looks at a user's files read fresh copies of the objects). The tests that
plant or damage files on disk, or check their modes, skip themselves
there; the rest must pass, and enough of each suite must have run that a
harness which quietly went back to the disk, or skipped everything, fails
here."""

import os
import re
import subprocess
import sys
import unittest

from harness.ceph import SANITIZED, ceph_missing
from harness.config import HERE
from harness.s3_objects import TestBucket

MISSING = ceph_missing()
BUCKET = "sfs-suites-it"
SUITE_TIMEOUT = 900
# Each suite, and how many of its tests at least must pass on S3 (the rest
# skip: harness.cases.on_disk_only says which and why).
SUITES = {
    "test_roundtrip": 15,
    "test_races": 6,
    "test_quota": 6,
    "test_folders": 11,
    "test_resume": 13,
    "test_recursive": 8,
    "test_integrity": 4,
    "test_webdav": 21,
    "test_webdav_two_doors": 8,
    "test_webdav_litmus": 1,  # every group of litmus, each with 0 failed
}


@unittest.skipIf(SANITIZED, "the Ceph cluster is not under test; it costs minutes there")
@unittest.skipIf(MISSING, MISSING or "")
class S3SuitesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bucket = TestBucket(BUCKET).start()

    @classmethod
    def tearDownClass(cls):
        cls.bucket.close()

    def run_suite(self, module):
        env = dict(os.environ, SFS_TEST_S3_SERVER="%s %s %s" % (
            self.bucket.ceph.endpoint, BUCKET, self.bucket.keys))
        done = subprocess.run([sys.executable, "-m", "unittest", "-v", module], cwd=HERE,
                              env=env, capture_output=True, text=True, timeout=SUITE_TIMEOUT)
        output = done.stdout + done.stderr
        self.assertEqual(0, done.returncode, output[-20000:])
        self.assertIsNotNone(re.search(r"^Ran \d+ tests?", output, re.M), output[-20000:])
        passed = len(re.findall(r" \.\.\. ok$", output, re.M))
        skipped = re.findall(r"^(test_\w+) .*\.\.\. skipped '(.*)'$", output, re.M)
        print("%s on S3: %d passed, %d skipped%s" % (
            module, passed, len(skipped), "".join("\n  %s: %s" % s for s in skipped)),
            file=sys.stderr)
        return passed, output

    def test_storage_suites_on_s3(self):
        for module, at_least in SUITES.items():
            with self.subTest(module):
                passed, output = self.run_suite(module)
                self.assertGreaterEqual(passed, at_least, output[-20000:])


if __name__ == "__main__":
    unittest.main()
