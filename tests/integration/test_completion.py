"""Shell completion for sfs: the scripts in dist/completion are what
`sfs --completion SHELL` makes from the command table; the bash one is sourced
in a real bash and asked for completions (COMPREPLY) of partial command lines;
the zsh one is checked for what it offers."""

import os
import shutil
import subprocess
import unittest

from sfs_harness import (CLIENT_BIN, EXIT_OK, EXIT_USAGE, REPO, make_temp_dir, read_file,
                         remove_tree, write_file)

BASH_COMPLETION = os.path.join(REPO, "dist", "completion", "sfs.bash")
ZSH_COMPLETION = os.path.join(REPO, "dist", "completion", "_sfs")
COMMANDS = ("put", "upload", "get", "download", "view", "rm", "delete", "ls", "list", "hash",
            "verify", "menu", "mkdir", "rmdir", "mv", "move", "stat", "shell", "mput", "mget",
            "df", "trust", "help", "sync")

# Sets the completion variables as bash does for the words in "$@" (the cursor
# in the last one), runs the function `complete` registered for sfs and prints
# COMPREPLY one a line.
DRIVER = r'''
source "$COMPLETION" || exit 90
spec=$(complete -p sfs) || exit 91
function=${spec#*-F }
function=${function%% *}
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
"$function" sfs "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}"
'''


class GeneratedScriptsTest(unittest.TestCase):
    """The checked-in scripts are the table's: regenerate them with
    `build/apps/sfs --completion bash > dist/completion/sfs.bash` (and zsh > _sfs)."""

    def generate(self, shell):
        return subprocess.run([CLIENT_BIN, "--completion", shell], capture_output=True,
                              timeout=30, stdin=subprocess.DEVNULL, env={"HOME": "/nonexistent"})

    def test_checked_in_scripts_are_what_the_table_gives(self):
        for shell, path in (("bash", BASH_COMPLETION), ("zsh", ZSH_COMPLETION)):
            with self.subTest(shell=shell):
                result = self.generate(shell)
                self.assertEqual(result.returncode, EXIT_OK, result)
                self.assertEqual(result.stderr, b"")
                self.assertEqual(result.stdout.decode(), read_file(path).decode(),
                                 "%s is stale: sfs --completion %s > %s" % (path, shell, path))

    def test_unknown_shell(self):
        result = self.generate("fish")
        self.assertEqual(result.returncode, EXIT_USAGE, result)
        self.assertEqual(result.stdout, b"")
        self.assertIn(b"expected bash or zsh", result.stderr)


class BashCompletionTest(unittest.TestCase):
    def setUp(self):
        if shutil.which("bash") is None:
            self.skipTest("bash is not installed")
        self.dir = make_temp_dir("sfs-it-completion-")
        self.addCleanup(remove_tree, self.dir)
        self.config = os.path.join(self.dir, "config")
        os.makedirs(os.path.join(self.config, "sfs"))
        self.cwd = os.path.join(self.dir, "work")
        os.mkdir(self.cwd)

    def complete(self, *words):
        """The completions bash offers for `sfs WORDS`, the last word being completed."""
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.dir,
               "XDG_CONFIG_HOME": self.config, "COMPLETION": BASH_COMPLETION, "LANG": "C"}
        result = subprocess.run(["bash", "--norc", "--noprofile", "-c", DRIVER, "bash", "sfs"]
                                + list(words), cwd=self.cwd, env=env, capture_output=True,
                                timeout=30, stdin=subprocess.DEVNULL)
        self.assertEqual(result.returncode, 0, result)
        self.assertEqual(result.stderr, b"")
        return sorted(line for line in result.stdout.decode().splitlines() if line)

    def test_commands(self):
        self.assertEqual(self.complete(""), sorted(COMMANDS))
        self.assertEqual(self.complete("p"), ["put"])
        self.assertEqual(self.complete("d"), ["delete", "df", "download"])
        self.assertEqual(self.complete("s"), ["shell", "stat", "sync"])
        self.assertEqual(self.complete("mk"), ["mkdir"])
        self.assertEqual(self.complete("mo"), ["move"])
        # Options with values are skipped over to find the command position.
        self.assertEqual(self.complete("--host", "h", "--port", "9001", "-u", "alice", "ge"),
                         ["get"])
        self.assertEqual(self.complete("--trust-new", "--json", "v"), ["verify", "view"])

    def test_options(self):
        self.assertEqual(self.complete("--pro"), ["--profile"])
        self.assertEqual(self.complete("--p"), ["--password-file", "--port", "--profile"])
        self.assertIn("--ca-file", self.complete("--"))
        self.assertIn("-b", self.complete("-"))
        self.assertEqual(self.complete("ls", "-"), ["--all", "--help", "--human-readable", "--long",
                                                    "--recursive", "-R", "-a", "-h", "-l"])
        self.assertEqual(self.complete("view", "notes.txt", "--b"), ["--bytes"])
        self.assertEqual(self.complete("mkdir", "-"), ["--help", "--parents", "-p"])
        self.assertEqual(self.complete("put", "-"), ["--force", "--help", "--no-times",
                                                     "--preserve", "--recursive", "-p", "-r"])
        self.assertEqual(self.complete("sync", "--d"), ["--delete", "--dry-run"])
        self.assertEqual(self.complete("move", "-"), ["--help"])
        self.assertEqual(self.complete("--completion", ""), ["bash", "zsh"])

    def test_profile_names_from_the_settings_file(self):
        self.assertEqual(self.complete("--profile", ""), [])  # no file yet
        write_file(os.path.join(self.config, "sfs", "config.toml"),
                   b'default-profile = "home"\n[profile.home]\nhost = "h"\n'
                   b'[ profile.work ]\nport = 9001\n[profile.work-2]\n')
        self.assertEqual(self.complete("--profile", ""), ["home", "work", "work-2"])
        self.assertEqual(self.complete("--profile", "w"), ["work", "work-2"])

    def test_local_files(self):
        for name in ("report.pdf", "notes.txt"):
            write_file(os.path.join(self.cwd, name), b"x")
        self.assertEqual(self.complete("put", "re"), ["report.pdf"])
        self.assertEqual(self.complete("put", ""), ["notes.txt", "report.pdf"])
        # put LOCAL... [REMOTE]: any argument may be a local file.
        self.assertEqual(self.complete("put", "notes.txt", "re"), ["report.pdf"])
        self.assertEqual(self.complete("mput", "notes.txt", "re"), ["report.pdf"])
        # get REMOTE... [LOCAL]: every argument but the first may be local.
        self.assertEqual(self.complete("get", "a.txt", "no"), ["notes.txt"])
        self.assertEqual(self.complete("get", "no"), [])
        self.assertEqual(self.complete("--ca-file", "rep"), ["report.pdf"])
        self.assertEqual(self.complete("-b", "no"), ["notes.txt"])
        self.assertEqual(self.complete("--batch", "no"), ["notes.txt"])
        # A flag's value is not an argument: the LOCAL of get is still the second.
        self.assertEqual(self.complete("get", "-r", "a", "no"), ["notes.txt"])
        self.assertEqual(self.complete("view", "--bytes", "5", "no"), [])


class ZshCompletionTest(unittest.TestCase):
    def test_offers_every_command_and_option(self):
        text = read_file(ZSH_COMPLETION).decode()
        self.assertTrue(text.startswith("#compdef sfs\n"))
        for command in COMMANDS:
            self.assertIn("'%s:" % command, text)
        for option in ("--host", "--port", "--user", "--ca-file", "--trust-new",
                       "--password-file", "--profile", "--no-resume", "--retries", "--json",
                       "--compress",
                       "{-b,--batch}", "--completion"):
            self.assertIn(option, text)
        if shutil.which("zsh"):
            result = subprocess.run(["zsh", "-n", ZSH_COMPLETION], capture_output=True,
                                    timeout=30)
            self.assertEqual(result.returncode, 0, result)


if __name__ == "__main__":
    unittest.main()
