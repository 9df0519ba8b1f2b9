"""Pre-login flood: one address filling the pool of connections not logged in yet.

Issue 10, finding 2: `--max-connections-per-ip` (128) let one address hold
the whole pre-login pool (`--max-unauthenticated`, 128), so 300 silent TCP
connections from 127.0.0.2 made the server refuse the owner's client from
127.0.0.1. Now, when the pool is full, a newcomer from an address holding
less than its share of the pool (`--unauthenticated-share-per-ip`, 10)
takes the place of the oldest pre-login connection of the address holding
the most, instead of being refused.

The silent connections get a handshake timeout far longer than the test, so
they hold their places throughout: nothing here passes because the server
timed them out.
"""

import re
import socket
import unittest

from sfs_harness import Client, Server, tcp_connect, wait_until, write_file

ATTACKER = "127.0.0.2"
FLOOD = 300
SHARE = 10  # --unauthenticated-share-per-ip's default
HOLD = ["--handshake-timeout", "600", "--login-timeout", "600"]
ADMISSION_LINE = re.compile(r"peer=(\S+) (refused|evicted):")


def closed_by_server(sock):
    """True once the server closed `sock` (EOF or reset), without waiting."""
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except (ConnectionResetError, BrokenPipeError):
        return True


class PreloginFloodTest(unittest.TestCase):

    def start_server(self, *extra):
        server = Server(extra_args=HOLD + list(extra))
        server.start()
        self.addCleanup(server.close)
        return server

    def owner(self, server):
        client = Client(server)
        self.addCleanup(client.close)
        write_file(client.path("owner.txt"), b"the owner's file\n")
        result = client.run("put", client.path("owner.txt"), "owner.txt")
        self.assertEqual(result.returncode, 0, result.stderr)
        return client

    def flood(self, server, source, count):
        """`count` silent TCP connections from `source`, closed at cleanup."""
        socks = []
        self.addCleanup(lambda: [s.close() for s in socks])
        for _ in range(count):
            sock = tcp_connect(server.port, source)
            sock.setblocking(False)
            socks.append(sock)
        return socks

    def wait_for_refusals(self, socks, refused):
        """Waits until the server has closed `refused` of `socks` (they are
        refused at once); returns the ones it kept open."""
        done = wait_until(lambda: sum(map(closed_by_server, socks)) >= refused, timeout=30,
                          interval=0.1)
        self.assertTrue(done, "the server did not refuse %d of %d connections" %
                        (refused, len(socks)))
        return [s for s in socks if not closed_by_server(s)]

    def assertListsAsOwner(self, server, client):
        mark = server.log_mark()
        result = client.run("ls")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(b"owner.txt", result.stdout)
        self.assertRegex(server.log_since(mark), r"user=alice peer=127\.0\.0\.1:\d+ login ok")

    def assertLogged(self, server, text):
        self.assertTrue(text in server.log_text(), "not in the server log: " + text)

    def assertOnlyAttackersNamed(self, server, attackers):
        named = {m.group(1) for m in ADMISSION_LINE.finditer(server.log_text())}
        self.assertTrue(named, "no refusal or eviction logged")
        self.assertLessEqual(named, set(attackers))

    def evictions(self, server):
        return re.findall(r"peer=(\S+) evicted: the oldest of its (\d+) connections not logged "
                          r"in yet, to admit (\S+) \(pool of (\d+) full\)", server.log_text())

    def assertEvicted(self, sock, what):
        self.assertTrue(wait_until(lambda: closed_by_server(sock), timeout=10),
                        "%s was not closed" % what)

    def test_silent_flood_from_one_address_leaves_room_for_the_owner(self):
        server = self.start_server()
        client = self.owner(server)
        socks = self.flood(server, ATTACKER, FLOOD)
        held = self.wait_for_refusals(socks, FLOOD - 128)
        # While the pool had room 127.0.0.2 took all of it, as many as its 128 allow.
        self.assertEqual(held, socks[:128])
        self.assertListsAsOwner(server, client)
        self.assertLogged(server, "peer=127.0.0.2 refused: per-address connection limit (128) "
                          "reached")
        # The owner took the place of 127.0.0.2's oldest connection, and only that one.
        self.assertEvicted(held[0], "the oldest connection of 127.0.0.2")
        self.assertEqual(sum(map(closed_by_server, held[1:])), 0)
        self.assertEqual(self.evictions(server), [(ATTACKER, "128", "127.0.0.1", "128")])
        self.assertOnlyAttackersNamed(server, [ATTACKER])

    def test_each_address_claims_its_share_of_a_full_pool_and_no_more(self):
        server = self.start_server("--max-unauthenticated", "16",
                                   "--unauthenticated-share-per-ip", "4")
        client = self.owner(server)
        first = self.flood(server, "127.0.0.2", 100)
        second = self.flood(server, "127.0.0.3", 50)
        # 127.0.0.2 fills the pool alone (16) and is refused the rest: it holds
        # more than its share. 127.0.0.3 takes the places of 127.0.0.2's 4
        # oldest, then is refused too (not logged: the first 20 refusals of
        # 127.0.0.2 took the log's budget).
        held = self.wait_for_refusals(first + second, 84 + 4 + 46)
        self.assertEqual(held, first[4:16] + second[:4])
        self.assertLogged(server, "peer=127.0.0.2 refused: too many connections not logged in "
                          "yet (16), and this address holds its share of them (4)")
        self.assertEqual(self.evictions(server), [("127.0.0.2", str(16 - i), "127.0.0.3", "16")
                                                  for i in range(4)])
        # The owner claims a place too, from the address holding the most.
        self.assertListsAsOwner(server, client)
        self.assertEvicted(first[4], "the oldest connection of 127.0.0.2")
        self.assertEqual(sum(map(closed_by_server, held[1:])), 0)
        self.assertEqual(self.evictions(server)[-1], ("127.0.0.2", "12", "127.0.0.1", "16"))
        self.assertOnlyAttackersNamed(server, ["127.0.0.2", "127.0.0.3"])

    def test_three_flooding_addresses_each_get_their_share_and_the_owner_too(self):
        server = self.start_server()
        client = self.owner(server)
        floods = {source: self.flood(server, source, 100)
                  for source in ("127.0.0.2", "127.0.0.3", "127.0.0.4")}
        socks = sum(floods.values(), [])
        # 127.0.0.2 takes 100 places, 127.0.0.3 the 28 left and is refused
        # 72 (it holds more than its share), 127.0.0.4 claims its 10 from
        # 127.0.0.2 (whose 10 oldest go) and is refused 90.
        held = self.wait_for_refusals(socks, 10 + 72 + 90)
        self.assertEqual(held, floods["127.0.0.2"][10:] + floods["127.0.0.3"][:28]
                         + floods["127.0.0.4"][:SHARE])
        self.assertEqual(self.evictions(server), [("127.0.0.2", str(100 - i), "127.0.0.4", "128")
                                                  for i in range(SHARE)])
        self.assertListsAsOwner(server, client)
        self.assertEvicted(floods["127.0.0.2"][10], "the oldest connection of 127.0.0.2")
        self.assertEqual(sum(map(closed_by_server, held[1:])), 0)
        self.assertEqual(self.evictions(server)[-1], ("127.0.0.2", "90", "127.0.0.1", "128"))
        self.assertOnlyAttackersNamed(server, list(floods))

    def test_refusals_do_not_flood_the_log(self):
        server = self.start_server("--max-connections-per-ip", "1")
        socks = self.flood(server, ATTACKER, FLOOD)
        self.wait_for_refusals(socks, FLOOD - 1)
        # The first 20 refusals are logged, then about one a second: far
        # fewer than 299 in the few seconds the flood takes, and one line
        # later tells how many were left out.
        refusals = server.log_text().count("peer=127.0.0.2 refused")
        self.assertGreaterEqual(refusals, 20)
        self.assertLess(refusals, FLOOD - 1)
        summary = re.compile(r"\d+ more refused connections not logged")

        def another_refusal_logged_with_the_count():
            socks.append(tcp_connect(server.port, ATTACKER))  # refused; logged when allowed
            return summary.search(server.log_text())

        self.assertTrue(wait_until(another_refusal_logged_with_the_count, timeout=30,
                                   interval=0.5))

if __name__ == "__main__":
    unittest.main()
