"""Certificates made and read with the openssl command."""

import os
import subprocess


def openssl_fingerprint(cert_path):
    """The SHA-256 fingerprint as `openssl x509 -fingerprint` prints it after '='."""
    out = subprocess.run(
        ["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", cert_path],
        capture_output=True, check=True, timeout=30).stdout.decode()
    return out.strip().split("=", 1)[1]


def openssl_self_signed(directory, name="other"):
    """Generates an unrelated EC P-256 self-signed certificate; returns (cert, key)."""
    cert = os.path.join(directory, name + ".crt")
    key = os.path.join(directory, name + ".key")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-subj", "/CN=x", "-keyout", key, "-out", cert, "-days", "1"],
        capture_output=True, check=True, timeout=30)
    return cert, key
