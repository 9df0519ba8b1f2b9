"""davfs2 (the Debian package) mounts the HTTPS face where mounting is
possible (root with /dev/fuse): files written, read, renamed and deleted
through the mount are what the sfs client sees. Its config, secrets and
cache live in a temp dir; it trusts the server's self-signed certificate
through trust_server_cert. The test always unmounts; where a mount is
impossible it is skipped with the reason."""

import os
import shutil
import subprocess
import unittest

from sfs_harness import WebDavCase, dav_url, digest_hex, read_file, wait_until, write_file

MOUNT_DAVFS = shutil.which("mount.davfs")
UMOUNT_DAVFS = shutil.which("umount.davfs")
MOUNT_TIMEOUT = 60
UPLOAD_WAIT = 60  # davfs2 uploads a closed file in the background


def why_no_mount():
    if MOUNT_DAVFS is None:
        return "davfs2 is not installed (scripts/install-deps)"
    if os.geteuid() != 0:
        return "mount.davfs needs root here (no fstab entry for a user mount)"
    if not os.path.exists("/dev/fuse"):
        return "no /dev/fuse"
    return None


def is_mounted(path):
    with open("/proc/self/mounts", encoding="utf-8") as f:
        return any(line.split()[1] == path for line in f if len(line.split()) > 1)


class DavfsTest(WebDavCase):
    def setUp(self):
        reason = why_no_mount()
        if reason:
            print("skipped: " + reason)
            self.skipTest(reason)
        super().setUp()
        self.home = self.new_temp_dir()
        os.chmod(self.home, 0o755)  # davfs2 drops to its own user for the cache
        self.mnt = os.path.join(self.home, "mnt")
        os.mkdir(self.mnt)
        self.mount()

    def mount(self):
        url = dav_url(self.server)
        secrets = os.path.join(self.home, "secrets")
        write_file(secrets, ('"%s" alice "%s"\n' % (url, self.server.users["alice"])).encode())
        os.chmod(secrets, 0o600)
        cert = os.path.join(self.home, "server.crt")  # the server's directory is private
        shutil.copyfile(self.server.cert_path, cert)
        os.chmod(cert, 0o644)
        cache = os.path.join(self.home, "cache")
        os.mkdir(cache)
        # Checked as the mounting user (root), then used by mount.davfs as its
        # own user (dav_user, davfs2): open to both, inside the test's dir.
        os.chmod(cache, 0o777)
        conf = os.path.join(self.home, "davfs2.conf")
        write_file(conf, ("secrets %s\ntrust_server_cert %s\ncache_dir %s\nuse_locks 0\n"
                          "ask_auth 0\ndelay_upload 0\ndir_refresh 1\nfile_refresh 1\n"
                          % (secrets, cert, cache)).encode())
        proc = subprocess.run([MOUNT_DAVFS, "-o", "conf=%s,uid=0,gid=0" % conf, url, self.mnt],
                              capture_output=True, stdin=subprocess.DEVNULL,
                              timeout=MOUNT_TIMEOUT)
        if proc.returncode != 0 or not is_mounted(self.mnt):
            reason = "mount.davfs failed here: %s" % proc.stderr.decode(errors="replace").strip()
            print("skipped: " + reason)
            self.skipTest(reason)
        self.addCleanup(self.unmount)

    def unmount(self):
        if not is_mounted(self.mnt):
            return
        tool = [UMOUNT_DAVFS] if UMOUNT_DAVFS else ["umount"]
        subprocess.run(tool + [self.mnt], capture_output=True, timeout=MOUNT_TIMEOUT)
        if is_mounted(self.mnt):
            subprocess.run(["umount", "-l", self.mnt], capture_output=True, timeout=MOUNT_TIMEOUT)

    def eventually(self, predicate, what):
        self.assertTrue(wait_until(predicate, timeout=UPLOAD_WAIT, interval=0.5), what)

    def sfs_get(self, name):
        """The file's bytes as the sfs client gets them, or None."""
        local = self.client.path("got")
        if os.path.exists(local):
            os.remove(local)
        result = self.client.run("get", name, local)
        return read_file(local) if result.returncode == 0 else None

    def test_write_read_rename_delete_through_the_mount(self):
        data = os.urandom(300_000)
        write_file(os.path.join(self.mnt, "mounted.bin"), data)
        self.assertEqual(read_file(os.path.join(self.mnt, "mounted.bin")), data)
        self.eventually(lambda: self.sfs_get("mounted.bin") == data,
                        "the upload through davfs2")
        result = self.client.run("hash", "mounted.bin")
        self.assertTrue(result.stdout.decode().startswith(digest_hex(data)))

        os.mkdir(os.path.join(self.mnt, "folder x"))
        write_file(os.path.join(self.mnt, "folder x", "inner \u00e9.txt"), b"inner")
        self.eventually(lambda: self.sfs_get("folder x/inner \u00e9.txt") == b"inner",
                        "a file in a new folder")

        os.rename(os.path.join(self.mnt, "mounted.bin"), os.path.join(self.mnt, "renamed.bin"))
        self.eventually(lambda: self.sfs_get("renamed.bin") == data,
                        "the rename")
        self.assertIsNone(self.sfs_get("mounted.bin"))

        os.remove(os.path.join(self.mnt, "renamed.bin"))
        self.eventually(lambda: self.sfs_get("renamed.bin") is None,
                        "the delete")

        # A file the sfs client stores shows in the mount.
        local = self.client.path("from-sfs.txt")
        write_file(local, b"from sfs")
        self.assertEqual(self.client.run("put", local, "from-sfs.txt").returncode, 0)
        self.eventually(lambda: os.path.exists(os.path.join(self.mnt, "from-sfs.txt")),
                        "the listing through davfs2")
        self.assertEqual(read_file(os.path.join(self.mnt, "from-sfs.txt")), b"from sfs")


if __name__ == "__main__":
    unittest.main()
