"""Raw sfs protocol sessions over TLS 1.3 (Python's ssl), for the workloads that open
more connections than `sfs` processes would fit, or that must stop half-way through a
command (docs/protocol.md). Every socket operation has a timeout."""

import selectors
import socket
import ssl
import struct
import threading
import time

MAX_LINE = 16384            # the protocol's longest line, \n included
MAX_FRAME = 4 << 20         # the protocol's largest data frame (4 MiB)
COMPRESSED = 0x80000000     # frame header flag: one zstd frame follows (after COMPRESS)


def pct(text):
    """Percent-encodes a protocol field (docs/protocol.md): every byte outside 0x21-0x7E,
    and % itself, as %XX."""
    return "".join(chr(b) if 0x21 <= b <= 0x7E and b != 0x25 else f"%{b:02X}"
                   for b in text.encode())


def read_line(sock, limit=MAX_LINE):
    """One protocol line without its \\n, read a byte at a time so nothing after it
    is consumed (bounded: a protocol line is at most 16 KiB)."""
    line = b""
    while not line.endswith(b"\n"):
        chunk = sock.recv(1)
        if not chunk:
            raise OSError("connection closed by the server")
        line += chunk
        if len(line) > limit:
            raise OSError("line too long")
    return line[:-1]


def tls_context(cafile):
    ctx = ssl.create_default_context(cafile=str(cafile))
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    return ctx


def connect(ctx, port, source=None, timeout=30):
    """A TLS connection to sfs-server on 127.0.0.1:port, from the loopback address
    source (127.0.0.1 when None), that has read the greeting `SFS 1`."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                   source_address=(source, 0) if source else None)
    try:
        s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    except BaseException:
        raw.close()
        raise
    try:
        if read_line(s) != b"SFS 1":
            raise OSError("no 'SFS 1' greeting")
    except BaseException:
        s.close()
        raise
    return s


def login_line(user, password):
    return f"LOGIN {pct(user)} {pct(password)}\n".encode()


def command(sock, line):
    """Sends one command line (bytes, ending in \\n) and returns its reply line."""
    sock.sendall(line)
    return read_line(sock)


def logged_in(ctx, port, user, password, source=None, timeout=30):
    """connect() and LOGIN; raises OSError unless the server answers OK."""
    s = connect(ctx, port, source, timeout)
    try:
        reply = command(s, login_line(user, password))
        if reply != b"OK":
            raise OSError(f"LOGIN answered {reply[:100]!r}")
    except BaseException:
        s.close()
        raise
    return s


def frame_header(n, compressed=False):
    return struct.pack(">I", (COMPRESSED | n) if compressed else n)


END_FRAME = frame_header(0)


def zstd_frame_start(content_size):
    """The first bytes of one zstd frame (RFC 8878) holding content_size bytes in raw
    blocks: the magic number, a header that states the content size (single segment,
    4-byte Frame_Content_Size, no checksum, no dictionary) and the header of the first
    raw block (at most 128 KiB). What a sender of a COMPRESS zstd frame begins with."""
    descriptor = 0b1010_0000  # FCS_Field_Size 4 bytes, Single_Segment_Flag
    first = min(content_size, 128 << 10)
    last = 1 if first == content_size else 0
    block = (first << 3) | (0 << 1) | last  # Block_Type 0: raw
    return (struct.pack("<I", 0xFD2FB528) + bytes([descriptor]) +
            struct.pack("<I", content_size) + block.to_bytes(3, "little"))


def put_file(sock, path, data, digest):
    """A whole PUT of `data` (small: one frame) on a logged-in session, its XXH3-128
    `digest` given (hex). Returns the final reply line."""
    reply = command(sock, f"PUT {pct(path)} {len(data)}\n".encode())
    if not reply.startswith(b"OK"):
        return reply
    frames = (frame_header(len(data)) + data) if data else b""
    sock.sendall(b"FROM 0\n" + frames + END_FRAME + f"XXH128 {digest}\n".encode())
    return read_line(sock)


def dropped(socks):
    """How many of the held sockets the server has closed (or written to): any that is
    readable now, found with one non-blocking epoll pass."""
    sel = selectors.DefaultSelector()
    try:
        for s in socks:
            sel.register(s, selectors.EVENT_READ)
        return len(sel.select(timeout=0)) + sum(s.pending() > 0 for s in socks)
    finally:
        sel.close()


def close_all(socks):
    for s in socks:
        try:
            s.close()
        except OSError:
            pass


def open_many(k, open_one, timeout, workers=16):
    """Calls open_one(i) for i in 0..k-1 from a few threads and keeps what it returns
    (open sockets). Stops at the first OSError or at the deadline. Returns (sockets,
    errors)."""
    deadline = time.monotonic() + timeout
    held, errors, lock, stop = [], [], threading.Lock(), threading.Event()
    todo = iter(range(k))

    def worker():
        while not stop.is_set():
            with lock:
                i = next(todo, None)
            if i is None:
                return
            try:
                if time.monotonic() > deadline:
                    raise OSError(f"not all open within {timeout} s")
                s = open_one(i)
                with lock:
                    held.append(s)
            except OSError as e:  # ssl.SSLError and socket.timeout are OSErrors
                with lock:
                    errors.append(f"connection {len(held) + len(errors) + 1}: {e}")
                stop.set()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(min(workers, k))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(max(1.0, deadline - time.monotonic() + 60))  # each socket op has 30 s
    if any(th.is_alive() for th in threads):
        stop.set()
        errors.append("a connecting thread hung")
    return held, errors
