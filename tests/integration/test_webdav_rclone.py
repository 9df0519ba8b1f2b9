"""rclone (the Debian package, webdav backend) against the HTTPS face: a tree
with odd names (spaces, %, unicode, a 5 MiB file, empty files and folders)
copied up and down; `rclone check` finds no differences and the bytes are
compared here too; with --webdav-vendor owncloud (X-OC-Mtime on PUT) the
modification times survive. rclone's config and cache live in a temp dir,
never the user's; it trusts the server through --ca-cert."""

import os
import shutil
import subprocess
import unittest

from sfs_harness import WebDavCase, dav_url, read_file, write_file

RCLONE = shutil.which("rclone")
RCLONE_TIMEOUT = 300

# name -> content (None: a folder); names as rclone must carry them.
TREE = {
    "plain.txt": b"plain\n",
    "with space.txt": b"spaces\n",
    "per%cent 100%.txt": b"percent\n",
    "\u00fcn\u00efc\u00f6d\u00e9 \u2603.txt": "snow \u2603\n".encode(),
    "hash#and?query.txt": b"odd\n",
    "empty.txt": b"",
    "big.bin": None,  # 5 MiB, made in setUp
    "empty folder": None,
    "sub dir": None,
    "sub dir/deeper \u00e9": None,
    "sub dir/deeper \u00e9/leaf.txt": b"leaf\n",
    "sub dir/empty too.txt": b"",
}
BIG = 5 << 20
MTIME = 1234567890  # 2009-02-13T23:31:30Z


def files_under(root):
    """{relative path: bytes} of every file, and the set of every folder."""
    files, dirs = {}, set()
    for here, subdirs, names in os.walk(root):
        rel = os.path.relpath(here, root)
        for d in subdirs:
            dirs.add(os.path.normpath(os.path.join(rel, d)))
        for n in names:
            files[os.path.normpath(os.path.join(rel, n))] = read_file(os.path.join(here, n))
    return files, dirs


@unittest.skipIf(RCLONE is None, "rclone is not installed (scripts/install-deps)")
class RcloneTest(WebDavCase):
    def setUp(self):
        super().setUp()
        self.home = self.new_temp_dir()
        self.source = os.path.join(self.home, "source")
        os.mkdir(self.source)
        for name, content in TREE.items():
            path = os.path.join(self.source, name)
            if name == "big.bin":
                write_file(path, os.urandom(BIG))
            elif content is None:
                os.makedirs(path, exist_ok=True)
            else:
                write_file(path, content)
        for here, _, names in os.walk(self.source):
            for n in names:
                os.utime(os.path.join(here, n), (MTIME, MTIME))

    def rclone(self, *args, vendor="other"):
        """Runs rclone with a remote `sfs:` of its own config in the temp dir."""
        password = self.server.users["alice"]
        obscured = subprocess.run([RCLONE, "obscure", password], capture_output=True, check=True,
                                  timeout=60).stdout.decode().strip()
        config = os.path.join(self.home, "rclone.conf")
        with open(config, "w", encoding="utf-8") as f:
            f.write("[sfs]\ntype = webdav\nurl = %s\nvendor = %s\nuser = alice\npass = %s\n"
                    % (dav_url(self.server), vendor, obscured))
        env = dict(os.environ, HOME=self.home, XDG_CONFIG_HOME=self.home, TZ="UTC",
                   XDG_CACHE_HOME=os.path.join(self.home, "cache"))
        cmd = [RCLONE, "--config", config, "--ca-cert", self.server.cert_path,
               "--low-level-retries", "1", "--retries", "1"] + list(args)
        proc = subprocess.run(cmd, capture_output=True, env=env, timeout=RCLONE_TIMEOUT)
        self.assertEqual(proc.returncode, 0, "%r:\n%s" % (args, proc.stderr.decode(errors="replace")))
        return proc

    def round_trip(self, vendor, remote):
        self.rclone("copy", "--create-empty-src-dirs", self.source, "sfs:" + remote, vendor=vendor)
        self.rclone("check", self.source, "sfs:" + remote, vendor=vendor)
        back = os.path.join(self.home, "back-" + vendor)
        self.rclone("copy", "--create-empty-src-dirs", "sfs:" + remote, back, vendor=vendor)
        self.assertEqual(files_under(back), files_under(self.source))
        # What the sfs door sees is what rclone sent.
        got = self.client.path("via-sfs.bin")
        result = self.client.run("get", remote + "/big.bin", got)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(read_file(got), read_file(os.path.join(self.source, "big.bin")))
        return back

    def test_a_tree_with_odd_names_goes_up_and_down_unchanged(self):
        self.round_trip("other", "plain-tree")

    def test_owncloud_vendor_keeps_modification_times(self):
        back = self.round_trip("owncloud", "oc-tree")
        for name, content in TREE.items():
            if content is None and name != "big.bin":
                continue
            self.assertEqual(int(os.stat(os.path.join(back, name)).st_mtime), MTIME, name)
        listing = self.rclone("lsf", "-R", "--format", "tp", "--files-only", "sfs:oc-tree",
                              vendor="owncloud").stdout.decode()
        stamps = {line.split(";", 1)[0] for line in listing.splitlines() if line}
        self.assertEqual(stamps, {"2009-02-13 23:31:30"})


if __name__ == "__main__":
    unittest.main()
