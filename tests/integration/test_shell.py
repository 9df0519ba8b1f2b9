"""`sfs shell`: the sfs> prompt driven through a pseudo-terminal (line editing,
completion and history by libedit), and through a pipe."""

import os
import termios
import unittest

from sfs_harness import (CLIENT_BIN, EXIT_NETWORK, EXIT_NOT_FOUND, EXIT_OK, PtyProcess,
                         ServerTestCase, client_env, file_mode, read_file, digest_hex, wait_until,
                         write_file)

PROMPT = b"sfs> "


def wait_for_line_editing(term):
    """Waits until libedit has switched the terminal to its raw mode (echo off).
    It prints the prompt a moment before that; a line typed in between would be
    echoed twice, by the terminal and by libedit."""
    def raw():
        return not termios.tcgetattr(term.master)[3] & termios.ECHO
    if not wait_until(raw, timeout=10.0, interval=0.005):
        raise AssertionError("the shell never started editing a line")


class ShellTestCase(ServerTestCase):

    def start_shell(self, env=None, client=None):
        """A shell on a pty, logged in and showing its first prompt."""
        client = client or self.client
        extra = {"TERM": "dumb"}
        extra.update(env or {})
        term = PtyProcess([CLIENT_BIN] + client.common_args() + ["shell"], cwd=client.cwd,
                          env=client_env(client.config_home, client.password, extra))
        self.addCleanup(term.close)
        term.expect(PROMPT)
        return term

    def command(self, term, line):
        """Types `line` (bytes or str) and Enter; returns what the command printed
        (the terminal's echo of the line and the next prompt cut off)."""
        if isinstance(line, str):
            line = line.encode()
        wait_for_line_editing(term)
        term.send(line + b"\n")
        # The next prompt follows the Enter's newline; libedit also redraws
        # "\rsfs> " while editing (after a Tab), which must not count.
        seen = term.expect(b"\r\n" + PROMPT)
        return seen[:-len(PROMPT)].split(b"\r\n", 1)[1]

    def transfer(self, term, line):
        """Runs a put or get; asserts that it reported no error (its progress
        display goes to the terminal too)."""
        out = self.command(term, line)
        self.assertNotIn(b"sfs:", out)
        self.assertRegex(out, rb"^(\r(put|get) [^\r\n]*\x1b\[K)*\r\n$")

    def exit_shell(self, term):
        wait_for_line_editing(term)
        term.send(b"exit\n")
        status, rest = term.finish()
        self.assertEqual(status, EXIT_OK, rest)


class ShellTest(ShellTestCase):

    def test_names_with_spaces_put_ls_get(self):
        data = os.urandom(3000)
        write_file(self.client.path("my file.txt"), data)
        term = self.start_shell()
        self.transfer(term, "put \"my file.txt\" 'remote name.bin'")
        self.assertEqual(read_file(self.server.stored("alice", "remote name.bin")), data)
        listing = self.command(term, "ls")
        self.assertRegex(listing, rb"\n? +3000  \d{4}-\d\d-\d\d \d\d:\d\d  remote name\.bin\r\n")
        self.transfer(term, r"get remote\ name.bin 'copy of it'")
        self.assertEqual(read_file(self.client.path("copy of it")), data)
        self.assertEqual(self.command(term, "rm \"remote name.bin\""), b"")
        self.assertFalse(os.path.exists(self.server.stored("alice", "remote name.bin")))
        self.exit_shell(term)

    def test_cd_and_pwd(self):
        docs = os.path.join(self.server.user_dir("alice"), "docs")
        os.makedirs(os.path.join(docs, "sub"), mode=0o700)
        write_file(os.path.join(docs, "inner.txt"), b"inside docs\n")
        self.addCleanup(lambda: __import__("shutil").rmtree(docs, ignore_errors=True))
        write_file(self.client.path("up.txt"), b"put into docs\n")
        term = self.start_shell()
        self.assertEqual(self.command(term, "pwd"), b"/\r\n")
        self.assertEqual(self.command(term, "cd docs"), b"")
        self.assertEqual(self.command(term, "pwd"), b"/docs\r\n")
        self.assertEqual(self.command(term, "view inner.txt"), b"inside docs\r\n")
        self.transfer(term, "put up.txt")
        self.assertEqual(read_file(os.path.join(docs, "up.txt")), b"put into docs\n")
        self.assertEqual(self.command(term, "cd sub/../sub"), b"")
        self.assertEqual(self.command(term, "pwd"), b"/docs/sub\r\n")
        self.assertEqual(self.command(term, "cd .."), b"")
        self.assertEqual(self.command(term, "pwd"), b"/docs\r\n")
        self.assertEqual(self.command(term, "hash /docs/inner.txt"),
                         (digest_hex(b"inside docs\n") + "  docs/inner.txt\r\n").encode())
        self.assertEqual(self.command(term, "cd"), b"")
        self.assertEqual(self.command(term, "pwd"), b"/\r\n")
        # Each refused cd leaves the directory as it was.
        self.assertEqual(self.command(term, "cd nope"), b"sfs: no such directory: /nope\r\n")
        self.assertEqual(self.command(term, "cd docs/inner.txt"),
                         b"sfs: not a directory: /docs/inner.txt\r\n")
        self.assertEqual(self.command(term, "cd .."),
                         b"sfs: '..' leads above your top directory: ..\r\n")
        self.assertEqual(self.command(term, "pwd"), b"/\r\n")
        self.exit_shell(term)

    def test_a_failing_command_then_working_ones(self):
        self.upload(b"still here\n", "kept.txt")
        term = self.start_shell()
        self.assertEqual(self.command(term, "get missing.bin"),
                         b"sfs: no such file: missing.bin\r\n")
        self.assertEqual(self.command(term, "frobnicate x"),
                         b"sfs: unknown command 'frobnicate' (try help)\r\n")
        self.assertEqual(self.command(term, "get \"kept.txt"),
                         b"sfs: unterminated double quote\r\n")
        self.assertEqual(self.command(term, "rm"),
                         b"sfs: rm: missing argument (usage: rm [-r] REMOTE...)\r\n")
        self.assertEqual(self.command(term, "view kept.txt --bytes x"),
                         b"sfs: view: --bytes: expected a non-negative decimal number\r\n")
        self.assertEqual(self.command(term, "view kept.txt"), b"still here\r\n")
        self.assertEqual(self.command(term, "view kept.txt -n 5"), b"still\r\n")
        self.assertEqual(os.listdir(self.client.cwd), [])
        self.exit_shell(term)

    def test_help(self):
        term = self.start_shell()
        text = self.command(term, "help").decode()
        for usage in ("put [-r] [--force] [-p] [--no-times] LOCAL... [REMOTE]",
                      "get [-r] [--force] [-p] [--no-times] REMOTE... [LOCAL]",
                      "mput [-r] [--force] [-p] [--no-times] LOCAL...",
                      "mget [-r] [--force] [-p] [--no-times] REMOTE...",
                      "view REMOTE [--bytes N]", "rm [-r] REMOTE...", "ls [-l] [-R] [-a] [-h] [DIR]",
                      "stat PATH", "mkdir [-p] DIR", "rmdir DIR", "mv SRC DST", "hash REMOTE",
                      "verify", "cd [DIR]", "pwd", "lcd [DIR]", "lls [DIR]", "help [COMMAND]", "exit"):
            self.assertRegex(text, r"\n  %s +\S" % __import__("re").escape(usage))
        self.assertTrue(self.command(term, "help delete").startswith(
            b"usage: rm [-r] REMOTE...\r\nDelete REMOTE (alias: delete)\r\n"))
        self.assertEqual(self.command(term, "help nothing"),
                         b"sfs: unknown command 'nothing' (try help)\r\n")
        self.assertEqual(self.command(term, "rename a b"),
                         b"sfs: unknown command 'rename'; did you mean 'mv'?\r\n")
        self.exit_shell(term)

    def test_local_commands(self):
        os.mkdir(self.client.path("sub dir"))
        write_file(self.client.path("sub dir", "b.txt"), b"b")
        write_file(self.client.path("a.txt"), b"a")
        term = self.start_shell()
        self.assertEqual(self.command(term, "lls"), b"a.txt\r\nsub dir/\r\n")
        self.assertEqual(self.command(term, "lcd 'sub dir'"), b"")
        self.assertEqual(self.command(term, "lpwd"),
                         os.path.realpath(self.client.path("sub dir")).encode() + b"\r\n")
        self.transfer(term, "put b.txt")  # relative to the new local dir
        self.assertEqual(read_file(self.server.stored("alice", "b.txt")), b"b")
        self.assertEqual(self.command(term, "lcd nowhere"),
                         b"sfs: no such local directory: nowhere\r\n")
        self.exit_shell(term)

    def test_tab_completes_commands_and_remote_names(self):
        self.upload(b"complete me\n", "completion-target.txt")
        self.upload(b"spaced\n", "spaced out name.txt")
        term = self.start_shell()
        # "hel" + Tab becomes "help ": the rest of the line is its argument.
        self.assertEqual(self.command(term, b"hel\tpwd"),
                         b"usage: pwd\r\nPrint the remote directory\r\n")
        # A remote name: listed from the server, completed with a space after it.
        out = self.command(term, b"hash completion-t\t")
        self.assertTrue(out.endswith((digest_hex(b"complete me\n")
                                      + "  completion-target.txt\r\n").encode()), out)
        # A name with spaces is completed with its spaces escaped.
        out = self.command(term, b"view spaced\t")
        self.assertTrue(out.endswith(b"spaced\r\n"), out)
        self.assertIn(b"spaced\\ out\\ name.txt", term.transcript)
        self.exit_shell(term)

    def test_history_is_kept_private_across_sessions(self):
        state = self.new_temp_dir()
        env = {"XDG_STATE_HOME": state}
        term = self.start_shell(env)
        self.assertEqual(self.command(term, "pwd"), b"/\r\n")
        self.exit_shell(term)
        history = os.path.join(state, "sfs", "history")
        self.assertEqual(file_mode(history), 0o600)
        self.assertEqual(file_mode(os.path.dirname(history)), 0o700)
        lines = read_file(history).decode().splitlines()
        self.assertEqual(lines[-2:], ["pwd", "exit"])
        # The next session recalls it: Ctrl-P twice brings back "pwd".
        term = self.start_shell(env)
        self.assertEqual(self.command(term, b"\x10\x10"), b"/\r\n")
        self.exit_shell(term)

    def test_history_defaults_to_home(self):
        term = self.start_shell()
        self.command(term, "pwd")
        self.exit_shell(term)
        history = os.path.join(self.client.config_home, ".local", "state", "sfs", "history")
        self.assertEqual(file_mode(history), 0o600)
        self.assertIn("pwd", read_file(history).decode().splitlines())

    def test_end_of_input_exits_zero(self):
        term = self.start_shell()
        wait_for_line_editing(term)
        term.send(b"\x04")
        status, rest = term.finish()
        self.assertEqual(status, EXIT_OK, rest)

    def test_through_a_pipe(self):
        # No prompts without a terminal; the status is the last failure's.
        self.upload(b"piped\n", "piped.txt")
        result = self.client.run("shell", input=b"view piped.txt\nget nothing\npwd\nquit\nls\n")
        self.assertEqual(result.returncode, EXIT_NOT_FOUND, result.stderr)
        self.assertEqual(result.stdout, b"piped\n/\n")
        self.assertEqual(result.stderr, b"sfs: no such file: nothing\n")


class ShellConnectionLossTest(ShellTestCase):
    server_per_test = True

    def test_lost_connection_ends_the_shell_when_it_cannot_reconnect(self):
        term = self.start_shell()
        self.assertEqual(self.command(term, "pwd"), b"/\r\n")
        self.server.stop()
        wait_for_line_editing(term)
        term.send(b"ls\n")
        status, rest = term.finish()
        self.assertEqual(status, EXIT_NETWORK, rest)
        self.assertRegex(rest, rb"\r\nsfs: [^\r\n]+\r\n$")
        self.assertNotIn(PROMPT, rest)


if __name__ == "__main__":
    unittest.main()
