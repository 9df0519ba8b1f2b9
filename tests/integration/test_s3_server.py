"""sfs-server --storage s3://BUCKET/PREFIX on a real Ceph RGW
(scripts/ceph-one-node): the real sfs client puts, lists, makes folders,
moves, gets and removes, bytes equal (a file of several multipart parts
among them), hash and verify see the digests; wrong keys or a missing bucket stop the server at start with
one line that never shows the secret."""

import os
import unittest

from harness.ceph import SANITIZED, ceph_missing
from harness.s3_objects import TestBucket, write_keys_file
from sfs_harness import (Client, Server, ServerStartError, digest_hex, make_temp_dir,
                         parse_listing, read_file, remove_tree, write_file)

MISSING = ceph_missing()
BUCKET = "sfs-server-it"
# Names that must survive the round trip: spaces, quotes, '%', '+', UTF-8.
AWKWARD = ["with space.txt", "quote's \"double\".txt", "100% sure+plus.txt",
           "caf\u00e9 \u65e5\u672c \U0001F600.txt"]


@unittest.skipIf(SANITIZED, "the Ceph cluster is not under test; it costs minutes there")
@unittest.skipIf(MISSING, MISSING or "")
class S3ServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bucket = TestBucket(BUCKET).start()
        cls.ceph = cls.bucket.ceph

    @classmethod
    def tearDownClass(cls):
        cls.bucket.close()

    def ok(self, client, *args):
        result = client.run(*args)
        self.assertEqual(0, result.returncode, result.stderr.decode(errors="replace"))
        return result

    def test_the_sfs_client_on_rgw(self):
        with Server(**self.bucket.server_kwargs("it")) as server, Client(server) as client:
            self.roundtrip(client)

    def names(self, client, *folder):
        return sorted(n.rstrip("/") for n in parse_listing(self.ok(client, "ls", *folder).stdout))

    def roundtrip(self, client):
        big = os.urandom(17 * 1024 * 1024 + 12345)  # three parts of 8 MiB
        small = b"small file\n" * 10
        write_file(client.path("big.bin"), big)
        write_file(client.path("small.txt"), small)
        self.ok(client, "mkdir", "docs")
        self.ok(client, "put", client.path("big.bin"), "docs/big.bin")
        self.ok(client, "put", client.path("small.txt"), "small.txt")
        names = self.names(client, "docs")
        self.assertEqual(["big.bin"], names)
        self.ok(client, "mv", "docs", "papers")
        self.ok(client, "mv", "small.txt", "papers/small.txt")
        self.ok(client, "get", "papers/big.bin", client.path("big.back"))
        self.ok(client, "get", "papers/small.txt", client.path("small.back"))
        self.assertEqual(big, read_file(client.path("big.back")))
        self.assertEqual(small, read_file(client.path("small.back")))
        # The digest travels as metadata (set after CompleteMultipartUpload
        # for the big one) and through both moves: hash and verify see it.
        self.assertEqual("%s  papers/big.bin\n" % digest_hex(big),
                         self.ok(client, "hash", "papers/big.bin").stdout.decode())
        self.assertIn(b"2 file(s) checked", self.ok(client, "verify").stdout)
        self.awkward_names(client)
        self.ok(client, "rm", "papers/small.txt")
        names = self.names(client, "papers")
        self.assertEqual(["big.bin"], names)
        names = self.names(client)
        self.assertEqual(["papers"], names)

    def awkward_names(self, client):
        """Keys are percent-encoded for the URL and come back from the XML
        listings as they went in."""
        for i, name in enumerate(AWKWARD):
            data = ("%d %s" % (i, name)).encode()
            write_file(client.path("awkward.bin"), data)
            self.ok(client, "put", client.path("awkward.bin"), "papers/" + name)
            self.ok(client, "get", "papers/" + name, client.path("awkward.back"))
            self.assertEqual(data, read_file(client.path("awkward.back")))
        listed = self.names(client, "papers")
        for name in AWKWARD:
            self.assertIn(name, listed)
            self.ok(client, "rm", "papers/" + name)

    def refused(self, storage, access, secret):
        keys_dir = make_temp_dir()
        try:
            keys = write_keys_file(os.path.join(keys_dir, "s3-keys"), access, secret)
            with self.assertRaises(ServerStartError) as caught:
                with Server(storage=storage, extra_args=["--s3-endpoint", self.ceph.endpoint,
                                                         "--s3-credentials", keys]):
                    pass
            return str(caught.exception)
        finally:
            remove_tree(keys_dir)

    def test_wrong_keys_or_a_missing_bucket_stop_the_start(self):
        why = self.refused("s3://%s" % BUCKET, self.ceph.access_key, "wrong-secret-0123456789")
        self.assertIn("is not usable", why)
        self.assertNotIn("wrong-secret-0123456789", why)
        why = self.refused("s3://no-such-bucket", self.ceph.access_key, self.ceph.secret_key)
        self.assertIn("is not usable", why)
        self.assertNotIn(self.ceph.secret_key, why)


if __name__ == "__main__":
    unittest.main()
