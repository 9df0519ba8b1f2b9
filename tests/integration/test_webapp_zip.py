"""The browser app's folder download (GET /app/api/zip?path=...): a folder
streamed as a ZIP archive, checked with Python's zipfile (a reader sfs
shares no code with): names, bytes, folders, headers; its refusals; and a
damaged stored file cutting the download instead of delivering it."""

import http.client
import io
import os
import zipfile
from urllib.parse import quote

from sfs_harness import AppClient, WebDavCase

ODD = "ünï cødé 日本 #1 %2"


class ZipTest(WebDavCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.files = {
            "pics/a.txt": b"hello\n",
            f"pics/{ODD}/deep/b.bin": os.urandom(3 * 1024 * 1024 + 17),  # several pieces
            "pics/zero": b"",
        }

    def setUp(self):
        super().setUp()
        for folder in ("pics", f"pics/{ODD}", f"pics/{ODD}/deep", "pics/empty"):
            self.dav("MKCOL", quote(folder) + "/")  # 405 when it is there already
        for path, data in self.files.items():
            reply = self.put_bytes(quote(path), data)
            self.assertIn(reply.status, (201, 204), (path, reply, self.server.process.poll()))
        self.browser = AppClient(self.server)
        self.assertEqual(self.browser.login().status, 200)

    def zip_of(self, path):
        return self.browser.api("GET", "zip", {"path": path})

    def test_a_folder_comes_as_an_archive_with_every_name_and_byte(self):
        reply = self.zip_of("pics")
        self.assertEqual(reply.status, 200, reply.text)
        self.assertEqual(reply.headers["content-type"], "application/zip")
        self.assertIn("attachment", reply.headers["content-disposition"])
        self.assertIn("pics.zip", reply.headers["content-disposition"])
        self.assertEqual(reply.headers["x-content-type-options"], "nosniff")
        self.assertIn("sandbox", reply.headers["content-security-policy"])
        archive = zipfile.ZipFile(io.BytesIO(reply.body))
        self.assertIsNone(archive.testzip())  # every CRC-32 right
        names = sorted(archive.namelist())
        self.assertEqual(names, sorted(["pics/", "pics/a.txt", "pics/zero", "pics/empty/",
                                        f"pics/{ODD}/", f"pics/{ODD}/deep/",
                                        f"pics/{ODD}/deep/b.bin"]))
        for path, data in self.files.items():
            self.assertEqual(archive.read(path), data, path)
        self.assertTrue(archive.getinfo("pics/empty/").is_dir())

    def test_the_whole_space_is_named_after_the_user(self):
        reply = self.zip_of("")
        self.assertEqual(reply.status, 200, reply.text)
        archive = zipfile.ZipFile(io.BytesIO(reply.body))
        self.assertEqual(archive.read("alice/pics/a.txt"), b"hello\n")

    def test_refusals_are_clear_and_send_no_archive(self):
        self.assertEqual(self.zip_of("nothing-here").status, 404)
        self.assertEqual(self.zip_of("pics/a.txt").status, 409)  # a file, not a folder
        reply = self.zip_of("../bob")
        self.assertIn(reply.status, (400, 403, 404))
        self.assertNotIn(b"PK", reply.body[:2])
        stranger = AppClient(self.server)
        self.assertEqual(stranger.api("GET", "zip", {"path": "pics"}).status, 401)

    def test_a_damaged_file_cuts_the_download(self):
        stored = os.path.join(self.server.user_dir("alice"), "pics", "a.txt")
        with open(stored, "r+b") as f:  # same size, other bytes: bitrot
            f.write(b"HELLO\n")
        try:
            body = self.zip_of("pics").body
        except http.client.IncompleteRead:  # the chunked body ended early
            return
        with self.assertRaises(zipfile.BadZipFile):
            zipfile.ZipFile(io.BytesIO(body))
