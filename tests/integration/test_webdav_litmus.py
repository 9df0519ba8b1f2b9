"""litmus (neon's WebDAV conformance suite, Debian package `litmus`) against
the HTTPS face over TLS with Basic auth. The groups this server passes
(basic, copymove, http, locks) must have 0 failed; props (PROPPATCH: the
next step) has its counts printed. Until the server allows PROPPATCH, the
locks group's owner_modify (which PROPPATCHes a locked resource as its
owner) is the one test in it allowed to fail.
"""

import base64
import os
import re
import shutil
import subprocess
import ssl
import unittest
import urllib.request

from sfs_harness import DEFAULT_USERS, https_server

MUST_PASS = ("basic", "copymove", "http", "locks")
ALL_GROUPS = ("basic", "copymove", "props", "locks", "http")
SUMMARY = re.compile(r"summary for `(\w+)': of (\d+) tests run: (\d+) passed, (\d+) failed")
# "26. owner_modify.... 26. owner_modify.... FAIL (...)": litmus writes the
# name twice (progress, then result) on the line.
FAILED_TEST = re.compile(r"\d+\.\s+(\w+)\.*\s+FAIL\b")
# The locks tests that also need PROPPATCH (on the locked resource).
NEEDS_PROPPATCH = {"owner_modify"}
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
        failed_tests = {}
        with https_server() as server:
            # The certificate names localhost and 127.0.0.1; neon checks it.
            url = "https://localhost:%d/dav/" % server.https_port
            for group in ALL_GROUPS:
                env = dict(os.environ, SSL_CERT_FILE=server.cert_path, TESTS=group)
                proc = subprocess.run(["litmus", url, "alice", DEFAULT_USERS["alice"]], env=env,
                                      capture_output=True, timeout=LITMUS_TIMEOUT, check=False,
                                      cwd=server.directory)  # its debug.log, child.log
                group_output = proc.stdout.decode(errors="replace")
                failed_tests[group] = FAILED_TEST.findall(group_output)
                output += group_output
            allow = self.allowed_methods(server)
        groups = summaries(output)
        for name, (run, passed, failed) in sorted(groups.items()):
            print("litmus %-8s %d run, %d passed, %d failed" % (name, run, passed, failed))
        for name in MUST_PASS:
            self.assertIn(name, groups, output[-3000:])
            run, _, failed = groups[name]
            self.assertGreater(run, 0, output[-3000:])
            if name == "locks" and "PROPPATCH" not in allow:
                self.assertEqual(len(failed_tests[name]), failed, output[-6000:])
                self.assertLessEqual(set(failed_tests[name]), NEEDS_PROPPATCH, output[-6000:])
                continue
            self.assertEqual(failed, 0, "litmus group %s failed:\n%s" % (name, output[-6000:]))

    @staticmethod
    def allowed_methods(server):
        """The methods OPTIONS lists in Allow."""
        ctx = ssl.create_default_context(cafile=server.cert_path)
        ctx.check_hostname = False
        auth = base64.b64encode(("alice:%s" % DEFAULT_USERS["alice"]).encode()).decode()
        request = urllib.request.Request("https://127.0.0.1:%d/dav/" % server.https_port,
                                         method="OPTIONS",
                                         headers={"Authorization": "Basic " + auth})
        with urllib.request.urlopen(request, context=ctx, timeout=60) as reply:
            return {m.strip() for m in reply.headers.get("Allow", "").split(",")}


if __name__ == "__main__":
    unittest.main()
