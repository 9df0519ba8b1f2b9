"""The S3 client (src/storage/s3) against a real Ceph RGW: starts a one-node
cluster (scripts/ceph-one-node) and runs the unit test binary's S3Live
tests against it (tests/unit/s3_client_live_test.cc: every operation the S3
backend needs). Without the endpoint those tests skip, so this also checks
that they ran: a skip here would hide a broken client."""

import os
import re
import subprocess
import unittest

from harness.ceph import SANITIZED, CephCluster, ceph_missing

UNIT_TESTS = os.environ.get("SFS_UNIT_TESTS_BIN", "")
LIVE_TIMEOUT = 600
MISSING = ceph_missing()


@unittest.skipIf(SANITIZED, "the Ceph cluster is not under test; it costs minutes there")
@unittest.skipIf(MISSING, MISSING or "")
@unittest.skipIf(not os.access(UNIT_TESTS, os.X_OK),
                 "SFS_UNIT_TESTS_BIN is not set (ctest sets it)")
class S3ClientLiveTest(unittest.TestCase):
    def test_every_operation_against_rgw(self):
        with CephCluster() as ceph:
            env = dict(os.environ, SFS_TEST_S3_ENDPOINT=ceph.endpoint,
                       SFS_TEST_S3_ACCESS_KEY=ceph.access_key,
                       SFS_TEST_S3_SECRET_KEY=ceph.secret_key)
            done = subprocess.run([UNIT_TESTS, "--gtest_filter=S3Live.*", "--gtest_brief=0"],
                                  env=env, capture_output=True, text=True, timeout=LIVE_TIMEOUT)
        output = done.stdout + done.stderr
        self.assertEqual(0, done.returncode, output)
        self.assertNotIn("SKIPPED", output)
        passed = re.search(r"\[  PASSED  \] (\d+) tests?", output)
        self.assertIsNotNone(passed, output)
        self.assertGreaterEqual(int(passed.group(1)), 7, output)


if __name__ == "__main__":
    unittest.main()
