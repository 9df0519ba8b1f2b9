"""`sfs sync SOURCE DEST` (issue 16, item 4): a one-way, digest-based mirror of
a folder tree, local to remote (`sync DIR :FOLDER`) and remote to local
(`sync :FOLDER DIR`), with --delete, --dry-run, --exclude, a summary and
--json; from the command line and in batch mode."""

import json
import os
import time
import unittest

from sfs_harness import EXIT_REFUSED, ServerTestCase, read_file, stderr_lines, write_file


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return write_file(path, data)


def snapshot(top):
    """{relative path: bytes, or None for a folder}, without the server's hidden files."""
    tree = {}
    for directory, dirs, files in os.walk(top):
        rel = os.path.relpath(directory, top)
        for name in dirs:
            tree[os.path.normpath(os.path.join(rel, name))] = None
        for name in files:
            if not name.startswith(".sfs-"):
                tree[os.path.normpath(os.path.join(rel, name))] = read_file(
                    os.path.join(directory, name))
    return {k: v for k, v in tree.items() if not any(p.startswith(".sfs-") for p in k.split("/"))}


class SyncTest(ServerTestCase):
    server_per_test = True

    def sfs(self, *args, **kwargs):
        return self.client.run(*args, **kwargs)

    def stored(self, *names):
        return os.path.join(self.server.user_dir("alice"), *names)

    def make_tree(self, top):
        write(os.path.join(top, "a.txt"), b"A" * 100)
        write(os.path.join(top, "docs", "b.txt"), b"B" * 200)
        write(os.path.join(top, "docs", "deep", "c.bin"), os.urandom(5000))
        os.makedirs(os.path.join(top, "empty"))
        return snapshot(top)

    def sync_json(self, *args):
        result = self.sfs("--json", "sync", *args)
        self.assertOk(result)
        return json.loads(result.stdout)

    def test_upload_then_nothing_to_do(self):
        top = self.client.path("photos")
        expected = self.make_tree(top)
        result = self.sfs("sync", top, ":backup/photos")
        self.assertOk(result)
        self.assertIn(b"sync: 3 sent", result.stdout)
        self.assertEqual(snapshot(self.stored("backup", "photos")), expected)
        inodes = {name: os.stat(self.stored("backup", "photos", name)).st_ino
                  for name in ("a.txt", "docs/b.txt", "docs/deep/c.bin")}
        again = self.sync_json(top, ":backup/photos")
        self.assertEqual((again["sent"], again["unchanged"], again["deleted"]), (0, 3, 0))
        self.assertEqual(again["changes"], [])
        self.assertTrue(again["ok"])
        for name, number in inodes.items():
            self.assertEqual(os.stat(self.stored("backup", "photos", name)).st_ino, number, name)
        # One changed file is the only one sent.
        write(os.path.join(top, "docs", "b.txt"), b"b" * 200)
        changed = self.sync_json(top, ":backup/photos")
        self.assertEqual((changed["sent"], changed["unchanged"]), (1, 2))
        self.assertEqual(changed["changes"], ["send docs/b.txt"])
        self.assertEqual(read_file(self.stored("backup", "photos", "docs", "b.txt")), b"b" * 200)

    def test_local_digests_are_remembered_by_file_identity(self):
        """The client remembers the digests of the local files it hashed
        (~/.cache/sfs/digests.d/, a file per low byte of the inode), keyed by device, inode, size, modification
        and change time: a file that still matches is not read again, and any
        write (which moves the change time) makes it read again. Shown with a
        planted entry that claims the remote content for a file holding other
        bytes of the same size."""
        top = self.client.path("tree")
        local = os.path.join(top, "f.txt")
        write(local, b"old!")
        self.assertOk(self.sfs("sync", top, ":mirror"))
        write(local, b"new!")
        digest = self.sfs("hash", "mirror/f.txt").stdout.split()[0].decode()
        st = os.stat(local)
        cache = os.path.join(self.client.config_home, ".cache", "sfs", "digests.d",
                             "%02x" % (st.st_ino % 256))
        os.makedirs(os.path.dirname(cache), exist_ok=True)
        with open(cache, "w") as f:
            f.write("sfs-local-digests 1\n%d %d %d %d %d %s\n" % (
                st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, digest))
        trusted = self.sync_json(top, ":mirror")
        self.assertEqual((trusted["sent"], trusted["unchanged"]), (0, 1))
        self.assertEqual(read_file(self.stored("mirror", "f.txt")), b"old!")
        # Its times set back as they were: the change time still moved.
        os.utime(local, ns=(st.st_atime_ns, st.st_mtime_ns))
        self.assertNotEqual(os.stat(local).st_ctime_ns, st.st_ctime_ns)
        read_again = self.sync_json(top, ":mirror")
        self.assertEqual((read_again["sent"], read_again["unchanged"]), (1, 0))
        self.assertEqual(read_file(self.stored("mirror", "f.txt")), b"new!")

    def test_uploads_remember_the_digests_they_sent(self):
        """A file sent by sync (a small one whole, a big one streamed) has its
        digest remembered, so the next sync of the unchanged tree reads
        nothing; a file written within a second of being read is not (its
        change time might not move again for a write in the same tick)."""
        top = self.client.path("aged")
        write(os.path.join(top, "small.txt"), b"s" * 100)
        write(os.path.join(top, "big.bin"), os.urandom(3 * 1024 * 1024))
        time.sleep(1.2)  # older than a second when the sync reads them
        write(os.path.join(top, "fresh.txt"), b"f" * 10)
        self.assertOk(self.sfs("sync", top, ":aged"))
        cache = os.path.join(self.client.config_home, ".cache", "sfs", "digests.d")
        remembered = {}
        for part in os.listdir(cache):  # one file per low byte of the inode
            self.assertEqual(os.stat(os.path.join(cache, part)).st_mode & 0o777, 0o600)
            with open(os.path.join(cache, part)) as f:
                lines = f.read().splitlines()
            self.assertEqual(lines[0], "sfs-local-digests 1")
            for line in lines[1:]:
                self.assertEqual("%02x" % (int(line.split()[1]) % 256), part)
                remembered[int(line.split()[1])] = line.split()[5]
        for name in ("small.txt", "big.bin"):
            digest = self.sfs("hash", "aged/" + name).stdout.split()[0].decode()
            inode = os.stat(os.path.join(top, name)).st_ino
            self.assertEqual(remembered.get(inode), digest, name)
        self.assertNotIn(os.stat(os.path.join(top, "fresh.txt")).st_ino, remembered)

    def test_delete_removes_what_the_source_lacks(self):
        top = self.client.path("photos")
        self.make_tree(top)
        self.assertOk(self.sfs("sync", top, ":p"))
        os.unlink(os.path.join(top, "docs", "deep", "c.bin"))
        os.rmdir(os.path.join(top, "docs", "deep"))
        os.unlink(os.path.join(top, "a.txt"))
        write(os.path.join(top, "new.txt"), b"new")
        # Without --delete the extra files stay.
        plain = self.sync_json(top, ":p")
        self.assertEqual((plain["sent"], plain["deleted"]), (1, 0))
        self.assertTrue(os.path.exists(self.stored("p", "a.txt")))
        deleting = self.sync_json("--delete", top, ":p")
        self.assertEqual(deleting["deleted"], 3)  # a.txt, docs/deep/c.bin, docs/deep
        self.assertEqual(snapshot(self.stored("p")), snapshot(top))

    def test_dry_run_changes_nothing(self):
        top = self.client.path("photos")
        self.make_tree(top)
        self.assertOk(self.sfs("sync", top, ":p"))
        write(os.path.join(top, "new.txt"), b"new")
        os.unlink(os.path.join(top, "a.txt"))
        before = snapshot(self.stored("p"))
        result = self.sfs("sync", "--dry-run", "--delete", top, ":p")
        self.assertOk(result)
        lines = result.stdout.decode().splitlines()
        self.assertIn("would delete a.txt", lines)
        self.assertIn("would send new.txt", lines)
        self.assertTrue(lines[-1].startswith("sync: 1 sent"), lines)
        self.assertIn("1 deleted", lines[-1])
        self.assertIn("dry run: nothing was changed", lines[-1])
        self.assertEqual(snapshot(self.stored("p")), before)

    def test_exclude_leaves_paths_out_on_both_sides(self):
        top = self.client.path("photos")
        self.make_tree(top)
        write(os.path.join(top, "scratch.tmp"), b"tmp")
        write(os.path.join(top, "cache", "x.txt"), b"cached")
        summary = self.sync_json("--exclude", "*.tmp", top, ":p")
        self.assertFalse(os.path.exists(self.stored("p", "scratch.tmp")))
        self.assertTrue(os.path.exists(self.stored("p", "cache", "x.txt")))
        self.assertEqual(summary["sent"], 4)
        # --delete spares excluded paths.
        write(self.stored("p", "remote-only.tmp"), b"kept")
        summary = self.sync_json("--delete", "--exclude", "*.tmp", top, ":p")
        self.assertEqual(summary["deleted"], 0)
        self.assertTrue(os.path.exists(self.stored("p", "remote-only.tmp")))
        # An excluded folder takes its contents along, on both sides.
        os.unlink(os.path.join(top, "cache", "x.txt"))
        os.rmdir(os.path.join(top, "cache"))
        summary = self.sync_json("--delete", "--exclude", "cache", top, ":p")
        self.assertEqual(summary["changes"], ["delete remote-only.tmp", "send scratch.tmp"])
        self.assertTrue(os.path.exists(self.stored("p", "cache", "x.txt")))

    def test_several_excludes_each_leave_their_paths_out(self):
        top = self.client.path("photos")
        self.make_tree(top)
        write(os.path.join(top, "scratch.tmp"), b"tmp")
        write(os.path.join(top, "cache", "x.txt"), b"cached")
        summary = self.sync_json("--exclude", "*.tmp", "--exclude", "cache", top, ":p")
        self.assertEqual(summary["sent"], 3)
        self.assertFalse(os.path.exists(self.stored("p", "scratch.tmp")))
        self.assertFalse(os.path.exists(self.stored("p", "cache")))
        # The same in batch mode, where the shell's parser reads the flags.
        batch = write_file(self.client.path("cmds.sfs"),
                           b"sync --exclude *.tmp --exclude a.txt photos :q\n")
        self.assertOk(self.sfs("-b", batch))
        self.assertFalse(os.path.exists(self.stored("q", "scratch.tmp")))
        self.assertFalse(os.path.exists(self.stored("q", "a.txt")))
        self.assertTrue(os.path.exists(self.stored("q", "cache", "x.txt")))

    def test_download_mirrors_and_keeps_times(self):
        top = self.client.path("photos")
        self.make_tree(top)
        os.utime(os.path.join(top, "a.txt"), (1577836800, 1577836800))
        self.assertOk(self.sfs("sync", top, ":p"))
        restored = self.client.path("restored")
        summary = self.sync_json(":p", restored)
        self.assertEqual(summary["direction"], "down")
        self.assertEqual(summary["sent"], 3)
        self.assertEqual(snapshot(restored), snapshot(top))
        self.assertEqual(int(os.stat(os.path.join(restored, "a.txt")).st_mtime), 1577836800)
        inode = os.stat(os.path.join(restored, "docs", "b.txt")).st_ino
        write(os.path.join(restored, "extra.txt"), b"extra")
        again = self.sync_json("--delete", ":p", restored)
        self.assertEqual((again["sent"], again["unchanged"], again["deleted"]), (0, 3, 1))
        self.assertEqual(os.stat(os.path.join(restored, "docs", "b.txt")).st_ino, inode)
        self.assertFalse(os.path.exists(os.path.join(restored, "extra.txt")))

    def test_operands_need_one_remote_side(self):
        os.makedirs(self.client.path("photos"))
        for args in (("photos", "backup"), (":a", ":b")):
            result = self.sfs("sync", *args)
            self.assertEqual(result.returncode, EXIT_REFUSED, result.stderr)
            self.assertIn("mark the remote side with a leading ':'", result.stderr.decode())
        result = self.sfs("sync", "missing", ":backup")
        self.assertEqual(result.returncode, 4, result.stderr)  # not found
        self.assertIn("not a local directory: missing", stderr_lines(result)[-1])
        # A download from a remote folder that is not there makes nothing locally;
        # one from an empty folder makes the local folder and sends nothing.
        restored = self.client.path("restored")
        result = self.sfs("sync", ":nosuch", restored)
        self.assertEqual(result.returncode, 4, result.stderr)
        self.assertEqual(stderr_lines(result)[-1], "sfs: no such remote folder: nosuch")
        self.assertFalse(os.path.exists(restored))
        self.assertOk(self.sfs("mkdir", "emptyd"))
        self.assertEqual(self.sync_json(":emptyd", restored)["sent"], 0)
        self.assertEqual(os.listdir(restored), [])

    def test_batch_mode_syncs_below_the_working_folder(self):
        top = self.client.path("photos")
        expected = self.make_tree(top)
        batch = write_file(self.client.path("cmds.sfs"),
                           b"mkdir work\ncd work\nsync photos :copy\nsync photos :copy\n")
        result = self.sfs("-b", batch)
        self.assertOk(result)
        lines = result.stdout.decode().splitlines()
        self.assertTrue(any(line.startswith("sync: 3 sent") for line in lines), lines)
        self.assertTrue(any(line.startswith("sync: 0 sent") and "3 unchanged" in line
                            for line in lines), lines)
        self.assertEqual(snapshot(self.stored("work", "copy")), expected)


if __name__ == "__main__":
    unittest.main()
