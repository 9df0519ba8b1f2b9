"""Modification times and modes (issue 16, item 10): put gives the stored file
the local file's time and get gives the local file the stored time, one file
or a tree (-p, as scp users type it, is the default; --no-times turns it
off); a download is created with mode 0666 minus the umask, as cp and scp
without -p do, not 0600."""

import os
import subprocess
import unittest

from sfs_harness import CLIENT_BIN, ServerTestCase, client_env, write_file

JAN_2020 = 1577836800  # 2020-01-01 00:00:00 UTC


def mtime(path):
    return int(os.stat(path).st_mtime)


class TimesTest(ServerTestCase):

    def sfs(self, *args):
        return self.client.run(*args)

    def stored(self, *names):
        return os.path.join(self.server.user_dir("alice"), *names)

    def old_file(self, name, data=b"old\n"):
        path = write_file(self.client.path(name), data)
        os.utime(path, (JAN_2020, JAN_2020))
        return path

    def test_put_keeps_the_local_time(self):
        self.assertOk(self.sfs("put", self.old_file("p.txt"), "p.txt"))
        self.assertEqual(mtime(self.stored("p.txt")), JAN_2020)
        listing = self.sfs("ls").stdout.decode()
        self.assertIn("2020-01-01 00:00  p.txt", listing)
        self.assertOk(self.sfs("put", "-p", self.old_file("p2.txt"), "p2.txt"))
        self.assertEqual(mtime(self.stored("p2.txt")), JAN_2020)

    def test_put_no_times_takes_the_upload_time(self):
        self.assertOk(self.sfs("put", "--no-times", self.old_file("n.txt"), "n.txt"))
        self.assertGreater(mtime(self.stored("n.txt")), JAN_2020 + 86400 * 365)

    def test_get_keeps_the_stored_time(self):
        self.assertOk(self.sfs("put", self.old_file("g.txt"), "g.txt"))
        target = self.client.path("copy.txt")
        self.assertOk(self.sfs("get", "g.txt", target))
        self.assertEqual(mtime(target), JAN_2020)
        other = self.client.path("now.txt")
        self.assertOk(self.sfs("get", "--no-times", "g.txt", other))
        self.assertGreater(mtime(other), JAN_2020 + 86400 * 365)

    def test_trees_keep_times_both_ways(self):
        top = self.client.path("tree")
        os.makedirs(os.path.join(top, "sub"))
        for name in ("a.txt", os.path.join("sub", "b.txt")):
            path = write_file(os.path.join(top, name), name.encode())
            os.utime(path, (JAN_2020, JAN_2020))
        self.assertOk(self.sfs("put", "-r", top, "t"))
        self.assertEqual(mtime(self.stored("t", "sub", "b.txt")), JAN_2020)
        restored = self.client.path("restored")
        self.assertOk(self.sfs("get", "-r", "t", restored))
        self.assertEqual(mtime(os.path.join(restored, "a.txt")), JAN_2020)
        self.assertEqual(mtime(os.path.join(restored, "sub", "b.txt")), JAN_2020)

    def get_with_umask(self, umask, name):
        target = self.client.path("mode-%03o.txt" % umask)
        result = subprocess.run(
            [CLIENT_BIN] + self.client.common_args() + ["get", name, target],
            cwd=self.client.cwd, env=client_env(self.client.config_home, self.client.password),
            stdin=subprocess.DEVNULL, capture_output=True, timeout=60, umask=umask)
        self.assertOk(result)
        return os.stat(target).st_mode & 0o7777

    def test_downloads_get_0666_minus_the_umask(self):
        self.assertOk(self.sfs("put", self.old_file("m.txt"), "m.txt"))
        self.assertEqual(self.get_with_umask(0o022, "m.txt"), 0o644)
        self.assertEqual(self.get_with_umask(0o002, "m.txt"), 0o664)
        self.assertEqual(self.get_with_umask(0o077, "m.txt"), 0o600)


if __name__ == "__main__":
    unittest.main()
