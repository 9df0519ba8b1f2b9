"""The one-node Ceph cluster the S3 storage is tested on (scripts/ceph-one-node):
it comes up with an S3 user, curl signing AWS SigV4 itself makes a bucket,
PUTs, lists and GETs an object, a request signed with the wrong secret is
refused, and stop ends exactly the processes start recorded. A start that
fails half-way (radosgw's port taken) stops the daemons it had started."""

import os
import socket
import subprocess
import unittest

from harness.ceph import SANITIZED, SCRIPT, CephCluster, CephStartError, ceph_missing
from harness.config import HOST
from harness.files import make_temp_dir, remove_tree

CURL_TIMEOUT = 60
MISSING = ceph_missing()


def alive(pid):
    """True while the process exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid, encoding="ascii", errors="replace") as f:
            stat = f.read()
    except FileNotFoundError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"


def s3(ceph, method, path, data=None, secret=None, extra=()):
    """curl against the endpoint, signed with SigV4 (status, body bytes)."""
    args = ["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", "-X", method,
            "--aws-sigv4", "aws:amz:%s:s3" % ceph.region,
            "--user", "%s:%s" % (ceph.access_key, secret or ceph.secret_key),
            "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", *extra]
    if data is not None:
        args += ["--data-binary", "@-"]
    done = subprocess.run(args + [ceph.endpoint + path], input=data or b"",
                          capture_output=True, timeout=CURL_TIMEOUT, check=True)
    body, _, status = done.stdout.rpartition(b"\n")
    return int(status), body


@unittest.skipIf(SANITIZED, "the Ceph cluster is not under test; it costs minutes there")
@unittest.skipIf(MISSING, MISSING or "")
class CephOneNodeTest(unittest.TestCase):
    def test_s3_roundtrip_then_stop_ends_every_daemon(self):
        payload = os.urandom(300_000)
        with CephCluster() as ceph:
            print("ceph-one-node came up in %.1f s" % ceph.start_seconds)
            pids = ceph.pids()
            self.assertEqual(4, len(pids))  # mon, osd, mgr, radosgw
            self.assertTrue(all(alive(p) for p in pids))

            self.assertEqual(200, s3(ceph, "PUT", "/bucket-one")[0])
            self.assertEqual(200, s3(ceph, "PUT", "/bucket-one/dir/object.bin", payload)[0])
            # The query in SigV4's canonical form: curl 7.88 signs it as given.
            status, listing = s3(ceph, "GET", "/bucket-one?list-type=2&prefix=dir%2F")
            self.assertEqual(200, status)
            self.assertIn(b"<Key>dir/object.bin</Key>", listing)
            self.assertIn(b"<Size>300000</Size>", listing)
            self.assertEqual((200, payload), s3(ceph, "GET", "/bucket-one/dir/object.bin"))
            status, body = s3(ceph, "GET", "/bucket-one/dir/object.bin", secret="wrong-secret")
            self.assertEqual(403, status)
            self.assertIn(b"SignatureDoesNotMatch", body)

            ceph.stop()
            self.assertEqual([], [p for p in pids if alive(p)])
            port = int(ceph.endpoint.rsplit(":", 1)[1])
            with self.assertRaises(ConnectionRefusedError):
                socket.create_connection((HOST, port), timeout=5).close()

    def test_start_failing_half_way_stops_what_it_started(self):
        with socket.socket() as taken:
            taken.bind((HOST, 0))
            taken.listen(1)
            port = taken.getsockname()[1]
            ceph = CephCluster(extra_args=["--rgw-port", str(port)])
            ceph.close = lambda: None  # keep the directory to read its pids
            try:
                with self.assertRaises(CephStartError) as caught:
                    ceph.start()
                print(caught.exception)
                pids = ceph.pids()
                self.assertGreaterEqual(len(pids), 3)  # mon, osd, mgr at least
                self.assertEqual([], [p for p in pids if alive(p)])
            finally:
                CephCluster.close(ceph)

    def test_bad_usage_is_one_line(self):
        home = make_temp_dir("sfs-it-ceph-usage-")
        try:
            with open(os.path.join(home, "something"), "w", encoding="ascii") as f:
                f.write("x")
            done = subprocess.run([SCRIPT, "start", home, "--access-key", "a", "--secret-key",
                                   "b"], capture_output=True, text=True, timeout=CURL_TIMEOUT)
            self.assertEqual(1, done.returncode)
            self.assertEqual("ceph-one-node: %s is not empty\n" % home, done.stderr)
            self.assertFalse(os.path.exists(os.path.join(home, "pids")))
        finally:
            remove_tree(home)


if __name__ == "__main__":
    unittest.main()
