"""Transport security: TLS 1.3 only, certificate pinning (--ca-file and TOFU)."""

import os
import re
import socket
import ssl
import unittest

from sfs_harness import (EXIT_TRUST, HOST, RAW_TIMEOUT, Client, PtyProcess, RawConnection,
                         Server, ServerTestCase, client_env, file_mode, openssl_fingerprint,
                         openssl_self_signed, read_file, run_client, write_file, CLIENT_BIN)

FINGERPRINT = re.compile(r"^([0-9A-F]{2}:){31}[0-9A-F]{2}$")


class TransportTest(ServerTestCase):

    def test_plaintext_client_gets_no_protocol_data(self):
        with socket.create_connection((HOST, self.server.port), timeout=RAW_TIMEOUT) as s:
            s.sendall(b"LOGIN alice alice-pw-7Qx\n")
            received = b""
            while len(received) < 65536:  # until the server closes (bounded by the timeout)
                try:
                    chunk = s.recv(4096)
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                received += chunk
        for marker in (b"SFS", b"OK", b"ERR", b"\n"):
            self.assertNotIn(marker, received)
        # At most a TLS alert record (content type 21) came back.
        if received:
            self.assertEqual(received[0], 21, received)
        self.assertOk(self.client.run("ls"))

    def test_silent_tcp_client_is_dropped_after_the_handshake_timeout(self):
        # 60 s is a safety net over the 10 s timeout; the log says why it closed.
        with socket.create_connection((HOST, self.server.port), timeout=60) as s:
            port = s.getsockname()[1]
            try:
                data = s.recv(4096)
            except (ConnectionResetError, socket.timeout) as e:
                data = repr(e).encode()
        self.assertEqual(data, b"", "server sent %r" % data)
        self.assertTrue(
            self.server.wait_for_log(r"peer=127\.0\.0\.1:%d closed: TLS handshake timed out$"
                                     % port),
            "connection not closed by the handshake timeout: %s" % self.server.log_text()[-2000:])

    def test_tls12_client_fails_the_handshake(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        with socket.create_connection((HOST, self.server.port), timeout=RAW_TIMEOUT) as s:
            with self.assertRaises((ssl.SSLError, ConnectionResetError)):
                with ctx.wrap_socket(s) as tls:
                    tls.recv(100)
        self.assertOk(self.client.run("ls"))

    def test_tls13_client_gets_the_greeting(self):
        with RawConnection(self.server.port) as raw:
            self.assertEqual(raw.sock.version(), "TLSv1.3")
            self.assertEqual(raw.read_line(), "SFS 1")
            der = raw.sock.getpeercert(binary_form=True)
        self.assertEqual(ssl.DER_cert_to_PEM_cert(der).strip(),
                         read_file(self.server.cert_path).decode().strip())

    def test_ca_file_with_the_servers_certificate(self):
        self.assertOk(self.client.run("ls", trust="ca"))
        self.assertFalse(os.path.exists(self.client.known_servers))

    def test_ca_file_with_another_certificate(self):
        cert, _ = openssl_self_signed(self.new_temp_dir())
        mark = self.server.log_mark()
        result = self.client.run("--ca-file", cert, "ls", trust="tofu")
        self.assertFails(result, EXIT_TRUST,
                         "server certificate is not signed by " + cert)
        self.assertNoLogin(mark)

    def test_missing_ca_file(self):
        missing = os.path.join(self.client.root, "missing.pem")
        mark = self.server.log_mark()
        result = self.client.run("--ca-file", missing, "ls", trust="tofu")
        self.assertNotEqual(result.returncode, 0)
        self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
        self.assertIn(missing, result.stderr.decode())
        self.assertNoLogin(mark)

    def test_generated_identity(self):
        self.assertIn("sfs-server: generated a new certificate server.crt and key server.key",
                      self.server.stdout_text)
        self.assertEqual(file_mode(self.server.key_path), 0o600)
        self.assertTrue(FINGERPRINT.match(self.server.fingerprint), self.server.fingerprint)
        self.assertEqual(self.server.fingerprint, openssl_fingerprint(self.server.cert_path))
        self.assertIn(b"-----BEGIN CERTIFICATE-----", read_file(self.server.cert_path))


class TrustOnFirstUseTest(ServerTestCase):
    """Each test gets a fresh, empty known_servers (a new client sandbox)."""

    def pinned_line(self, server):
        return "%s:%d %s\n" % (HOST, server.port, server.fingerprint)

    def test_unknown_server_without_trust_new(self):
        mark = self.server.log_mark()
        result = self.client.run("ls", trust="tofu")
        self.assertNoLogin(mark)
        self.assertFails(result, EXIT_TRUST)
        line = result.stderr.decode()
        self.assertIn("unknown server %s:%d" % (HOST, self.server.port), line)
        self.assertIn(self.server.fingerprint, line)
        self.assertFalse(os.path.exists(self.client.known_servers))

    def test_trust_new_pins_and_later_runs_work(self):
        first = self.client.run("ls", trust="new")
        self.assertOk(first)
        self.assertIn("trusting new server %s:%d" % (HOST, self.server.port),
                      first.stderr.decode())
        self.assertIn(self.server.fingerprint, first.stderr.decode())
        # It says which name it pinned, and where.
        self.assertIn("sfs: pinned the server key for %s:%d in ~/sfs/known_servers\n"
                      % (HOST, self.server.port), first.stderr.decode())
        self.assertEqual(read_file(self.client.known_servers).decode(),
                         self.pinned_line(self.server))
        self.assertEqual(file_mode(self.client.known_servers), 0o600)
        later = self.client.run("ls", trust="tofu")
        self.assertOk(later)
        self.assertEqual(later.stderr, b"")
        # --trust-new on a known server changes nothing.
        self.assertOk(self.client.run("ls", trust="new"))
        self.assertEqual(read_file(self.client.known_servers).decode(),
                         self.pinned_line(self.server))

    def test_changed_certificate_on_the_same_port_is_refused(self):
        with Server() as first:
            client = Client(first, trust="new")
            self.addCleanup(client.close)
            self.assertOk(client.run("ls"))
            port = first.port
            pinned = first.fingerprint
            first.stop()
            with Server(port=port) as second:
                self.assertNotEqual(second.fingerprint, pinned)
                client.server = second
                for trust in ("tofu", "new"):
                    with self.subTest(trust=trust):
                        result = client.run("ls", trust=trust)
                        self.assertEqual(result.returncode, EXIT_TRUST, result.stderr)
                        text = result.stderr.decode()
                        self.assertIn("WARNING", text)
                        self.assertIn("has changed", text)
                        self.assertIn(pinned, text)
                        self.assertIn(second.fingerprint, text)
                        self.assertGreater(len(text.splitlines()), 3)
                        self.assertIn("remove the pin for %s:%d,\nline 1 of ~/sfs/known_servers"
                                      % (HOST, port), text)
                        self.assertEqual(
                            text.splitlines()[-1],
                            "sfs: server identity of %s:%d has changed (pinned for %s:%d at "
                            "~/sfs/known_servers:1); refusing to connect (no password sent)"
                            % (HOST, port, HOST, port))
                        self.assertEqual(result.stdout, b"")
                # The server never saw a LOGIN, successful or not.
                self.assertNoLogin(0, server=second)
                self.assertNotIn(client.password, second.log_text())
            self.assertEqual(read_file(client.known_servers).decode(),
                             "%s:%d %s\n" % (HOST, port, pinned))

    def run_as(self, host, *args, trust=None):
        """Runs the client against this server under the name `host`."""
        extra = ["--trust-new"] if trust == "new" else []
        return run_client(["--host", host, "--port", str(self.server.port), "--user", "alice"]
                          + extra + list(args), config_home=self.client.config_home,
                          cwd=self.client.cwd, password=self.client.password)

    def test_pins_are_per_name_and_the_client_says_which(self):
        """localhost and 127.0.0.1 are two names, so two pins; the client says which
        name it pinned, and points at the address's pin when the name is new."""
        self.assertOk(self.run_as(HOST, "ls", trust="new"))
        port = self.server.port
        result = self.run_as("localhost", "ls")
        self.assertFails(result, EXIT_TRUST)
        self.assertIn("unknown server localhost:%d (SHA256 fingerprint %s); the same certificate "
                      "is pinned for its address %s:%d (line 1 of ~/sfs/known_servers), but pins "
                      "are per name; check it" % (port, self.server.fingerprint, HOST, port),
                      result.stderr.decode())
        result = self.run_as("localhost", "ls", trust="new")
        self.assertOk(result)
        self.assertIn("sfs: pinned the server key for localhost:%d in ~/sfs/known_servers\n"
                      % port, result.stderr.decode())
        self.assertEqual(read_file(self.client.known_servers).decode(),
                         self.pinned_line(self.server) +
                         "localhost:%d %s\n" % (port, self.server.fingerprint))
        self.assertEqual(self.run_as("localhost", "ls").stderr, b"")

    def test_the_addresss_pin_never_decides(self):
        """A name is trusted by its own pin only: another certificate pinned for the
        address is pointed at, but neither refuses nor trusts the name."""
        os.makedirs(os.path.dirname(self.client.known_servers), mode=0o700)
        other = "AA:" * 31 + "AA"
        write_file(self.client.known_servers, ("%s:%d %s\n" % (HOST, self.server.port, other))
                   .encode(), mode=0o600)
        result = self.run_as("localhost", "ls")
        self.assertFails(result, EXIT_TRUST)
        self.assertIn("; its address %s:%d is pinned with another certificate (line 1 of "
                      "~/sfs/known_servers); check it" % (HOST, self.server.port),
                      result.stderr.decode())
        self.assertOk(self.run_as("localhost", "ls", trust="new"))
        self.assertEqual(self.client.run("ls", trust="tofu").returncode, EXIT_TRUST)

    def test_same_identity_on_a_new_server_is_accepted(self):
        """A restarted server with the same cert/key (same port) stays trusted."""
        with Server() as first:
            client = Client(first, trust="new")
            self.addCleanup(client.close)
            self.assertOk(client.run("ls"))
            port = first.port
            first.stop()  # its directory, with cert and key, stays until the with ends
            with Server(port=port, cert=first.cert_path, key=first.key_path) as second:
                self.assertNotIn("generated", second.stdout_text)
                self.assertEqual(second.fingerprint, first.fingerprint)
                client.server = second
                self.assertOk(client.run("ls", trust="tofu"))

    def tty_client(self, answer):
        args = [CLIENT_BIN, "--host", HOST, "--port", str(self.server.port), "--user", "alice",
                "ls"]
        term = PtyProcess(args, cwd=self.client.cwd,
                          env=client_env(self.client.config_home, self.client.password))
        self.addCleanup(term.close)
        term.expect(b"can't be established.")
        term.expect(self.server.fingerprint.encode())
        term.expect(b"Trust it and continue (yes/no)? ")
        term.send(answer + b"\n")
        return term.finish()

    def test_terminal_prompt_no(self):
        status, output = self.tty_client(b"no")
        self.assertEqual(status, EXIT_TRUST, output)
        self.assertIn(b"sfs: unknown server", output)
        self.assertFalse(os.path.exists(self.client.known_servers))

    def test_terminal_prompt_yes(self):
        status, output = self.tty_client(b"yes")
        self.assertEqual(status, 0, output)
        self.assertEqual(read_file(self.client.known_servers).decode(),
                         self.pinned_line(self.server))


if __name__ == "__main__":
    unittest.main()
