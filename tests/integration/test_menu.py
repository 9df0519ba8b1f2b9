"""The interactive menu, driven through stdin and through a pseudo-terminal."""

import os
import unittest

from sfs_harness import (CLIENT_BIN, EXIT_OK, HOST, PtyProcess, ServerTestCase, client_env,
                         parse_listing, read_file, write_file)

MENU = "  1) Upload\n  2) Download\n  3) View\n  4) Delete\n  5) List\n  6) Exit\n"
PROMPT = "Choose 1-6: "


class MenuTest(ServerTestCase):

    def run_menu(self, script, *args, client=None):
        client = client or self.client
        result = client.run(*args, input=script.encode())
        return result, result.stdout.decode(errors="replace")

    def test_upload_and_list(self):
        data = os.urandom(5000)
        write_file(self.client.path("menu-local.bin"), data)
        result, out = self.run_menu("1\nmenu-local.bin\n\n1\nmenu-local.bin\nrenamed.bin\n5\n6\n")
        self.assertEqual(result.returncode, EXIT_OK, result.stderr)
        self.assertEqual(result.stderr, b"")
        self.assertTrue(out.startswith("Logged in to %s:%d.\n" % (HOST, self.server.port)), out)
        self.assertIn(MENU + PROMPT, out)
        self.assertIn("Local file to upload: Remote name [same]: Done.\n", out)
        self.assertEqual(out.count("Done.\n"), 3)
        self.assertTrue(out.endswith("Bye.\n"), out)
        self.assertEqual(read_file(self.server.stored("alice", "menu-local.bin")), data)
        self.assertEqual(read_file(self.server.stored("alice", "renamed.bin")), data)
        # The listing follows the "Choose 1-6: " prompt on the same line.
        listing = [line.split(PROMPT)[-1] for line in out.splitlines() if line.endswith(".bin")]
        entries = parse_listing("\n".join(listing).encode())
        self.assertEqual(entries.get("menu-local.bin"), 5000)
        self.assertEqual(entries.get("renamed.bin"), 5000)

    def test_no_command_starts_the_menu(self):
        result, out = self.run_menu("6\n")
        self.assertEqual(result.returncode, EXIT_OK)
        self.assertIn(MENU + PROMPT, out)
        self.assertTrue(out.endswith("Bye.\n"), out)

    def test_download_view_delete(self):
        self.upload(b"viewable text\n", "menu-view.txt")
        script = ("2\nmenu-view.txt\n\n"
                  "2\nmenu-view.txt\nsaved.txt\n"
                  "3\nmenu-view.txt\n"
                  "4\nmenu-view.txt\n"
                  "6\n")
        result, out = self.run_menu(script, "menu")
        self.assertEqual(result.returncode, EXIT_OK, result.stderr)
        self.assertIn("Remote file to download: Save as [same]: Done.\n", out)
        self.assertIn("Remote file to view: viewable text\n", out)
        self.assertIn("Remote file to delete: Done.\n", out)
        self.assertEqual(read_file(self.client.path("menu-view.txt")), b"viewable text\n")
        self.assertEqual(read_file(self.client.path("saved.txt")), b"viewable text\n")
        self.assertFalse(os.path.exists(self.server.stored("alice", "menu-view.txt")))

    def test_invalid_choice(self):
        result, out = self.run_menu("9\nhello\n\n6\n")
        self.assertEqual(result.returncode, EXIT_OK)
        self.assertIn("Invalid choice '9': enter a number from 1 to 6.\n", out)
        self.assertIn("Invalid choice 'hello': enter a number from 1 to 6.\n", out)
        self.assertIn("Invalid choice '': enter a number from 1 to 6.\n", out)
        self.assertEqual(out.count(MENU + PROMPT), 4)

    def test_eof_exits_zero(self):
        for script in ("", "5\n", "1\n", "1\nsome-file\n"):
            with self.subTest(script=script):
                result, out = self.run_menu(script)
                self.assertEqual(result.returncode, EXIT_OK, result.stderr)
                self.assertTrue(out.endswith("Bye.\n"), out)

    def test_errors_are_reported_and_the_menu_goes_on(self):
        result, out = self.run_menu("2\nno-such-file\n\n1\nno-such-local\n\n3\n../x\n5\n6\n")
        self.assertEqual(result.returncode, EXIT_OK)
        errors = result.stderr.decode().splitlines()
        self.assertEqual(len(errors), 3, errors)
        self.assertEqual(errors[0], "sfs: no such file: no-such-file")
        self.assertRegex(errors[1], r"^sfs: no such local file(?: or directory)?: no-such-local$")
        self.assertEqual(errors[2], "sfs: '..' leads above your top directory: ../x")
        self.assertEqual(out.count(MENU + PROMPT), 5)
        self.assertTrue(out.endswith("Bye.\n"))
        self.assertEqual(os.listdir(self.client.cwd), [])

    def test_on_a_terminal(self):
        data = b"typed on a terminal\n"
        write_file(self.client.path("tty.txt"), data)
        args = [CLIENT_BIN] + self.client.common_args()
        term = PtyProcess(args, cwd=self.client.cwd,
                          env=client_env(self.client.config_home, self.client.password))
        self.addCleanup(term.close)
        term.expect(b"Logged in to ")
        term.expect(PROMPT.encode())
        term.send(b"1\n")
        term.expect(b"Local file to upload: ")
        term.send(b"tty.txt\n")
        term.expect(b"Remote name [same]: ")
        term.send(b"\n")
        term.expect(b"Done.")
        term.expect(PROMPT.encode())
        term.send(b"5\n")
        listing = term.expect(PROMPT.encode())
        self.assertIn(b"tty.txt", listing)
        term.send(b"6\n")
        term.expect(b"Bye.")
        status, rest = term.finish()
        self.assertEqual(status, EXIT_OK, rest)
        self.assertEqual(read_file(self.server.stored("alice", "tty.txt")), data)


if __name__ == "__main__":
    unittest.main()
