"""Spoofing the server's log with invisible or reordering characters.

A path is valid UTF-8 of the user's choosing, and error messages quote it
(`no such file: <path>`). Without escaping, a C1 control (U+009B is CSI to
many terminals) would drive the terminal of whoever reads the log, a bidi
override (U+202E) or isolate would show a line in another order than it is
written ("Trojan Source"), and zero-width or tag characters would hide text.
Every such character reaches the text log as an escape (\\uXXXX, invalid
bytes as \\xHH, a backslash as \\\\), and the JSON log as a JSON escape.
"""

import json
import re
import time
import unittest

from sfs_harness import RawConnection, ServerTestCase, percent_encode

# One of each kind: C1 CSI, bidi override, isolate and pop, zero-width space,
# line separator, BOM, a tag character (hidden ASCII), a backslash.
HOSTILE = ("report\u009b2J\u202eexe.txt\u2066x\u2069\u200b\u2028"
           "\ufeff\U000e0041\\u202e")
ESCAPED_TEXT = ("report\\u009b2J\\u202eexe.txt\\u2066x\\u2069\\u200b\\u2028"
                "\\ufeff\\U000e0041\\\\u202e")
RAW_HIDDEN = re.compile("[\u0080-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f"
                        "\ufeff\U000e0000-\U000e0fff]")


def send_hostile_requests(test, server):
    with RawConnection(server.port) as conn:
        test.assertEqual(conn.greet_and_login("alice", server.users["alice"]), "OK")
        for command in ("GET %s 0 -", "DELETE %s", "HASH %s", "STAT %s"):
            reply = conn.command(command % percent_encode(HOSTILE))
            test.assertTrue(reply.startswith("ERR NOTFOUND"), reply)
        test.assertEqual(conn.command("QUIT"), "OK")
    time.sleep(0.2)  # let the server log the end of the connection


class TextLogSpoofingTest(ServerTestCase):

    def test_hidden_and_reordering_characters_are_escaped(self):
        mark = self.server.log_mark()
        send_hostile_requests(self, self.server)
        log = self.server.log_since(mark)
        self.assertIsNone(RAW_HIDDEN.search(log), ascii(log))
        details = re.findall(r"op=(?:GET|DELETE|HASH|STAT) .* result=NOTFOUND \((.*)\)$", log,
                             re.M)
        self.assertEqual(len(details), 4, log)
        for detail in details:
            self.assertTrue(detail.endswith(ESCAPED_TEXT), ascii(detail))


class JsonLogSpoofingTest(ServerTestCase):
    server_kwargs = {"extra_args": ["--log-format", "json"]}

    def test_hidden_and_reordering_characters_are_json_escapes(self):
        send_hostile_requests(self, self.server)
        text = self.server.log_text()
        self.assertIsNone(RAW_HIDDEN.search(text), ascii(text))
        records = [json.loads(line) for line in text.splitlines()]
        details = [r["detail"] for r in records
                   if r.get("event") == "operation" and r["result"] == "NOTFOUND"]
        self.assertEqual(len(details), 4, records)
        for detail in details:
            # Decoded, the JSON gives back exactly what the client sent.
            self.assertTrue(detail.endswith(HOSTILE), ascii(detail))
        self.assertIn("\\u202e", text)
        self.assertIn("\\udb40\\udc41", text)  # U+E0041 as a surrogate pair


if __name__ == "__main__":
    unittest.main()
