"""The wire protocol spoken by hand (docs/protocol.md): replies, frames, limits."""

import os
import re
import unittest

from sfs_harness import (DIGEST_NAME, NO_OFFER, RawConnection, ServerTestCase, ok_get, ok_put,
                         partial_files_in, read_file, digest_hex, temp_files_in, trailer,
                         write_file)

MAX_FRAME = 4 << 20
MAX_LINE = 16384


class ProtocolTest(ServerTestCase):

    def setUp(self):
        super().setUp()
        self.raw = self.login()

    def tearDown(self):
        self.assertTrue(self.server.running(), "sfs-server died")
        self.assertEqual(temp_files_in(self.server.user_dir("alice")), [])
        # Refused uploads never leave a resumable part; only cut connections do.
        self.assertEqual(partial_files_in(self.server.user_dir("alice")), [])

    def login(self):
        raw = RawConnection(self.server.port)
        self.addCleanup(raw.close)
        self.assertEqual(raw.greet_and_login("alice", self.server.users["alice"]), "OK")
        return raw

    def assertSessionUsable(self, raw=None):
        reply = (raw or self.raw).command("LIST")
        self.assertTrue(reply and re.fullmatch(r"OK \d+", reply), reply)
        for _ in range(int(reply.split()[1])):
            (raw or self.raw).read_line()

    def assertClosedWithProtocolError(self, raw=None):
        """Replied `ERR PROTOCOL ...` (or nothing), then closed the connection."""
        raw = raw or self.raw
        reply = raw.read_line()
        self.assertTrue(reply is None or reply.startswith("ERR PROTOCOL "), reply)
        self.assertTrue(raw.at_eof(), "connection still open")

    def stored(self, name):
        return self.server.stored("alice", name)

    # --- PUT

    def test_put_in_many_frames(self):
        data = os.urandom(600000)
        self.assertEqual(self.raw.put("frames.bin", data), (NO_OFFER, ok_put(data)))
        self.assertEqual(read_file(self.stored("frames.bin")), data)
        data = os.urandom(1000)
        self.assertEqual(self.raw.put("frames.bin", data, frame=1), (NO_OFFER, ok_put(data)))
        self.assertEqual(read_file(self.stored("frames.bin")), data)

    def test_put_largest_frame(self):
        data = os.urandom(MAX_FRAME)
        self.assertEqual(self.raw.put("max-frame.bin", data, frame=MAX_FRAME),
                         (NO_OFFER, ok_put(data)))
        self.assertEqual(read_file(self.stored("max-frame.bin")), data)
        os.unlink(self.stored("max-frame.bin"))

    def test_put_empty(self):
        self.assertEqual(self.raw.put("empty.bin", b""), (NO_OFFER, ok_put(b"")))
        self.assertEqual(read_file(self.stored("empty.bin")), b"")

    def test_put_percent_encoded_names(self):
        self.assertEqual(self.raw.put("a b%c\u00e9.txt", b"x"), (NO_OFFER, ok_put(b"x")))
        self.assertEqual(read_file(self.stored("a b%c\u00e9.txt")), b"x")
        # Decoders accept lower-case hex.
        self.assertEqual(self.raw.command("GET a%20b%25c%c3%a9.txt 0 -"), ok_get(b"x"))
        self.assertEqual(self.raw.read_download(), (b"x", trailer(b"x")))

    def test_too_much_data_is_a_protocol_error(self):
        write_file(self.stored("victim.bin"), b"previous")
        self.assertEqual(self.raw.start_put("victim.bin", 3), NO_OFFER)
        self.raw.send_frame(b"12345")
        self.assertClosedWithProtocolError()
        self.assertEqual(read_file(self.stored("victim.bin")), b"previous")

    def test_early_end_frame_is_a_protocol_error(self):
        write_file(self.stored("victim2.bin"), b"previous")
        self.assertEqual(self.raw.start_put("victim2.bin", 10), NO_OFFER)
        self.raw.send_frame(b"123")
        self.raw.send_header(0)
        self.assertClosedWithProtocolError()
        self.assertEqual(read_file(self.stored("victim2.bin")), b"previous")

    def test_abort_frame(self):
        write_file(self.stored("victim3.bin"), b"previous")
        self.assertEqual(self.raw.start_put("victim3.bin", 10), NO_OFFER)
        self.raw.send_frame(b"123")
        self.raw.send_header(0xFFFFFFFF)
        reply = self.raw.read_line()
        self.assertTrue(reply.startswith("ERR ABORTED "), reply)
        self.assertEqual(read_file(self.stored("victim3.bin")), b"previous")
        self.assertSessionUsable()
        self.assertEqual(self.raw.start_put("new-aborted.bin", 5), NO_OFFER)
        self.raw.send_header(0xFFFFFFFF)
        self.assertTrue(self.raw.read_line().startswith("ERR ABORTED "))
        self.assertFalse(os.path.exists(self.stored("new-aborted.bin")))
        self.assertSessionUsable()

    def test_invalid_frame_lengths_close_the_connection(self):
        for length in (MAX_FRAME + 1, 0xFFFFFFFE, 0x80000000):
            with self.subTest(length=length):
                raw = self.login()
                self.assertEqual(raw.start_put("bad-frame.bin", 100), NO_OFFER)
                raw.send_header(length)
                self.assertClosedWithProtocolError(raw)
                self.assertFalse(os.path.exists(self.stored("bad-frame.bin")))
        self.assertSessionUsable()

    def test_put_size_limit(self):
        reply = self.raw.command("PUT huge.bin %d" % ((1 << 40) + 1))
        self.assertTrue(reply.startswith("ERR TOOLARGE "), reply)
        self.assertSessionUsable()

    def test_put_over_a_directory(self):
        os.mkdir(self.stored("a-dir"))
        reply = self.raw.command("PUT a-dir 1")
        self.assertTrue(reply.startswith("ERR ISDIR "), reply)
        self.assertSessionUsable()

    # --- GET and VIEW

    def test_get_with_offset(self):
        data = os.urandom(300000)
        write_file(self.stored("offset.bin"), data)
        # Stored by hand, the file has no digest until its first full GET, and an
        # offset without the matching digest gets the whole file.
        self.assertEqual(self.raw.download("offset.bin", 1000),
                         (ok_get(data, stored=False), data, trailer(data)))
        self.assertEqual(os.getxattr(self.stored("offset.bin"), "user.sfs.xxh128").decode(),
                         digest_hex(data))
        for offset in (0, 1, 262144, 299999, 300000):
            with self.subTest(offset=offset):
                self.assertEqual(self.raw.download("offset.bin", offset, digest_hex(data)),
                                 (ok_get(data, start=offset), data[offset:], trailer(data)))
        # A digest of some other content: start over.
        self.assertEqual(self.raw.download("offset.bin", 1000, digest_hex(b"other")),
                         (ok_get(data), data, trailer(data)))
        # An offset past the end cannot resume: the whole file, or a refusal.
        reply = self.raw.get("offset.bin", 300001, digest_hex(data))
        if reply.startswith("OK "):
            self.assertEqual(reply, ok_get(data))
            self.assertEqual(self.raw.read_download(), (data, trailer(data)))
        else:
            self.assertTrue(reply.startswith("ERR BADCMD "), reply)
        self.assertSessionUsable()

    def test_put_resumes_what_the_server_holds(self):
        data = os.urandom(700000)
        self.assertEqual(self.raw.start_put("resumed.bin", len(data)), NO_OFFER)
        self.raw.send_frame(data[:300000])
        self.raw.send_frame(data[300000:400000])
        self.raw.close()  # cut: the server keeps the 400000 bytes it got
        user_dir = self.server.user_dir("alice")
        self.assertTrue(self.server.wait_for_log(r"op=PUT path=resumed\.bin bytes=400000 "
                                                 r"result=(?!ok)"), self.server.log_text())
        self.assertEqual(len(partial_files_in(user_dir)), 1)
        self.assertFalse(os.path.exists(self.stored("resumed.bin")))

        raw = self.login()
        # Another size is another upload: nothing to offer.
        self.assertEqual(raw.start_put("resumed.bin", len(data) + 1), NO_OFFER)
        raw.send_header(0xFFFFFFFF)
        self.assertTrue(raw.read_line().startswith("ERR ABORTED "))
        # Any offset but 0 or the offered one is a protocol error.
        self.assertEqual(raw.command("PUT resumed.bin %d" % len(data)),
                         "OK 400000 " + digest_hex(data[:400000]))
        raw.send_line("FROM 1000")
        self.assertClosedWithProtocolError(raw)
        # Whether the refused attempt discarded the part is not specified; resuming
        # from whatever is offered now must give the right file.
        raw = self.login()
        offer, final = raw.put("resumed.bin", data, resume=True)
        self.assertIn(offer, ("OK 400000 " + digest_hex(data[:400000]), NO_OFFER))
        self.assertEqual(final, ok_put(data))
        self.assertEqual(read_file(self.stored("resumed.bin")), data)
        self.assertEqual(partial_files_in(user_dir), [])
        if offer != NO_OFFER:
            self.assertTrue(self.server.wait_for_log(
                r"op=PUT path=resumed\.bin from=400000 bytes=300000 result=ok"))

    def test_put_resume_refused_by_the_client_starts_over(self):
        old = os.urandom(300000)
        self.assertEqual(self.raw.start_put("restart.bin", len(old)), NO_OFFER)
        self.raw.send_frame(old[:200000])
        self.raw.close()
        self.assertTrue(self.server.wait_for_log(r"op=PUT path=restart\.bin bytes=200000 "
                                                 r"result=(?!ok)"))
        new = os.urandom(len(old))
        raw = self.login()
        offer, final = raw.put("restart.bin", new, resume=True)  # the prefix differs: FROM 0
        self.assertEqual(offer, "OK 200000 " + digest_hex(old[:200000]))
        self.assertEqual(final, ok_put(new))
        self.assertEqual(read_file(self.stored("restart.bin")), new)
        self.assertEqual(partial_files_in(self.server.user_dir("alice")), [])

    def test_view(self):
        data = os.urandom(5000)
        write_file(self.stored("view.bin"), data)
        for limit in (0, 1, 1024, 4999, 5000, 5001, 18446744073709551615):
            with self.subTest(limit=limit):
                self.assertEqual(self.raw.command("VIEW view.bin %d" % limit),
                                 "OK %d" % min(limit, 5000))
                self.assertEqual(self.raw.read_frames(), data[:limit])

    def test_get_missing_and_directory(self):
        reply = self.raw.get("missing.bin")
        self.assertEqual(reply, "ERR NOTFOUND no such file: missing.bin")
        os.makedirs(self.stored("dir-to-get"), exist_ok=True)
        reply = self.raw.get("dir-to-get")
        self.assertTrue(reply.startswith("ERR ISDIR "), reply)
        self.assertSessionUsable()

    def test_fifo_is_refused_without_blocking(self):
        os.mkfifo(self.stored("a-fifo"))
        # A server that opened the FIFO would block and not answer at all (the raw
        # read timeout is the safety net).
        reply = self.raw.get("a-fifo")
        self.assertTrue(reply.startswith("ERR BADPATH "), reply)
        self.assertSessionUsable()
        os.unlink(self.stored("a-fifo"))

    # --- LIST, DELETE, QUIT

    def test_list_format(self):
        user = "bob"
        raw = RawConnection(self.server.port)
        self.addCleanup(raw.close)
        self.assertEqual(raw.greet_and_login(user, self.server.users[user]), "OK")
        self.assertEqual(raw.put("b file.txt", b"12345"), (NO_OFFER, ok_put(b"12345")))
        self.assertEqual(raw.put("a.txt", b""), (NO_OFFER, ok_put(b"")))
        os.makedirs(self.server.stored(user, "sub"), exist_ok=True)
        os.symlink("a.txt", self.server.stored(user, "link"))
        write_file(self.server.stored(user, ".sfs-tmp-000"), b"temp")
        write_file(self.server.stored(user, ".sfs-part-000-4"), b"part")
        reply = raw.command("LIST")
        self.assertEqual(reply, "OK 3")
        lines = [raw.read_line() for _ in range(3)]
        parsed = [line.split(" ") for line in lines]
        self.assertEqual([(fields[0], fields[4]) for fields in parsed],
                         [("f", "a.txt"), ("f", "b%20file.txt"), ("d", "sub")])
        self.assertEqual([fields[1] for fields in parsed[:2]], ["0", "5"])
        self.assertEqual([fields[3] for fields in parsed],
                         [digest_hex(b""), digest_hex(b"12345"), "-"])
        for fields, name in zip(parsed, ("a.txt", "b file.txt", "sub")):
            self.assertEqual(len(fields), 5)
            # The stored modification time, in whole seconds.
            self.assertEqual(int(fields[2]), int(os.stat(self.server.stored(user, name)).st_mtime))
        os.unlink(self.server.stored(user, ".sfs-tmp-000"))
        os.unlink(self.server.stored(user, ".sfs-part-000-4"))

    def test_delete(self):
        write_file(self.stored("del.bin"), b"x")
        self.assertEqual(self.raw.command("DELETE del.bin"), "OK")
        self.assertFalse(os.path.exists(self.stored("del.bin")))
        self.assertEqual(self.raw.command("DELETE del.bin"), "ERR NOTFOUND no such file: del.bin")
        os.makedirs(self.stored("dir-to-delete"), exist_ok=True)
        self.assertTrue(self.raw.command("DELETE dir-to-delete").startswith("ERR ISDIR "))
        self.assertTrue(os.path.isdir(self.stored("dir-to-delete")))

    def test_quit(self):
        self.assertEqual(self.raw.command("QUIT"), "OK")
        self.assertTrue(self.raw.at_eof())

    # --- malformed lines

    def test_malformed_commands_keep_the_session(self):
        for line in ("FROB", "list", "LIST x y", "GET x", "GET x 0", "GET  x 0 -", "GET x 0 - ",
                     " LIST", "GET x 01 -", "GET x -1 -", "GET x 18446744073709551616 -",
                     "GET x 0 " + "0" * 31, "GET x 0 " + "0" * 33, "GET x 0 " + "G" * 32,
                     "GET x 0 " + "0" * 64,
                     "VIEW x 1e3", "PUT x", "PUT x -", "DELETE", "LIST\r", "GET x\t0 -",
                     "LOGIN alice x", "HASH", "HASH a b", "VERIFY x", "FROM 0",
                     "SHA256 " + "0" * 64, DIGEST_NAME + " " + "0" * 32):
            with self.subTest(line=line):
                reply = self.raw.command(line)
                self.assertTrue(reply is not None and reply.startswith("ERR BADCMD "),
                                "%r -> %r" % (line, reply))
        self.assertSessionUsable()

    def test_longest_line_is_accepted(self):
        # 16384 bytes including the newline: an invalid path, but a valid line.
        line = "GET " + "a" * (MAX_LINE - len("GET  0 -\n")) + " 0 -"
        self.assertEqual(len(line) + 1, MAX_LINE)
        reply = self.raw.command(line)
        self.assertTrue(reply.startswith("ERR BADPATH "), reply)
        self.assertSessionUsable()

    def test_line_too_long(self):
        self.raw.send(b"GET " + b"a" * MAX_LINE + b" 0 -\n")
        self.assertEqual(self.raw.read_line(), "ERR PROTOCOL line too long")
        self.assertTrue(self.raw.at_eof())

    def test_line_too_long_before_login(self):
        raw = RawConnection(self.server.port)
        self.addCleanup(raw.close)
        self.assertEqual(raw.read_line(), "SFS 1")
        try:
            raw.send(b"LOGIN " + b"a" * (2 * MAX_LINE) + b" x\n")
        except OSError:
            pass  # closed before taking it all; the reply must still be readable
        self.assertEqual(raw.read_line(), "ERR PROTOCOL line too long")
        self.assertTrue(raw.at_eof())

    def test_endless_line_without_newline(self):
        raw = self.login()
        try:
            raw.send(b"A" * (4 * MAX_LINE))
        except OSError:
            pass  # the server may close before taking it all
        self.assertClosedWithProtocolError(raw)
        self.assertSessionUsable()


if __name__ == "__main__":
    unittest.main()
