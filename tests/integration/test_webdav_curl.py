"""The real curl binary against the HTTPS face (--cacert with the server's
certificate), one smoke test per method: statuses and bytes. Also the
writes real DAV clients make: PUT in chunks (curl -T -, as davfs2, GNOME
Files and Windows send), X-OC-Mtime (ownCloud clients, rclone's owncloud
vendor) and PATCH with sabre's partial update (docs/webdav.md)."""

import os
import time
import unittest
from xml.etree import ElementTree

from sfs_harness import WebDavCase, digest_hex, read_file

PARTIAL = "Content-Type: application/x-sabredav-partialupdate"
THEN = 1000000000  # 2001-09-09T01:46:40Z
THEN_HTTP = "Sun, 09 Sep 2001 01:46:40 GMT"


class CurlCase(WebDavCase):
    """WebDavCase with chunked PUT, PATCH, GET and the sfs client's hash."""

    def put_chunked(self, path, data, **kwargs):
        return self.dav("PUT", path, upload_stdin=data, **kwargs)

    def patch(self, path, data, update_range, headers=(PARTIAL,)):
        return self.dav("PATCH", path, data=data,
                        headers=list(headers) + ["X-Update-Range: " + update_range])

    def get(self, path):
        r = self.dav("GET", path)
        return r.body if r.status == 200 else r.status

    def sfs_hash(self, path):
        result = self.client.run("hash", path)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout.decode().split()[0]


class MethodsTest(CurlCase):
    def test_options(self):
        r = self.dav("OPTIONS", "")
        self.assertEqual(r.status, 200)
        for method in ("GET", "HEAD", "PUT", "PATCH", "DELETE", "MKCOL", "PROPFIND", "COPY",
                       "MOVE"):
            self.assertIn(method, r.headers["allow"])
        self.assertEqual(r.headers["accept-patch"], "application/x-sabredav-partialupdate")

    def test_put_get_range_head(self):
        data = os.urandom(100_000)
        self.assertEqual(self.put_bytes("c-put.bin", data).status, 201)
        self.assertEqual(self.put_bytes("c-put.bin", data).status, 204)
        out = os.path.join(self.new_temp_dir(), "got")
        self.assertEqual(self.dav("GET", "c-put.bin", output=out).status, 200)
        self.assertEqual(read_file(out), data)
        r = self.dav("GET", "c-put.bin", headers=["Range: bytes=100-199"])
        self.assertEqual((r.status, r.body), (206, data[100:200]))
        r = self.dav("HEAD", "c-put.bin")
        self.assertEqual((r.status, r.headers["content-length"]), (200, "100000"))
        self.assertEqual(r.headers["etag"], '"%s"' % digest_hex(data))

    def test_mkcol_propfind_copy_move_delete(self):
        self.assertEqual(self.dav("MKCOL", "c-dir").status, 201)
        self.assertEqual(self.put_bytes("c-dir/a.txt", b"alpha").status, 201)
        r = self.dav("PROPFIND", "c-dir/", headers=["Depth: 1"])
        self.assertEqual(r.status, 207)
        hrefs = [e.text for e in ElementTree.fromstring(r.body).iter("{DAV:}href")]
        self.assertEqual(sorted(hrefs), ["/dav/c-dir/", "/dav/c-dir/a.txt"])
        dest = "Destination: /dav/c-dir/b.txt"
        self.assertEqual(self.dav("COPY", "c-dir/a.txt", headers=[dest]).status, 201)
        self.assertEqual(self.get("c-dir/b.txt"), b"alpha")
        dest = "Destination: /dav/c-dir/c.txt"
        self.assertEqual(self.dav("MOVE", "c-dir/b.txt", headers=[dest]).status, 201)
        self.assertEqual(self.get("c-dir/b.txt"), 404)
        self.assertEqual(self.get("c-dir/c.txt"), b"alpha")
        self.assertEqual(self.dav("DELETE", "c-dir").status, 204)
        self.assertEqual(self.get("c-dir/a.txt"), 404)


class ChunkedPutTest(CurlCase):
    def test_a_body_in_chunks_is_stored_whole(self):
        data = os.urandom(1_500_000)
        r = self.put_chunked("ch.bin", data)
        self.assertEqual(r.status, 201)
        self.assertEqual(r.headers["etag"], '"%s"' % digest_hex(data))
        self.assertEqual(self.get("ch.bin"), data)
        self.assertEqual(self.sfs_hash("ch.bin"), digest_hex(data))
        self.assertEqual(self.put_chunked("ch.bin", b"short").status, 204)
        self.assertEqual(self.get("ch.bin"), b"short")

    def test_an_empty_body_in_chunks_is_an_empty_file(self):
        self.assertEqual(self.put_chunked("ch-empty", b"").status, 201)
        r = self.dav("HEAD", "ch-empty")
        self.assertEqual((r.status, r.headers["content-length"]), (200, "0"))


class ModificationTimeTest(CurlCase):
    def test_x_oc_mtime_is_the_stored_files(self):
        r = self.put_bytes("t.txt", b"dated", headers=["X-OC-Mtime: %d" % THEN])
        self.assertEqual(r.status, 201)
        self.assertEqual(r.headers["x-oc-mtime"], "accepted")
        self.assertEqual(self.dav("HEAD", "t.txt").headers["last-modified"], THEN_HTTP)
        r = self.dav("PROPFIND", "t.txt", headers=["Depth: 0"])
        dates = [e.text for e in ElementTree.fromstring(r.body).iter("{DAV:}getlastmodified")]
        self.assertEqual(dates, [THEN_HTTP])
        # Chunked too, and with a fraction (Nextcloud sends one).
        r = self.put_chunked("t2.txt", b"x", headers=["X-OC-Mtime: %d.25" % THEN])
        self.assertEqual(r.headers["x-oc-mtime"], "accepted")
        self.assertEqual(self.dav("HEAD", "t2.txt").headers["last-modified"], THEN_HTTP)

    def test_nonsense_is_ignored(self):
        for i, value in enumerate(("soon", "-5", "0", "99999999999999", "12e5", "1.x")):
            before = time.time()
            r = self.put_bytes("n%d.txt" % i, b"x", headers=["X-OC-Mtime: " + value])
            self.assertEqual(r.status, 201, value)
            self.assertNotIn("x-oc-mtime", r.headers, value)
            stamp = self.dav("HEAD", "n%d.txt" % i).headers["last-modified"]
            stored = time.mktime(time.strptime(stamp, "%a, %d %b %Y %H:%M:%S GMT")) - time.timezone
            self.assertGreaterEqual(stored, int(before) - 1, value)


class PatchTest(CurlCase):
    def test_ranges_replace_and_extend(self):
        self.put_bytes("p.txt", b"0123456789")
        r = self.patch("p.txt", b"ABCD", "bytes=3-6")
        self.assertEqual(r.status, 204)
        self.assertEqual(self.get("p.txt"), b"012ABCD789")
        self.assertEqual(r.headers["etag"], '"%s"' % digest_hex(b"012ABCD789"))
        self.assertEqual(self.patch("p.txt", b"xyz", "append").status, 204)
        self.assertEqual(self.get("p.txt"), b"012ABCD789xyz")
        self.assertEqual(self.patch("p.txt", b"QQ", "bytes=-2").status, 204)
        self.assertEqual(self.get("p.txt"), b"012ABCD789xQQ")
        self.assertEqual(self.patch("p.txt", b"<tail>", "bytes=11-").status, 204)
        self.assertEqual(self.get("p.txt"), b"012ABCD789x<tail>")
        # The digest sfs keeps is the new content's.
        self.assertEqual(self.sfs_hash("p.txt"), digest_hex(b"012ABCD789x<tail>"))

    def test_append_resumes_an_upload(self):
        data = os.urandom(700_000)
        self.assertEqual(self.put_bytes("resume.bin", data[:300_000]).status, 201)
        self.assertEqual(self.patch("resume.bin", data[300_000:], "append").status, 204)
        self.assertEqual(self.get("resume.bin"), data)
        self.assertEqual(self.sfs_hash("resume.bin"), digest_hex(data))

    def test_refusals_change_nothing(self):
        self.put_bytes("r.txt", b"0123456789")
        self.assertEqual(self.patch("r.txt", b"AB", "bytes=3-6").status, 416)  # not 4 bytes
        self.assertEqual(self.patch("r.txt", b"AB", "bytes=11-").status, 416)  # a hole
        self.assertEqual(self.patch("r.txt", b"AB", "bytes=-11").status, 416)  # before 0
        self.assertEqual(self.patch("r.txt", b"AB", "lines=1-2").status, 400)
        self.assertEqual(self.patch("r.txt", b"AB", "append", headers=()).status, 415)
        self.assertEqual(self.patch("r.txt", b"AB", "append",
                                    headers=(PARTIAL, 'If-Match: "other"')).status, 412)
        self.assertEqual(self.patch("none.txt", b"AB", "append").status, 404)
        self.dav("MKCOL", "r-dir")
        self.assertEqual(self.patch("r-dir", b"AB", "append").status, 405)
        self.assertEqual(self.get("r.txt"), b"0123456789")


MAX_FILE = 200_000
QUOTA = 500_000


class LimitsTest(CurlCase):
    """A body in chunks has no size up front: it is stopped with 413 or 507
    the moment it passes a limit, and nothing of it is stored."""
    server_per_test = True
    extra_args = ("--max-file-size", str(MAX_FILE), "--quota-bytes", str(QUOTA))

    def test_a_chunked_body_past_the_size_limit_is_413(self):
        self.assertEqual(self.put_chunked("big.bin", os.urandom(MAX_FILE)).status, 201)
        r = self.put_chunked("bigger.bin", os.urandom(MAX_FILE + 1))
        self.assertEqual(r.status, 413)
        self.assertIn(b"limit", r.body)
        self.assertEqual(self.get("bigger.bin"), 404)

    def test_a_chunked_body_past_the_quota_is_507_and_replacing_counts_once(self):
        kept = os.urandom(MAX_FILE)
        for name in ("q1", "q2"):
            self.assertEqual(self.put_chunked(name, kept).status, 201)
        r = self.put_chunked("q3", os.urandom(QUOTA - 2 * MAX_FILE + 1))
        self.assertEqual(r.status, 507)
        self.assertTrue(r.body.startswith(b"quota exceeded"), r.body)
        self.assertEqual(self.get("q3"), 404)
        # Replacing a file credits its old size: 200000 again fits.
        again = os.urandom(MAX_FILE)
        self.assertEqual(self.put_chunked("q2", again).status, 204)
        self.assertEqual(self.get("q2"), again)
        # Exactly up to the quota fits.
        rest = os.urandom(QUOTA - 2 * MAX_FILE)
        self.assertEqual(self.put_chunked("q3", rest).status, 201)
        self.assertEqual(self.get("q3"), rest)

    def test_a_patch_past_the_quota_is_507_and_the_file_stays(self):
        old = os.urandom(MAX_FILE)
        self.assertEqual(self.put_bytes("p1", old).status, 201)
        self.assertEqual(self.put_bytes("p2", old).status, 201)
        self.assertEqual(self.patch("p2", os.urandom(QUOTA - 2 * MAX_FILE + 1), "append").status,
                         413)  # past the size limit first
        small = os.urandom(1000)
        self.assertEqual(self.put_bytes("p3", os.urandom(QUOTA - 2 * MAX_FILE - 500)).status, 201)
        self.assertEqual(self.patch("p3", small, "append").status, 507)
        self.assertEqual(self.get("p2"), old)


if __name__ == "__main__":
    unittest.main()
