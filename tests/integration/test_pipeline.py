"""Pipelining (docs/protocol.md, "Pipelining"): PUT with the file's digest
(the offer that lets the server answer "unchanged"), PUT ... now with its
data right behind the line, many requests in flight on one connection
answered in order, a failing file in the middle of a window, a deep
pipeline that the server bounds, and put -r / get -r through the real
client."""

import os
import struct

from sfs_harness import (DIGEST_NAME, EXIT_OK, NO_OFFER, RawConnection, ServerTestCase,
                         digest_hex, ok_get, ok_put, partial_files_in, percent_encode, read_file,
                         stderr_lines, temp_files_in, write_file)

# Under ASan (scripts/test sets SFS_SANITIZED) freed memory sits in a
# quarantine of up to 256 MiB, so RSS says nothing about the server's own
# buffers: the memory bound is checked in the release run only.
SANITIZED = bool(os.environ.get("SFS_SANITIZED"))

MAX_FILE = 64 << 10


def put_now(path, data, digest=None, trailer_digest=None, mtime="-"):
    """The bytes of one PUT ... now: the line, the data in one frame, the end
    frame and the trailer."""
    digest = digest or digest_hex(data)
    out = ("PUT %s %d %s %s now\n" % (percent_encode(path), len(data), mtime, digest)).encode()
    if data:
        out += struct.pack(">I", len(data)) + data
    out += struct.pack(">I", 0)
    out += ("%s %s\n" % (DIGEST_NAME, trailer_digest or digest)).encode()
    return out


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for pid %d" % pid)


class PipelineProtocolTest(ServerTestCase):
    server_kwargs = {"extra_args": ["--max-file-size", str(MAX_FILE)]}

    def setUp(self):
        super().setUp()
        self.raw = RawConnection(self.server.port)
        self.addCleanup(self.raw.close)
        self.assertEqual(self.raw.greet_and_login("alice", self.server.users["alice"]), "OK")

    def tearDown(self):
        self.assertTrue(self.server.running(), "sfs-server died")
        self.assertEqual(temp_files_in(self.server.user_dir("alice")), [])

    def stored(self, name):
        return self.server.stored("alice", name)

    def assertSessionUsable(self):
        reply = self.raw.command("STAT .")
        self.assertTrue(reply is not None and reply.startswith("ERR BADPATH"), reply)

    def test_window_of_puts_with_failures_in_the_middle(self):
        files = {"p%02d" % i: os.urandom(100 + 37 * i) for i in range(20)}
        wire, expected = b"", []
        for i, (name, data) in enumerate(sorted(files.items())):
            if i == 5:  # the parent is missing: ERR NOTFOUND, data read through
                wire += put_now("nodir/" + name, data)
                expected.append("ERR NOTFOUND")
            elif i == 8:  # over --max-file-size: ERR TOOLARGE
                wire += put_now(name, os.urandom(MAX_FILE + 1))
                expected.append("ERR TOOLARGE")
            elif i == 11:  # a reserved name, refused as the line is parsed
                wire += put_now(".sfs-" + name, data)
                expected.append("ERR BADPATH")
            elif i == 14:  # the data is not what the PUT said: nothing stored
                wire += put_now(name, data, digest=digest_hex(b"other"),
                                trailer_digest=digest_hex(b"other"))
                expected.append("ERR INTEGRITY")
            else:
                wire += put_now(name, data)
                expected.append(ok_put(data))
        self.raw.send(wire)  # all twenty in one go, before any reply is read
        for i, want in enumerate(expected):
            reply = self.raw.read_line()
            self.assertIsNotNone(reply, "no reply %d" % i)
            self.assertTrue(reply.startswith(want), "reply %d: %r, wanted %r" % (i, reply, want))
        for i, (name, data) in enumerate(sorted(files.items())):
            there = os.path.exists(self.stored(name))
            self.assertEqual(there, i not in (5, 8, 11, 14), name)
            if there:
                self.assertEqual(read_file(self.stored(name)), data)
        self.assertSessionUsable()
        self.assertEqual(partial_files_in(self.server.user_dir("alice")), [])

    def test_offer_with_digest_answers_unchanged(self):
        data = os.urandom(5000)
        self.assertEqual(self.raw.put("same.bin", data), (NO_OFFER, ok_put(data)))
        before = os.stat(self.stored("same.bin"))
        # The two-step form: "OK unchanged" instead of the offer, nothing more.
        self.assertEqual(self.raw.command("PUT same.bin %d - %s" % (len(data), digest_hex(data))),
                         "OK unchanged")
        # PUT ... now: its data is read through, then the same answer.
        self.raw.send(put_now("same.bin", data))
        self.assertEqual(self.raw.read_line(), "OK unchanged")
        after = os.stat(self.stored("same.bin"))
        self.assertEqual((before.st_ino, before.st_mtime_ns), (after.st_ino, after.st_mtime_ns))
        # Another digest (or size) is an upload as before.
        other = os.urandom(5000)
        self.assertEqual(self.raw.command("PUT same.bin %d - %s" % (len(other),
                                                                    digest_hex(other))), NO_OFFER)
        self.raw.send_line("FROM 0")
        self.raw.send_frame(other)
        self.raw.send_header(0)
        self.assertEqual(self.raw.command("%s %s" % (DIGEST_NAME, digest_hex(other))),
                         ok_put(other))
        self.assertEqual(read_file(self.stored("same.bin")), other)

    def test_old_put_form_still_served(self):
        # A client from before the offer: PUT path size [mtime], offer, FROM.
        data = os.urandom(3000)
        self.assertEqual(self.raw.put("old.bin", data), (NO_OFFER, ok_put(data)))
        self.assertEqual(self.raw.command("PUT old.bin %d 1577836800" % len(data)), NO_OFFER)
        self.raw.send_line("FROM 0")
        self.raw.send_frame(data)
        self.raw.send_header(0)
        self.assertEqual(self.raw.command("%s %s" % (DIGEST_NAME, digest_hex(data))),
                         ok_put(data))
        self.assertEqual(int(os.stat(self.stored("old.bin")).st_mtime), 1577836800)

    def test_now_with_a_trailer_other_than_the_offer_is_refused(self):
        data = b"payload"
        self.raw.send(put_now("t.bin", data, trailer_digest=digest_hex(b"x")))
        self.assertTrue(self.raw.read_line().startswith("ERR INTEGRITY"))
        self.assertFalse(os.path.exists(self.stored("t.bin")))
        self.assertSessionUsable()

    def test_deep_pipeline_of_gets_is_bounded_and_answered_in_order(self):
        # 1,500 GETs of 48 KiB files (about 70 MiB of answers) sent before a
        # single reply is read: the server reads requests only as it answers
        # them, so its memory stays flat while the client lags behind.
        names = ["g%d" % i for i in range(3)]
        blobs = {n: os.urandom(48 << 10) for n in names}
        for n in names:
            write_file(self.stored(n), blobs[n])
        pid = self.server.process.pid
        base = rss_kib(pid)
        count = 1500
        order = [names[i % len(names)] for i in range(count)]
        self.raw.send("".join("GET %s 0 -\n" % n for n in order).encode())
        peak = base
        for i, n in enumerate(order):
            # The first full download stores the digest; later replies carry it.
            self.assertIn(self.raw.read_line(), (ok_get(blobs[n], stored=False),
                                                 ok_get(blobs[n])), "GET %d" % i)
            data, trailer = self.raw.read_download()
            self.assertEqual(data, blobs[n])
            self.assertEqual(trailer, "%s %s" % (DIGEST_NAME, digest_hex(blobs[n])))
            if i % 100 == 0:
                peak = max(peak, rss_kib(pid))
        if not SANITIZED:
            self.assertLess(peak - base, 32 << 10, "server grew by %d KiB" % (peak - base))
        self.assertSessionUsable()


class PipelineClientTest(ServerTestCase):
    server_per_test = True
    server_kwargs = {"extra_args": ["--max-file-size", str(MAX_FILE)]}

    def home(self, *names):
        return os.path.join(self.server.user_dir("alice"), *names)

    def make_tree(self, top, count):
        files = {}
        for i in range(count):
            sub = "d%d" % (i % 3)
            rel = os.path.join(sub, "f%03d" % i)
            files[rel] = os.urandom(4096 + i)
            os.makedirs(os.path.join(top, sub), exist_ok=True)
            write_file(os.path.join(top, rel), files[rel])
        return files

    def test_put_r_and_get_r_of_many_small_files(self):
        src = self.client.path("tree")
        files = self.make_tree(src, 300)
        self.assertOk(self.client.run("put", "-r", src, "tree"))
        for rel, data in files.items():
            self.assertEqual(read_file(self.home("tree", rel)), data, rel)
        out = self.client.path("back")
        self.assertOk(self.client.run("get", "-r", "tree", out))
        for rel, data in files.items():
            self.assertEqual(read_file(os.path.join(out, rel)), data, rel)
        # Again: nothing changed, nothing sent either way.
        again = self.client.run("put", "-r", src, "tree")
        self.assertOk(again)
        self.assertIn(b"300 unchanged", again.stderr)

    def test_put_r_reports_the_failing_file_and_sends_the_rest(self):
        src = self.client.path("tree")
        files = self.make_tree(src, 120)
        big = os.path.join("d1", "f061")  # in the middle of the first window
        files[big] = os.urandom(MAX_FILE + 1)
        write_file(os.path.join(src, big), files[big])
        result = self.client.run("put", "-r", src, "tree")
        self.assertNotEqual(result.returncode, EXIT_OK)
        failed = [l for l in stderr_lines(result) if l.startswith("sfs: failed: ")]
        self.assertEqual(len(failed), 1, stderr_lines(result))
        self.assertIn(big, failed[0])
        for rel, data in files.items():
            if rel != big:
                self.assertEqual(read_file(self.home("tree", rel)), data, rel)
        self.assertFalse(os.path.exists(self.home("tree", big)))

    def test_get_r_reports_the_failing_file_and_fetches_the_rest(self):
        src = self.client.path("tree")
        files = self.make_tree(src, 120)
        self.assertOk(self.client.run("put", "-r", src, "tree"))
        out = self.client.path("back")
        blocked = os.path.join("d2", "f050")  # a local folder is in the way
        os.makedirs(os.path.join(out, blocked, "keep"))
        result = self.client.run("get", "-r", "tree", out)
        self.assertNotEqual(result.returncode, EXIT_OK)
        failed = [l for l in stderr_lines(result) if l.startswith("sfs: failed: ")]
        self.assertEqual(len(failed), 1, stderr_lines(result))
        self.assertIn(blocked, failed[0])
        for rel, data in files.items():
            if rel != blocked:
                self.assertEqual(read_file(os.path.join(out, rel)), data, rel)
        self.assertTrue(os.path.isdir(os.path.join(out, blocked, "keep")))
