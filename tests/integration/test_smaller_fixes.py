"""Issue 16, item 13: the smaller things. ls -a/-h and folder sizes, view saying it
cut a file, put/get of a folder suggesting -r, the size limit in its message, sfs df,
sfs trust forget, old .sfs-part files removed, run-server on later runs and the
README's sfs-admin example. (The menu's folder actions are in test_menu.py,
--check-config in test_config.py.)"""

import json
import os
import re
import shlex
import subprocess
import time
import unittest

from sfs_harness import (ADMIN_BIN, CLIENT_BIN, EXIT_LOCAL, EXIT_NOT_FOUND, EXIT_OK, EXIT_REFUSED,
                         EXIT_TOO_LARGE, HOST, REPO, PtyProcess, ServerTestCase, client_env,
                         local_partial, make_temp_dir, read_file, remove_tree, write_file)

LISTING = re.compile(r"^ *(\S+)  \d{4}-\d\d-\d\d \d\d:\d\d  (.+)$")


def listed(stdout):
    """{name: size text} of `sfs ls` lines."""
    entries = {}
    for line in stdout.decode().splitlines():
        m = LISTING.match(line)
        assert m, "malformed listing line: %r" % line
        entries[m.group(2)] = m.group(1)
    return entries


class LsAndViewTest(ServerTestCase):

    def test_ls_all_human_and_folder_sizes(self):
        self.upload(b"x" * 1536, "big.bin")
        self.upload(b"dot\n", ".hidden")
        self.assertOk(self.client.run("mkdir", "docs"))
        plain = self.client.run("ls")
        self.assertOk(plain)
        # Dot files hidden without -a, as ls does; a folder's size is "-", not 4096.
        self.assertEqual(listed(plain.stdout), {"big.bin": "1536", "docs/": "-"})
        both = self.client.run("ls", "-la")  # was rejected
        self.assertOk(both)
        self.assertIn(".hidden", both.stdout.decode())
        human = self.client.run("ls", "-h")  # was --help
        self.assertOk(human)
        self.assertEqual(listed(human.stdout)["big.bin"], "1.5K")
        # The same in batch mode (and so at the sfs> prompt): bundled short flags.
        batch = self.client.run("-b", "-", input=b"ls -ah\n")
        self.assertOk(batch)
        self.assertEqual(listed(batch.stdout),
                         {".hidden": "4", "big.bin": "1.5K", "docs/": "-"})
        # JSON keeps every entry, for scripts.
        names = [e["path"] for e in json.loads(self.client.run("--json", "ls").stdout)]
        self.assertIn(".hidden", names)

    def test_view_on_a_terminal_says_it_cut_the_file(self):
        self.upload(b"a" * 5000, "long.txt")
        self.upload(b"short\n", "short.txt")
        args = [CLIENT_BIN] + self.client.common_args()
        env = client_env(self.client.config_home, self.client.password)
        for name, note in (("long.txt", True), ("short.txt", False)):
            with self.subTest(name=name):
                term = PtyProcess(args + ["view", name], cwd=self.client.cwd, env=env)
                self.addCleanup(term.close)
                status, out = term.finish()
                self.assertEqual(status, EXIT_OK, out)
                self.assertEqual(b"showed the first 1024 of 5000 bytes" in out, note, out)
        # Piped, the bytes alone (as head -c).
        piped = self.client.run("view", "long.txt")
        self.assertOk(piped)
        self.assertEqual(piped.stdout, b"a" * 1024)
        self.assertEqual(piped.stderr, b"")

    def test_put_and_get_of_a_folder_suggest_r(self):
        os.mkdir(self.client.path("photos"))
        result = self.client.run("put", "photos")
        self.assertFails(result, EXIT_LOCAL)
        self.assertIn("put -r uploads a folder", result.stderr.decode())
        self.assertOk(self.client.run("mkdir", "albums"))
        result = self.client.run("get", "albums")
        self.assertFails(result, EXIT_REFUSED)
        self.assertIn("get -r downloads a folder", result.stderr.decode())


class DfTest(ServerTestCase):
    server_kwargs = {"extra_args": ["--quota-bytes", "1000000", "--quota-files", "50",
                                    "--max-file-size", "600000"]}

    def test_df_shows_usage_and_quota(self):
        self.upload(b"z" * 250000, "a.bin")
        self.assertOk(self.client.run("mkdir", "docs"))
        result = self.client.run("--json", "df")
        self.assertOk(result)
        usage = json.loads(result.stdout)
        self.assertEqual(usage, {"bytes": 250000, "entries": 2, "quota_bytes": 1000000,
                                 "quota_entries": 50, "max_file_bytes": 600000})
        text = self.client.run("df")
        self.assertOk(text)
        out = text.stdout.decode()
        self.assertIn("in 2 files and folders", out)
        self.assertIn("(25%)", out)
        self.assertIn("2 of 50 files and folders (4%)", out)
        self.assertIn("largest file: ", out)
        # The size limit says what it is.
        write_file(self.client.path("huge.bin"), b"h" * 600001)
        result = self.client.run("put", "huge.bin")
        self.assertFails(result, EXIT_TOO_LARGE)
        self.assertIn("limit of 600000 bytes", result.stderr.decode())


class TrustForgetTest(ServerTestCase):

    def test_forget_a_pinned_server(self):
        self.assertOk(self.client.run("ls", trust="new"))
        server = "%s:%d" % (HOST, self.server.port)
        self.assertIn(server, read_file(self.client.known_servers).decode())
        other = "other.example:9001 SHA256:" + "A" * 43 + "\n"
        with open(self.client.known_servers, "a") as f:
            f.write(other)
        listing = self.client.run("trust", "list")
        self.assertOk(listing)
        self.assertIn(server, listing.stdout.decode())
        result = self.client.run("trust", "forget", server)
        self.assertOk(result)
        self.assertIn("forgot 1 pin(s) for %s" % server, result.stdout.decode())
        self.assertEqual(read_file(self.client.known_servers).decode(), other)
        self.assertEqual(os.stat(self.client.known_servers).st_mode & 0o777, 0o600)
        again = self.client.run("trust", "forget", server)
        self.assertFails(again, EXIT_NOT_FOUND)
        # A bare host forgets every port of it.
        self.assertOk(self.client.run("trust", "forget", "other.example"))
        self.assertEqual(read_file(self.client.known_servers), b"")
        # Without a pin, the next connection asks again: with no terminal it is refused.
        self.assertNotEqual(self.client.run("ls", trust="tofu").returncode, EXIT_OK)


class StalePartsTest(ServerTestCase):

    def test_old_partial_downloads_are_removed_by_the_next_get(self):
        self.upload(b"fresh content\n", "note.txt")
        folder = self.client.path("downloads")
        os.mkdir(folder)
        old = local_partial(os.path.join(folder, "abandoned.iso"))
        young = local_partial(os.path.join(folder, "yesterday-ish.iso"))
        elsewhere = local_partial(self.client.path("other.iso"))
        for path in (old, young, elsewhere):
            write_file(path, b"partial")
        two_days_ago = time.time() - 2 * 86400
        os.utime(old, (two_days_ago, two_days_ago))
        os.utime(elsewhere, (two_days_ago, two_days_ago))
        young_time = time.time() - 3600
        os.utime(young, (young_time, young_time))
        result = self.client.run("get", "note.txt", "downloads/")
        self.assertOk(result)
        self.assertIn("removed 1 abandoned partial download(s) older than a day",
                      result.stderr.decode())
        self.assertFalse(os.path.exists(old))
        self.assertTrue(os.path.exists(young))       # may still be resumed
        self.assertTrue(os.path.exists(elsewhere))   # another folder
        self.assertEqual(read_file(os.path.join(folder, "note.txt")), b"fresh content\n")


class RunServerAndReadmeTest(unittest.TestCase):

    def setUp(self):
        self.dir = make_temp_dir("sfs-it-run-server-")
        self.addCleanup(remove_tree, self.dir)

    def run_server_script(self, home):
        env = dict(os.environ, SFS_HOME=home, SFS_BIN_DIR=os.path.dirname(ADMIN_BIN))
        # --check-config: the script's own work, then sfs-server stops at once.
        return subprocess.run([os.path.join(REPO, "scripts", "run-server"), "--port", "0",
                               "--check-config"], env=env, capture_output=True, timeout=120,
                              stdin=subprocess.DEVNULL)

    def test_run_server_says_how_to_reset_the_password_on_later_runs(self):
        home = os.path.join(self.dir, "var")
        first = self.run_server_script(home)
        self.assertEqual(first.returncode, 0, first)
        self.assertIn(b"password: ", first.stdout)
        second = self.run_server_script(home)
        self.assertEqual(second.returncode, 0, second)
        self.assertNotIn(b"password: ", second.stdout)
        self.assertIn(("--auth-file %s/id_passwd.txt user passwd demo" % home).encode(),
                      second.stdout)

    def test_readme_sfs_admin_example_writes_the_run_server_auth_file(self):
        readme = read_file(os.path.join(REPO, "README.md")).decode()
        block = next(b for b in re.findall(r"```sh\n(.*?)```", readme, re.S)
                     if "sfs-admin" in b and "user add alice" in b)
        lines = [line.split("#")[0].strip() for line in block.splitlines()]
        admin = next(line for line in lines if line.startswith("admin="))
        add = next(line for line in lines if "user add alice" in line)
        os.mkdir(os.path.join(self.dir, "var"))
        script = "%s\n%s --password-stdin\n" % (
            admin.replace("build/apps/sfs-admin", shlex.quote(ADMIN_BIN)), add)
        result = subprocess.run(["bash", "-c", script], cwd=self.dir, capture_output=True,
                                input=b"a-long-password\n", timeout=60)
        self.assertEqual(result.returncode, 0, result)
        self.assertEqual(sorted(os.listdir(self.dir)), ["var"])  # not ./id_passwd.txt
        self.assertIn(b"alice:", read_file(os.path.join(self.dir, "var", "id_passwd.txt")))


if __name__ == "__main__":
    unittest.main()
