"""sfs-server start-up: configuration errors are one clear line and exit 1."""

import json
import os
import re
import socket
import subprocess
import unittest

from sfs_harness import (EXIT_AUTH, HOST, SERVER_BIN, SERVER_ROOT_ARGS, Client, Server, file_mode,
                         make_temp_dir, openssl_self_signed, read_file, remove_tree, temp_files_in, write_file)

TIMEOUT = 20


class StartupErrorTest(unittest.TestCase):
    """Runs sfs-server in a scratch directory and expects it to refuse to start."""

    def setUp(self):
        self.dir = make_temp_dir("sfs-it-startup-")
        self.addCleanup(remove_tree, self.dir)
        write_file(self.path("id_passwd.txt"), b"alice:secret\n")

    def path(self, name):
        return os.path.join(self.dir, name)

    def run_server(self, *args):
        return subprocess.run([SERVER_BIN, "--host", HOST] + SERVER_ROOT_ARGS + list(args),
                              cwd=self.dir, stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT,
                              start_new_session=True)

    def assertStartupError(self, result, *fragments):
        """Exit 1, exactly one stderr line `sfs-server: ...` containing fragments."""
        lines = result.stderr.decode(errors="replace").splitlines()
        self.assertEqual(result.returncode, 1, result)
        self.assertEqual(len(lines), 1, lines)
        self.assertTrue(lines[0].startswith("sfs-server: "), lines)
        for fragment in fragments:
            self.assertIn(fragment, lines[0])
        self.assertNotIn(b"listening", result.stdout)
        return lines[0]

    def test_port_in_use(self):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((HOST, 0))
            s.listen(1)
            port = s.getsockname()[1]
            result = self.run_server("--port", str(port))
        line = self.assertStartupError(result)
        self.assertEqual(line, "sfs-server: cannot listen on %s:%d: Address already in use"
                         % (HOST, port))

    def test_auth_file_missing(self):
        os.unlink(self.path("id_passwd.txt"))
        line = self.assertStartupError(self.run_server("--port", "0"))
        self.assertEqual(line, "sfs-server: auth file id_passwd.txt not found")
        missing = self.path("nowhere.txt")
        line = self.assertStartupError(self.run_server("--port", "0", "--auth-file", missing))
        self.assertEqual(line, "sfs-server: auth file %s not found" % missing)

    def test_malformed_auth_file_names_the_line(self):
        write_file(self.path("id_passwd.txt"), b"# users\nalice:secret\nbob secret\n")
        line = self.assertStartupError(self.run_server("--port", "0"))
        self.assertEqual(line, "sfs-server: id_passwd.txt:3: expected user:password")

    def test_other_auth_file_errors(self):
        cases = [
            (b"alice:one\n\nalice:two\n", "id_passwd.txt:3:"),
            (b"alice:\n", "id_passwd.txt:1:"),
            (b"# ok\nbad/name:pw\n", "id_passwd.txt:2:"),
        ]
        for content, prefix in cases:
            with self.subTest(content=content):
                write_file(self.path("id_passwd.txt"), content)
                self.assertStartupError(self.run_server("--port", "0"), "sfs-server: " + prefix)

    def test_only_key_missing(self):
        cert, _ = openssl_self_signed(self.dir, "server")  # writes server.crt and server.key
        os.unlink(self.path("server.key"))
        self.assertStartupError(self.run_server("--port", "0"), "server.key", "is missing")
        self.assertFalse(os.path.exists(self.path("server.key")))
        self.assertTrue(os.path.exists(cert))

    def test_only_cert_missing(self):
        openssl_self_signed(self.dir, "server")
        key = read_file(self.path("server.key"))
        os.unlink(self.path("server.crt"))
        self.assertStartupError(self.run_server("--port", "0"), "server.crt", "is missing")
        self.assertEqual(read_file(self.path("server.key")), key)
        self.assertFalse(os.path.exists(self.path("server.crt")))

    def test_garbage_key_file(self):
        openssl_self_signed(self.dir, "server")
        write_file(self.path("server.key"), b"this is not a PEM key\n", mode=0o600)
        self.assertStartupError(self.run_server("--port", "0"),
                                "sfs-server: cannot load key server.key")

    def test_garbage_certificate_file(self):
        openssl_self_signed(self.dir, "server")
        write_file(self.path("server.crt"), b"-----BEGIN CERTIFICATE-----\nAAAA\n")
        self.assertStartupError(self.run_server("--port", "0"),
                                "sfs-server: cannot load certificate server.crt")

    def test_key_of_another_certificate(self):
        openssl_self_signed(self.dir, "server")
        openssl_self_signed(self.dir, "other")
        os.replace(self.path("other.key"), self.path("server.key"))
        self.assertStartupError(self.run_server("--port", "0"), "server.key")

    def test_storage_path_is_a_regular_file(self):
        write_file(self.path("not-a-dir"), b"x")
        self.assertStartupError(self.run_server("--port", "0", "--storage", "not-a-dir"),
                                "sfs-server: storage directory not-a-dir")
        self.assertEqual(read_file(self.path("not-a-dir")), b"x")

    def test_storage_parent_missing(self):
        self.assertStartupError(self.run_server("--port", "0", "--storage", "no/such/parent"),
                                "sfs-server: storage directory no/such/parent cannot be created")

    def test_bad_option_values(self):
        for args in (["--port", "70000"], ["--port", "x"], ["--no-such-option"]):
            with self.subTest(args=args):
                result = self.run_server(*args)
                self.assertNotEqual(result.returncode, 0)
                self.assertNotIn(b"listening", result.stdout)

    def test_a_failed_start_with_json_logs_says_one_json_line(self):
        os.unlink(self.path("id_passwd.txt"))
        result = self.run_server("--port", "0", "--log-format", "json")
        self.assertEqual(result.returncode, 1, result)
        lines = result.stderr.decode().splitlines()
        self.assertEqual(len(lines), 1, lines)
        record = json.loads(lines[0])
        self.assertEqual(set(record), {"time", "level", "msg"})
        self.assertEqual((record["level"], record["msg"]),
                         ("critical", "auth file id_passwd.txt not found"))
        self.assertEqual(result.stdout, b"")
        # A bad settings file too, once the command line asked for JSON.
        write_file(self.path("id_passwd.txt"), b"alice:secret\n")
        write_file(self.path("bad.toml"), b"no-such-setting = 1\n")
        result = self.run_server("--log-format", "json", "--config", self.path("bad.toml"))
        self.assertEqual(result.returncode, 2, result)
        record = json.loads(result.stderr.decode())
        self.assertIn("no-such-setting", record["msg"])


class StartupTest(unittest.TestCase):

    def test_storage_created_with_mode_0700(self):
        with Server() as server:
            self.assertEqual(sorted(os.listdir(server.storage)), ["u"])
            self.assertEqual(file_mode(server.storage), 0o700)
            self.assertEqual(file_mode(os.path.join(server.storage, "u")), 0o700)
            self.assertIn("sfs-server: generated a new certificate server.crt and key server.key",
                          server.stdout_text)
            self.assertEqual(file_mode(server.key_path), 0o600)
            self.assertNotIn("BEGIN", server.log_text())

    def test_existing_identity_is_reused(self):
        keep = make_temp_dir()
        self.addCleanup(remove_tree, keep)
        cert, key = openssl_self_signed(keep, "given")
        with Server(cert=cert, key=key) as server:
            self.assertNotIn("generated", server.stdout_text)
            self.assertEqual(read_file(server.cert_path), read_file(cert))
            self.assertEqual(read_file(server.key_path), read_file(key))
            with Client(server) as client:
                result = client.run("ls")
                self.assertEqual(result.returncode, 0, result.stderr)

    def test_stale_upload_temp_files_are_removed(self):
        with Server() as first:
            user_dir = first.user_dir("alice")
            os.makedirs(user_dir, mode=0o700)
            write_file(os.path.join(user_dir, ".sfs-tmp-0123456789abcdef01234567"), b"junk")
            write_file(os.path.join(user_dir, "kept.txt"), b"kept")
            # A recent partial upload is kept for resume (--partial-ttl, default 24 h).
            part = write_file(os.path.join(user_dir, ".sfs-part-0123-4"), b"part")
            first.stop()
            with Server(extra_args=["--storage", first.storage]) as second:
                self.assertTrue(second.wait_for_log(r"removed 1 stale "), second.log_text())
                self.assertEqual(temp_files_in(user_dir), [])
                self.assertEqual(read_file(os.path.join(user_dir, "kept.txt")), b"kept")
                self.assertEqual(read_file(part), b"part")

    def test_comments_blank_lines_crlf_and_colons_in_auth_file(self):
        text = b"# comment\r\n\r\nalice:pw-one\r\n\n# bob:nope\nbob:pw:with:colons\n"
        users = {"alice": "pw-one", "bob": "pw:with:colons"}
        with Server(users=users, auth_text=text) as server:
            with Client(server, "alice") as alice, Client(server, "bob") as bob:
                self.assertEqual(alice.run("ls").returncode, 0)
                self.assertEqual(bob.run("ls").returncode, 0)
                self.assertEqual(bob.run("ls", password="nope").returncode, EXIT_AUTH)
                self.assertEqual(alice.run("ls", password="pw-one\r").returncode, EXIT_AUTH)


class ServerKeyModeTest(unittest.TestCase):
    """A private key others can read lets them impersonate the server: the server
    warns at every start (one line naming the file and its mode), as it does for
    a readable auth file."""

    def start_with_key_mode(self, mode):
        keep = make_temp_dir()
        self.addCleanup(remove_tree, keep)
        cert, key = openssl_self_signed(keep, "given")
        os.chmod(key, mode)
        with Server(extra_args=["--cert", cert, "--key", key]) as server:
            with Client(server, trust="new") as client:
                self.assertEqual(client.run("ls").returncode, 0)
            return key, [line for line in server.log_text().splitlines()
                         if "private key" in line]

    def test_world_readable_key(self):
        key, lines = self.start_with_key_mode(0o644)
        self.assertEqual(len(lines), 1, lines)
        self.assertRegex(lines[0], r" warning private key %s can be read by others \(mode 644\); "
                         r".*run chmod 600 %s" % (re.escape(key), re.escape(key)))

    def test_group_readable_key(self):
        key, lines = self.start_with_key_mode(0o640)
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("private key %s can be read by group (mode 640)" % key, lines[0])

    def test_private_key_gets_no_warning(self):
        _, lines = self.start_with_key_mode(0o600)
        self.assertEqual(lines, [])


if __name__ == "__main__":
    unittest.main()
