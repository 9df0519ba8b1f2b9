"""Fault injection: a TLS record log and a loopback proxy that cuts or slows
connections."""

import socket
import struct
import threading
import time

from .config import HOST, RAW_TIMEOUT, STOP_TIMEOUT
from .waiting import wait_until


TLS_FULL_RECORD = 16384 + 17  # length field of a full TLS 1.3 application-data record
UP, DOWN = "up", "down"       # client -> server, server -> client


class TlsRecordLog:
    """Follows the TLS record layer of one direction of a stream.

    records lists (offset of the record header in the stream, content type,
    length field). Only the 5-byte headers are read; nothing is decrypted.
    """

    def __init__(self):
        self.records = []
        self._header = b""
        self._left = 0    # payload bytes of the current record still to come
        self._fed = 0     # stream bytes seen so far

    def feed(self, data):
        i, n = 0, len(data)
        while i < n:
            if self._left > 0:
                step = min(self._left, n - i)
                self._left -= step
                i += step
                continue
            take = data[i:i + 5 - len(self._header)]
            self._header += take
            i += len(take)
            if len(self._header) == 5:
                (length,) = struct.unpack(">H", self._header[3:5])
                self.records.append((self._fed + i - 5, self._header[0], length))
                self._header = b""
                self._left = length
        self._fed += n

    def first_full_record(self):
        """Stream offset of the first full-size record (the first one of file data in a
        transfer of more than 16 KiB: protocol lines are far shorter), or None."""
        for offset, _, length in self.records:
            if length >= TLS_FULL_RECORD:
                return offset
        return None


class AtData:
    """A cut position `delta` bytes after the start of the first full-size TLS record
    of the direction (see TlsRecordLog.first_full_record): stable across sessions,
    unlike the size of the handshake before it."""

    def __init__(self, delta):
        self.delta = delta

    def resolve(self, log):
        start = log.first_full_record()
        return None if start is None else start + self.delta

    def __repr__(self):
        return "AtData(%d)" % self.delta


class AtRecord:
    """A cut position right before the direction's TLS record number `index`
    (0-based, handshake records included): the receiver gets every record
    before it whole, and nothing of it or after it. Take the index from an
    earlier connection that exchanged the same records (TlsRecordLog.records)."""

    def __init__(self, index):
        self.index = index

    def resolve(self, log):
        return log.records[self.index][0] if len(log.records) > self.index else None

    def __repr__(self):
        return "AtRecord(%d)" % self.index


def data_delta(records, payload_offset, frame=256 << 10):
    """For a transfer whose TLS records (from a complete run, same sizes) are given,
    the AtData delta at which to cut so that the receiver gets exactly the complete
    records before the one carrying file byte `payload_offset`.

    The data stream is frames of `frame` bytes, each with a 4-byte header, written
    from the start of the first full-size record on. payload_offset may equal the
    file size: then the cut falls right after the last data record, before the
    end frame.
    """
    start = next(i for i, r in enumerate(records) if r[2] >= TLS_FULL_RECORD)
    base = records[start][0]
    # Plaintext position of the file byte in the stream of frames.
    position = payload_offset + 4 * (payload_offset // frame + 1)
    if payload_offset > 0 and payload_offset % frame == 0:
        position -= 4  # exactly at a frame boundary: cut before the next frame's header
    plain = 0
    for offset, ctype, length in records[start:]:
        size = length - 17  # content type byte and AEAD tag
        if position == plain:
            return offset - base
        if position < plain + size:
            return offset - base + 5 + (position - plain)
        plain += size
    raise ValueError("offset %d beyond the recorded transfer" % payload_offset)


class ProxyConnection:
    """One connection through a FaultProxy: byte counters, TLS record logs, fate."""

    def __init__(self, client, server, cut, rate):
        self.client = client
        self.server = server
        self.cut_at = dict(cut)      # direction -> None, int (bytes) or AtData
        self.rate = dict(rate)       # direction -> None or bytes per second
        self.moved = {UP: 0, DOWN: 0}
        self.logs = {UP: TlsRecordLog(), DOWN: TlsRecordLog()}
        self.cut = None              # the direction whose limit cut the connection
        self.finished = threading.Event()
        self._lock = threading.Lock()
        self._pumps_left = 2

    @property
    def up(self):
        return self.moved[UP]

    @property
    def down(self):
        return self.moved[DOWN]

    def close(self):
        with self._lock:
            for sock in (self.client, self.server):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                try:
                    sock.close()
                except OSError:
                    pass
        self.finished.set()

    def cut_now(self, direction):
        if self.cut is None:
            self.cut = direction
        self.close()

    def pump_done(self):
        with self._lock:
            self._pumps_left -= 1
            last = self._pumps_left == 0
        if last:
            self.close()


class FaultProxy:
    """A loopback TCP proxy in front of target_host:target_port (127.0.0.1 unless
    told: a cluster's node on 127.0.0.2, say), for fault injection.

    Each accepted connection is forwarded both ways by two threads. The
    settings in force when a connection is accepted apply to it:
      cut[UP] / cut[DOWN]: after forwarding that many bytes client->server
        (UP) or server->client (DOWN), close both sides. None: never; an int
        counts bytes from the connection's start (TLS handshake included);
        AtData(delta) counts from the first full-size TLS record; AtRecord(i)
        cuts right before the i-th record.
      rate[UP] / rate[DOWN]: at most that many bytes per second (None: no limit).
    connections lists a ProxyConnection per accepted connection. Use as a
    context manager, or call close().
    """

    def __init__(self, target_port, target_host=HOST):
        self.target_port = target_port
        self.target_host = target_host
        self.cut = {UP: None, DOWN: None}
        self.rate = {UP: None, DOWN: None}
        self._configured_left = None  # connections the settings still apply to (None: all)
        self.connections = []
        self._threads = []
        self._stopping = threading.Event()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((HOST, 0))
        self._listener.listen(64)
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._start_thread(self._accept_loop)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def configure(self, cut_up=None, cut_down=None, rate_up=None, rate_down=None,
                  connections=None):
        """Settings for the connections accepted from now on (for the next
        `connections` of them only, when given: later ones get none)."""
        self.cut = {UP: cut_up, DOWN: cut_down}
        self.rate = {UP: rate_up, DOWN: rate_down}
        self._configured_left = connections

    def set_rate(self, up=None, down=None):
        """Changes the rate limits of the live connections and of the next ones."""
        self.rate = {UP: up, DOWN: down}
        for conn in list(self.connections):
            conn.rate = dict(self.rate)

    def last(self):
        return self.connections[-1] if self.connections else None

    def wait_for_connection(self, count=1, timeout=10.0):
        """Waits until at least `count` connections were accepted; returns the last one."""
        wait_until(lambda: len(self.connections) >= count, timeout)
        return self.connections[count - 1] if len(self.connections) >= count else None

    def close(self):
        self._stopping.set()
        try:
            self._listener.close()
        except OSError:
            pass
        for conn in list(self.connections):
            conn.close()
        for thread in self._threads:
            thread.join(timeout=STOP_TIMEOUT)

    def _start_thread(self, target, *args):
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self):
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            client.settimeout(None)
            try:
                server = socket.create_connection((self.target_host, self.target_port),
                                                  timeout=RAW_TIMEOUT)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = ProxyConnection(client, server, self.cut, self.rate)
            self.connections.append(conn)
            if self._configured_left is not None:
                self._configured_left -= 1
                if self._configured_left <= 0:
                    self.configure()
            self._start_thread(self._pump, conn, UP, client, server)
            self._start_thread(self._pump, conn, DOWN, server, client)

    @staticmethod
    def _limit(conn, direction):
        limit = conn.cut_at[direction]
        if isinstance(limit, (AtData, AtRecord)):
            return limit.resolve(conn.logs[direction])
        return limit

    def _pump(self, conn, direction, src, dst):
        log = conn.logs[direction]
        started = time.monotonic()
        try:
            while True:
                limit = self._limit(conn, direction)
                if limit is not None and conn.moved[direction] >= limit:
                    conn.cut_now(direction)
                    return
                rate = conn.rate[direction]
                want = 65536 if not rate else max(512, min(65536, rate // 20))
                chunk = src.recv(want)
                if not chunk:
                    try:
                        dst.shutdown(socket.SHUT_WR)  # pass the half-close on
                    except OSError:
                        pass
                    return
                log.feed(chunk)
                limit = self._limit(conn, direction)
                if limit is not None:
                    chunk = chunk[:max(0, limit - conn.moved[direction])]
                dst.sendall(chunk)
                conn.moved[direction] += len(chunk)
                if limit is not None and conn.moved[direction] >= limit:
                    conn.cut_now(direction)
                    return
                if rate:
                    # Paced from the start of the connection, or from now if the rate
                    # was lowered mid-way.
                    delay = started + conn.moved[direction] / rate - time.monotonic()
                    if delay > 0:
                        time.sleep(min(delay, 1.0))
                    elif delay < -1.0:
                        started -= delay + 1.0
        except OSError:
            conn.close()
        finally:
            conn.pump_done()
