"""Every fenced block of README.md, in order (issue 16, item 11): the blocks
that drive the client run against a real server as a reader would paste
them, the settings files parse, and every other block is named with the
reason it cannot run here, so that a new block cannot go unchecked.

The blocks run in a directory laid out like the source tree after
./scripts/run-server (build/apps/sfs, var/server.crt), with the user `demo`
whose password is the README's placeholder, and the local files the
examples upload. The server's port comes from a default profile, so the
README's command lines run unchanged. Shell blocks (`$sfs ...`) run in bash
with `set -e`, sharing their variables; a transcript of `sfs>` lines is
typed into `sfs shell` on a pseudo-terminal, each line with its comment,
and what the README shows after a line is what the shell must print."""

import os
import re
import shutil
import subprocess
import tomllib
import unittest

from sfs_harness import (CLIENT_BIN, CLIENT_TIMEOUT, EXIT_OK, REPO, PtyProcess, ServerTestCase,
                         make_temp_dir, remove_tree, write_file)
from test_shell import PROMPT, wait_for_line_editing

PASSWORD = "the password run-server printed"

# Blocks that cannot run here, by what they contain; the reason is the test's
# word that they were looked at.
NOT_RUN = [
    (re.compile(r"\bsudo\b|systemctl|journalctl"), "needs root and a system install"),
    (re.compile(r"sfs-admin"), "writes a server's auth file (test_admin runs each command)"),
    (re.compile(r"sfs-server --config"), "reads a settings file under /etc (test_config)"),
    (re.compile(r"--profile"), "names profile hosts that do not exist (test_config)"),
    (re.compile(r"^0{8}: ", re.M), "output of view on a terminal (test_view)"),
    (re.compile(r"^sfs-server \[--host H\]"), "the server's synopsis, not a command"),
]

FILES = {
    "holiday.jpg": b"\xff\xd8\xff\xe0 not really a photo",
    "notes.txt": b"notes for 2026\n",
    "a.txt": b"AAA\n",
    "b.txt": b"BBB\n",
    "my report.pdf": b"%PDF-1.4 report\n",
    "dump.tar": b"tonight's dump",
    "commands.txt": b"ls   # what is there\n",
    "photos/2026/beach.jpg": b"beach",
    "photos/cat.jpg": b"cat",
}


def readme_blocks():
    """(line number, language, text) of each fenced block of README.md."""
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as f:
        lines = f.read().split("\n")
    blocks = []
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)```(\w*)\s*$", lines[i])
        if m is None:
            i += 1
            continue
        start, indent, body = i + 1, len(m.group(1)), []
        i += 1
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i][indent:])
            i += 1
        blocks.append((start, m.group(2), "\n".join(body) + "\n"))
        i += 1
    return blocks


class ReadmeTest(ServerTestCase):
    users = {"demo": PASSWORD}

    def setUp(self):
        super().setUp()
        self.root = make_temp_dir("sfs-it-readme-")
        self.addCleanup(remove_tree, self.root)
        self.home = os.path.join(self.root, "home")
        self.work = os.path.join(self.root, "tree")
        os.makedirs(os.path.join(self.work, "build", "apps"))
        os.makedirs(os.path.join(self.work, "var"))
        os.symlink(CLIENT_BIN, os.path.join(self.work, "build", "apps", "sfs"))
        shutil.copyfile(self.server.cert_path, os.path.join(self.work, "var", "server.crt"))
        for name, data in FILES.items():
            os.makedirs(os.path.dirname(os.path.join(self.work, name)), exist_ok=True)
            write_file(os.path.join(self.work, name), data)
        os.makedirs(os.path.join(self.home, "sfs"))
        write_file(os.path.join(self.home, "sfs", "config.toml"),
                   ('default-profile = "readme"\n[profile.readme]\nhost = "127.0.0.1"\n'
                    'port = %d\n' % self.server.port).encode())
        self.state = os.path.join(self.root, "state.sh")
        write_file(self.state, b"")

    def env(self):
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.home,
                "XDG_CONFIG_HOME": self.home, "XDG_STATE_HOME": self.home, "LANG": "C",
                "TZ": "UTC", "TERM": "dumb"}

    def run_sh(self, line, text):
        """Runs a block in bash with the variables the blocks before it set."""
        script = ("set -e\nsource %s\n%s\n{ declare -p sfs; export -p; } > %s 2>/dev/null\n"
                  % (self.state, text, self.state))
        result = subprocess.run(["bash", "-x", "-c", script], cwd=self.work, env=self.env(),
                                stdin=subprocess.DEVNULL, capture_output=True,
                                timeout=CLIENT_TIMEOUT * 4, start_new_session=True)
        self.assertEqual(result.returncode, EXIT_OK,
                         "README.md:%d failed:\n%s" % (line, result.stderr.decode(errors="replace")))

    def run_transcript(self, line, text):
        """Types each `sfs> ` line into `$sfs shell`; checks what the README shows."""
        steps = []  # (command, the lines the README shows after it)
        for row in text.rstrip("\n").split("\n"):
            if row.startswith("sfs> "):
                steps.append((row[len("sfs> "):], []))
            else:
                steps[-1][1].append(row)
        term = PtyProcess(["bash", "-c", "source %s && exec $sfs shell" % self.state],
                          cwd=self.work, env=self.env())
        self.addCleanup(term.close)
        term.expect(PROMPT)
        for command, shown in steps[:-1]:
            wait_for_line_editing(term)
            term.send(command.encode() + b"\n")
            out = term.expect(b"\r\n" + PROMPT, timeout=CLIENT_TIMEOUT)
            out = out[:-len(PROMPT)].split(b"\r\n", 1)[1].decode(errors="replace")
            where = "README.md:%d: sfs> %s" % (line, command)
            self.assertNotIn("sfs: ", out, where)
            if shown:
                self.assertEqual(out, "".join(s + "\r\n" for s in shown), where)
        wait_for_line_editing(term)
        term.send(steps[-1][0].encode() + b"\n")
        status, rest = term.finish()
        self.assertEqual(status, EXIT_OK, rest)

    def test_every_block_in_order(self):
        ran = 0
        for line, lang, text in readme_blocks():
            with self.subTest(line=line):
                if lang == "toml":
                    tomllib.loads(text)
                    continue
                if "$sfs" in text or text.startswith("export SFS_PASSWORD"):
                    self.run_sh(line, text)
                    ran += 1
                    continue
                if text.startswith("sfs> "):
                    self.run_transcript(line, text)
                    ran += 1
                    continue
                reasons = [reason for pattern, reason in NOT_RUN if pattern.search(text)]
                self.assertTrue(reasons or lang == "ini",
                                "README.md:%d: a block this test neither runs nor knows why "
                                "not; run it or add it to NOT_RUN" % line)
        self.assertGreaterEqual(ran, 4)


if __name__ == "__main__":
    unittest.main()
