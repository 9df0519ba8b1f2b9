"""Started as root, sfs-server drops to --run-as USER, or refuses to run.

These tests need root (they are skipped otherwise) and the user `nobody`.
The harness passes --allow-root when run as root; here it is left out.
"""

import os
import pwd
import subprocess
import unittest
from unittest import mock

import sfs_harness
from sfs_harness import (SERVER_BIN, RawConnection, Server, make_temp_dir, ok_get, ok_put,
                         remove_tree, write_file)

RUN_AS = "nobody"


def proc_ids(pid):
    """{'Uid': [real, effective, saved, fs], 'Gid': [...], 'Groups': [...]} of a process."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("Uid", "Gid", "Groups"):
                out[key] = [int(v) for v in value.split()]
    return out


def run_server(args, cwd, timeout=10):
    """Runs sfs-server with exactly these arguments (no --allow-root) until it exits."""
    return subprocess.run([SERVER_BIN, "--host", "127.0.0.1", "--port", "0"] + args, cwd=cwd,
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
                          start_new_session=True)


@unittest.skipUnless(os.geteuid() == 0, "needs root")
class PrivilegesTest(unittest.TestCase):

    def setUp(self):
        try:
            self.nobody = pwd.getpwnam(RUN_AS)
        except KeyError:
            self.skipTest("no user %s" % RUN_AS)
        self.dir = make_temp_dir("sfs-it-priv-")
        self.addCleanup(remove_tree, self.dir)
        write_file(os.path.join(self.dir, "id_passwd.txt"), b"alice:alice-pw-7Qx\n", mode=0o600)

    def start(self, *extra, storage=None):
        """A server with --run-as nobody and no --allow-root."""
        with mock.patch.object(sfs_harness, "SERVER_ROOT_ARGS", []):
            server = Server(extra_args=["--run-as", RUN_AS] + list(extra), storage=storage)
            server.start()
        self.addCleanup(server.close)
        return server

    def test_run_as_drops_to_the_user(self):
        server = self.start()
        ids = proc_ids(server.process.pid)
        uid, gid = self.nobody.pw_uid, self.nobody.pw_gid
        self.assertEqual(ids["Uid"], [uid] * 4)
        self.assertEqual(ids["Gid"], [gid] * 4)
        self.assertEqual(ids["Groups"], [])
        # Uploads and downloads work, and what is stored belongs to nobody.
        data = os.urandom(100000)
        with RawConnection(server.port) as conn:
            self.assertEqual(conn.greet_and_login("alice", "alice-pw-7Qx"), "OK")
            self.assertEqual(conn.put("f.bin", data)[1], ok_put(data))
            reply, back, _ = conn.download("f.bin")
            self.assertEqual(reply, ok_get(data))
            self.assertEqual(back, data)
        for path in (server.storage, server.user_dir("alice"), server.stored("alice", "f.bin")):
            st = os.lstat(path)
            self.assertEqual((st.st_uid, st.st_gid), (uid, gid), path)
        self.assertEqual(os.lstat(server.stored("alice", "f.bin")).st_mode & 0o777, 0o600)
        # The real client works too.
        client = sfs_harness.Client(server)
        self.addCleanup(client.close)
        local = write_file(client.path("up.txt"), b"via the client")
        self.assertEqual(client.run("put", local, "up.txt").returncode, 0)
        self.assertEqual(os.lstat(server.stored("alice", "up.txt")).st_uid, uid)

    def test_auth_file_warnings_are_given_with_run_as_too(self):
        """The server's directory is root's (0700), the auth file readable by others and
        in plaintext: both start-up warnings must appear, although they are written
        after the switch to nobody."""
        server = self.start()
        self.assertEqual(os.lstat(os.path.join(server.directory, "id_passwd.txt")).st_mode & 0o777,
                         0o644)
        self.assertTrue(server.wait_for_log(r"have a plaintext password", timeout=30))
        self.assertTrue(server.wait_for_log(r"id_passwd\.txt can be read by group or others",
                                            timeout=30),
                        "no warning about the 0644 auth file: %s" % server.log_text())

    def test_root_owned_storage_is_handed_over(self):
        storage = os.path.join(self.dir, "storage")
        user_dir = os.path.join(storage, "u", "alice")
        os.makedirs(user_dir, mode=0o700)
        write_file(os.path.join(user_dir, "old.txt"), b"stored by root", mode=0o600)
        server = self.start(storage=storage)
        for path in (storage, os.path.join(storage, "u"), user_dir,
                     os.path.join(user_dir, "old.txt")):
            self.assertEqual(os.lstat(path).st_uid, self.nobody.pw_uid, path)
        with RawConnection(server.port) as conn:
            self.assertEqual(conn.greet_and_login("alice", "alice-pw-7Qx"), "OK")
            reply, data, _ = conn.download("old.txt")
            self.assertEqual(data, b"stored by root", reply)
            self.assertEqual(conn.command("DELETE old.txt"), "OK")

    def test_root_without_run_as_or_allow_root_refuses(self):
        result = run_server([], cwd=self.dir)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stdout, b"")
        lines = result.stderr.decode().splitlines()
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("refusing to run as root", lines[0])
        self.assertEqual(lines[0], "sfs-server: refusing to run as root: use --run-as USER "
                                   "(or --allow-root)")
        # It refused before touching anything: no storage, no generated key.
        self.assertEqual(sorted(os.listdir(self.dir)), ["id_passwd.txt"])

    def test_bad_run_as_users_are_refused(self):
        for user, message in (("no-such-user-xyz", "no such user 'no-such-user-xyz'"),
                              ("root", "--run-as must name a user other than root")):
            with self.subTest(user=user):
                result = run_server(["--run-as", user], cwd=self.dir)
                self.assertEqual(result.returncode, 1)
                lines = result.stderr.decode().splitlines()
                self.assertEqual(len(lines), 1, lines)
                self.assertIn(message, lines[0])

    def test_run_as_needs_root(self):
        # As nobody, --run-as is an error rather than silently ignored.
        os.chmod(self.dir, 0o777)
        result = subprocess.run(
            [SERVER_BIN, "--port", "0", "--run-as", RUN_AS, "--auth-file", "/nonexistent"],
            cwd=self.dir, stdin=subprocess.DEVNULL, capture_output=True, timeout=10,
            user=self.nobody.pw_uid, group=self.nobody.pw_gid, extra_groups=[])
        if result.returncode == 126 or b"Permission denied" in result.stderr:
            self.skipTest("nobody cannot run %s" % SERVER_BIN)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertEqual(result.stderr.decode().strip(),
                         "sfs-server: --run-as needs the server to be started as root")


if __name__ == "__main__":
    unittest.main()
