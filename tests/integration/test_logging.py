"""Server logs: --log-format json, audit records, no secrets, no injected lines.

With --log-format json every stderr line is one JSON object; operations are
records {"event":"operation","user","peer","op","path","bytes","from",
"result","detail"}. In both formats names are logged percent-encoded, so a
peer cannot forge log lines, and passwords never appear.
"""

import datetime
import json
import re
import socket
import time
import unittest

from sfs_harness import RawConnection, ServerTestCase, percent_encode, tcp_connect

WRONG = "Wr0ng-Secret-Guess"
ODD_NAME = 'we"ird \\name\u00e9.txt'
OPERATION_KEYS = {"time", "level", "event", "user", "peer", "op", "path", "bytes", "from",
                  "result", "detail"}
TEXT_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3} (trace|debug|info|warning|error|"
                       r"critical) \S")


def parse_time(value):
    return datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")


def exercise(test, server):
    """A bit of everything a log records: a failed and a good login, uploads, a
    download, a listing, a delete, errors, a junk connection."""
    client = test.client
    test.assertEqual(client.run("ls", password=WRONG).returncode, 3)
    test.upload(b"hello json" * 100, "plain.txt")
    test.upload(b"odd", ODD_NAME)
    test.assertOk(client.run("get", "plain.txt", client.path("back.txt")))
    test.assertOk(client.run("ls"))
    test.assertOk(client.run("rm", ODD_NAME))
    test.assertEqual(client.run("get", "missing.txt", client.path("m")).returncode, 4)
    with RawConnection(server.port) as conn:
        test.assertEqual(conn.greet_and_login("alice", server.users["alice"]), "OK")
        test.assertTrue(conn.command("GET %s 0 -" % percent_encode("a\nb\x1b[2J")).startswith(
            "ERR NOTFOUND"))
        test.assertTrue(conn.command("BOGUS cmd").startswith("ERR BADCMD"))
        test.assertEqual(conn.command("QUIT"), "OK")
    with tcp_connect(server.port) as sock:
        sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
        sock.settimeout(5)
        try:
            while sock.recv(4096):
                pass
        except (ConnectionResetError, socket.timeout):
            pass
    time.sleep(0.3)  # let the server log the ends of the connections


class JsonLogTest(ServerTestCase):
    server_kwargs = {"extra_args": ["--log-format", "json"]}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.exercised = False

    def setUp(self):
        super().setUp()
        if not type(self).exercised:
            exercise(self, self.server)
            type(self).exercised = True

    def records(self):
        out = []
        for line in self.server.log_text().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                self.fail("not a JSON line: %r" % line)
            self.assertIsInstance(record, dict, line)
            out.append(record)
        return out

    def operations(self, op=None):
        return [r for r in self.records()
                if r.get("event") == "operation" and (op is None or r["op"] == op)]

    def test_every_line_is_a_json_object(self):
        records = self.records()
        self.assertGreater(len(records), 15)
        for record in records:
            self.assertIn(record["level"], ("info", "warning", "error"), record)
            parse_time(record["time"])
            if record.get("event") == "operation":
                self.assertEqual(set(record), OPERATION_KEYS, record)
            else:
                self.assertEqual(set(record), {"time", "level", "msg"}, record)
                self.assertIsInstance(record["msg"], str)
        messages = " | ".join(r.get("msg", "") for r in records)
        # The start-up warnings, failed login and junk connection are JSON too.
        self.assertIn("plaintext password", messages)
        self.assertRegex(messages, r"user=alice peer=127\.0\.0\.1:\d+ login failed")
        self.assertRegex(messages, r"user=alice peer=127\.0\.0\.1:\d+ login ok")
        self.assertRegex(messages, r"peer=127\.0\.0\.1:\d+ closed: ")

    def test_start_up_lines_on_stdout_are_json_too(self):
        """Under systemd stdout and stderr land in one journal: in JSON mode the
        listening, fingerprint and generated-certificate lines are objects too."""
        lines = self.server.stdout_raw.splitlines()
        self.assertEqual(len(lines), 3, lines)
        records = [json.loads(line) for line in lines]
        for record in records:
            self.assertEqual(set(record), {"time", "level", "msg"}, record)
            self.assertEqual(record["level"], "info")
            parse_time(record["time"])
        self.assertEqual([r["msg"] for r in records], [
            "generated a new certificate server.crt and key server.key",
            "listening on 127.0.0.1:%d" % self.server.port,
            "certificate SHA256 fingerprint %s" % self.server.fingerprint])

    def test_an_upload_is_an_operation_record(self):
        data = b"hello json" * 100
        puts = [r for r in self.operations("PUT") if r["path"] == "plain.txt"]
        self.assertEqual(len(puts), 1, self.operations("PUT"))
        record = puts[0]
        self.assertEqual(record["user"], "alice")
        self.assertRegex(record["peer"], r"^127\.0\.0\.1:\d+$")
        self.assertEqual(record["bytes"], len(data))
        self.assertEqual(record["from"], 0)
        self.assertEqual(record["result"], "ok")
        self.assertEqual(record["detail"], "")
        self.assertEqual(record["level"], "info")
        gets = [r for r in self.operations("GET") if r["path"] == "plain.txt"]
        self.assertEqual([(g["result"], g["bytes"]) for g in gets], [("ok", len(data))])
        self.assertEqual([r["result"] for r in self.operations("LIST")][:1], ["ok"])

    def test_names_are_percent_encoded_and_escaped(self):
        encoded = percent_encode(ODD_NAME)
        self.assertIn('"', encoded)  # '"' and '\\' are printable: JSON must escape them
        # (a small file's PUT carries its digest: no STAT before it)
        self.assertEqual([(r["op"], r["result"]) for r in self.operations()
                          if r["path"] == encoded],
                         [("PUT", "ok"), ("DELETE", "ok")])
        weird = [r for r in self.operations("GET") if r["path"] == percent_encode("a\nb\x1b[2J")]
        self.assertEqual(len(weird), 1, self.operations("GET"))
        self.assertEqual(weird[0]["result"], "NOTFOUND")
        self.assertTrue(weird[0]["detail"])
        missing = [r for r in self.operations("GET") if r["path"] == "missing.txt"]
        self.assertEqual([(r["result"], r["bytes"]) for r in missing], [("NOTFOUND", 0)])
        self.assertIn("missing.txt", missing[0]["detail"])
        # No raw control characters reach the log file.
        self.assertNotRegex(self.server.log_text(), r"[\x00-\x09\x0b-\x1f\x7f]")

    def test_no_password_anywhere(self):
        log = self.server.log_text()
        for secret in (WRONG, self.server.users["alice"], self.server.users["bob"],
                       percent_encode(WRONG)):
            self.assertNotIn(secret, log)


class TextLogTest(ServerTestCase):

    def test_every_line_is_one_record_and_none_is_forged(self):
        forged = "2026-01-01T00:00:00.000 info user=bob peer=10.0.0.1:1 login ok"
        with RawConnection(self.server.port) as conn:
            self.assertEqual(conn.greet_and_login("alice", self.server.users["alice"]), "OK")
            for command in ("GET", "DELETE", "HASH"):
                path = "x\n" + forged + "\x1b[2J"
                reply = conn.command("%s %s%s" % (command, percent_encode(path),
                                                  " 0 -" if command == "GET" else ""))
                self.assertTrue(reply.startswith("ERR NOTFOUND"), reply)
                self.assertNotIn("\x1b", reply)
        self.upload(b"text", "plain.txt")
        time.sleep(0.2)
        log = self.server.log_text()
        self.assertRegex(log, r"(?m) info user=alice peer=127\.0\.0\.1:\d+ op=PUT path=plain\.txt "
                              r"bytes=4 result=ok$")
        for line in log.splitlines():
            self.assertRegex(line, TEXT_LINE)
            self.assertFalse(line.startswith(forged[:23]), "a forged log line: %r" % line)
        self.assertNotIn("\x1b", log)
        self.assertNotIn(self.server.users["alice"], log)


if __name__ == "__main__":
    unittest.main()
