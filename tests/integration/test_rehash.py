"""A login with a hash of outdated Argon2id costs rewrites it with the current ones.

Python's standard library has no Argon2, so the weak hash is made with the
system libsodium through ctypes (the library sfs itself links); without it
the tests are skipped.
"""

import ctypes
import ctypes.util
import os
import re
import threading
import time
import unittest

from sfs_harness import (RawConnection, Server, file_mode, make_temp_dir, read_file, remove_tree,
                         write_file)

PASSWORD = "alice-Weak-Hash-Pw"
CURRENT = re.compile(r"^\$argon2id\$v=19\$m=65536,t=2,p=1\$")  # crypto_pwhash INTERACTIVE


def load_sodium():
    for name in (ctypes.util.find_library("sodium"), "libsodium.so.23", "libsodium.so"):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        if lib.sodium_init() < 0:
            return None
        lib.crypto_pwhash_str_alg.argtypes = [ctypes.c_char_p, ctypes.c_char_p,
                                              ctypes.c_ulonglong, ctypes.c_ulonglong,
                                              ctypes.c_size_t, ctypes.c_int]
        lib.crypto_pwhash_str_alg.restype = ctypes.c_int
        return lib
    return None


SODIUM = load_sodium()


def argon2id(password, opslimit, memlimit):
    out = ctypes.create_string_buffer(128)  # crypto_pwhash_STRBYTES
    data = password.encode()
    if SODIUM.crypto_pwhash_str_alg(out, data, len(data), opslimit, memlimit, 2) != 0:
        raise RuntimeError("crypto_pwhash_str_alg failed")
    return out.value.decode()


def log_in(server, password=PASSWORD, user="alice"):
    with RawConnection(server.port) as conn:
        return conn.greet_and_login(user, password)


@unittest.skipIf(SODIUM is None, "no libsodium to make a weak Argon2id hash with")
class RehashTest(unittest.TestCase):

    def setUp(self):
        self.dir = make_temp_dir("sfs-it-rehash-")
        self.addCleanup(remove_tree, self.dir)
        self.auth = os.path.join(self.dir, "auth.txt")
        self.weak = argon2id(PASSWORD, 1, 8 << 20)
        self.assertTrue(self.weak.startswith("$argon2id$v=19$m=8192,t=1,p=1$"), self.weak)
        self.strong_bob = argon2id("bob-Pw", 2, 64 << 20)
        self.before = ("# accounts\n\nalice:%s\n# bob below\nbob:%s\ncarol:carol-plain-pw\n"
                       % (self.weak, self.strong_bob)).encode()
        write_file(self.auth, self.before, mode=0o600)

    def start(self):
        server = Server(extra_args=["--auth-file", self.auth])
        server.start()
        self.addCleanup(server.close)
        return server

    def alice_hash(self):
        return re.search(r"(?m)^alice:(.*)$", read_file(self.auth).decode()).group(1)

    def test_login_rewrites_an_outdated_hash(self):
        server = self.start()
        # A wrong password changes nothing.
        self.assertEqual(log_in(server, "not-it"), "ERR AUTH login failed")
        self.assertEqual(read_file(self.auth), self.before)
        # The right one logs in and upgrades the hash, and nothing else in the file.
        self.assertEqual(log_in(server), "OK")
        self.assertTrue(server.wait_for_log(
            r"info user=alice password rehashed with the current Argon2id costs$", timeout=5))
        new = self.alice_hash()
        self.assertRegex(new, CURRENT)
        self.assertEqual(read_file(self.auth), self.before.replace(self.weak.encode(),
                                                                   new.encode()))
        self.assertEqual(file_mode(self.auth), 0o600)
        self.assertEqual([n for n in os.listdir(self.dir) if n != "auth.txt"], [])
        # Once: the running server and a restarted one accept the password, and
        # neither rehashes again.
        self.assertEqual(log_in(server), "OK")
        self.assertEqual(log_in(server), "OK")
        time.sleep(0.3)
        self.assertEqual(len(re.findall("rehashed", server.log_text())), 1,
                         "the running server rehashed again at the next logins")
        self.assertEqual(self.alice_hash(), new)
        server.close()
        server = self.start()
        self.assertEqual(log_in(server), "OK")
        self.assertEqual(log_in(server, "not-it"), "ERR AUTH login failed")
        self.assertEqual(self.alice_hash(), new)
        self.assertNotIn("rehashed", server.log_text())
        self.assertNotIn(PASSWORD, server.log_text())

    def test_simultaneous_logins_leave_a_whole_file(self):
        server = self.start()
        replies = []
        threads = [threading.Thread(target=lambda: replies.append(log_in(server)))
                   for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        self.assertEqual(replies, ["OK"] * 6)
        text = read_file(self.auth).decode()
        self.assertRegex(self.alice_hash(), CURRENT)
        self.assertIn("bob:%s\n" % self.strong_bob, text)
        self.assertIn("carol:carol-plain-pw\n", text)
        self.assertEqual(text.count("\n"), self.before.decode().count("\n"))
        self.assertEqual(log_in(server), "OK")


if __name__ == "__main__":
    unittest.main()
