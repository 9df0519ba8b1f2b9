"""The S3 storage backend (src/storage/s3) on a real Ceph RGW: starts a
one-node cluster (scripts/ceph-one-node) and runs the unit test binary's
backend conformance suite for "s3" and the S3BackendLive tests against it
(tests/unit/backend_conformance_test.cc). Without the endpoint those tests
skip, so this also checks that they ran and that no case skipped but the
ones the S3 backend's capabilities exclude."""

import os
import re
import subprocess
import unittest

from harness.ceph import SANITIZED, CephCluster, ceph_missing

UNIT_TESTS = os.environ.get("SFS_UNIT_TESTS_BIN", "")
LIVE_TIMEOUT = 900
MISSING = ceph_missing()
FILTER = "Backends/BackendConformanceTest.*/s3:S3BackendLive.*"
# Excluded by a capability S3 does not have: atomic_dir_rename (an upload
# cannot follow its folder through a copy-and-delete move).
EXPECTED_SKIPS = {"Backends/BackendConformanceTest.AnUploadFollowsItsDirectoryWhenItMoves/s3"}


@unittest.skipIf(SANITIZED, "the Ceph cluster is not under test; it costs minutes there")
@unittest.skipIf(MISSING, MISSING or "")
@unittest.skipIf(not os.access(UNIT_TESTS, os.X_OK),
                 "SFS_UNIT_TESTS_BIN is not set (ctest sets it)")
class S3BackendLiveTest(unittest.TestCase):
    def test_conformance_suite_against_rgw(self):
        with CephCluster() as ceph:
            env = dict(os.environ, SFS_TEST_S3_ENDPOINT=ceph.endpoint,
                       SFS_TEST_S3_ACCESS_KEY=ceph.access_key,
                       SFS_TEST_S3_SECRET_KEY=ceph.secret_key)
            done = subprocess.run([UNIT_TESTS, "--gtest_filter=" + FILTER, "--gtest_brief=0"],
                                  env=env, capture_output=True, text=True, timeout=LIVE_TIMEOUT)
        output = done.stdout + done.stderr
        self.assertEqual(0, done.returncode, output[-20000:])
        skipped = set(re.findall(r"^\[  SKIPPED \] (\S+)$", output, re.M))
        self.assertEqual(EXPECTED_SKIPS, skipped, output[-20000:])
        passed = re.search(r"\[  PASSED  \] (\d+) tests?", output)
        self.assertIsNotNone(passed, output[-20000:])
        self.assertGreaterEqual(int(passed.group(1)), 47, output[-20000:])


if __name__ == "__main__":
    unittest.main()
