"""The browser app at /app/ on the HTTPS face (docs/webapp.md): the login
form and its session cookie, logout that ends the session on the server,
CSRF refusals, the security headers, the JSON API and its path rules.
Plain http.client, as a browser would speak (test_webapp_chromium.py drives
a real browser)."""

import base64
import http.client
import os
import re
import unittest
from urllib.parse import quote

from sfs_harness import (COOKIE, AppClient, Server, WebDavCase, ca_signed_certificate,
                         cookie_value, free_port, make_temp_dir, remove_tree, run_admin,
                         wait_until)

HEX64 = re.compile(r"^[0-9a-f]{64}$")


class AppCase(WebDavCase):
    def app(self, user="alice"):
        """A browser logged in as `user`."""
        browser = AppClient(self.server)
        reply = browser.login(user)
        self.assertEqual(reply.status, 200, reply.text)
        return browser

    def stored(self, user, path):
        return os.path.join(self.server.user_dir(user), path)


class LoginTest(AppCase):
    def test_the_cookie_has_its_flags_and_256_random_bits(self):
        browser = AppClient(self.server)
        reply = browser.login()
        self.assertEqual(reply.status, 200)
        self.assertEqual(len(reply.cookies), 1)
        parts = [p.strip() for p in reply.cookies[0].split(";")]
        name, _, value = parts[0].partition("=")
        self.assertEqual(name, COOKIE)
        self.assertRegex(value, HEX64)
        self.assertEqual(sorted(parts[1:]), ["HttpOnly", "Path=/", "SameSite=Strict", "Secure"])
        body = reply.json()
        self.assertEqual(body["user"], "alice")
        self.assertRegex(body["csrf"], HEX64)
        self.assertNotEqual(body["csrf"], value)
        self.assertEqual(reply.headers["cache-control"], "no-store")
        again = AppClient(self.server)
        again.login()
        self.assertNotEqual(again.cookie, browser.cookie)  # a new id each login

    def test_a_wrong_password_gets_the_doors_message_and_no_cookie(self):
        browser = AppClient(self.server)
        reply = browser.login(password="wrong")
        self.assertEqual(reply.status, 401)
        self.assertEqual(reply.text, "login failed")
        self.assertEqual(reply.cookies, [])
        self.assertNotIn("www-authenticate", reply.headers)  # no browser dialog
        self.assertEqual(browser.login(user="nobody", password="x").text, "login failed")

    def test_the_session_shows_who_and_is_needed_for_the_api(self):
        browser = AppClient(self.server)
        self.assertEqual(browser.api("GET", "session").status, 401)
        self.assertEqual(browser.api("GET", "list").status, 401)
        browser.login()
        reply = browser.api("GET", "session")
        self.assertEqual(reply.status, 200)
        self.assertEqual(reply.json(), {"user": "alice", "csrf": browser.csrf})

    def test_forged_and_malformed_cookies_get_nothing(self):
        browser = self.app()
        for forged in ("0" * 64, browser.cookie[:-1], browser.cookie + "0", "", "x;y", "\"\""):
            other = AppClient(self.server)
            other.cookie = forged
            self.assertEqual(other.api("GET", "list").status, 401, forged)

    def test_logout_ends_the_session_on_the_server(self):
        browser = self.app()
        stolen = AppClient(self.server)
        stolen.cookie, stolen.csrf = browser.cookie, browser.csrf
        self.assertEqual(stolen.api("GET", "list").status, 200)
        reply = browser.api("POST", "logout")
        self.assertEqual(reply.status, 204)
        self.assertIn("Max-Age=0", reply.cookies[0])
        self.assertEqual(cookie_value(reply.cookies), "")
        self.assertEqual(stolen.api("GET", "list").status, 401)
        self.assertEqual(stolen.api("GET", "session").status, 401)
        self.assertEqual(stolen.api("POST", "mkdir", {"path": "after-logout"}).status, 401)
        self.assertFalse(os.path.exists(self.stored("alice", "after-logout")))

    def test_a_webdav_request_without_credentials_on_an_app_connection_is_refused(self):
        browser = AppClient(self.server)
        connection = browser.connect()
        self.addCleanup(connection.close)
        self.assertEqual(browser.login(connection=connection).status, 200)
        self.assertEqual(browser.api("GET", "list", connection=connection).status, 200)
        reply = browser.request("PROPFIND", "/dav/", connection=connection, cookie=False,
                                headers={"Depth": "0"})
        self.assertEqual(reply.status, 401)

    def test_root_redirects_to_the_app(self):
        reply = AppClient(self.server).request("GET", "/")
        self.assertEqual(reply.status, 302)
        self.assertEqual(reply.headers["location"], "/app/")
        self.assertNotIn("www-authenticate", reply.headers)


class CsrfTest(AppCase):
    def test_a_change_without_the_token_is_refused(self):
        browser = self.app()
        reply = browser.api("POST", "mkdir", {"path": "no-token"}, token=False)
        self.assertEqual(reply.status, 403)
        self.assertIn("CSRF token", reply.text)
        browser.csrf, good = "0" * 64, browser.csrf
        self.assertEqual(browser.api("POST", "mkdir", {"path": "no-token"}).status, 403)
        self.assertFalse(os.path.exists(self.stored("alice", "no-token")))
        browser.csrf = good
        self.assertEqual(browser.api("POST", "mkdir", {"path": "no-token"}).status, 201)
        self.assertTrue(os.path.isdir(self.stored("alice", "no-token")))

    def test_a_cross_site_post_is_refused_even_with_the_token(self):
        browser = self.app()
        for origin in ("https://evil.example", "null", "http://127.0.0.1:%d" %
                       self.server.https_port, None):
            reply = browser.api("POST", "mkdir", {"path": "cross"}, origin=origin)
            self.assertEqual(reply.status, 403, origin)
        reply = browser.api("POST", "mkdir", {"path": "cross"},
                            headers={"Sec-Fetch-Site": "cross-site"})
        self.assertEqual(reply.status, 403)
        self.assertFalse(os.path.exists(self.stored("alice", "cross")))

    def test_a_login_from_another_site_is_refused_before_any_check(self):
        mark = self.server.log_mark()
        reply = AppClient(self.server).login(origin="https://evil.example")
        self.assertEqual(reply.status, 403)
        self.assertEqual(reply.cookies, [])
        self.assertNotIn("login ok", self.server.log_since(mark))

    def test_gets_change_nothing(self):
        browser = self.app()
        self.assertEqual(browser.api("GET", "mkdir", {"path": "by-get"}).status, 405)
        self.assertEqual(browser.api("GET", "logout").status, 405)
        self.assertEqual(browser.api("GET", "session").status, 200)


def tus_metadata(filename, folder=""):
    def b64(text):
        return base64.b64encode(text.encode()).decode()
    return "filename %s,folder %s" % (b64(filename), b64(folder))


class TusWithSessionTest(AppCase):
    """tus (/tus/, docs/tus.md) from the app: the session cookie, and for
    every request that changes something the Origin check and the CSRF
    token, as the app's POSTs; HTTP Basic keeps working for tus clients
    (test_tus.py)."""

    def tus(self, browser, method, url, body=None, headers=None, **kwargs):
        h = {"Tus-Resumable": "1.0.0"}
        if body is not None:
            h["Content-Type"] = "application/offset+octet-stream"
        h.update(headers or {})
        if body is None and method == "POST":
            body = b""  # a creation has no body (not a form)
        return browser.request(method, url, body=body, headers=h, **kwargs)

    def create(self, browser, length, name, folder="", headers=None, **kwargs):
        h = {"Upload-Length": str(length), "Upload-Metadata": tus_metadata(name, folder)}
        h.update(headers or {})
        return self.tus(browser, "POST", "/tus/", headers=h, **kwargs)

    def test_an_upload_with_the_cookie_and_token_resumes_and_stores_the_file(self):
        browser = self.app()
        data = os.urandom(300000)
        made = self.create(browser, len(data), "caf\u00e9 #1 %.bin", "up/sub")
        self.assertEqual(made.status, 201, made.text)
        url = made.headers["location"]
        self.assertRegex(url, r"^/tus/[0-9a-f]{32}$")
        self.assertEqual(made.headers["tus-resumable"], "1.0.0")
        self.assertIn("frame-ancestors 'none'", made.headers["content-security-policy"])
        mark = self.server.log_mark()
        first = self.tus(browser, "PATCH", url, data[:100000], {"Upload-Offset": "0"})
        self.assertEqual(first.status, 204, first.text)
        self.assertEqual(first.headers["upload-offset"], "100000")
        head = self.tus(browser, "HEAD", url)
        self.assertEqual(head.status, 200)
        self.assertEqual(head.headers["upload-offset"], "100000")
        rest = self.tus(browser, "PATCH", url, data[100000:], {"Upload-Offset": "100000"})
        self.assertEqual(rest.status, 204, rest.text)
        with open(self.stored("alice", "up/sub/caf\u00e9 #1 %.bin"), "rb") as f:
            self.assertEqual(f.read(), data)
        def patches():
            return [int(n) for n in re.findall(
                r"user=alice .*https-app PATCH /tus/[0-9a-f]{32} status=204 bytes=(\d+)",
                self.server.log_since(mark))]
        # (A request is logged just after its reply went: wait for the line.)
        wait_until(lambda: len(patches()) >= 2, timeout=30)
        self.assertEqual(patches(), [100000, 200000])

    def test_without_the_token_or_from_another_site_nothing_happens(self):
        browser = self.app()
        refused = [self.create(browser, 10, "a.bin", "no-token", token=False),
                   self.create(browser, 10, "a.bin", "cross", origin="https://evil.example"),
                   self.create(browser, 10, "a.bin", "cross", origin=None),
                   self.create(browser, 10, "a.bin", "cross",
                               headers={"Sec-Fetch-Site": "cross-site"})]
        for reply in refused:
            self.assertEqual(reply.status, 403, reply.text)
        self.assertIn("CSRF token", refused[0].text)
        self.assertFalse(os.path.exists(self.stored("alice", "no-token")))
        self.assertFalse(os.path.exists(self.stored("alice", "cross")))

        url = self.create(browser, 10, "b.bin").headers["location"]
        for kwargs in ({"token": False}, {"origin": "https://evil.example"}, {"origin": None}):
            patch = self.tus(browser, "PATCH", url, b"0123456789", {"Upload-Offset": "0"},
                             **kwargs)
            self.assertEqual(patch.status, 403, kwargs)
            self.assertEqual(self.tus(browser, "DELETE", url, **kwargs).status, 403, kwargs)
        head = self.tus(browser, "HEAD", url)
        self.assertEqual((head.status, head.headers["upload-offset"]), (200, "0"))
        self.assertFalse(os.path.exists(self.stored("alice", "b.bin")))
        self.assertEqual(self.tus(browser, "DELETE", url).status, 204)
        self.assertEqual(self.tus(browser, "HEAD", url).status, 404)

    def test_no_session_no_upload_and_others_uploads_are_not_found(self):
        browser = self.app()
        url = self.create(browser, 10, "c.bin").headers["location"]
        stranger = AppClient(self.server)
        stranger.cookie, stranger.csrf = "0" * 64, browser.csrf
        self.assertEqual(self.tus(stranger, "HEAD", url).status, 401)
        self.assertEqual(self.create(stranger, 10, "d.bin").status, 401)
        # The app's token without a cookie (the browser dropped it): the app's
        # 401, never a Basic challenge (the browser would open a dialog).
        cookieless = AppClient(self.server)
        cookieless.csrf = browser.csrf
        reply = self.create(cookieless, 10, "d.bin")
        self.assertEqual(reply.status, 401)
        self.assertEqual(reply.text, "session expired; log in again")
        self.assertNotIn("www-authenticate", reply.headers)
        bob = self.app("bob")
        self.assertEqual(self.tus(bob, "HEAD", url).status, 404)
        self.assertEqual(self.tus(bob, "PATCH", url, b"x" * 10, {"Upload-Offset": "0"}).status,
                         404)
        self.assertEqual(browser.api("POST", "logout").status, 204)
        self.assertEqual(self.tus(browser, "HEAD", url).status, 401)  # a stolen cookie: dead


class HeadersTest(AppCase):
    def assertAppHeaders(self, reply):
        csp = reply.headers["content-security-policy"]
        self.assertIn("frame-ancestors 'none'", csp)
        self.assertNotIn("unsafe-inline", csp)
        self.assertNotIn("unsafe-eval", csp)
        self.assertEqual(reply.headers["x-content-type-options"], "nosniff")
        self.assertEqual(reply.headers["referrer-policy"], "no-referrer")
        self.assertEqual(reply.headers["x-frame-options"], "DENY")
        self.assertNotIn("strict-transport-security", reply.headers)  # self-signed
        self.assertNotIn("access-control-allow-origin", reply.headers)

    def test_every_kind_of_reply_has_them(self):
        anonymous = AppClient(self.server)
        browser = self.app()
        self.put_bytes("h.txt", b"hello")
        replies = [anonymous.request("GET", "/app/"), anonymous.request("GET", "/app/app.js"),
                   anonymous.request("GET", "/app/nothing"), anonymous.api("GET", "list"),
                   anonymous.login(password="wrong"), browser.api("GET", "list"),
                   browser.api("GET", "download", {"path": "h.txt"}),
                   browser.api("POST", "mkdir", {"path": "h"}, token=False)]
        for reply in replies:
            self.assertAppHeaders(reply)
        self.assertEqual([r.status for r in replies], [200, 200, 404, 401, 401, 200, 200, 403])
        script_policy = replies[0].headers["content-security-policy"]
        self.assertIn("default-src 'self'", script_policy)
        self.assertIn("script-src 'self'", script_policy)

    def test_pages_have_their_types_and_etags(self):
        browser = AppClient(self.server)
        page = browser.request("GET", "/app/")
        self.assertEqual(page.headers["content-type"], "text/html; charset=utf-8")
        self.assertEqual(page.headers["cache-control"], "no-store")
        self.assertIn(b'<script src="/app/app.js" defer></script>', page.body)
        self.assertNotRegex(page.body.decode(), r"<script>|\son[a-z]+=|\sstyle=")  # nothing inline
        for name, kind in (("app.js", "text/javascript"), ("app.css", "text/css"),
                           ("icon.svg", "image/svg+xml")):
            reply = browser.request("GET", "/app/" + name)
            self.assertEqual(reply.status, 200)
            self.assertTrue(reply.headers["content-type"].startswith(kind), name)
            etag = reply.headers["etag"]
            self.assertRegex(etag, r'^"[0-9a-f]{32}"$')
            again = browser.request("GET", "/app/" + name, headers={"If-None-Match": etag})
            self.assertEqual((again.status, again.body), (304, b""))
        self.assertEqual(browser.request("GET", "/app/../id_passwd.txt").status, 404)
        self.assertEqual(browser.request("GET", "/app/a/app.js").status, 404)

    def test_a_stored_html_file_downloads_as_an_attachment_that_runs_nothing(self):
        self.put_bytes("evil.html", b"<script>alert(1)</script>")
        reply = self.app().api("GET", "download", {"path": "evil.html"})
        self.assertEqual(reply.status, 200)
        self.assertEqual(reply.body, b"<script>alert(1)</script>")
        self.assertEqual(reply.headers["content-type"], "application/octet-stream")
        self.assertEqual(reply.headers["content-disposition"],
                         "attachment; filename=\"evil.html\"; filename*=UTF-8''evil.html")
        self.assertIn("sandbox", reply.headers["content-security-policy"])
        self.assertIn("default-src 'none'", reply.headers["content-security-policy"])


class HstsTest(unittest.TestCase):
    def test_a_real_certificate_gets_hsts(self):
        directory = make_temp_dir()
        self.addCleanup(remove_tree, directory)
        cert, key = ca_signed_certificate(directory)
        port = free_port()
        server = Server(cert=cert, key=key, extra_args=["--https-port", str(port)])
        server.https_port = port
        server.start()
        self.addCleanup(server.close)
        browser = AppClient(server, cafile=os.path.join(directory, "ca.crt"))
        reply = browser.request("GET", "/app/")
        self.assertEqual(reply.headers.get("strict-transport-security"), "max-age=31536000")


class ApiTest(AppCase):
    extra_args = ("--quota-bytes", "1000000")

    def test_a_listing_of_odd_names_with_sizes_dates_and_quota(self):
        names = ["caf\u00e9 \u2615.txt", "quote\"s 'and' spaces", "<img src=x onerror=alert(1)>",
                 "back\\slash", "100% #?&=+"]
        self.assertEqual(self.dav("MKCOL", "odd").status, 201)
        for i, name in enumerate(names):
            self.assertIn(self.put_bytes("odd/" + quote(name), b"x" * (i + 1)).status, (201, 204))
        listing = self.app().api("GET", "list", {"path": "odd"})
        self.assertEqual(listing.status, 200)
        self.assertEqual(listing.headers["content-type"], "application/json")
        self.assertNotIn(b"<img", listing.body)  # escaped even inside JSON
        body = listing.json()
        self.assertEqual(body["path"], "odd")
        got = {e["name"]: e for e in body["entries"]}
        self.assertEqual(sorted(got), sorted(names))
        for i, name in enumerate(names):
            self.assertEqual(got[name]["size"], i + 1)
            self.assertFalse(got[name]["dir"])
            self.assertGreater(got[name]["mtime"], 1_600_000_000)
        self.assertEqual(body["quota"]["bytes"], 1000000)
        self.assertGreaterEqual(body["used"]["bytes"], 15)

    def test_mkdir_rename_delete(self):
        browser = self.app()
        self.assertEqual(browser.api("POST", "mkdir", {"path": "f1"}).status, 201)
        self.assertEqual(browser.api("POST", "mkdir", {"path": "f1"}).status, 405)  # taken
        self.assertEqual(browser.api("POST", "mkdir", {"path": "none/f"}).status, 409)
        self.put_bytes("f1/a.txt", b"a")
        self.put_bytes("f1/b.txt", b"b")
        reply = browser.api("POST", "move", {"path": "f1/a.txt", "to": "f1/b.txt"})
        self.assertEqual(reply.status, 412)  # a name taken is never replaced
        self.assertEqual(self.dav("GET", "f1/b.txt").body, b"b")
        reply = browser.api("POST", "move", {"path": "f1/a.txt", "to": "f1/\u00e9 \"x\".txt"})
        self.assertEqual(reply.status, 201)
        self.assertTrue(os.path.exists(self.stored("alice", "f1/\u00e9 \"x\".txt")))
        self.assertEqual(browser.api("POST", "delete", {"path": "f1"}).status, 204)
        self.assertFalse(os.path.exists(self.stored("alice", "f1")))
        self.assertEqual(browser.api("POST", "delete", {"path": ""}).status, 403)

    def test_a_download_keeps_the_name_and_bytes(self):
        data = os.urandom(100_000)
        self.put_bytes("d%C3%A9j%C3%A0%20vu.bin", data)
        reply = self.app().api("GET", "download", {"path": "d\u00e9j\u00e0 vu.bin"})
        self.assertEqual(reply.status, 200)
        self.assertEqual(reply.body, data)
        self.assertEqual(reply.headers["content-disposition"],
                         "attachment; filename=\"d__j__ vu.bin\"; "
                         "filename*=UTF-8''d%C3%A9j%C3%A0%20vu.bin")

    def test_path_tricks_stay_in_the_users_space(self):
        self.put_bytes("mine.txt", b"mine")
        browser = self.app()
        for path in ("..", "../bob", "a/../../bob", "./mine.txt", ".sfs-x", "a//b", "x\x00y",
                     "../../../../etc/passwd", "\u00ff" * 2100):
            for call in ("list", "download"):
                reply = browser.api("GET", call, {"path": path})
                self.assertIn(reply.status, (400, 403, 404, 413), (call, path, reply.status))
            reply = browser.api("POST", "move", {"path": "mine.txt", "to": path})
            self.assertIn(reply.status, (400, 403, 404, 409, 413), (path, reply.status))
            self.assertTrue(os.path.exists(self.stored("alice", "mine.txt")), path)
        # A leading slash names the user's root, not the server's.
        self.assertEqual(browser.api("GET", "download", {"path": "/mine.txt"}).body, b"mine")
        self.assertEqual(browser.api("GET", "download", {"path": "/etc/passwd"}).status, 404)
        self.assertEqual(browser.api("GET", "list", {"path": "%zz"}).status, 404)
        bad = browser.request("GET", "/app/api/list?path=%zz")
        self.assertEqual(bad.status, 400)
        self.assertEqual(bad.text, "malformed % escape in a form")


class AccountChangeTest(AppCase):
    server_per_test = True

    def setUp(self):
        super().setUp()
        self.auth_file = os.path.join(self.server.directory, "id_passwd.txt")

    def admin(self, *args, input=None):
        result = run_admin(["--auth-file", self.auth_file, "--storage", self.server.storage]
                           + list(args), cwd=self.server.directory, input=input)
        self.assertEqual(result.returncode, 0, result.stderr)

    @staticmethod
    def refused(app, call):
        """Whether `call` is refused (401) now. A request that arrives as the
        reload ends the user's sessions may have its connection closed under
        it instead: not refused yet, ask again."""
        try:
            return app.api("GET", call).status == 401
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            return False

    def test_a_password_change_ends_the_users_browser_sessions(self):
        bob = self.app("bob")
        alice = self.app("alice")
        self.admin("user", "passwd", "bob", "--password-stdin", input=b"bob-New-pw-9\n")
        self.assertTrue(wait_until(lambda: self.refused(bob, "session"), timeout=30))
        self.assertEqual(alice.api("GET", "session").status, 200)
        self.assertEqual(bob.login("bob").status, 401)  # the old password
        self.assertEqual(bob.login("bob", "bob-New-pw-9").status, 200)

    def test_a_deleted_user_loses_their_sessions(self):
        bob = self.app("bob")
        self.admin("user", "del", "bob", "--purge")
        self.assertTrue(wait_until(lambda: self.refused(bob, "list"), timeout=30))


if __name__ == "__main__":
    unittest.main()
