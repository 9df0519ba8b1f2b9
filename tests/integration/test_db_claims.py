"""The S3 backend's claims on partials in PostgreSQL (issue 15,
docs/cluster.md): one throwaway PostgreSQL (scripts/pg-one-node), and the
PgPartialClaims tests of sfs_pg_tests run against it
(tests/pg/pg_partial_claims_test.cc: several claim objects on one
database stand for several nodes; one claim wins of two at once; a dead
node's claims and holds expire; the database stopped and started again).
Without the database those tests skip, so this also checks that they ran.
The same claims end to end, through three nodes on Ceph:
test_cluster.py."""

import os
import re
import shlex
import subprocess
import unittest

from harness.ceph import SANITIZED
from harness.postgres import SCRIPT, PG_TIMEOUT, PostgresServer, postgres_missing

PG_TESTS = os.environ.get("SFS_PG_TESTS_BIN", "")
RUN_TIMEOUT = 300
EXPECTED = 7  # the PgPartialClaimsTest cases


# Starts PostgreSQL: not run again under the sanitizers (its parsers are
# fuzzed; the rules allow it, and libpq's own allocations are not ours).
@unittest.skipIf(SANITIZED, "starts PostgreSQL: not run again under the sanitizers")
@unittest.skipIf(postgres_missing(), postgres_missing() or "")
@unittest.skipIf(not os.access(PG_TESTS, os.X_OK),
                 "SFS_PG_TESTS_BIN is not set (ctest sets it)")
class DatabaseClaimsTest(unittest.TestCase):
    def setUp(self):
        self.pg = PostgresServer()
        self.pg.start()
        self.addCleanup(self.pg.close)

    def test_claims_on_a_real_database(self):
        env = self.pg.env()
        env["SFS_TEST_DB_URL"] = self.pg.url
        home = shlex.quote(self.pg.home)
        env["SFS_TEST_DB_STOP"] = "%s stop %s >/dev/null" % (shlex.quote(SCRIPT), home)
        env["SFS_TEST_DB_START"] = "%s restart %s --timeout %d >/dev/null" % (
            shlex.quote(SCRIPT), home, PG_TIMEOUT)
        done = subprocess.run([PG_TESTS, "--gtest_filter=PgPartialClaimsTest.*"], env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=RUN_TIMEOUT)
        self.assertEqual(done.returncode, 0, done.stdout[-4000:] + done.stderr[-2000:])
        passed = re.search(r"\[  PASSED  \] (\d+) test", done.stdout)
        self.assertIsNotNone(passed, done.stdout[-2000:])
        self.assertEqual(int(passed.group(1)), EXPECTED, done.stdout[-4000:])
        self.assertNotIn("SKIPPED", done.stdout)


if __name__ == "__main__":
    unittest.main()
