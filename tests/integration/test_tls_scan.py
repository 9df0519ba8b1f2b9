"""The TLS configuration as a scanner sees it (sslscan, from Debian): TLS 1.3
only by default, key exchange over X25519, P-256 and P-384 only; with --tls12, TLS 1.2 with ECDHE + AEAD suites only; never
SSLv2/3, TLS 1.0/1.1, renegotiation or compression."""

import re
import shutil
import subprocess
import unittest

from sfs_harness import HOST, Server

SCAN_TIMEOUT = 120
AEAD_TLS13 = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}
AEAD_ECDHE_TLS12 = re.compile(r"^ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$")


def scan(port):
    result = subprocess.run(["sslscan", "--no-colour", "%s:%d" % (HOST, port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            timeout=SCAN_TIMEOUT, check=False)
    return result.stdout.decode(errors="replace")


def protocols(report):
    """{'TLSv1.3': 'enabled', ...} from the 'SSL/TLS Protocols' section."""
    return dict(re.findall(r"^(SSLv[23]|TLSv1\.[0-3])\s+(enabled|disabled)", report, re.M))


def key_exchange_groups(report):
    """{(protocol, group)} from the 'Server Key Exchange Group(s)' section."""
    return set(re.findall(r"^(TLSv1\.[23])\s+\d+ bits\s+(\S+)(?: \(|$)", report, re.M))


def accepted_ciphers(report):
    """[(protocol, cipher)] from the 'Supported Server Cipher(s)' section."""
    return re.findall(r"^(?:Preferred|Accepted)\s+(TLSv1\.[0-3]|SSLv[23])\s+\d+ bits\s+(\S+)",
                      report, re.M)


@unittest.skipUnless(shutil.which("sslscan"), "sslscan is not installed (scripts/install-deps)")
class TlsScanTest(unittest.TestCase):

    def scan_server(self, extra_args=()):
        with Server(extra_args=extra_args) as server:
            report = scan(server.port)
            self.assertTrue(server.running(), "the scan crashed the server")
        self.assertIn("SSL/TLS Protocols", report, report)
        return report

    def assert_no_weak_extras(self, report):
        self.assertIn("Session renegotiation not supported", report)
        self.assertNotIn("Compression enabled", report)
        self.assertNotIn("vulnerable to heartbleed\n", report.replace("not vulnerable", ""))

    def test_default_offers_tls13_only(self):
        report = self.scan_server()
        self.assertEqual(protocols(report), {
            "SSLv2": "disabled", "SSLv3": "disabled", "TLSv1.0": "disabled",
            "TLSv1.1": "disabled", "TLSv1.2": "disabled", "TLSv1.3": "enabled"})
        ciphers = accepted_ciphers(report)
        self.assertTrue(ciphers, report)
        for protocol, cipher in ciphers:
            self.assertEqual(protocol, "TLSv1.3")
            self.assertIn(cipher, AEAD_TLS13)
        self.assert_no_weak_extras(report)
        # Elliptic curves only: no finite-field (ffdhe) group makes a handshake dear.
        self.assertEqual(key_exchange_groups(report), {
            ("TLSv1.3", "x25519"), ("TLSv1.3", "secp256r1"), ("TLSv1.3", "secp384r1")}, report)

    def test_tls12_option_adds_only_ecdhe_aead_suites(self):
        report = self.scan_server(["--tls12"])
        found = protocols(report)
        self.assertEqual(found["TLSv1.2"], "enabled", report)
        self.assertEqual(found["TLSv1.3"], "enabled", report)
        for weak in ("SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1"):
            self.assertEqual(found[weak], "disabled", report)
        tls12 = [cipher for protocol, cipher in accepted_ciphers(report) if protocol == "TLSv1.2"]
        self.assertTrue(tls12, report)
        for cipher in tls12:
            self.assertRegex(cipher, AEAD_ECDHE_TLS12)
        self.assert_no_weak_extras(report)


if __name__ == "__main__":
    unittest.main()
