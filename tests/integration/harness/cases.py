"""unittest base classes: a server per class (or per test) and its clients."""

import hashlib
import os
import re
import time
import unittest

from .config import EXIT_OK, S3_SERVER
from .files import make_temp_dir, remove_tree, write_file
from .server import Server
from .client import Client, stderr_lines
from .faults import FaultProxy


def on_disk_only(why):
    """For a test of what only a server's files on disk have or allow (`why`:
    it plants or damages files there, checks their modes): skipped where the
    servers keep their files on S3 (test_s3_suites.py), saying why."""
    return unittest.skipIf(bool(S3_SERVER), why + ": on disk only; the storage is S3 here")


class ServerTestCase(unittest.TestCase):
    """A server (self.server) and a fresh client sandbox (self.client) for each test.

    The server is shared by the whole class, unless server_per_test is set
    (for tests that stop or break it).
    """

    users = None
    server_kwargs = {}
    server_per_test = False

    @classmethod
    def start_server(cls):
        server = Server(users=cls.users, **cls.server_kwargs)
        server.start()
        return server

    @classmethod
    def setUpClass(cls):
        if not cls.server_per_test:
            cls.server = cls.start_server()

    @classmethod
    def tearDownClass(cls):
        if not cls.server_per_test:
            cls.server.close()

    def setUp(self):
        if self.server_per_test:
            self.server = self.start_server()
            self.addCleanup(self.server.close)
        self.client = self.new_client("alice")

    def new_client(self, user="alice", **kwargs):
        client = Client(self.server, user, **kwargs)
        self.addCleanup(client.close)
        return client

    def new_temp_dir(self):
        path = make_temp_dir()
        self.addCleanup(remove_tree, path)
        return path

    def new_proxy(self, server=None):
        """A FaultProxy in front of the server, closed at cleanup."""
        proxy = FaultProxy((server or self.server).port)
        self.addCleanup(proxy.close)
        return proxy

    def assertOk(self, result):
        self.assertEqual(result.returncode, EXIT_OK,
                         "client failed: %r\nstderr: %s" % (result.args, result.stderr.decode(
                             errors="replace")))

    def assertFails(self, result, code, message=None):
        """Exit `code` and exactly one stderr line, `sfs: <message>` if message is given."""
        lines = stderr_lines(result)
        self.assertEqual(result.returncode, code,
                         "args %r: stderr %r" % (result.args, result.stderr))
        self.assertEqual(len(lines), 1, "expected one stderr line, got %r" % lines)
        self.assertTrue(lines[0].startswith("sfs: "), lines)
        if message is not None:
            self.assertEqual(lines[0], "sfs: " + message)

    def assertNoLogin(self, mark, server=None):
        """The server logged no LOGIN attempt (ok or failed) after mark."""
        server = server or self.server
        time.sleep(0.2)  # let the server log the end of the connection
        log = server.log_since(mark)
        self.assertIsNone(re.search(r"login (ok|failed)", log), log)

    def upload(self, data, name, client=None):
        """Uploads bytes as `name` through the real client; asserts success."""
        client = client or self.client
        local = client.path("upload-" + hashlib.sha256(name.encode()).hexdigest()[:12])
        write_file(local, data)
        self.assertOk(client.run("put", local, name))
        os.unlink(local)
