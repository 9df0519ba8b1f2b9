"""The HTTPS face: a server with --https-port, and curl against it."""

import os
import re
import subprocess

import ssl

from .cases import ServerTestCase
from .config import HOST
from .files import write_file
from .server import Server, free_port

CURL_TIMEOUT = 60


def https_server(users=None, extra_args=()):
    """A Server (not started) that also listens for HTTPS on a free port
    (server.https_port)."""
    port = free_port()
    server = Server(users=users, extra_args=["--https-port", str(port)] + list(extra_args))
    server.https_port = port
    return server


def dav_url(server, path=""):
    return "https://%s:%d/dav/%s" % (HOST, server.https_port, path)


class CurlReply:
    """What curl got: status, headers (lower-case names, last value wins), body bytes."""

    def __init__(self, status, headers, body, returncode):
        self.status = status
        self.headers = headers
        self.body = body
        self.returncode = returncode


def _parse_headers(text):
    """The last response's status and headers out of curl -D (100 Continue and
    other interim responses come first)."""
    blocks = [b for b in re.split(r"\r?\n\r?\n", text) if b.startswith("HTTP/")]
    if not blocks:
        return 0, {}
    lines = blocks[-1].splitlines()
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers


def curl(server, method, path, *, user="alice", password=None, headers=(), data=None,
         upload_file=None, output=None, extra=(), url=None, upload_stdin=None):
    """Runs one curl request against the server's /dav/ (verifying its
    certificate); returns a CurlReply. data: bytes for the body; upload_file:
    a file streamed as the body (PUT); upload_stdin: bytes curl reads from
    its stdin as the body (-T -: sent in chunks, the size unknown)."""
    args = ["curl", "-sS", "--cacert", server.cert_path, "-X", method, "-D", "-",
            "--max-time", str(CURL_TIMEOUT)]
    if user is not None:
        pw = server.users.get(user) if password is None else password
        args += ["-u", "%s:%s" % (user, pw)]
    for h in headers:
        args += ["-H", h]
    if method == "HEAD":
        args = [a for a in args if a not in ("-X", "HEAD")] + ["-I"]
    if data is not None and upload_stdin is None:
        args += ["--data-binary", "@-"]
    if upload_file is not None:
        args += ["-T", upload_file]
    if upload_stdin is not None:
        args += ["-T", "-"]
        data = upload_stdin
    body_path = output
    args += ["-o", body_path or "/dev/null"] if output else []
    args += list(extra)
    args.append(url or dav_url(server, path))
    proc = subprocess.run(args, input=data, capture_output=True, timeout=CURL_TIMEOUT + 10)
    out = proc.stdout
    if output:
        status, hdrs = _parse_headers(out.decode("latin-1"))
        return CurlReply(status, hdrs, None, proc.returncode)
    text = out.decode("latin-1")
    head_end = 0
    for m in re.finditer(r"\r\n\r\n", text):
        head_end = m.end()
        if not text[head_end:].startswith("HTTP/"):
            break
    status, hdrs = _parse_headers(text[:head_end])
    return CurlReply(status, hdrs, out[head_end:], proc.returncode)


def read_until_closed(sock):
    """Everything the server sends on `sock` until it closes the connection."""
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionError, ssl.SSLError):
            return data
        if not chunk:
            return data
        data += chunk


class WebDavCase(ServerTestCase):
    """A server with the HTTPS face per class (extra server arguments in
    server_args()), and curl against its /dav/ as self.dav(...)."""

    extra_args = ()

    @classmethod
    def server_args(cls):
        return list(cls.extra_args)

    @classmethod
    def start_server(cls):
        server = https_server(users=cls.users, extra_args=cls.server_args())
        server.start()
        return server

    def dav(self, method, path, **kwargs):
        return curl(self.server, method, path, **kwargs)

    def put_bytes(self, path, data, **kwargs):
        local = os.path.join(self.new_temp_dir(), "body")
        write_file(local, data)
        return self.dav("PUT", path, upload_file=local, **kwargs)
