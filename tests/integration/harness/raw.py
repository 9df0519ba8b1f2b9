"""The wire protocol spoken directly over TLS 1.3 (or plain TCP), from any loopback
address."""

import socket
import ssl
import struct

from .config import HOST, RAW_TIMEOUT
from .digests import DIGEST_NAME, digest_hex, trailer


def tcp_connect(port, source=None, timeout=RAW_TIMEOUT):
    """A plain TCP connection to the server, from `source` (a loopback address such
    as 127.0.0.2, to look like another client) or the default 127.0.0.1."""
    return socket.create_connection((HOST, port), timeout=timeout,
                                    source_address=(source, 0) if source else None)


def tls13_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    return ctx


def percent_encode(data):
    if isinstance(data, str):
        data = data.encode()
    return "".join(chr(b) if 0x21 <= b <= 0x7E and b != 0x25 else "%%%02X" % b for b in data)


class RawConnection:
    """A TLS 1.3 connection speaking the sfs protocol by hand (from the loopback
    address `source` if given, e.g. 127.0.0.2 to look like another client)."""

    def __init__(self, port, timeout=RAW_TIMEOUT, source=None):
        raw = tcp_connect(port, source, timeout)
        try:
            self.sock = tls13_context().wrap_socket(raw)
        except BaseException:
            raw.close()
            raise
        self.buffer = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def send(self, data):
        self.sock.sendall(data)

    def send_line(self, line):
        self.send(line.encode() + b"\n")

    def _fill(self):
        """Reads more bytes; returns False at end of stream (EOF, reset or TLS close)."""
        try:
            chunk = self.sock.recv(65536)
        except (ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionResetError,
                BrokenPipeError):
            return False
        except ssl.SSLError as e:
            if "EOF" in str(e) or "SHUTDOWN" in str(e).upper():
                return False
            raise
        if not chunk:
            return False
        self.buffer += chunk
        return True

    def read_line(self):
        """Returns the next line without its newline, or None at end of stream."""
        while b"\n" not in self.buffer:
            if not self._fill():
                return None
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode(errors="replace")

    def read_exact(self, n):
        while len(self.buffer) < n:
            if not self._fill():
                raise EOFError("stream ended after %d of %d bytes" % (len(self.buffer), n))
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def read_frames(self):
        """Reads data frames up to the end frame; returns the bytes."""
        out = b""
        while True:
            (length,) = struct.unpack(">I", self.read_exact(4))
            if length == 0:
                return out
            if length == 0xFFFFFFFF:
                raise EOFError("abort frame")
            out += self.read_exact(length)

    def send_frame(self, data):
        self.send(struct.pack(">I", len(data)) + data)

    def send_header(self, length):
        """A bare frame header: 0 is the end frame, 0xFFFFFFFF the abort frame."""
        self.send(struct.pack(">I", length))

    def start_put(self, path, size, offset=0):
        """Sends `PUT path size` and, after an `OK <held> <held-digest>` offer, answers
        `FROM offset` (offset="held": what the server offered). Returns the offer line;
        nothing more is sent after an ERR. The frames are up to the caller."""
        offer = self.command("PUT %s %d" % (percent_encode(path), size))
        if offer is None or not offer.startswith("OK "):
            return offer
        if offset == "held":
            offset = int(offer.split(" ")[1])
        self.send_line("FROM %d" % offset)
        return offer

    def put(self, path, data, frame=256 << 10, digest=None, resume=False):
        """PUT with data in frames of `frame` bytes and the digest trailer (`digest`
        overrides it). Starts over (`FROM 0`) unless resume is set and the server's
        held bytes are provably a prefix of data. Returns (offer, final reply)."""
        offer = self.command("PUT %s %d" % (percent_encode(path), len(data)))
        if offer is None or not offer.startswith("OK "):
            return offer, None
        _, held, held_digest = offer.split(" ")
        held = int(held)
        start = 0
        if resume and 0 < held <= len(data) and digest_hex(data[:held]) == held_digest:
            start = held
        self.send_line("FROM %d" % start)
        for at in range(start, len(data), frame):
            self.send_frame(data[at:at + frame])
        self.send_header(0)
        self.send_line(DIGEST_NAME + " " + (digest or digest_hex(data)))
        return offer, self.read_line()

    def get(self, path, offset=0, digest=None):
        """Sends `GET path offset digest|-`; returns the reply line."""
        return self.command("GET %s %d %s" % (percent_encode(path), offset, digest or "-"))

    def download(self, path, offset=0, digest=None):
        """GET and read the whole answer: (reply, data, trailer); data and trailer are None
        after an ERR reply."""
        reply = self.get(path, offset, digest)
        if reply is None or not reply.startswith("OK "):
            return reply, None, None
        data, trailer = self.read_download()
        return reply, data, trailer

    def read_download(self):
        """After `OK <size> <stored> <start>` of a GET: returns (data, trailer line)."""
        data = self.read_frames()
        return data, self.read_line()

    def at_eof(self):
        """True if the peer closed the stream (after any buffered data)."""
        return not self.buffer and not self._fill()

    def command(self, line):
        self.send_line(line)
        return self.read_line()

    def greet_and_login(self, user, password):
        greeting = self.read_line()
        if greeting != "SFS 1":
            raise AssertionError("unexpected greeting %r" % greeting)
        return self.command("LOGIN %s %s" % (percent_encode(user), percent_encode(password)))


def open_login_connection(port, source=None, notices=True, timeout=60.0):
    """A RawConnection from `source` past the greeting, having asked for DELAY
    notices (`NOTICES delay`) unless notices is False."""
    conn = RawConnection(port, timeout=timeout, source=source)
    try:
        if conn.read_line() != "SFS 1":
            raise AssertionError("no greeting")
        if notices and conn.command("NOTICES delay") != "OK delay":
            raise AssertionError("NOTICES delay refused")
    except BaseException:
        conn.close()
        raise
    return conn


def login_attempt(conn, user, password):
    """Sends LOGIN on conn; returns (DELAY milliseconds or None, reply or None if
    the server closed the connection)."""
    try:
        conn.send_line("LOGIN %s %s" % (percent_encode(user), percent_encode(password)))
        line = conn.read_line()
        delay = None
        if line is not None and line.startswith("DELAY "):
            delay = int(line.split(" ")[1])
            line = conn.read_line()
    except (BrokenPipeError, ConnectionResetError):
        return None, None
    return delay, line
