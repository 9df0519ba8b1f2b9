"""A pre-login handshake made dear on purpose: a client offering only the
finite-field groups (ffdhe2048..8192, which OpenSSL 3 accepts by default)
would make the server run a modular exponentiation many times dearer than
X25519 before anyone has logged in. The server offers X25519, P-256 and
P-384 only, in TLS 1.3 and in the optional TLS 1.2; `openssl s_client`
(Debian's openssl) plays the client."""

import os
import shutil
import subprocess
import unittest

from sfs_harness import HOST, Server, make_temp_dir, remove_tree

S_CLIENT_TIMEOUT = 30
# Each accepted group, with the name `openssl s_client -brief` gives its key.
ACCEPTED = {"X25519": "X25519", "P-256": "ECDH, prime256v1", "P-384": "ECDH, secp384r1"}
REFUSED = ("ffdhe2048", "ffdhe3072", "ffdhe4096", "ffdhe8192", "X448", "P-521")


def handshake(port, group, version):
    """Runs one `openssl s_client` handshake offering only `group`; returns its
    exit status and output (it sends nothing and quits at end of input)."""
    result = subprocess.run(
        ["openssl", "s_client", "-connect", "%s:%d" % (HOST, port), "-groups", group,
         "-" + version, "-brief"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        timeout=S_CLIENT_TIMEOUT, check=False)
    return result.returncode, result.stdout.decode(errors="replace")


@unittest.skipUnless(shutil.which("openssl"), "openssl is not installed")
class KeyExchangeGroupsTest(unittest.TestCase):

    def check_server(self, extra_args, versions):
        with Server(extra_args=extra_args) as server:
            for version in versions:
                for group in ACCEPTED:
                    with self.subTest(version=version, group=group):
                        status, out = handshake(server.port, group, version)
                        self.assertEqual(status, 0, out)
                        self.assertIn("CONNECTION ESTABLISHED", out)
                        self.assertIn("Protocol version: " + version.replace("_", ".").replace(
                            "tls", "TLSv"), out)
                        # The key exchange really used the offered group.
                        self.assertIn("Server Temp Key: %s," % ACCEPTED[group], out)
                for group in REFUSED:
                    with self.subTest(version=version, group=group):
                        status, out = handshake(server.port, group, version)
                        self.assertNotEqual(status, 0, out)
                        self.assertNotIn("CONNECTION ESTABLISHED", out)
                        self.assertRegex(out, r"handshake failure|no suitable|alert", out)
            self.assertTrue(server.running())

    def test_tls13_offers_elliptic_curves_only(self):
        self.check_server([], ["tls1_3"])

    def test_tls12_option_offers_elliptic_curves_only(self):
        # In TLS 1.2 the groups a client offers also limit the curve of an ECDSA
        # certificate; an RSA one leaves the groups to the key exchange alone.
        directory = make_temp_dir()
        self.addCleanup(remove_tree, directory)
        cert, key = os.path.join(directory, "rsa.crt"), os.path.join(directory, "rsa.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj",
                        "/CN=x", "-keyout", key, "-out", cert, "-days", "1"],
                       capture_output=True, check=True, timeout=S_CLIENT_TIMEOUT)
        self.check_server(["--tls12", "--cert", cert, "--key", key], ["tls1_3", "tls1_2"])


if __name__ == "__main__":
    unittest.main()
