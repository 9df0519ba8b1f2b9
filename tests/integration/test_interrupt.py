"""Interrupted transfers: killed clients, stopped servers, no debris, no clobbering.

A cut upload may leave a hidden, resumable `.sfs-part-*` file in the user's
directory by design (test_resume.py covers resuming); it is never listed
and never replaces anything. Plain `.sfs-tmp-*` files must not remain.
"""

import os
import signal
import subprocess
import unittest

from sfs_harness import (EXIT_NETWORK, Server, ServerTestCase, finish, parse_listing,
                         read_file, stderr_lines, temp_files_in, wait_until, write_file,
                         write_sparse_file)

BIG = 4 << 30  # sparse: costs no disk on the sending side; the transfer is killed early
UPLOAD_FILES = (".sfs-part-", ".sfs-tmp-")  # where the server writes an upload in progress


def sizes(directory, prefix):
    """{name: size} of the files in directory whose name starts with prefix."""
    found = {}
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return found
    for name in names:
        if name.startswith(prefix):
            try:
                found[name] = os.path.getsize(os.path.join(directory, name))
            except FileNotFoundError:
                pass
    return found


def grown_file(directory, prefix, before):
    """Name of a file in directory starting with prefix that is new or bigger than in
    `before` (a sizes() snapshot), else None: the upload that started after it."""
    for name, size in sizes(directory, prefix).items():
        if size > before.get(name, 0):
            return name
    return None


def growing_file(directory, prefix):
    """Name of a file in directory starting with prefix (a string or a tuple of them)
    and holding data, else None."""
    try:
        names = [n for n in os.listdir(directory) if n.startswith(prefix)]
    except FileNotFoundError:
        return None
    for name in names:
        try:
            if os.path.getsize(os.path.join(directory, name)) > 0:
                return name
        except FileNotFoundError:
            pass
    return None


class KilledUploadTest(ServerTestCase):

    def kill_upload_midway(self, name):
        """Starts `sfs put` of a huge sparse file as `name` and SIGKILLs it mid-transfer."""
        big = write_sparse_file(self.client.path("huge.bin"), BIG)
        user_dir = self.server.user_dir("alice")
        # Earlier tests may have left resumable parts of their own: watch for this one.
        before = sizes(user_dir, UPLOAD_FILES)
        process = self.client.start("put", big, name)
        temp = wait_until(lambda: grown_file(user_dir, UPLOAD_FILES, before),
                          timeout=20, interval=0.005)
        os.kill(process.pid, signal.SIGKILL)
        result = finish(process)
        self.assertIsNotNone(temp, "the upload never started: %r" % (result,))
        self.assertEqual(result.returncode, -signal.SIGKILL, "upload finished before the kill")

    def assertServerServes(self):
        other = self.new_client("bob")
        data = os.urandom(100_000)
        self.upload(data, "after-kill.bin", client=other)
        self.assertOk(other.run("get", "after-kill.bin", other.path("copy")))
        self.assertEqual(read_file(other.path("copy")), data)

    def assertNoTempFiles(self):
        user_dir = self.server.user_dir("alice")
        leftover = wait_until(lambda: not temp_files_in(user_dir), timeout=10)
        self.assertTrue(leftover, "temp files remain: %r" % temp_files_in(user_dir))

    def test_killed_upload_leaves_nothing_visible(self):
        self.kill_upload_midway("killed.bin")
        self.assertTrue(self.server.running())
        self.assertServerServes()
        listed = self.client.run("ls")
        self.assertOk(listed)
        names = parse_listing(listed.stdout)
        self.assertNotIn("killed.bin", names)
        self.assertEqual([n for n in names if n.startswith(".")], [])  # no part is listed
        self.assertFalse(os.path.exists(self.server.stored("alice", "killed.bin")))
        self.assertNoTempFiles()
        self.assertTrue(self.server.wait_for_log(r"user=alice peer=\S+ op=PUT path=killed\.bin "
                                                 r"bytes=\d+ result=(?!ok)"),
                        self.server.log_text())

    def test_killed_overwrite_keeps_previous_version(self):
        previous = os.urandom(50_000)
        self.upload(previous, "keep.bin")
        self.kill_upload_midway("keep.bin")
        self.assertNoTempFiles()
        self.assertEqual(read_file(self.server.stored("alice", "keep.bin")), previous)
        self.assertOk(self.client.run("get", "keep.bin", self.client.path("copy")))
        self.assertEqual(read_file(self.client.path("copy")), previous)
        listed = self.client.run("ls")
        self.assertOk(listed)
        self.assertEqual(parse_listing(listed.stdout)["keep.bin"], len(previous))


class ServerStopTest(ServerTestCase):
    """Each test stops its own server.

    SIGTERM drains: transfers in flight may finish within --drain-timeout.
    These tests are about transfers the stop cuts, so the timeout is 0.
    test_drain.py covers draining itself.
    """

    server_per_test = True
    server_kwargs = {"extra_args": ["--drain-timeout", "0"]}

    def stop_server(self):
        status = self.server.stop(signal.SIGTERM)
        self.assertEqual(status, 0, "sfs-server did not exit cleanly on SIGTERM: %r\n%s"
                         % (status, self.server.log_text()[-2000:]))

    def assertClientError(self, result):
        """The client noticed the lost server: network exit code and an `sfs:` line."""
        self.assertEqual(result.returncode, EXIT_NETWORK, result)
        lines = stderr_lines(result)
        self.assertTrue(lines and lines[-1].startswith("sfs: "), lines)

    def test_idle_menu_client_reports_the_lost_server(self):
        process = self.client.start("menu", stdin=subprocess.PIPE)
        self.assertTrue(self.server.wait_for_log(r"user=alice peer=\S+ login ok"),
                        self.server.log_text())
        self.stop_server()
        result = finish(process, input=b"5\n")
        self.assertClientError(result)

    def interrupt_download(self, local_name):
        """Downloads a huge sparse remote file into cwd/local_name and stops the server."""
        os.makedirs(self.server.user_dir("alice"), mode=0o700, exist_ok=True)
        write_sparse_file(self.server.stored("alice", "huge.bin"), BIG)
        process = self.client.start("get", "huge.bin", local_name)
        part = wait_until(lambda: growing_file(self.client.cwd, "." + local_name + ".sfs-part"),
                          timeout=20, interval=0.005)
        self.stop_server()
        result = finish(process)
        self.assertIsNotNone(part, "the download never started: %r" % (result,))
        self.assertClientError(result)
        # The remote file has no stored digest (placed by hand), so the partial
        # copy could never be proven resumable: it is removed.
        debris = [n for n in os.listdir(self.client.cwd) if ".sfs-part" in n]
        self.assertEqual(debris, [])
        return result

    def test_interrupted_download_creates_nothing(self):
        self.interrupt_download("huge.bin")
        self.assertEqual(os.listdir(self.client.cwd), [])

    def test_interrupted_download_does_not_clobber(self):
        write_file(self.client.path("precious.bin"), b"precious local data")
        self.interrupt_download("precious.bin")
        self.assertEqual(os.listdir(self.client.cwd), ["precious.bin"])
        self.assertEqual(read_file(self.client.path("precious.bin")), b"precious local data")

    def test_interrupted_upload_reports_an_error(self):
        big = write_sparse_file(self.client.path("huge.bin"), BIG)
        process = self.client.start("put", big, "huge.bin")
        temp = wait_until(lambda: growing_file(self.server.user_dir("alice"), UPLOAD_FILES),
                          timeout=20, interval=0.005)
        self.stop_server()
        result = finish(process)
        self.assertIsNotNone(temp, "the upload never started: %r" % (result,))
        self.assertClientError(result)
        self.assertFalse(os.path.exists(self.server.stored("alice", "huge.bin")))

    def test_sigint_stops_the_server(self):
        self.assertOk(self.client.run("ls"))  # the server is surely in its event loop
        self.assertEqual(self.server.stop(signal.SIGINT), 0)
        self.assertTrue(self.server.wait_for_log(r"signal 2 received"))


class StopRightAfterStartTest(unittest.TestCase):

    def test_sigterm_right_after_the_listening_line_is_a_clean_stop(self):
        """Once "listening" is printed, SIGTERM must be handled (exit 0), not fatal.

        Repeated because the window is short: a server that installs its
        signal handlers only after printing the line fails now and then.
        """
        for attempt in range(30):
            with Server() as server:
                status = server.stop(signal.SIGTERM)
                self.assertEqual(status, 0, "attempt %d: sfs-server died of SIGTERM (status %r) "
                                 "right after printing its listening line" % (attempt, status))


if __name__ == "__main__":
    unittest.main()
