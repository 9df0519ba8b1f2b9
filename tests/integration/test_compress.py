"""Optional zstd on the wire (sfs --compress, COMPRESS zstd): round trips of
compressible and random data both ways, what the server log says about the
frames that crossed the wire, a server that does not offer it, compressed
frames without COMPRESS, bombs and lies over a raw connection, resume and
batch mode with --compress.

zstd frames for the raw-protocol tests are made and read with Debian's
libzstd through ctypes, independently of sfs's own code.
"""

import os
import random
import re
import struct
import time
import unittest

from sfs_harness import (DEFAULT_USERS, DIGEST_NAME, EXIT_NETWORK, RawConnection, Server,
                         ServerTestCase, digest_hex, read_file, stderr_lines, write_file)
from zstd_frames import zstd_compress, zstd_decompress

COMPRESSED = 0x80000000
FRAME = 256 << 10


def log_text(size, seed=1):
    """Deterministic log-like text: compresses about 4:1 with zstd -1, like real logs."""
    rng = random.Random(seed)
    lines = []
    total = 0
    t = 0
    while total < size:
        t += rng.randrange(1, 400)
        line = ("2026-11-25T%02d:%02d:%02d.%03dZ %s app[%d]: req=%016x GET /api/v1/items/%d "
                "%d %dB ua=\"curl/7.88.1\"\n" % (
                    t // 3600000 % 24, t // 60000 % 60, t // 1000 % 60, t % 1000,
                    rng.choice(["INFO", "INFO", "INFO", "WARN", "ERROR"]), 1000 + rng.randrange(8),
                    rng.getrandbits(64), rng.randrange(100000), rng.choice([200, 200, 404]),
                    rng.randrange(100, 50000))).encode()
        lines.append(line)
        total += len(line)
    return b"".join(lines)[:size]


OP_LINE = re.compile(r"user=alice peer=\S+ op=(?P<op>\w+) path=(?P<path>\S+)( from=(?P<from>\d+))?"
                     r" bytes=(?P<bytes>\d+)( wire=(?P<wire>\d+) zstd_frames=(?P<zstd>\d+)"
                     r" raw_frames=(?P<raw>\d+))? result=(?P<result>\S+)")


class CompressTestBase(ServerTestCase):

    def op_line(self, op, name, mark, ok=None, timeout=10.0):
        """The server's first log line of `op` on `name` after mark (with ok=True only a
        successful one, ok=False only a failed one), as a dict of strings."""
        deadline = time.monotonic() + timeout
        while True:
            for match in OP_LINE.finditer(self.server.log_since(mark)):
                if match.group("op") != op or match.group("path") != name:
                    continue
                if ok is None or ok == (match.group("result") == "ok"):
                    return match.groupdict()
            if time.monotonic() > deadline:
                self.fail("no %s line for %s in the log:\n%s"
                          % (op, name, self.server.log_since(mark)))
            time.sleep(0.02)

    def put(self, data, name, *flags):
        local = write_file(self.client.path("up-" + name), data)
        result = self.client.run(*flags, "put", local, name)
        self.assertOk(result)
        self.assertEqual(read_file(self.server.stored("alice", name)), data)
        return result

    def get(self, name, *flags):
        local = self.client.path("down-" + name)
        result = self.client.run(*flags, "get", name, local)
        self.assertOk(result)
        return result, read_file(local)

    def raw_login(self, raw):
        self.assertEqual(raw.greet_and_login("alice", DEFAULT_USERS["alice"]), "OK")

    def assertClosedWith(self, raw, reply_prefix):
        reply = raw.read_line()
        self.assertIsNotNone(reply, "connection closed without a reply")
        self.assertTrue(reply.startswith(reply_prefix), reply)
        self.assertTrue(raw.at_eof(), "connection still open after " + reply)


class CompressedRoundTripTest(CompressTestBase):
    """--compress against a server that offers zstd."""

    def test_text_goes_compressed_both_ways(self):
        text = log_text((6 << 20) + 12345)  # 25 frames, the last one short
        mark = self.server.log_mark()
        up = self.put(text, "app.log", "--compress")
        line = self.op_line("PUT", "app.log", mark)
        self.assertEqual(line["result"], "ok")
        self.assertEqual(int(line["bytes"]), len(text))
        self.assertEqual(int(line["zstd"]), 25)
        self.assertEqual(int(line["raw"]), 0)
        self.assertLess(int(line["wire"]), len(text) // 3)
        # The client's summary line says the same.
        self.assertEqual(stderr_lines(up),
                         ["sfs: put app.log: %d bytes, %s on the wire (zstd)"
                          % (len(text), line["wire"])])

        mark = self.server.log_mark()
        down, copy = self.get("app.log", "--compress")
        self.assertEqual(copy, text)
        line = self.op_line("GET", "app.log", mark)
        self.assertEqual(int(line["zstd"]), 25)
        self.assertEqual(int(line["raw"]), 0)
        self.assertLess(int(line["wire"]), len(text) // 3)
        self.assertEqual(stderr_lines(down),
                         ["sfs: get app.log: %d bytes, %s on the wire (zstd)"
                          % (len(text), line["wire"])])

    def test_random_data_goes_raw_both_ways(self):
        noise = os.urandom((3 << 20) + 1)  # 13 frames
        mark = self.server.log_mark()
        self.put(noise, "noise.bin", "--compress")
        line = self.op_line("PUT", "noise.bin", mark)
        self.assertEqual(int(line["zstd"]), 0)
        self.assertEqual(int(line["raw"]), 13)
        self.assertEqual(int(line["wire"]), len(noise) + 4 * 13)  # only the frame headers

        mark = self.server.log_mark()
        _, copy = self.get("noise.bin", "--compress")
        self.assertEqual(copy, noise)
        line = self.op_line("GET", "noise.bin", mark)
        self.assertEqual(int(line["zstd"]), 0)
        self.assertEqual(int(line["raw"]), 13)
        self.assertEqual(int(line["wire"]), len(noise) + 4 * 13)

    def test_mixed_data_uses_both_kinds_of_frames(self):
        # text, then noise, then text again: frames of each kind in one transfer
        data = log_text(2 << 20, seed=2) + os.urandom(1 << 20) + log_text(3 << 20, seed=3)
        mark = self.server.log_mark()
        self.put(data, "mixed.bin", "--compress")
        up = self.op_line("PUT", "mixed.bin", mark)
        self.assertGreater(int(up["zstd"]), 10)
        self.assertGreaterEqual(int(up["raw"]), 4)
        self.assertEqual(int(up["zstd"]) + int(up["raw"]), 24)
        _, copy = self.get("mixed.bin", "--compress")
        self.assertEqual(copy, data)
        # The stored digest is that of the plain bytes.
        result = self.client.run("hash", "mixed.bin")
        self.assertOk(result)
        self.assertEqual(result.stdout.decode().split()[0], digest_hex(data))

    def test_small_and_empty_files(self):
        for name, data in [("empty", b""), ("one", b"x"), ("short.txt", b"hello " * 100)]:
            self.put(data, name, "--compress")
            _, copy = self.get(name, "--compress")
            self.assertEqual(copy, data, name)

    def test_view_with_compress(self):
        text = log_text(100000, seed=4)
        self.put(text, "view.log")
        mark = self.server.log_mark()
        result = self.client.run("--compress", "view", "view.log", "--bytes", "5000")
        self.assertOk(result)
        self.assertEqual(result.stdout, text[:5000])
        line = self.op_line("VIEW", "view.log", mark)
        self.assertEqual(int(line["zstd"]), 1)
        self.assertLess(int(line["wire"]), 5000)

    def test_without_compress_nothing_changes(self):
        text = log_text(1 << 20, seed=5)
        mark = self.server.log_mark()
        result = self.put(text, "plain.log")
        self.assertEqual(result.stderr, b"")
        line = self.op_line("PUT", "plain.log", mark)
        self.assertIsNone(line["wire"])  # no COMPRESS: no wire fields at all

    def test_batch_mode_with_compress(self):
        text = log_text(1 << 20, seed=6)
        write_file(self.client.path("batch.log"), text)
        batch = write_file(self.client.path("cmds"),
                           b"put batch.log b.log\nget b.log batch-copy.log\n")
        mark = self.server.log_mark()
        result = self.client.run("--compress", "-b", batch)
        self.assertOk(result)
        self.assertEqual(read_file(self.client.path("batch-copy.log")), text)
        self.assertGreater(int(self.op_line("PUT", "b.log", mark)["zstd"]), 0)
        self.assertGreater(int(self.op_line("GET", "b.log", mark)["zstd"]), 0)


class CompressedResumeTest(CompressTestBase):
    """A compressed transfer cut half-way continues with --compress."""

    def setUp(self):
        super().setUp()
        self.proxy = self.new_proxy()

    def test_upload_resumes(self):
        text = log_text(16 << 20, seed=7)  # about 4 MB on the wire
        local = write_file(self.client.path("big.log"), text)
        self.proxy.configure(cut_up=1 << 20)
        mark = self.server.log_mark()
        cut = self.client.run("--compress", "put", local, "big.log", port=self.proxy.port)
        self.assertEqual(cut.returncode, EXIT_NETWORK, cut.stderr)
        first = self.op_line("PUT", "big.log", mark, ok=False)
        # More file bytes arrived than crossed the proxy: they came compressed.
        self.assertGreater(int(first["bytes"]), 1 << 20)
        self.proxy.configure()
        mark = self.server.log_mark()
        result = self.client.run("--compress", "put", local, "big.log", port=self.proxy.port)
        self.assertOk(result)
        again = self.op_line("PUT", "big.log", mark)
        self.assertEqual(again["result"], "ok")
        self.assertGreater(int(again["from"] or 0), 0)
        self.assertEqual(int(again["from"]) + int(again["bytes"]), len(text))
        self.assertGreater(int(again["zstd"]), 0)
        self.assertEqual(read_file(self.server.stored("alice", "big.log")), text)

    def test_download_resumes(self):
        text = log_text(16 << 20, seed=8)
        self.put(text, "down.log")
        local = self.client.path("down.log")
        self.proxy.configure(cut_down=1 << 20)
        cut = self.client.run("--compress", "get", "down.log", local, port=self.proxy.port)
        self.assertEqual(cut.returncode, EXIT_NETWORK, cut.stderr)
        self.assertFalse(os.path.exists(local))
        self.proxy.configure()
        mark = self.server.log_mark()
        result = self.client.run("--compress", "get", "down.log", local, port=self.proxy.port)
        self.assertOk(result)
        line = self.op_line("GET", "down.log", mark, ok=True)
        self.assertGreater(int(line["from"] or 0), 1 << 20)
        self.assertGreater(int(line["zstd"]), 0)
        self.assertEqual(read_file(local), text)


class NoCompressServerTest(CompressTestBase):
    """A server started with --no-compress: --compress still works, uncompressed."""

    server_kwargs = {"extra_args": ["--no-compress"]}

    def test_compress_falls_back_with_a_note(self):
        text = log_text(1 << 20, seed=9)
        mark = self.server.log_mark()
        result = self.put(text, "fallback.log", "--compress")
        self.assertEqual(stderr_lines(result), [
            "sfs: note: 127.0.0.1:%d does not offer compression (compression is not offered "
            "by this server); sending uncompressed" % self.server.port])
        line = self.op_line("PUT", "fallback.log", mark)
        self.assertEqual(line["result"], "ok")
        self.assertIsNone(line["wire"])
        _, copy = self.get("fallback.log", "--compress")
        self.assertEqual(copy, text)

    def test_raw_compress_is_refused(self):
        with RawConnection(self.server.port) as raw:
            self.raw_login(raw)
            self.assertEqual(raw.command("COMPRESS zstd"),
                             "ERR BADCMD compression is not offered by this server")
            self.assertTrue(raw.command("LIST").startswith("OK "))  # the session goes on


class RawCompressTest(CompressTestBase):
    """The wire rules, spoken by hand."""

    def start_upload(self, raw, name, size, compress=True):
        self.raw_login(raw)
        if compress:
            self.assertEqual(raw.command("COMPRESS zstd"), "OK zstd")
        offer = raw.start_put(name, size)
        self.assertEqual(offer, "OK 0 -")

    def send_compressed(self, raw, payload):
        raw.send(struct.pack(">I", COMPRESSED | len(payload)) + payload)

    def test_compress_answers(self):
        with RawConnection(self.server.port) as raw:
            self.assertEqual(raw.read_line(), "SFS 1")  # the greeting is unchanged
            self.assertEqual(raw.command("COMPRESS zstd"), "ERR AUTH login required")
            self.assertEqual(raw.command("LOGIN alice %s" % DEFAULT_USERS["alice"]), "OK")
            self.assertEqual(raw.command("COMPRESS lz4"), "ERR BADCMD unknown compression lz4")
            self.assertEqual(raw.command("COMPRESS"),
                             "ERR BADCMD COMPRESS: wrong number of arguments")
            self.assertEqual(raw.command("COMPRESS zstd"), "OK zstd")
            self.assertEqual(raw.command("COMPRESS zstd"), "OK zstd")  # again: harmless

    def test_hand_made_compressed_upload_is_stored(self):
        text = log_text(600000, seed=10)
        with RawConnection(self.server.port) as raw:
            self.start_upload(raw, "hand.log", len(text))
            # a compressed frame, a raw one, a compressed one: mixing is allowed
            self.send_compressed(raw, zstd_compress(text[:300000]))
            raw.send_frame(text[300000:400000])
            self.send_compressed(raw, zstd_compress(text[400000:], level=19))
            raw.send_header(0)
            raw.send_line(DIGEST_NAME + " " + digest_hex(text))
            self.assertEqual(raw.read_line(), "OK %d %s" % (len(text), digest_hex(text)))
        self.assertEqual(read_file(self.server.stored("alice", "hand.log")), text)

    def test_compressed_download_by_hand(self):
        text = log_text(700000, seed=11)
        self.put(text, "dl.log")
        with RawConnection(self.server.port) as raw:
            self.raw_login(raw)
            self.assertEqual(raw.command("COMPRESS zstd"), "OK zstd")
            reply = raw.get("dl.log")
            self.assertTrue(reply.startswith("OK %d " % len(text)), reply)
            data = b""
            kinds = []
            while True:
                (header,) = struct.unpack(">I", raw.read_exact(4))
                if header == 0:
                    break
                if header & COMPRESSED:
                    payload = raw.read_exact(header & ~COMPRESSED)
                    data += zstd_decompress(payload, min(FRAME, len(text) - len(data)))
                    kinds.append("zstd")
                else:
                    data += raw.read_exact(header)
                    kinds.append("raw")
            self.assertEqual(kinds, ["zstd", "zstd", "zstd"])
            self.assertEqual(data, text)
            self.assertEqual(raw.read_line(), DIGEST_NAME + " " + digest_hex(text))

    def test_compressed_frame_without_compress_is_protocol_error(self):
        text = log_text(10000, seed=12)
        with RawConnection(self.server.port) as raw:
            self.start_upload(raw, "sneaky.log", len(text), compress=False)
            self.send_compressed(raw, zstd_compress(text))
            self.assertClosedWith(raw, "ERR PROTOCOL compressed frame without COMPRESS")
        self.assertFalse(os.path.exists(self.server.stored("alice", "sneaky.log")))

    def test_bomb_is_refused_before_inflating(self):
        bomb = zstd_compress(b"\0" * (64 << 20))  # 64 MiB of zeros in a few KiB
        self.assertLess(len(bomb), 8192)
        with RawConnection(self.server.port) as raw:
            self.start_upload(raw, "bomb.bin", 1 << 30)
            self.send_compressed(raw, bomb)
            self.assertClosedWith(raw, "ERR PROTOCOL bad compressed frame: content size out of range")
        self.assertIsNone(self.server.process.poll(), "the server died")
        self.assertFalse(os.path.exists(self.server.stored("alice", "bomb.bin")))

    def test_more_than_announced_is_refused(self):
        text = log_text(20000, seed=13)
        with RawConnection(self.server.port) as raw:
            self.start_upload(raw, "over.log", 10000)  # announces less than the frame holds
            self.send_compressed(raw, zstd_compress(text))
            self.assertClosedWith(raw, "ERR PROTOCOL bad compressed frame: content size out of range")

    def test_false_content_size_is_refused(self):
        text = log_text(100000, seed=14)
        frame = bytearray(zstd_compress(text))
        # The header's content size (a 4-byte field for this size) claims one byte less.
        self.assertEqual(frame[4] >> 6, 2, "expected a 4-byte content size field")
        offset = 5 if frame[4] & 0x20 else 6
        self.assertEqual(struct.unpack("<I", frame[offset:offset + 4])[0], len(text))
        frame[offset:offset + 4] = struct.pack("<I", len(text) - 1)
        with RawConnection(self.server.port) as raw:
            self.start_upload(raw, "liar.log", len(text))
            # The lie shows when the frame is inflated (beside reading the next one), so
            # the rest of the upload follows as a streaming sender would send it.
            self.send_compressed(raw, bytes(frame))
            raw.send_frame(b"x")
            raw.send_header(0)
            raw.send_line(DIGEST_NAME + " " + digest_hex(text))
            self.assertClosedWith(raw, "ERR PROTOCOL bad compressed frame")
        self.assertFalse(os.path.exists(self.server.stored("alice", "liar.log")))

    def test_garbage_and_two_frames_are_refused(self):
        text = log_text(5000, seed=15)
        cases = [("garbage", os.urandom(1000)),
                 ("no size", b"\x28\xb5\x2f\xfd\x00\x00" + os.urandom(50)),
                 ("two frames", zstd_compress(text[:2000]) + zstd_compress(text[2000:]))]
        for label, payload in cases:
            with self.subTest(label), RawConnection(self.server.port) as raw:
                self.start_upload(raw, "junk.log", len(text))
                self.send_compressed(raw, payload)
                self.assertClosedWith(raw, "ERR PROTOCOL bad compressed frame")
        # The server still serves everyone else.
        self.put(text, "after.log", "--compress")

    def test_empty_compressed_frame_is_refused(self):
        with RawConnection(self.server.port) as raw:
            self.start_upload(raw, "empty.log", 100)
            raw.send_header(COMPRESSED)
            self.assertClosedWith(raw, "ERR PROTOCOL empty compressed frame")


if __name__ == "__main__":
    unittest.main()
