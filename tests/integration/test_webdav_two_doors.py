"""The two doors on the same files: what goes in through WebDAV (the HTTPS
door) comes out through the sfs protocol with the same bytes and digest, and
the other way round; deletes and moves through one door are seen through the
other; one quota counts both."""

import os
import unittest
from xml.etree import ElementTree

from sfs_harness import (EXIT_NOT_FOUND, EXIT_TOO_LARGE, WebDavCase, digest_hex, parse_listing,
                         read_file, write_file)

QUOTA = 4 << 20


class TwoDoorsCase(WebDavCase):

    def dav_put(self, path, data):
        local = os.path.join(self.new_temp_dir(), "body")
        write_file(local, data)
        return self.dav("PUT", path, upload_file=local)

    def sfs(self, *args):
        return self.client.run(*args)

    def sfs_put(self, data, name):
        local = self.client.path("local-" + name.replace("/", "_"))
        write_file(local, data)
        return self.sfs("put", local, name)

    def sfs_digest(self, name):
        """The digest the sfs protocol reports (`sfs hash`)."""
        result = self.sfs("hash", name)
        self.assertOk(result)
        digest, _, listed = result.stdout.decode().rstrip("\n").partition("  ")
        self.assertEqual(listed, name)
        return digest

    def sfs_names(self, folder=None):
        result = self.sfs("ls", *([folder] if folder else []))
        self.assertOk(result)
        return parse_listing(result.stdout)

    def propfind_etags(self, path):
        """{href: getetag} of a PROPFIND depth 0 of `path`."""
        r = self.dav("PROPFIND", path, headers=["Depth: 0"])
        self.assertEqual(r.status, 207, r.body)
        found = {}
        for response in ElementTree.fromstring(r.body).iter("{DAV:}response"):
            etag = response.find(".//{DAV:}getetag")
            found[response.find("{DAV:}href").text] = None if etag is None else etag.text
        return found


class SameFilesTest(TwoDoorsCase):
    def test_a_webdav_upload_is_listed_downloaded_and_hashed_alike_by_sfs(self):
        data = os.urandom(333_333)
        put = self.dav_put("w-up.bin", data)
        self.assertEqual(put.status, 201)
        self.assertEqual(put.headers["etag"], '"%s"' % digest_hex(data))
        self.assertEqual(self.sfs_names()["w-up.bin"], len(data))
        copy = self.client.path("w-up.copy")
        self.assertOk(self.sfs("get", "w-up.bin", copy))
        self.assertEqual(read_file(copy), data)
        # One digest: what PUT answered, what GET says, what sfs reports.
        self.assertEqual(self.sfs_digest("w-up.bin"), digest_hex(data))
        self.assertEqual(self.dav("HEAD", "w-up.bin").headers["etag"], put.headers["etag"])

    def test_an_sfs_upload_is_seen_by_propfind_with_its_digest_as_etag(self):
        data = os.urandom(222_222)
        self.assertOk(self.sfs_put(data, "s-up.bin"))
        digest = self.sfs_digest("s-up.bin")
        self.assertEqual(digest, digest_hex(data))
        self.assertEqual(self.propfind_etags("s-up.bin"), {"/dav/s-up.bin": '"%s"' % digest})
        got = self.dav("GET", "s-up.bin")
        self.assertEqual((got.status, got.body), (200, data))
        self.assertEqual(got.headers["etag"], '"%s"' % digest)

    def test_a_webdav_replacement_changes_the_digest_sfs_reports(self):
        self.assertOk(self.sfs_put(b"first version", "r.txt"))
        self.assertEqual(self.dav_put("r.txt", b"second version").status, 204)
        self.assertEqual(self.sfs_digest("r.txt"), digest_hex(b"second version"))

    def test_a_webdav_delete_is_seen_by_sfs(self):
        self.assertOk(self.sfs_put(b"doomed", "wd.txt"))
        self.assertEqual(self.dav("DELETE", "wd.txt").status, 204)
        self.assertNotIn("wd.txt", self.sfs_names())
        self.assertFails(self.sfs("get", "wd.txt", self.client.path("wd.txt")), EXIT_NOT_FOUND)

    def test_an_sfs_delete_is_seen_by_webdav(self):
        self.assertEqual(self.dav_put("sd.txt", b"doomed").status, 201)
        self.assertOk(self.sfs("rm", "sd.txt"))
        self.assertEqual(self.dav("GET", "sd.txt").status, 404)
        self.assertEqual(self.dav("PROPFIND", "sd.txt", headers=["Depth: 0"]).status, 404)

    def test_a_webdav_move_is_seen_by_sfs(self):
        data = os.urandom(10_000)
        self.assertOk(self.sfs("mkdir", "wm"))
        self.assertOk(self.sfs_put(data, "wm/a.bin"))
        moved = self.dav("MOVE", "wm/a.bin", headers=["Destination: /dav/wm/b.bin"])
        self.assertEqual(moved.status, 201)
        self.assertEqual(set(self.sfs_names("wm")), {"b.bin"})
        self.assertEqual(self.sfs_digest("wm/b.bin"), digest_hex(data))

    def test_an_sfs_move_is_seen_by_webdav(self):
        data = os.urandom(10_000)
        self.assertEqual(self.dav("MKCOL", "sm").status, 201)
        self.assertEqual(self.dav_put("sm/a.bin", data).status, 201)
        self.assertOk(self.sfs("mv", "sm/a.bin", "sm/b.bin"))
        self.assertEqual(self.dav("GET", "sm/a.bin").status, 404)
        got = self.dav("GET", "sm/b.bin")
        self.assertEqual((got.status, got.body), (200, data))
        self.assertEqual(set(self.propfind_etags("sm/b.bin")), {"/dav/sm/b.bin"})


class OneQuotaTest(TwoDoorsCase):
    server_per_test = True
    extra_args = ["--quota-bytes", str(QUOTA)]

    def test_bytes_stored_through_either_door_count_against_the_other(self):
        third = QUOTA // 3 + 1
        self.assertEqual(self.dav_put("q1.bin", os.urandom(third)).status, 201)
        self.assertOk(self.sfs_put(os.urandom(third), "q2.bin"))
        # Two thirds and more are used: a third more fits through neither door.
        self.assertEqual(self.dav_put("q3.bin", os.urandom(third)).status, 507)
        self.assertFails(self.sfs_put(os.urandom(third), "q3.bin"), EXIT_TOO_LARGE)
        # Freed through one door, usable through the other.
        self.assertOk(self.sfs("rm", "q1.bin"))
        self.assertEqual(self.dav_put("q3.bin", os.urandom(third)).status, 201)
        self.assertEqual(self.dav("DELETE", "q2.bin").status, 204)
        self.assertOk(self.sfs_put(os.urandom(third), "q4.bin"))
        self.assertEqual(set(self.sfs_names()), {"q3.bin", "q4.bin"})


if __name__ == "__main__":
    unittest.main()
