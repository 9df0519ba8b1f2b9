"""Scripting with sfs (issue 16, item 12): --json in batch mode and for
verify, a shell fed by a pipe, password retries and the trust question on a
terminal, the exit status of a download into a missing folder, and the
reasons --password-file gives."""

import json
import os
import unittest

from sfs_harness import (CLIENT_BIN, EXIT_AUTH, EXIT_LOCAL, EXIT_NOT_FOUND, EXIT_OK, PtyProcess,
                         ServerTestCase, client_env, stderr_lines)


class JsonAndPipesTest(ServerTestCase):

    def test_json_in_batch_mode(self):
        self.upload(b"12345", "j.txt")
        result = self.client.run("--json", "-b", "-", input=b"ls\nhash j.txt\n")
        self.assertEqual(result.returncode, EXIT_OK, result.stderr)
        listing, digest = result.stdout.decode().rstrip("\n").rsplit("\n", 1)
        names = [entry["name"] for entry in json.loads(listing)]
        self.assertIn("j.txt", names)
        self.assertEqual(json.loads(digest)["path"], "j.txt")

    def test_json_verify(self):
        self.upload(b"fine", "v.txt")
        result = self.client.run("--json", "verify")
        self.assertEqual(result.returncode, EXIT_OK, result.stderr)
        report = json.loads(result.stdout)
        self.assertGreaterEqual(report["checked"], 1)
        self.assertEqual(report["damaged"], 0)
        self.assertEqual(report["files"], [])

    def test_piped_shell_prints_no_prompts_and_fails_as_its_commands(self):
        self.upload(b"piped\n", "p.txt")
        result = self.client.run("shell", input=b"view p.txt\nget nothing\npwd\n")
        self.assertEqual(result.returncode, EXIT_NOT_FOUND, result.stderr)
        self.assertEqual(result.stdout, b"piped\n/\n")
        self.assertEqual(result.stderr, b"sfs: no such file: nothing\n")
        ok = self.client.run("shell", input=b"pwd\n")
        self.assertEqual((ok.returncode, ok.stdout), (EXIT_OK, b"/\n"))

    def test_get_into_a_missing_local_folder_is_a_local_error(self):
        self.upload(b"x", "g.txt")
        result = self.client.run("get", "g.txt", "no-such-dir/g.txt")
        self.assertFails(result, EXIT_LOCAL, "no such local directory: no-such-dir")

    def test_password_file_errors_say_why(self):
        missing = self.client.path("missing-pw")
        result = self.client.run("--password-file", missing, "ls", password=False)
        self.assertFails(result, EXIT_LOCAL,
                         "cannot read password file %s: No such file or directory" % missing)
        empty = self.client.path("empty-pw")
        open(empty, "wb").close()
        result = self.client.run("--password-file", empty, "ls", password=False)
        self.assertFails(result, EXIT_LOCAL, "password file %s is empty" % empty)


class TerminalQuestionsTest(ServerTestCase):
    server_per_test = True  # failed logins leave penalties behind

    def on_terminal(self, *args, trust="ca"):
        client = self.client
        term = PtyProcess([CLIENT_BIN] + client.common_args(trust=trust) + list(args),
                          cwd=client.cwd, env=client_env(client.config_home, None))
        self.addCleanup(term.close)
        return term

    def test_a_mistyped_password_may_be_typed_again(self):
        term = self.on_terminal("ls")
        term.expect(b"'s password: ")
        term.send(b"wrong-one\n")
        term.expect(b"sfs: wrong user name or password, please try again\r\n")
        term.expect(b"'s password: ")
        term.send(self.client.password.encode() + b"\n")
        status, rest = term.finish()
        self.assertEqual(status, EXIT_OK, rest)
        self.assertNotIn(b"sfs:", rest)

    def test_three_wrong_passwords_fail(self):
        term = self.on_terminal("ls")
        for _ in range(3):
            term.expect(b"'s password: ", timeout=30.0)
            term.send(b"wrong-again\n")
        status, rest = term.finish()
        self.assertEqual(status, EXIT_AUTH, rest)
        self.assertIn(b"sfs: login failed: wrong user name or password\r\n", rest)
        self.assertNotIn(b"password: ", rest)

    def test_trust_question_is_asked_again_after_another_answer(self):
        term = self.on_terminal("ls", trust="tofu")
        term.expect(b"(yes/no)? ")
        term.send(b"maybe\n")
        term.expect(b"Please type 'yes' or 'no': ")
        term.send(b"yes\n")
        term.expect(b"'s password: ")
        term.send(self.client.password.encode() + b"\n")
        status, rest = term.finish()
        self.assertEqual(status, EXIT_OK, rest)
        self.assertTrue(os.path.exists(self.client.known_servers))


if __name__ == "__main__":
    unittest.main()
