"""A transfer outlives a server that dies mid-way (issue 15, the client item):
`sfs put`, `sfs get`, `put -r`, `get -r`, batch mode and the shell
reconnect with bounded retries and backoff when the connection breaks, and
go on from what is already there.

The transfers go through a fault proxy (harness/faults.py) that slows them,
so that the server can be killed (SIGKILL) while one is surely under way:
once the partial file it writes has grown. The server is then started again
on the same port, storage and certificate; the proxy's rate limit is lifted
for the connections after that, so the rest goes at full speed.
"""

import json
import os
import re
import signal
import unittest

from harness.faults import DOWN, AtRecord
from sfs_harness import (EXIT_NETWORK, EXIT_OK, ServerTestCase, finish, local_partial, parse_listing,
                         partial_files_in, read_file, digest_hex, stderr_lines, wait_until,
                         write_file, xattrs_supported)

SIZE = 12 << 20           # the file cut in the middle
RATE = 3 << 20            # bytes per second through the proxy until the kill
GROWN = 1 << 20           # the partial file holds at least this much at the kill
RETRIES = 12              # enough for a restart on a busy machine (each wait at most 8 s)
TRANSFER_TIMEOUT = 240    # a safety net for a hung client, not a measure
RECONNECT = re.compile(r"^sfs: connection lost \(.+\); reconnecting in \d+\.\d s "
                       r"\(attempt (\d+) of (\d+)\)$")


def file_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


class ReconnectTestBase(ServerTestCase):
    server_per_test = True  # each test kills its server

    def setUp(self):
        super().setUp()
        self.proxy = self.new_proxy()
        self.data = os.urandom(SIZE)

    @property
    def user_dir(self):
        return self.server.user_dir("alice")

    def start_via_proxy(self, client, *args):
        return client.start(*args, port=self.proxy.port)

    def server_partial_size(self, folder=""):
        directory = os.path.join(self.user_dir, folder)
        return max([file_size(os.path.join(directory, name))
                    for name in partial_files_in(directory)] or [0])

    def kill_when(self, grown, process):
        """Waits until grown() (the transfer is under way), then kills the server."""
        self.assertTrue(wait_until(grown, timeout=60, interval=0.01),
                        "the transfer did not get under way")
        self.assertIsNone(process.poll(), "the client ended before the kill")
        self.server.stop(signal.SIGKILL)

    def restart_server(self):
        """The same port, storage and certificate; full speed from now on."""
        self.proxy.set_rate()
        self.server.restart(signal.SIGKILL, same_port=True)

    def assertReconnected(self, result):
        self.assertEqual(result.returncode, EXIT_OK, result.stderr)
        lines = stderr_lines(result)
        attempts = [RECONNECT.match(line) for line in lines]
        self.assertTrue(any(attempts), lines)
        for match in filter(None, attempts):
            self.assertEqual(int(match.group(2)), RETRIES, lines)
        self.assertTrue(any(": resuming at " in line for line in lines), lines)


    def assertTreeResumed(self, result, op, small, before, mark):
        """The --json summary counts every file once, none unchanged or failed;
        the files done before the kill (in the log `before`) are the "a-" ones,
        and none of them is sent again after it (the log since `mark`, which
        this returns)."""
        summary = json.loads(result.stdout)
        self.assertEqual((summary["files"], summary["unchanged"], summary["failed"]),
                         (len(small) + 1, 0, []), summary)
        done_before = set(re.findall(r"op=%s path=tree/(\S+) .*result=ok" % op, before))
        self.assertEqual(done_before, {n for n in small if n.startswith("a-")})
        after = self.server.log_since(mark)
        self.assertEqual([n for n in done_before if "path=tree/%s " % n in after], [], after)
        return after


class ReconnectTest(ReconnectTestBase):

    def test_put_resumes_on_the_restarted_server(self):
        client = self.new_client(retries=RETRIES)
        local = write_file(client.path("big.bin"), self.data)
        self.proxy.configure(rate_up=RATE)
        process = self.start_via_proxy(client, "put", local, "big.bin")
        self.kill_when(lambda: self.server_partial_size() >= GROWN, process)
        self.restart_server()
        result = finish(process, timeout=TRANSFER_TIMEOUT)
        self.assertReconnected(result)
        self.assertTrue(any(line.startswith("sfs: put big.bin: resuming at ")
                            for line in stderr_lines(result)), result.stderr)
        self.assertEqual(digest_hex(read_file(self.server.stored("alice", "big.bin"))),
                         digest_hex(self.data))
        self.assertEqual(partial_files_in(self.user_dir), [])
        listed = client.run("ls")
        self.assertOk(listed)
        self.assertEqual(parse_listing(listed.stdout), {"big.bin": SIZE})

    def test_get_resumes_its_local_partial(self):
        client = self.new_client(retries=RETRIES)
        if not xattrs_supported(client.cwd):
            self.skipTest("no user xattrs here: a partial download cannot be resumed")
        self.upload(self.data, "big.bin", client=client)
        target = client.path("copy.bin")
        self.proxy.configure(rate_down=RATE)
        process = self.start_via_proxy(client, "get", "big.bin", target)
        self.kill_when(lambda: file_size(local_partial(target)) >= GROWN, process)
        self.restart_server()
        result = finish(process, timeout=TRANSFER_TIMEOUT)
        self.assertReconnected(result)
        self.assertTrue(any(line.startswith("sfs: get big.bin: resuming at ")
                            for line in stderr_lines(result)), result.stderr)
        self.assertEqual(digest_hex(read_file(target)), digest_hex(self.data))
        self.assertFalse(os.path.exists(local_partial(target)))

    def test_put_tree_sends_the_files_done_before_the_kill_once(self):
        client = self.new_client(retries=RETRIES)
        tree = client.path("tree")
        os.mkdir(tree)
        small = {}
        for prefix in ("a", "z"):  # before and after the big file, in name order
            for i in range(8):
                name = "%s-%02d.txt" % (prefix, i)
                small[name] = os.urandom(1000 + i)
                write_file(os.path.join(tree, name), small[name])
        write_file(os.path.join(tree, "m-big.bin"), self.data)
        self.proxy.configure(rate_up=RATE)
        process = self.start_via_proxy(client, "--json", "put", "-r", "tree", "tree")
        self.kill_when(lambda: self.server_partial_size("tree") >= GROWN, process)
        before = self.server.log_text()
        mark = len(before)
        self.restart_server()
        result = finish(process, timeout=TRANSFER_TIMEOUT)
        self.assertReconnected(result)

        after = self.assertTreeResumed(result, "PUT", small, before, mark)
        self.assertEqual(set(re.findall(r"op=PUT path=tree/(\S+) .*result=ok", after)),
                         {"m-big.bin"} | {n for n in small if n.startswith("z-")})
        for name, data in small.items():
            self.assertEqual(read_file(self.server.stored("alice", "tree/" + name)), data)
        self.assertEqual(digest_hex(read_file(self.server.stored("alice", "tree/m-big.bin"))),
                         digest_hex(self.data))
        self.assertEqual(partial_files_in(os.path.join(self.user_dir, "tree")), [])

    def test_get_tree_fetches_the_files_done_before_the_kill_once(self):
        client = self.new_client(retries=RETRIES)
        if not xattrs_supported(client.cwd):
            self.skipTest("no user xattrs here: a partial download cannot be resumed")
        small = {}
        for prefix in ("a", "z"):
            for i in range(8):
                name = "%s-%02d.txt" % (prefix, i)
                small[name] = os.urandom(1000 + i)
                self.upload(small[name], "tree/" + name, client=client)
        self.upload(self.data, "tree/m-big.bin", client=client)
        target = client.path("copy")
        big = os.path.join(target, "m-big.bin")
        self.proxy.configure(rate_down=RATE)
        mark = self.server.log_mark()
        process = self.start_via_proxy(client, "--json", "get", "-r", "tree", target)
        self.kill_when(lambda: file_size(local_partial(big)) >= GROWN, process)
        before = self.server.log_since(mark)
        mark = self.server.log_mark()
        self.restart_server()
        result = finish(process, timeout=TRANSFER_TIMEOUT)
        self.assertReconnected(result)

        self.assertTreeResumed(result, "GET", small, before, mark)
        for name, data in small.items():
            self.assertEqual(read_file(os.path.join(target, name)), data)
        self.assertEqual(digest_hex(read_file(big)), digest_hex(self.data))
        self.assertFalse(os.path.exists(local_partial(big)))

    def run_commands_through_a_kill(self, *args):
        """Runs sfs with `args` and the commands file on stdin: a put of a big
        file that the kill cuts, then ls."""
        client = self.new_client(retries=RETRIES)
        write_file(client.path("big.bin"), self.data)
        commands = write_file(client.path("commands.txt"), b"put big.bin\nls\n")
        self.proxy.configure(rate_up=RATE)
        with open(commands, "rb") as stdin:
            process = client.start(*args, port=self.proxy.port, stdin=stdin)
            self.kill_when(lambda: self.server_partial_size() >= GROWN, process)
            self.restart_server()
            result = finish(process, timeout=TRANSFER_TIMEOUT)
        self.assertReconnected(result)
        self.assertEqual(parse_listing(result.stdout), {"big.bin": SIZE})
        self.assertEqual(digest_hex(read_file(self.server.stored("alice", "big.bin"))),
                         digest_hex(self.data))

    def test_batch_mode_goes_on_after_the_reconnect(self):
        self.run_commands_through_a_kill("-b", "-")

    def test_shell_goes_on_after_the_reconnect(self):
        self.run_commands_through_a_kill("shell")


class BoundedRetriesTest(ReconnectTestBase):

    def put_while_the_server_dies(self, retries):
        client = self.new_client(retries=retries)
        local = write_file(client.path("big.bin"), self.data)
        self.proxy.configure(rate_up=RATE)
        process = self.start_via_proxy(client, "put", local, "big.bin")
        self.kill_when(lambda: self.server_partial_size() >= GROWN, process)
        return finish(process, timeout=TRANSFER_TIMEOUT)

    def test_gives_up_after_the_retries(self):
        result = self.put_while_the_server_dies(2)
        self.assertEqual(result.returncode, EXIT_NETWORK, result.stderr)
        lines = stderr_lines(result)
        attempts = [m.group(1, 2) for m in map(RECONNECT.match, lines) if m]
        self.assertEqual(attempts, [("1", "2"), ("2", "2")], lines)
        self.assertEqual(len(lines), 3, lines)
        self.assertRegex(lines[-1], r"^sfs: .*connection lost \(.+\); gave up after 2 attempts "
                                    r"to reconnect$")

    def test_no_retries_fails_at_once(self):
        result = self.put_while_the_server_dies(0)
        self.assertEqual(result.returncode, EXIT_NETWORK, result.stderr)
        lines = stderr_lines(result)
        self.assertEqual(len(lines), 1, lines)
        self.assertNotIn("reconnect", lines[0])


class CutAfterLoginTest(ServerTestCase):
    """A connection lost between the login and the answer to the first
    command reconnects as one lost mid-transfer does: here the STAT that a
    `get` over an existing local file starts with (a cluster node killed
    right then ended the command, before the STAT was retried). The proxy
    cuts exactly there, before the server's TLS record that carries the
    STAT's answer, found among the records of the same command run uncut."""

    def test_a_stat_lost_after_the_login_is_asked_again(self):
        client = self.new_client(retries=2)
        proxy = self.new_proxy()
        self.upload(b"the remote bytes\n", "doc.txt", client=client)
        target = write_file(client.path("doc.txt"), b"the remote bytes\n")
        # Uncut, the same content here: the login, a STAT that finds the file
        # unchanged, QUIT. The server's last records: the STAT's answer, QUIT's,
        # then TLS close_notify.
        self.assertOk(client.run("get", "doc.txt", target, port=proxy.port))
        learned = proxy.last()
        self.assertTrue(learned.finished.wait(10), "the uncut connection did not end")
        records = learned.logs[DOWN].records
        self.assertEqual(records[-1][2], 2 + 17)  # close_notify: a 2-byte alert, sealed
        stat_answer = len(records) - 3
        write_file(target, b"the local bytes\n")  # different now: the STAT leads to a GET
        proxy.configure(cut_down=AtRecord(stat_answer), connections=1)
        mark = self.server.log_mark()
        result = client.run("get", "doc.txt", target, port=proxy.port)
        self.assertEqual(result.returncode, EXIT_OK, result.stderr)
        cut = proxy.connections[-2]
        self.assertEqual(cut.cut, DOWN)
        self.assertEqual(len(cut.logs[DOWN].records), stat_answer + 1)  # the STAT's answer seen, not sent
        attempts = [m.group(1, 2) for m in map(RECONNECT.match, stderr_lines(result)) if m]
        self.assertEqual(attempts, [("1", "2")], result.stderr)
        self.assertEqual(read_file(target), b"the remote bytes\n")
        log = self.server.log_since(mark)
        self.assertEqual(log.count(" login ok "), 2, log)
        self.assertEqual(log.count("op=GET path=doc.txt "), 1, log)


if __name__ == "__main__":
    unittest.main()
