"""litmus (neon's WebDAV conformance suite, Debian package `litmus`) against
the HTTPS face over TLS with Basic auth. Every group (basic, copymove, props,
locks, http) must have 0 failed: the target of issue 12, the row Apache
mod_dav reaches.
"""

import os
import re
import shutil
import subprocess
import unittest

from sfs_harness import DEFAULT_USERS, https_server

GROUPS = ("basic", "copymove", "props", "locks", "http")
SUMMARY = re.compile(r"summary for `(\w+)': of (\d+) tests run: (\d+) passed, (\d+) failed")
LITMUS_TIMEOUT = 600


def summaries(output):
    """{group: (run, passed, failed)} from litmus' `summary for` lines."""
    return {m.group(1): (int(m.group(2)), int(m.group(3)), int(m.group(4)))
            for m in SUMMARY.finditer(output)}


@unittest.skipUnless(shutil.which("litmus"), "litmus is not installed (scripts/install-deps)")
class LitmusTest(unittest.TestCase):
    def test_litmus_groups(self):
        # One litmus run per group: litmus stops at the first group that fails.
        output = ""
        with https_server() as server:
            # The certificate names localhost and 127.0.0.1; neon checks it.
            url = "https://localhost:%d/dav/" % server.https_port
            for group in GROUPS:
                env = dict(os.environ, SSL_CERT_FILE=server.cert_path, TESTS=group)
                proc = subprocess.run(["litmus", url, "alice", DEFAULT_USERS["alice"]], env=env,
                                      capture_output=True, timeout=LITMUS_TIMEOUT, check=False,
                                      cwd=server.directory)  # its debug.log, child.log
                output += proc.stdout.decode(errors="replace")
        groups = summaries(output)
        for name, (run, passed, failed) in sorted(groups.items()):
            print("litmus %-8s %d run, %d passed, %d failed" % (name, run, passed, failed))
        for name in GROUPS:
            self.assertIn(name, groups, output[-3000:])
            run, _, failed = groups[name]
            self.assertGreater(run, 0, output[-3000:])
            self.assertEqual(failed, 0, "litmus group %s failed:\n%s" % (name, output[-6000:]))


if __name__ == "__main__":
    unittest.main()
