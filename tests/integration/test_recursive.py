"""put -r and get -r of whole trees through the real binaries: structure and
bytes round-trip (empty folders included), failures mid-tree, local symlinks,
the --json summary and the one progress line on a terminal."""

import json
import os
import unittest

from sfs_harness import (CLIENT_BIN, EXIT_LOCAL, EXIT_NOT_FOUND, EXIT_OK, EXIT_REFUSED,
                         PtyProcess, ServerTestCase, client_env, read_file, stderr_lines,
                         stored_digest, digest_hex, write_file)


def snapshot(top):
    """{relative path: bytes, or None for a directory} of everything below top
    (symlinks are not followed and not included)."""
    tree = {}
    for directory, dirs, files in os.walk(top):
        rel = os.path.relpath(directory, top)
        for name in dirs:
            path = os.path.join(directory, name)
            if not os.path.islink(path):
                tree[os.path.normpath(os.path.join(rel, name))] = None
        for name in files:
            path = os.path.join(directory, name)
            if os.path.isfile(path) and not os.path.islink(path):
                tree[os.path.normpath(os.path.join(rel, name))] = read_file(path)
    return tree


def visible(tree):
    """The tree without the server's hidden files."""
    return {k: v for k, v in tree.items() if not any(
        part.startswith(".sfs-") for part in k.split(os.sep))}


class RecursiveTest(ServerTestCase):
    server_per_test = True

    def sfs(self, *args, **kwargs):
        return self.client.run(*args, **kwargs)

    def home(self, *names):
        return os.path.join(self.server.user_dir("alice"), *names)

    def make_tree(self, top):
        os.makedirs(os.path.join(top, "empty"))
        os.makedirs(os.path.join(top, "a", "b", "also empty"))
        os.makedirs(os.path.join(top, "spaced dir", "new\nline"))
        write_file(os.path.join(top, "root.txt"), b"at the top\n")
        write_file(os.path.join(top, "zero"), b"")
        write_file(os.path.join(top, "a", "one.bin"), os.urandom(300000))
        write_file(os.path.join(top, "a", "b", "two.txt"), b"two" * 1000)
        write_file(os.path.join(top, "spaced dir", "new\nline", "q'\"%.txt"), b"quoted")
        write_file(os.path.join(top, "spaced dir", "caf\u00e9 \U0001F600"), b"utf-8")
        return snapshot(top)

    def test_tree_round_trip_with_empty_folders(self):
        src = self.client.path("photos")
        expected = self.make_tree(src)
        result = self.sfs("put", "-r", src, "backup/photos")
        self.assertOk(result)
        self.assertEqual(result.stdout, b"")
        self.assertEqual(visible(snapshot(self.home("backup", "photos"))), expected)
        # Every stored file carries its digest, as after a single put.
        self.assertEqual(stored_digest(self.home("backup", "photos", "a", "b", "two.txt")),
                         digest_hex(b"two" * 1000))
        result = self.sfs("get", "-r", "backup/photos", self.client.path("restored"))
        self.assertOk(result)
        self.assertEqual(snapshot(self.client.path("restored")), expected)
        # Default names: put -r DIR goes to DIR's name, get -r DIR to its last name here.
        self.assertOk(self.sfs("put", "-r", "photos"))
        self.assertEqual(visible(snapshot(self.home("photos"))), expected)
        os.rename(self.client.path("photos"), self.client.path("original"))
        self.assertOk(self.sfs("get", "-r", "backup/photos/"))
        self.assertEqual(snapshot(self.client.path("photos")), expected)

    def test_again_over_an_existing_tree_replaces_files(self):
        src = self.client.path("t")
        self.make_tree(src)
        self.assertOk(self.sfs("put", "-r", src, "t"))
        write_file(os.path.join(src, "root.txt"), b"changed")
        self.assertOk(self.sfs("put", "-r", src, "t"))
        self.assertEqual(read_file(self.home("t", "root.txt")), b"changed")
        self.assertOk(self.sfs("get", "-r", "t", self.client.path("back")))
        self.assertOk(self.sfs("get", "-r", "t", self.client.path("back")))
        self.assertEqual(snapshot(self.client.path("back")), snapshot(src))

    def test_a_failed_file_mid_tree_does_not_stop_the_rest(self):
        src = self.client.path("mixed")
        os.makedirs(os.path.join(src, "m"))
        write_file(os.path.join(src, "a.txt"), b"a")
        write_file(os.path.join(src, "z.txt"), b"z")
        # A name that cannot be a remote path (not UTF-8) fails whoever runs the test...
        bad = os.path.join(os.fsencode(src), b"m", b"bad\xffname")
        write_file(bad, b"never sent")
        write_file(os.path.join(src, "m", "ok.txt"), b"ok")
        unreadable = os.geteuid() != 0  # ...an unreadable file only when not root
        if unreadable:
            write_file(os.path.join(src, "m", "locked.txt"), b"secret", mode=0)
        result = self.sfs("put", "-r", src, "mixed")
        self.assertEqual(result.returncode, EXIT_REFUSED, result)
        lines = stderr_lines(result)
        self.assertIn("sfs: failed: m/bad\ufffdname: invalid remote name: path is not valid UTF-8",
                      [line.replace("\udcff", "\ufffd") for line in lines] +
                      [line for line in lines])
        self.assertRegex(lines[-1], r"^sfs: put -r: %d item\(s\) failed, 3 file\(s\) "
                                    r"transferred$" % (2 if unreadable else 1))
        if unreadable:
            self.assertTrue(any(line.startswith("sfs: failed: m/locked.txt: ") for line in lines))
        self.assertEqual(read_file(self.home("mixed", "a.txt")), b"a")
        self.assertEqual(read_file(self.home("mixed", "m", "ok.txt")), b"ok")
        self.assertEqual(read_file(self.home("mixed", "z.txt")), b"z")
        self.assertEqual(sorted(os.listdir(self.home("mixed", "m"))), ["ok.txt"])

    def test_json_summary(self):
        src = self.client.path("j")
        os.makedirs(os.path.join(src, "e"))
        write_file(os.path.join(src, "f1"), b"12345")
        write_file(os.path.join(os.fsencode(src), b"\xfe"), b"x")
        os.symlink("/etc/passwd", os.path.join(src, "link"))
        result = self.sfs("--json", "put", "-r", src, "j")
        self.assertEqual(result.returncode, EXIT_REFUSED, result)
        summary = json.loads(result.stdout)
        self.assertEqual(summary["command"], "put")
        self.assertEqual((summary["files"], summary["bytes"], summary["directories"]), (1, 5, 2))
        self.assertEqual(summary["skipped"], ["link"])
        self.assertEqual(len(summary["failed"]), 1)
        self.assertEqual(summary["failed"][0]["path"], "\ufffd")
        self.assertEqual(summary["failed"][0]["error"], "BADPATH")
        self.assertFalse(summary["ok"])
        result = self.sfs("--json", "get", "-r", "j", self.client.path("jj"))
        self.assertOk(result)
        self.assertEqual(json.loads(result.stdout),
                         {"command": "get", "files": 1, "bytes": 5, "directories": 2,
                          "unchanged": 0, "skipped": [], "failed": [], "ok": True})

    def test_local_symlinks_are_skipped_with_a_warning(self):
        src = self.client.path("links")
        outside = self.client.path("outside")
        os.makedirs(outside)
        write_file(os.path.join(outside, "secret"), b"not to be uploaded")
        os.makedirs(src)
        write_file(os.path.join(src, "real.txt"), b"real")
        os.symlink(outside, os.path.join(src, "dirlink"))
        os.symlink(os.path.join(outside, "secret"), os.path.join(src, "filelink"))
        os.mkfifo(os.path.join(src, "fifo"))
        result = self.sfs("put", "-r", src, "links")
        self.assertOk(result)
        self.assertEqual(sorted(stderr_lines(result)),
                         ["sfs: skipping special file fifo", "sfs: skipping symlink dirlink",
                          "sfs: skipping symlink filelink"])
        self.assertEqual(sorted(os.listdir(self.home("links"))), ["real.txt"])

    def test_get_r_never_writes_through_a_local_symlink(self):
        src = self.client.path("s")
        os.makedirs(os.path.join(src, "sub"))
        write_file(os.path.join(src, "sub", "f"), b"payload")
        write_file(os.path.join(src, "top"), b"top")
        self.assertOk(self.sfs("put", "-r", src, "s"))
        target = self.client.path("dest")
        elsewhere = self.client.path("elsewhere")
        os.makedirs(target)
        os.makedirs(elsewhere)
        os.symlink(elsewhere, os.path.join(target, "sub"))
        result = self.sfs("get", "-r", "s", target)
        self.assertEqual(result.returncode, EXIT_LOCAL, result)
        self.assertEqual(os.listdir(elsewhere), [])
        self.assertEqual(read_file(os.path.join(target, "top")), b"top")
        self.assertIn("sfs: failed: sub: not a directory (or a symlink): %s/sub" % target,
                      stderr_lines(result))

    def test_errors_for_the_top(self):
        write_file(self.client.path("file"), b"f")
        self.assertFails(self.sfs("put", "-r", self.client.path("nothing"), "x"), EXIT_NOT_FOUND)
        self.assertFails(self.sfs("put", "-r", self.client.path("file"), "x"), EXIT_LOCAL)
        self.assertOk(self.sfs("put", self.client.path("file"), "remote-file"))
        self.assertFails(self.sfs("get", "-r", "remote-file"), EXIT_REFUSED,
                         "not a directory: remote-file (get -r takes a directory)")
        self.assertFails(self.sfs("get", "-r", "missing"), EXIT_NOT_FOUND)
        self.assertFalse(os.path.exists(self.client.path("missing")))

    def test_one_progress_line_on_a_terminal(self):
        src = self.client.path("p")
        os.makedirs(os.path.join(src, "d"))
        for i in range(3):
            write_file(os.path.join(src, "d", "f%d" % i), os.urandom(100000))
        args = [CLIENT_BIN] + self.client.common_args() + ["put", "-r", "p", "p"]
        term = PtyProcess(args, cwd=self.client.cwd,
                          env=client_env(self.client.config_home, self.client.password))
        self.addCleanup(term.close)
        status, output = term.finish()
        self.assertEqual(status, EXIT_OK, output)
        self.assertIn(b"put -r p  3/3 files  293.0 KiB / 293.0 KiB  100%", output)
        self.assertNotIn(b"put p/d/f0", output)  # no per-file bars
        self.assertEqual(output.count(b"\n"), 1)  # one line, redrawn with \r


if __name__ == "__main__":
    unittest.main()
