"""The browser app (/app/ on the HTTPS face): a small client over Python's
http.client that keeps the session cookie and CSRF token as a browser
would, and sends what a browser sends (Origin, Sec-Fetch-Site)."""

import http.client
import json
import os
import ssl
import subprocess
import urllib.parse

from .config import HOST

COOKIE = "__Host-sfs"
TIMEOUT = 30


class AppReply:
    """Status, headers (lower-case names; set-cookie as a list), body bytes."""

    def __init__(self, response, body):
        self.status = response.status
        self.headers = {}
        self.cookies = []
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                self.cookies.append(value)
            self.headers[name.lower()] = value
        self.body = body

    def json(self):
        return json.loads(self.body.decode())

    @property
    def text(self):
        return self.body.decode(errors="replace").strip()


def app_context(server, cafile=None):
    context = ssl.create_default_context(cafile=cafile or server.cert_path)
    context.check_hostname = False  # the test certificate names the host; only trust matters here
    return context


class AppClient:
    """One browser: its cookie and token. Each request on a new connection
    unless `connection` is given (then the caller's, kept open)."""

    def __init__(self, server, cafile=None):
        self.server = server
        self.cafile = cafile  # the CA to trust; default: the server's own certificate
        self.origin = "https://%s:%d" % (HOST, server.https_port)
        self.cookie = None
        self.csrf = None

    def connect(self):
        return http.client.HTTPSConnection(HOST, self.server.https_port,
                                           context=app_context(self.server, self.cafile),
                                           timeout=TIMEOUT)

    def request(self, method, path, params=None, *, origin=True, token=True, cookie=True,
                headers=None, connection=None, body=None):
        """params: a dict, as the query of a GET or the form body of a POST.
        body: bytes sent as they are instead (a tus PATCH).
        origin: True for the app's own, a string for another, None for none.
        token: the CSRF token on every request but GET and HEAD."""
        h = {}
        if origin is True:
            h["Origin"] = self.origin
            h["Sec-Fetch-Site"] = "same-origin"
        elif origin:
            h["Origin"] = origin
        if cookie and self.cookie:
            h["Cookie"] = "%s=%s" % (COOKIE, self.cookie)
        if token and self.csrf and method not in ("GET", "HEAD"):
            h["X-SFS-CSRF"] = self.csrf
        h.update(headers or {})
        if params is not None and method == "GET":
            path += "?" + urllib.parse.urlencode(params)
        elif method == "POST" and body is None:
            body = urllib.parse.urlencode(params or {})
            h["Content-Type"] = "application/x-www-form-urlencoded"
        conn = connection or self.connect()
        try:
            conn.request(method, path, body=body, headers=h)
            response = conn.getresponse()
            return AppReply(response, response.read())
        finally:
            if connection is None:
                conn.close()

    def login(self, user="alice", password=None, **kwargs):
        """Posts the login form; on success keeps the cookie and token."""
        password = self.server.users[user] if password is None else password
        reply = self.request("POST", "/app/api/login", {"user": user, "password": password},
                             **kwargs)
        if reply.status == 200:
            self.cookie = cookie_value(reply.cookies)
            self.csrf = reply.json()["csrf"]
        return reply

    def api(self, method, call, params=None, **kwargs):
        return self.request(method, "/app/api/" + call, params, **kwargs)


def cookie_value(set_cookies):
    """The value the Set-Cookie headers give the session cookie, or None."""
    for line in set_cookies:
        name, _, rest = line.partition("=")
        if name == COOKIE:
            return rest.split(";")[0]
    return None


def ca_signed_certificate(directory):
    """A throwaway CA and a server certificate for 127.0.0.1 it signed
    (not self-signed); returns (cert, key)."""
    def run(*args):
        subprocess.run(["openssl"] + list(args), capture_output=True, check=True, timeout=30)
    ca_key, ca_cert = os.path.join(directory, "ca.key"), os.path.join(directory, "ca.crt")
    key, csr = os.path.join(directory, "leaf.key"), os.path.join(directory, "leaf.csr")
    cert, ext = os.path.join(directory, "leaf.crt"), os.path.join(directory, "leaf.ext")
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-subj", "/CN=test CA", "-keyout", ca_key, "-out", ca_cert, "-days", "1")
    run("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", csr)
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key, "-CAcreateserial",
        "-out", cert, "-days", "1", "-extfile", ext)
    return cert, key
