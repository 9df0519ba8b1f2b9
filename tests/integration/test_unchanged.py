"""Files that are already there are not sent again (issue 16, item 4): put and
get, and their -r forms, skip a file whose target has the same size and digest
(--force sends it anyway) and say how many they skipped. A skipped file keeps
its inode on the receiving side: nothing was written there."""

import json
import os
import unittest

from sfs_harness import ServerTestCase, read_file, write_file


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return write_file(path, data)


def inode(path):
    return os.stat(path).st_ino


class UnchangedTest(ServerTestCase):
    server_per_test = True

    def sfs(self, *args):
        return self.client.run(*args)

    def stored(self, *names):
        return os.path.join(self.server.user_dir("alice"), *names)

    def test_put_of_the_same_file_sends_nothing(self):
        local = write_file(self.client.path("a.txt"), b"AAA" * 1000)
        self.assertOk(self.sfs("put", local, "a.txt"))
        before = inode(self.stored("a.txt"))
        result = self.sfs("--json", "put", local, "a.txt")
        self.assertOk(result)
        self.assertIn("unchanged (same size and digest), not sent", result.stderr.decode())
        summary = json.loads(result.stdout)
        self.assertEqual((summary["files"], summary["unchanged"]), (0, 1))
        self.assertEqual(inode(self.stored("a.txt")), before)
        # Into a folder as well: the file there is the one compared.
        self.assertOk(self.sfs("mkdir", "docs"))
        self.assertOk(self.sfs("put", local, "docs"))
        before = inode(self.stored("docs", "a.txt"))
        result = self.sfs("put", local, "docs")
        self.assertOk(result)
        self.assertIn("not sent", result.stderr.decode())
        self.assertEqual(inode(self.stored("docs", "a.txt")), before)
        # --force sends it anyway.
        self.assertOk(self.sfs("put", "--force", local, "a.txt"))
        self.assertNotEqual(inode(self.stored("docs", "a.txt")), inode(self.stored("a.txt")))
        before = inode(self.stored("a.txt"))
        self.assertOk(self.sfs("put", "--force", local, "a.txt"))
        self.assertNotEqual(inode(self.stored("a.txt")), before)

    def test_put_of_other_content_of_the_same_size_is_sent(self):
        local = write_file(self.client.path("a.txt"), b"AAA")
        self.assertOk(self.sfs("put", local, "a.txt"))
        write_file(local, b"BBB")
        result = self.sfs("put", local, "a.txt")
        self.assertOk(result)
        self.assertNotIn("not sent", result.stderr.decode())
        self.assertEqual(read_file(self.stored("a.txt")), b"BBB")

    def test_get_of_the_same_file_fetches_nothing(self):
        write_file(self.client.path("a.txt"), b"hello\n" * 100)
        self.assertOk(self.sfs("put", "a.txt", "r.txt"))
        target = self.client.path("copy.txt")
        self.assertOk(self.sfs("get", "r.txt", target))
        before = inode(target)
        result = self.sfs("--json", "get", "r.txt", target)
        self.assertOk(result)
        self.assertIn("not fetched", result.stderr.decode())
        self.assertEqual(json.loads(result.stdout)["unchanged"], 1)
        self.assertEqual(inode(target), before)
        self.assertOk(self.sfs("get", "--force", "r.txt", target))
        self.assertNotEqual(inode(target), before)
        # A local file that differs is replaced.
        write_file(target, b"x" * 600)
        self.assertOk(self.sfs("get", "r.txt", target))
        self.assertEqual(read_file(target), b"hello\n" * 100)

    def make_tree(self, top):
        write(os.path.join(top, "one.txt"), b"1" * 100)
        write(os.path.join(top, "sub", "two.txt"), b"2" * 200)
        write(os.path.join(top, "sub", "three.txt"), b"3" * 300)

    def test_put_r_again_sends_only_what_changed(self):
        top = self.client.path("tree")
        self.make_tree(top)
        self.assertOk(self.sfs("put", "-r", top, "backup"))
        kept = inode(self.stored("backup", "sub", "two.txt"))
        write_file(os.path.join(top, "one.txt"), b"changed")
        result = self.sfs("--json", "put", "-r", top, "backup")
        self.assertOk(result)
        summary = json.loads(result.stdout)
        self.assertEqual((summary["files"], summary["unchanged"]), (1, 2))
        self.assertIn("2 unchanged file(s) skipped", result.stderr.decode())
        self.assertEqual(read_file(self.stored("backup", "one.txt")), b"changed")
        self.assertEqual(inode(self.stored("backup", "sub", "two.txt")), kept)
        result = self.sfs("--json", "put", "-r", "--force", top, "backup")
        self.assertOk(result)
        self.assertEqual(json.loads(result.stdout)["files"], 3)
        self.assertNotEqual(inode(self.stored("backup", "sub", "two.txt")), kept)

    def test_get_r_again_fetches_only_what_changed(self):
        top = self.client.path("tree")
        self.make_tree(top)
        self.assertOk(self.sfs("put", "-r", top, "backup"))
        restored = self.client.path("restored")
        self.assertOk(self.sfs("get", "-r", "backup", restored))
        kept = inode(os.path.join(restored, "sub", "two.txt"))
        write_file(os.path.join(restored, "sub", "three.txt"), b"local edit")
        result = self.sfs("--json", "get", "-r", "backup", restored)
        self.assertOk(result)
        summary = json.loads(result.stdout)
        self.assertEqual((summary["files"], summary["unchanged"]), (1, 2))
        self.assertIn("2 unchanged file(s) skipped", result.stderr.decode())
        self.assertEqual(read_file(os.path.join(restored, "sub", "three.txt")), b"3" * 300)
        self.assertEqual(inode(os.path.join(restored, "sub", "two.txt")), kept)


if __name__ == "__main__":
    unittest.main()
