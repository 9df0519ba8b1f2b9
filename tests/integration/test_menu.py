"""The interactive menu, driven through stdin and through a pseudo-terminal."""

import os
import select
import signal
import subprocess
import time
import unittest

from sfs_harness import (CLIENT_BIN, EXIT_OK, HOST, PtyProcess, ServerTestCase, client_env,
                         parse_listing, read_file, write_file)
from harness.client import finish

MENU = ("  1) Upload\n  2) Download\n  3) View\n  4) Delete\n  5) List\n  6) New folder\n"
        "  7) Remove folder\n  8) Move or rename\n  9) Exit\n")
PROMPT = "Choose 1-9: "


class MenuTest(ServerTestCase):

    def run_menu(self, script, *args, client=None):
        client = client or self.client
        result = client.run(*args, input=script.encode())
        return result, result.stdout.decode(errors="replace")

    def test_upload_and_list(self):
        data = os.urandom(5000)
        write_file(self.client.path("menu-local.bin"), data)
        result, out = self.run_menu("1\nmenu-local.bin\n\n1\nmenu-local.bin\nrenamed.bin\n5\n9\n")
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
        result, out = self.run_menu("9\n")
        self.assertEqual(result.returncode, EXIT_OK)
        self.assertIn(MENU + PROMPT, out)
        self.assertTrue(out.endswith("Bye.\n"), out)

    def test_download_view_delete(self):
        self.upload(b"viewable text\n", "menu-view.txt")
        script = ("2\nmenu-view.txt\n\n"
                  "2\nmenu-view.txt\nsaved.txt\n"
                  "3\nmenu-view.txt\n"
                  "4\nmenu-view.txt\n"
                  "9\n")
        result, out = self.run_menu(script, "menu")
        self.assertEqual(result.returncode, EXIT_OK, result.stderr)
        self.assertIn("Remote file to download: Save as [same]: Done.\n", out)
        self.assertIn("Remote file to view: viewable text\n", out)
        self.assertIn("Remote file to delete: Done.\n", out)
        self.assertEqual(read_file(self.client.path("menu-view.txt")), b"viewable text\n")
        self.assertEqual(read_file(self.client.path("saved.txt")), b"viewable text\n")
        self.assertFalse(os.path.exists(self.server.stored("alice", "menu-view.txt")))

    def test_folder_actions_and_the_shell_tip(self):
        # The menu had no folder actions and never mentioned sfs shell.
        self.upload(b"to be moved\n", "loose.txt")
        script = ("6\nreports\n"
                  "8\nloose.txt\nreports\n"
                  "6\nempty\n"
                  "7\nempty\n"
                  "9\n")
        result, out = self.run_menu(script)
        self.assertEqual(result.returncode, EXIT_OK, result.stderr)
        self.assertIn("Tip: sfs shell gives an sfs> prompt", out)
        self.assertIn("New folder: Done.\n", out)
        self.assertIn("Move or rename: New name, or folder to move into: Done.\n", out)
        self.assertIn("Empty folder to remove: Done.\n", out)
        self.assertEqual(read_file(self.server.stored("alice", "reports/loose.txt")),
                         b"to be moved\n")
        self.assertFalse(os.path.exists(self.server.stored("alice", "empty")))

    def test_invalid_choice(self):
        result, out = self.run_menu("12\nhello\n\n9\n")
        self.assertEqual(result.returncode, EXIT_OK)
        self.assertIn("Invalid choice '12': enter a number from 1 to 9.\n", out)
        self.assertIn("Invalid choice 'hello': enter a number from 1 to 9.\n", out)
        self.assertIn("Invalid choice '': enter a number from 1 to 9.\n", out)
        self.assertEqual(out.count(MENU + PROMPT), 4)

    def test_eof_exits_zero(self):
        for script in ("", "5\n", "1\n", "1\nsome-file\n"):
            with self.subTest(script=script):
                result, out = self.run_menu(script)
                self.assertEqual(result.returncode, EXIT_OK, result.stderr)
                self.assertTrue(out.endswith("Bye.\n"), out)

    def test_errors_are_reported_and_the_menu_goes_on(self):
        result, out = self.run_menu("2\nno-such-file\n\n1\nno-such-local\n\n3\n../x\n5\n9\n")
        self.assertEqual(result.returncode, EXIT_OK)
        errors = result.stderr.decode().splitlines()
        self.assertEqual(len(errors), 3, errors)
        self.assertEqual(errors[0], "sfs: no such file: no-such-file")
        self.assertRegex(errors[1], r"^sfs: no such local file(?: or directory)?: no-such-local$")
        self.assertEqual(errors[2], "sfs: '..' leads above your top directory: ../x")
        self.assertEqual(out.count(MENU + PROMPT), 5)
        self.assertTrue(out.endswith("Bye.\n"))
        self.assertEqual(os.listdir(self.client.cwd), [])

    def test_a_script_reads_as_one_entry_at_a_time(self):
        """A menu read from a file sends its small transfers pipelined; what it
        prints, and what it does, are those of one entry at a time: results in
        order, errors at their entry, an upload onto a folder's name going into
        it, the same name twice in order, an existing local file compared first."""
        for name, data in (("a.txt", b"A" * 300), ("b.txt", b"B" * 200), ("c.txt", b"C")):
            write_file(self.client.path(name), data)
        self.upload(b"", "box/.keep")
        os.mkdir(self.client.path("out"))
        write_file(self.client.path("out/old.txt"), b"an older local copy")
        entries = [("1\na.txt\n\n", True),
                   ("1\nmissing.txt\n\n", False),   # no such local file
                   ("1\nc.txt\nbox\n", True),        # a remote folder: into it
                   ("1\na.txt\nx.txt\n", True),
                   ("1\nb.txt\nx.txt\n", True),      # the same name again: b wins
                   ("2\na.txt\nout/a.txt\n", True),
                   ("2\nnothere.txt\nout/n.txt\n", False),
                   ("2\nx.txt\nout/old.txt\n", True),  # exists: compared, replaced
                   ("2\nbox/c.txt\nout/c.txt\n", True)]
        result, out = self.run_menu("".join(e for e, _ in entries) + "9\n")
        self.assertEqual(result.returncode, EXIT_OK, result.stderr)
        segments = out.split(PROMPT)[1:]  # what follows each choice's prompt
        self.assertEqual(len(segments), len(entries) + 1, out)
        for i, (entry, ok) in enumerate(entries):
            with self.subTest(entry=entry):
                self.assertEqual("Done.\n" in segments[i], ok, segments[i])
        errors = result.stderr.decode().splitlines()
        self.assertEqual(len(errors), 2, errors)
        self.assertIn("missing.txt", errors[0])
        self.assertEqual(errors[1], "sfs: no such file: nothere.txt")
        self.assertEqual(read_file(self.server.stored("alice", "a.txt")), b"A" * 300)
        self.assertEqual(read_file(self.server.stored("alice", "box/c.txt")), b"C")
        self.assertEqual(read_file(self.server.stored("alice", "x.txt")), b"B" * 200)
        self.assertEqual(read_file(self.client.path("out/a.txt")), b"A" * 300)
        self.assertEqual(read_file(self.client.path("out/old.txt")), b"B" * 200)
        self.assertEqual(read_file(self.client.path("out/c.txt")), b"C")
        self.assertFalse(os.path.exists(self.client.path("out/n.txt")))
        # Times kept, as one at a time: the download has the upload's time.
        self.assertEqual(int(os.stat(self.client.path("out/a.txt")).st_mtime),
                         int(os.stat(self.client.path("a.txt")).st_mtime))
        self.assertEqual(sorted(os.listdir(self.client.path("out"))),
                         ["a.txt", "c.txt", "old.txt"])

    def server_receive_queue(self):
        """Bytes the server's sockets on its port hold unread, the largest."""
        port = "%04X" % self.server.port
        queued = 0
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                with open(table) as f:
                    lines = f.readlines()[1:]
            except OSError:
                continue
            for line in lines:
                fields = line.split()
                if fields[1].endswith(":" + port) and fields[3] == "01":
                    queued = max(queued, int(fields[4].split(":")[1], 16))
        return queued

    def wait_stopped(self, pid):
        """Waits (at most ~10 s) until every thread of `pid` has stopped: a
        thread that was running takes a moment to, and meanwhile serves."""
        tasks = "/proc/%d/task" % pid
        for _ in range(1000):
            states = []
            for task in os.listdir(tasks):
                try:
                    with open("%s/%s/stat" % (tasks, task)) as f:
                        states.append(f.read().rsplit(")", 1)[1].split()[0])
                except OSError:
                    continue
            if states and all(state in ("T", "t") for state in states):
                return
            time.sleep(0.01)
        self.fail("the server did not stop: %r" % states)

    def read_until(self, process, text, limit_s=30):
        """Reads the client's stdout until `text` arrived (at most limit_s)."""
        seen = b""
        end = time.monotonic() + limit_s
        while text not in seen and time.monotonic() < end:
            ready, _, _ = select.select([process.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(process.stdout.fileno(), 65536)
                if not chunk:
                    break
                seen += chunk
        self.assertIn(text, seen)
        return seen

    def test_a_script_goes_out_before_the_replies(self):
        """Proof that the run is pipelined: with the server stopped, every
        upload of the run sits in the server's receive queue at once. And a
        program that answers prompt by prompt sees each result before it
        sends the next entry."""
        files = {"p%d.bin" % i: os.urandom(8192) for i in range(4)}
        for name, data in files.items():
            write_file(self.client.path(name), data)
        write_file(self.client.path("first.txt"), b"first")
        client = self.client.start("menu", stdin=subprocess.PIPE)
        stopped = False
        try:
            # One entry, then wait: its result shows without more input.
            client.stdin.write(b"1\nfirst.txt\n\n")
            client.stdin.flush()
            self.read_until(client, b"Done.")
            self.server.process.send_signal(signal.SIGSTOP)
            stopped = True
            self.wait_stopped(self.server.process.pid)
            client.stdin.write("".join("1\n%s\n\n" % n for n in files).encode() + b"9\n")
            client.stdin.close()
            wanted = sum(len(d) for d in files.values())
            queued = 0
            for _ in range(300):  # at most ~30 s
                queued = self.server_receive_queue()
                if queued >= wanted:
                    break
                time.sleep(0.1)
            self.assertGreaterEqual(queued, wanted)
        finally:
            if stopped:
                self.server.process.send_signal(signal.SIGCONT)
        client.stdin = None
        result = finish(client)
        self.assertEqual(result.returncode, EXIT_OK, result.stderr)
        self.assertEqual(result.stdout.count(b"Done."), 4)  # the first was read above
        for name, data in files.items():
            self.assertEqual(read_file(self.server.stored("alice", name)), data)

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
        term.send(b"9\n")
        term.expect(b"Bye.")
        status, rest = term.finish()
        self.assertEqual(status, EXIT_OK, rest)
        self.assertEqual(read_file(self.server.stored("alice", "tty.txt")), data)


if __name__ == "__main__":
    unittest.main()
