"""Folders through the real binaries: nested put/get/view/rm/hash, mkdir (-p),
rmdir, mv, stat, ls -l/-R, awkward names, --json, and the new verbs on the
wire (symlink escapes, other users, reserved names)."""

import json
import os
import unittest

from sfs_harness import (EXIT_NOT_FOUND, EXIT_OK, EXIT_REFUSED, EXIT_TOO_LARGE, RawConnection,
                         ServerTestCase, parse_listing, percent_encode, read_file, digest_hex,
                         stderr_lines, stored_digest, write_file, on_disk_only)

# Names that must survive every command: spaces, quotes, a newline, '%', UTF-8.
AWKWARD = ["with space.txt", "quote's \"double\".txt", "new\nline.txt", "100% sure.txt",
           "caf\u00e9 \u65e5\u672c \U0001F600.txt"]


class FolderCommandsTest(ServerTestCase):
    server_per_test = True  # each test looks at the whole of alice's tree

    def sfs(self, *args, **kwargs):
        return self.client.run(*args, **kwargs)

    def ok(self, *args):
        result = self.sfs(*args)
        self.assertOk(result)
        return result

    def home(self, *names):
        return os.path.join(self.server.user_dir("alice"), *names)

    def upload(self, data, remote, local="src.bin"):
        write_file(self.client.path(local), data)
        self.ok("put", self.client.path(local), remote)

    @on_disk_only("checks folder modes")
    def test_nested_put_creates_parents_and_every_command_takes_nested_paths(self):
        data = b"nested content\n" * 100
        self.upload(data, "docs/2026/a.txt")
        self.assertEqual(read_file(self.home("docs", "2026", "a.txt")), data)
        self.assertEqual(os.stat(self.home("docs")).st_mode & 0o777, 0o700)
        self.ok("get", "docs/2026/a.txt", self.client.path("back.txt"))
        self.assertEqual(read_file(self.client.path("back.txt")), data)
        # Without LOCAL, get writes the last component here.
        self.ok("get", "docs/2026/a.txt")
        self.assertEqual(read_file(self.client.path("a.txt")), data)
        self.assertEqual(self.ok("view", "docs/2026/a.txt", "--bytes", "14").stdout,
                         b"nested content")
        self.assertEqual(self.ok("hash", "docs/2026/a.txt").stdout.decode(),
                         "%s  docs/2026/a.txt\n" % digest_hex(data))
        self.ok("rm", "docs/2026/a.txt")
        self.assertFalse(os.path.exists(self.home("docs", "2026", "a.txt")))
        self.assertTrue(os.path.isdir(self.home("docs", "2026")))

    def test_put_into_an_existing_folder(self):
        self.ok("mkdir", "inbox")
        write_file(self.client.path("report.pdf"), b"pdf")
        self.ok("put", self.client.path("report.pdf"), "inbox")
        self.assertEqual(read_file(self.home("inbox", "report.pdf")), b"pdf")
        # A trailing '/' means "into this folder", created if missing.
        self.ok("put", self.client.path("report.pdf"), "outbox/")
        self.assertEqual(read_file(self.home("outbox", "report.pdf")), b"pdf")

    def test_mkdir_rmdir(self):
        self.ok("mkdir", "a")
        result = self.sfs("mkdir", "a")
        self.assertFails(result, EXIT_REFUSED, "already exists: a")
        self.assertFails(self.sfs("mkdir", "x/y"), EXIT_NOT_FOUND)
        self.ok("mkdir", "-p", "x/y/z")
        self.ok("mkdir", "-p", "x/y/z")
        self.assertTrue(os.path.isdir(self.home("x", "y", "z")))
        self.assertFails(self.sfs("rmdir", "x"), EXIT_REFUSED,
                         "directory not empty: x (rm -r deletes it with everything in it)")
        self.upload(b"f", "x/y/file")
        self.assertFails(self.sfs("rmdir", "x/y/file"), EXIT_REFUSED, "not a directory: x/y/file")
        self.assertFails(self.sfs("rm", "x/y/z"), EXIT_REFUSED)
        self.ok("rmdir", "x/y/z")
        self.assertFalse(os.path.exists(self.home("x", "y", "z")))
        self.assertFails(self.sfs("rmdir", "nothing"), EXIT_NOT_FOUND)

    def test_mv(self):
        self.upload(b"A", "a.txt")
        self.ok("mkdir", "docs")
        self.ok("mv", "a.txt", "docs")
        self.assertEqual(read_file(self.home("docs", "a.txt")), b"A")
        self.ok("move", "docs/a.txt", "docs/renamed.txt")
        self.assertEqual(sorted(os.listdir(self.home("docs"))), ["renamed.txt"])
        # A directory moves with its contents; not into itself.
        self.ok("mkdir", "-p", "tree/sub")
        self.upload(b"deep", "tree/sub/f")
        self.assertFails(self.sfs("mv", "tree", "tree/sub"), EXIT_REFUSED,
                         "cannot move a directory into itself: tree -> tree/sub/tree")
        self.ok("mv", "tree", "docs/tree")
        self.assertEqual(read_file(self.home("docs", "tree", "sub", "f")), b"deep")
        self.assertFalse(os.path.exists(self.home("tree")))
        self.assertFails(self.sfs("mv", "missing", "x"), EXIT_NOT_FOUND)
        self.assertFails(self.sfs("mv", "docs/renamed.txt", "no/such/dir"), EXIT_NOT_FOUND)

    def test_ls_of_a_folder_long_and_recursive(self):
        self.upload(b"12345", "top.txt")
        self.upload(b"abc", "d/e/inner.txt")
        self.ok("mkdir", "-p", "d/empty")
        top = parse_listing(self.ok("ls").stdout)
        self.assertEqual(sorted(top), ["d/", "top.txt"])
        self.assertEqual(top["top.txt"], 5)
        listing = parse_listing(self.ok("ls", "d").stdout)
        self.assertEqual(sorted(listing), ["e/", "empty/"])
        recursive = self.ok("ls", "-R").stdout.decode().splitlines()
        names = [line.split("  ")[-1] for line in recursive]
        self.assertEqual(names, ["d/", "d/e/", "d/e/inner.txt", "d/empty/", "top.txt"])
        long = self.ok("ls", "-l", "d/e").stdout.decode()
        self.assertEqual(long.split(), ["f", "3", long.split()[2], long.split()[3],
                                        digest_hex(b"abc"), "inner.txt"])
        # ls of a file lists that file.
        self.assertEqual(list(parse_listing(self.ok("ls", "d/e/inner.txt").stdout)),
                         ["inner.txt"])
        self.assertFails(self.sfs("ls", "nothing"), EXIT_NOT_FOUND)

    def test_stat(self):
        self.upload(b"hello", "s/f.txt")
        out = self.ok("stat", "s/f.txt").stdout.decode().splitlines()
        self.assertEqual(out[0], "path: s/f.txt")
        self.assertEqual(out[1], "type: file")
        self.assertEqual(out[2], "size: 5")
        self.assertRegex(out[3], r"^modified: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
        self.assertEqual(out[4], "xxh128: " + digest_hex(b"hello"))
        self.assertIn("type: directory", self.ok("stat", "s").stdout.decode())
        self.assertFails(self.sfs("stat", "s/none"), EXIT_NOT_FOUND)

    def test_awkward_names_in_every_command(self):
        for i, name in enumerate(AWKWARD):
            with self.subTest(name=name):
                folder = "dir %d/sub\nfolder %%" % i
                data = name.encode() * 3
                write_file(self.client.path("local%d" % i), data)
                self.ok("put", self.client.path("local%d" % i), folder + "/" + name)
                remote = folder + "/" + name
                self.assertEqual(read_file(self.home("dir %d" % i, "sub\nfolder %", name)), data)
                self.assertEqual(self.ok("view", remote).stdout, data)
                self.assertIn(digest_hex(data).encode(), self.ok("hash", remote).stdout)
                self.ok("mv", remote, folder + "/moved " + name)
                self.ok("get", folder + "/moved " + name, self.client.path("got"))
                self.assertEqual(read_file(self.client.path("got")), data)
                stat = json.loads(self.ok("--json", "stat", folder + "/moved " + name).stdout)
                self.assertEqual(stat["name"], "moved " + name)
                self.assertEqual(stat["path"], folder + "/moved " + name)
                listing = json.loads(self.ok("--json", "ls", folder).stdout)
                self.assertEqual([e["name"] for e in listing], ["moved " + name])
                self.ok("rm", folder + "/moved " + name)
                self.ok("rmdir", folder)
                self.ok("rmdir", "dir %d" % i)
        self.assertEqual(os.listdir(self.home()), [])

    def test_invalid_and_reserved_names_get_one_clear_line(self):
        for args, message in (
                (["mkdir", "a/../../b"], "'..' leads above your top directory: a/../../b"),
                (["mkdir", ".sfs-tmp-x"], "names starting with .sfs- are reserved"),
                (["mv", "a", "b/.sfs-part-1"], "names starting with .sfs- are reserved"),
                (["ls", "../u"], "'..' leads above your top directory: ../u"),
                (["rmdir", "a/.sfs-part-1"], "names starting with .sfs- are reserved"),
                (["mkdir", b"bad\xffutf8"], "path is not valid UTF-8"),
                (["stat", b"caf\xc3"], "path is not valid UTF-8"),
                (["put", "-r", self.client.cwd, b"\xff"], "path is not valid UTF-8")):
            with self.subTest(args=args):
                result = self.sfs(*[os.fsdecode(a) if isinstance(a, bytes) else a for a in args])
                self.assertFails(result, EXIT_REFUSED, message)
        self.assertEqual(os.listdir(self.home()), [])

    def test_json_output(self):
        self.upload(b"json!", "j/one.txt")
        self.ok("mkdir", "j/empty")
        ls = json.loads(self.ok("--json", "ls", "-R").stdout)
        self.assertEqual([(e["path"], e["type"]) for e in ls],
                         [("j", "directory"), ("j/empty", "directory"), ("j/one.txt", "file")])
        one = ls[2]
        self.assertEqual(set(one), {"path", "name", "type", "size", "mtime", "digest"})
        self.assertEqual((one["name"], one["size"], one["digest"]),
                         ("one.txt", 5, digest_hex(b"json!")))
        self.assertIsNone(ls[0]["digest"])
        self.assertEqual(json.loads(self.ok("--json", "ls", "j/empty").stdout), [])
        self.assertEqual(json.loads(self.ok("--json", "hash", "j/one.txt").stdout),
                         {"path": "j/one.txt", "digest": digest_hex(b"json!")})
        stat = json.loads(self.ok("--json", "stat", "j").stdout)
        self.assertEqual((stat["type"], stat["path"], stat["name"]), ("directory", "j", "j"))
        write_file(self.client.path("up"), b"12345678")
        put = json.loads(self.ok("--json", "put", self.client.path("up"), "j/up").stdout)
        self.assertEqual(put, {"command": "put", "files": 1, "bytes": 8, "directories": 0,
                               "unchanged": 0, "skipped": [], "failed": [], "ok": True})
        get = json.loads(self.ok("--json", "get", "j/up", self.client.path("down")).stdout)
        self.assertEqual((get["command"], get["files"], get["bytes"], get["ok"]),
                         ("get", 1, 8, True))
        failed = self.sfs("--json", "get", "j/missing", self.client.path("m"))
        self.assertEqual(failed.returncode, EXIT_NOT_FOUND)
        summary = json.loads(failed.stdout)
        self.assertEqual(summary["failed"][0]["path"], "j/missing")
        self.assertEqual(summary["failed"][0]["error"], "NOTFOUND")
        self.assertFalse(summary["ok"])
        # Without --json the human output is unchanged.
        self.assertEqual(self.ok("hash", "j/one.txt").stdout.decode(),
                         "%s  j/one.txt\n" % digest_hex(b"json!"))

    def test_json_escapes_newlines_and_quotes(self):
        name = "a \"q\"\n\\ b\t%"
        self.upload(b"x", name)
        raw = self.ok("--json", "ls").stdout
        self.assertNotIn(b"\n\\", raw)
        self.assertEqual(raw.count(b"\n"), 1)  # one line: the newline in the name is escaped
        self.assertEqual(json.loads(raw)[0]["name"], name)

    @on_disk_only("damages a stored file")
    def test_quota_counts_nested_files(self):
        self.upload(b"v" * 10, "q/a/b/c.bin")
        result = self.ok("verify")
        self.assertIn(b"1 file(s) checked", result.stdout)
        with open(self.home("q", "a", "b", "c.bin"), "r+b") as f:
            f.write(b"X")
        result = self.sfs("verify")
        self.assertNotEqual(result.returncode, EXIT_OK)
        self.assertIn(b"corrupt: q/a/b/c.bin", result.stdout)


class QuotaNestedTest(ServerTestCase):
    server_kwargs = {"extra_args": ["--quota-bytes", "100"]}

    def test_nested_files_count_against_the_quota(self):
        write_file(self.client.path("sixty"), b"6" * 60)
        self.assertOk(self.client.run("put", self.client.path("sixty"), "a/b/c/one"))
        result = self.client.run("put", self.client.path("sixty"), "x/y/two")
        self.assertFails(result, EXIT_TOO_LARGE)
        self.assertIn(b"quota exceeded", result.stderr)


class FolderWireTest(ServerTestCase):
    """The new verbs by hand: symlinks, other users, reserved names, depth."""

    def raw(self, user="alice"):
        conn = RawConnection(self.server.port)
        self.addCleanup(conn.close)
        self.assertEqual(conn.greet_and_login(user, self.server.users[user]), "OK")
        return conn

    @on_disk_only("plants symlinks")
    def test_symlinks_and_other_users_are_out_of_reach(self):
        home = self.server.user_dir("alice")
        bob = self.server.user_dir("bob")
        conn = self.raw()
        self.assertEqual(conn.command("MKDIR real 0"), "OK")
        self.raw("bob")  # creates bob's directory
        write_file(os.path.join(bob, "bobs.txt"), b"bob's")
        os.symlink(bob, os.path.join(home, "to-bob"))
        os.symlink(os.path.join(bob, "bobs.txt"), os.path.join(home, "bobs-link"))
        for line in ("MKDIR to-bob%2Fnew 0", "MKDIR to-bob%2Fa%2Fb 1", "RMDIR to-bob",
                     "MOVE to-bob%2Fbobs.txt mine", "MOVE real to-bob", "MOVE real to-bob%2Freal",
                     "MOVE bobs-link real", "STAT to-bob", "STAT bobs-link", "LIST to-bob",
                     "STAT to-bob%2Fbobs.txt"):
            with self.subTest(line=line):
                reply = conn.command(line)
                self.assertTrue(reply.startswith("ERR BADPATH "), "%r -> %r" % (line, reply))
        for line in ("MOVE real ..%2Fbob%2Freal", "MKDIR ..%2Fbob%2Fx 1", "STAT ..%2Fbob",
                     "LIST ..", "MOVE ..%2Fbob%2Fbobs.txt x", "RMDIR %2Ftmp"):
            with self.subTest(line=line):
                self.assertTrue(conn.command(line).startswith("ERR BADPATH "), line)
        self.assertEqual(sorted(os.listdir(bob)), ["bobs.txt"])
        self.assertEqual(read_file(os.path.join(bob, "bobs.txt")), b"bob's")
        self.assertTrue(os.path.isdir(os.path.join(home, "real")))

    def test_replies(self):
        conn = self.raw()
        self.assertEqual(conn.command("MKDIR w%20x 0"), "OK")
        self.assertEqual(conn.command("MKDIR w%20x 0"), "ERR EXISTS already exists: w x")
        self.assertEqual(conn.command("MKDIR w%20x 1"), "OK")
        offer, done = conn.put("w x/f", b"data")
        self.assertEqual(done, "OK 4 " + digest_hex(b"data"))
        self.assertEqual(conn.command("MOVE w%20x%2Ff w%20x%2Fg"), "OK w%20x/g")
        reply = conn.command("STAT w%20x%2Fg")
        fields = reply.split(" ")
        self.assertEqual((fields[0], fields[1], fields[2], fields[4], fields[5]),
                         ("OK", "f", "4", digest_hex(b"data"), "w%20x/g"))
        self.assertEqual(conn.command("LIST w%20x"), "OK 1")
        self.assertEqual(conn.read_line().split(" ")[-1], "g")
        self.assertEqual(conn.command("LIST w%20x%2Fg"), "ERR NOTDIR not a directory: w x/g")
        self.assertEqual(conn.command("RMDIR w%20x"), "ERR NOTEMPTY directory not empty: w x")
        # PUT on the wire does not create parents (the client does, with MKDIR).
        self.assertTrue(conn.command("PUT no%2Fsuch 1").startswith("ERR NOTFOUND "))
        self.assertEqual(conn.command("MKDIR a 2")[:11], "ERR BADCMD ")
        deep = "/".join(["d"] * 65)
        self.assertTrue(conn.command("MKDIR %s 1" % percent_encode(deep)).startswith(
            "ERR TOOLARGE "))
        self.assertFalse(os.path.exists(os.path.join(self.server.user_dir("alice"), "d")))
        self.assertEqual(conn.command("LIST").split(" ")[0], "OK")
        self.assertEqual(stored_digest(os.path.join(self.server.user_dir("alice"), "w x", "g")),
                         digest_hex(b"data"))


if __name__ == "__main__":
    unittest.main()
