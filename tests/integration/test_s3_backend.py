"""The S3 client and storage backend (src/storage/s3) on a real Ceph RGW:
starts one one-node cluster (scripts/ceph-one-node) for both, and runs the
unit test binary's live tests against it: S3Live (every operation the
backend needs, tests/unit/s3_client_live_test.cc), then the backend
conformance suite for "s3", S3BackendLive and S3StoreAwayLive
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
# Excluded by a capability S3 does not have: atomic_dir_rename (an upload
# cannot follow its folder through a copy-and-delete move).
BACKEND_SKIPS = {"Backends/BackendConformanceTest.AnUploadFollowsItsDirectoryWhenItMoves/s3"}


@unittest.skipIf(SANITIZED, "the Ceph cluster is not under test; it costs minutes there")
@unittest.skipIf(MISSING, MISSING or "")
@unittest.skipIf(not os.access(UNIT_TESTS, os.X_OK),
                 "SFS_UNIT_TESTS_BIN is not set (ctest sets it)")
class S3LiveTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ceph = CephCluster()
        cls.ceph.start()

    @classmethod
    def tearDownClass(cls):
        cls.ceph.close()

    def run_live(self, gtest_filter, expected_skips, at_least):
        """Runs the unit tests `gtest_filter` names against the cluster: all pass,
        exactly `expected_skips` skip, at least `at_least` ran."""
        env = dict(os.environ, SFS_TEST_S3_ENDPOINT=self.ceph.endpoint,
                   SFS_TEST_S3_ACCESS_KEY=self.ceph.access_key,
                   SFS_TEST_S3_SECRET_KEY=self.ceph.secret_key)
        done = subprocess.run([UNIT_TESTS, "--gtest_filter=" + gtest_filter, "--gtest_brief=0"],
                              env=env, capture_output=True, text=True, timeout=LIVE_TIMEOUT)
        output = done.stdout + done.stderr
        self.assertEqual(0, done.returncode, output[-20000:])
        skipped = set(re.findall(r"^\[  SKIPPED \] (\S+)$", output, re.M))
        self.assertEqual(expected_skips, skipped, output[-20000:])
        passed = re.search(r"\[  PASSED  \] (\d+) tests?", output)
        self.assertIsNotNone(passed, output[-20000:])
        self.assertGreaterEqual(int(passed.group(1)), at_least, output[-20000:])

    def test_1_every_client_operation_against_rgw(self):
        # A skip here would hide a broken client.
        self.run_live("S3Live.*", set(), 7)

    def test_2_conformance_suite_against_rgw(self):
        self.run_live("Backends/BackendConformanceTest.*/s3:S3BackendLive.*:S3StoreAwayLive.*",
                      BACKEND_SKIPS, 56)


if __name__ == "__main__":
    unittest.main()
