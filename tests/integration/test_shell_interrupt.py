"""Ctrl-C in `sfs shell` (issue 16, item 2), through a pty as a user types it:
at the prompt it drops the line; during a transfer it stops only that
transfer, which the next put/get resumes; the shell, its cd and its login
stay."""

import os
import unittest

from sfs_harness import (CLIENT_BIN, PtyProcess, client_env, local_partial, read_file,
                         write_file)
from test_shell import PROMPT, ShellTestCase, wait_for_line_editing

CTRL_C = b"\x03"


class ShellInterruptTest(ShellTestCase):

    def shell_via(self, port):
        """A shell whose connections go to `port` (a FaultProxy's)."""
        client = self.client
        term = PtyProcess([CLIENT_BIN] + client.common_args(port=port) + ["shell"],
                          cwd=client.cwd,
                          env=client_env(client.config_home, client.password, {"TERM": "dumb"}))
        self.addCleanup(term.close)
        term.expect(PROMPT)
        return term

    def interrupt_transfer(self, term, line):
        """Types `line`, waits for its progress display, presses Ctrl-C; returns
        what the shell printed up to its next prompt."""
        wait_for_line_editing(term)
        term.send(line.encode() + b"\n")
        term.expect(b"\r" + line.split()[0].encode() + b" ", timeout=30.0)  # the progress bar
        term.send(CTRL_C)
        return term.expect(b"\r\n" + PROMPT, timeout=30.0)

    # A Ctrl-C that lands after the shell set up line editing but before
    # libedit's read starts takes effect at the next key (a known limit);
    # the sanitizers slow that gap enough for the test to hit it. The
    # release run covers this case.
    @unittest.skipIf(os.environ.get("SFS_SANITIZED"), "timing gap widened by the sanitizers")
    def test_ctrl_c_at_the_prompt_clears_the_line_and_keeps_the_shell(self):
        os.makedirs(os.path.join(self.server.user_dir("alice"), "kept"), exist_ok=True)
        term = self.start_shell()
        self.assertEqual(self.command(term, "cd kept"), b"")
        wait_for_line_editing(term)
        term.send(b"rm everything-typed-so-far")
        term.expect(b"everything-typed-so-far")
        term.send(CTRL_C)
        term.expect(b"^C\r\n" + PROMPT)
        # The typed line was dropped, not run, and the session (with its cd) is alive.
        self.assertEqual(self.command(term, "pwd"), b"/kept\r\n")
        wait_for_line_editing(term)  # (a Ctrl-C before the prompt reads is the next read's)
        term.send(CTRL_C)  # on an empty line too
        term.expect(b"^C\r\n" + PROMPT)
        self.assertEqual(self.command(term, "pwd"), b"/kept\r\n")
        self.exit_shell(term)

    def resumed_transfer(self, term, line):
        """Runs the put or get again: it says it resumes, then shows its
        progress and no error."""
        out = self.command(term, line)
        self.assertRegex(out, rb"^sfs: (put|get) [^\r\n]*: resuming at [0-9.]+ [KM]iB\r\n")
        rest = out.split(b"\r\n", 1)[1]
        self.assertNotIn(b"sfs:", rest)
        self.assertRegex(rest, rb"^(\r(put|get) [^\r\n]*\x1b\[K)*\r\n$")

    def test_ctrl_c_stops_a_download_which_then_resumes(self):
        data = os.urandom(32 << 20)
        self.upload(data, "big.bin")
        proxy = self.new_proxy()
        proxy.configure(rate_down=512 << 10)
        term = self.shell_via(proxy.port)
        out = self.interrupt_transfer(term, "get big.bin")
        self.assertRegex(out, rb"sfs: interrupted at [0-9.]+ [KM]iB; run it again to resume\r\n")
        # The partial download stays for the resume, the file is not there yet.
        self.assertFalse(os.path.exists(self.client.path("big.bin")))
        part = local_partial(self.client.path("big.bin"))
        self.assertTrue(os.path.exists(part))
        held = os.path.getsize(part)
        self.assertGreater(held, 0)
        self.assertEqual(self.command(term, "pwd"), b"/\r\n")
        proxy.set_rate()
        self.resumed_transfer(term, "get big.bin")
        self.assertEqual(read_file(self.client.path("big.bin")), data)
        self.assertFalse(os.path.exists(part))
        self.exit_shell(term)

    def test_ctrl_c_stops_an_upload_which_then_resumes(self):
        os.makedirs(os.path.join(self.server.user_dir("alice"), "up"), exist_ok=True)
        data = os.urandom(32 << 20)
        write_file(self.client.path("big.bin"), data)
        proxy = self.new_proxy()
        proxy.configure(rate_up=512 << 10)
        term = self.shell_via(proxy.port)
        self.assertEqual(self.command(term, "cd up"), b"")
        out = self.interrupt_transfer(term, "put big.bin")
        self.assertRegex(out, rb"sfs: interrupted at [0-9.]+ [KM]iB; run it again to resume\r\n")
        self.assertFalse(os.path.exists(self.server.stored("alice", "up/big.bin")))
        self.assertEqual(self.command(term, "pwd"), b"/up\r\n")
        proxy.set_rate()
        # The server keeps the part once it has seen the cut (the proxy
        # passes on what it still holds first).
        self.assertTrue(self.server.wait_for_log(r"op=PUT path=up/big\.bin .*result=NETWORK"))
        mark = self.server.log_mark()
        self.resumed_transfer(term, "put big.bin")
        self.assertEqual(read_file(self.server.stored("alice", "up/big.bin")), data)
        # The second put went on from what the first one left on the server.
        self.assertRegex(self.server.log_since(mark), r"from=[1-9]")
        self.exit_shell(term)


if __name__ == "__main__":
    unittest.main()
