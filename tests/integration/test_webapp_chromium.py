"""The browser app in a real headless Chromium (Debian's chromium and
chromium-driver, driven by python3-selenium): log in, a folder of odd names
shown as text, new folder, rename, delete with confirmation, a stored
.html that never runs in the app's origin, logout after which the back
button shows nothing private. A screenshot of each screen goes to
build/screenshots/ for a person to look at.

Skipped under the sanitizers (SFS_SANITIZED) and, with the reason, when
Chromium, its driver or Selenium is missing (scripts/install-deps installs
them)."""

import hashlib
import os
import re
import shutil
import sys
import unittest
import zipfile
from urllib.parse import quote

from sfs_harness import (SERVER_BIN, FaultProxy, WebDavCase, make_temp_dir, partial_files_in,
                         remove_tree, wait_until)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
WAIT = 30  # seconds for any one thing to show in the page
UPLOAD_WAIT = 180  # seconds for an upload of BIG bytes to finish on a busy machine
BIG = 64 << 20  # the upload cut mid-way


def import_selenium():
    """Selenium from Debian's python3-selenium, also when the tests run under
    another Python 3 of the same version (its dist-packages last in the path)."""
    try:
        import selenium  # noqa: F401 pylint: disable=unused-import,import-outside-toplevel
    except ImportError:
        sys.path.append("/usr/lib/python3/dist-packages")
    try:
        from selenium import webdriver  # pylint: disable=import-outside-toplevel
        return webdriver
    except ImportError:
        return None


def missing():
    """Why the browser test cannot run here, or None."""
    if os.environ.get("SFS_SANITIZED"):
        return "under the sanitizers (SFS_SANITIZED): Chromium is too slow there"
    for path, package in ((CHROMIUM, "chromium"), (DRIVER, "chromium-driver")):
        if not os.access(path, os.X_OK):
            return "%s is missing (apt install %s; scripts/install-deps)" % (path, package)
    if import_selenium() is None:
        return "selenium is missing (apt install python3-selenium; scripts/install-deps)"
    return None


WHY_SKIPPED = missing()
if WHY_SKIPPED:
    print("test_webapp_chromium skipped: " + WHY_SKIPPED, file=sys.stderr)

# Names that break naive pages: markup, quotes, unicode, spaces.
ODD_NAMES = ["caf\u00e9 \u2615 \u65e5\u672c.txt", "quote\"s 'and' spaces.txt",
             "<img src=x onerror=alert(1)>.txt", "<script>alert(2)<\u2215script>",
             "  leading spaces"]
EVIL_HTML = b"<html><body><script>alert('pwned'); document.title='pwned'</script></body></html>"
# A folder to upload: spaces, unicode, '#' and '%' (which URLs and naive
# pages get wrong), nested, and an empty file.
UPLOAD_TREE = {"caf\u00e9 \u65e5\u672c.txt": b"unicode\n", "hash #1.txt": b"hash\n",
               "100% done.txt": b"percent\n", "empty.txt": b"",
               "sub dir/n\u00e9st #%.bin": bytes(range(256)) * 300}


EVIL_SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(3)">'
            b"<script>alert('svg'); document.title='pwned';"
            b"document.body.setAttribute('data-pwned','1')</script></svg>")


def tiny_png(width=3, height=2):
    """A valid PNG of red pixels (zlib and struct only)."""
    import struct  # pylint: disable=import-outside-toplevel
    import zlib  # pylint: disable=import-outside-toplevel

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def screenshot_dir():
    bin_dir = os.path.dirname(os.path.abspath(SERVER_BIN))
    build = os.path.dirname(bin_dir) if os.path.basename(bin_dir) == "apps" else bin_dir
    path = os.path.join(build, "screenshots")
    os.makedirs(path, exist_ok=True)
    return path


@unittest.skipIf(WHY_SKIPPED, WHY_SKIPPED or "")
class BrowserCase(WebDavCase):
    """A headless Chromium per test against the class's server, and helpers."""

    def setUp(self):
        super().setUp()
        # pylint: disable=import-outside-toplevel
        from selenium.webdriver.chrome.service import Service
        webdriver = import_selenium()
        self.profile = make_temp_dir()
        self.addCleanup(remove_tree, self.profile)
        self.downloads = os.path.join(self.profile, "downloads")
        os.makedirs(self.downloads)
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--no-first-run", "--disable-extensions", "--disable-sync",
                    "--disable-background-networking", "--disable-component-update",
                    "--window-size=1000,760", "--user-data-dir=" + self.profile,
                    "--ignore-certificate-errors-spki-list=" + self.spki_hash()):
            options.add_argument(arg)
        options.add_experimental_option("prefs", {
            "download.default_directory": self.downloads, "download.prompt_for_download": False})
        service = Service(executable_path=DRIVER, log_path=os.path.join(self.profile, "driver.log"))
        self.driver = webdriver.Chrome(service=service, options=options)
        self.addCleanup(self.quit_driver, service)
        self.driver.set_page_load_timeout(WAIT)
        self.base = "https://127.0.0.1:%d" % self.server.https_port
        self.shots = screenshot_dir()

    def quit_driver(self, service):
        self.driver.quit()
        process = getattr(service, "process", None)
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=10)

    def spki_hash(self):
        """The base64 SHA-256 of the server certificate's public key: Chromium
        trusts exactly that key (the certificate is self-signed)."""
        import base64  # pylint: disable=import-outside-toplevel
        import hashlib  # pylint: disable=import-outside-toplevel
        import subprocess  # pylint: disable=import-outside-toplevel
        pem = subprocess.run(["openssl", "x509", "-in", self.server.cert_path, "-pubkey",
                              "-noout"], capture_output=True, check=True, timeout=30).stdout
        der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pem,
                             capture_output=True, check=True, timeout=30).stdout
        return base64.b64encode(hashlib.sha256(der).digest()).decode()

    # ---- helpers ----

    def find(self, css):
        from selenium.webdriver.common.by import By  # pylint: disable=import-outside-toplevel
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css):
        from selenium.webdriver.common.by import By  # pylint: disable=import-outside-toplevel
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def visible(self, element_id):
        return self.driver.execute_script(
            "const e = document.getElementById(arguments[0]); return e && !e.hidden;", element_id)

    def wait_for(self, condition, what):
        self.assertTrue(wait_until(condition, timeout=WAIT), "waited for " + what)

    def shot(self, name):
        path = os.path.join(self.shots, name + ".png")
        self.driver.save_screenshot(path)
        return path

    def names_shown(self):
        """The names the listing shows, trimmed (read in one script: the list
        is rebuilt after each change)."""
        return [n.strip() for n in self.raw_names_shown()]

    def raw_names_shown(self):
        return self.driver.execute_script(
            "return [...document.querySelectorAll('td.name a')].map(a => a.textContent);")

    def assertNoAlert(self):
        from selenium.common.exceptions import NoAlertPresentException  # pylint: disable=C0415
        try:
            alert = self.driver.switch_to.alert
            text = alert.text
            alert.dismiss()
            self.fail("an alert ran: %r" % text)
        except NoAlertPresentException:
            pass

    def answer(self, text):
        """Types into the open dialog's field and presses Enter."""
        from selenium.webdriver.common.keys import Keys  # pylint: disable=C0415
        self.wait_for(lambda: self.driver.execute_script(
            "return document.getElementById('ask').open"), "the dialog")
        field = self.find("#ask-input")
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys(text, Keys.ENTER)

    def row_button(self, name, label):
        """The `label` button (Rename, Delete) of the row of `name`."""
        button = self.driver.execute_script(
            "return [...document.querySelectorAll('#rows button')]"
            ".find(b => b.getAttribute('aria-label') === arguments[0]) || null;",
            label + " " + name)
        self.assertIsNotNone(button, "no %s button for %r" % (label, name))
        return button

    def log_in(self, password):
        from selenium.webdriver.common.keys import Keys  # pylint: disable=C0415
        user = self.find("#user")
        user.clear()
        user.send_keys("alice")
        field = self.find("#password")
        field.clear()
        field.send_keys(password, Keys.ENTER)

    def upload_states(self):
        """[(label, state, resumedFrom)] of the upload list."""
        return self.driver.execute_script(
            "return [...document.querySelectorAll('#upload-list li')].map(li => "
            "[li.querySelector('.up-name').textContent, li.dataset.state || '', "
            "li.dataset.resumedFrom || '']);")

    def uploads_done(self, count):
        states = self.upload_states()
        failed = [s for s in states if s[1] in ("failed", "cancelled")]
        self.assertEqual(failed, [], "an upload failed: %r" % (failed,))
        return len(states) == count and all(s[1] == "done" for s in states)

    def remove_at_end(self, name):
        """Deletes `name` from alice's files after the test (the server is the
        class's: the next test's listing starts without it)."""
        self.addCleanup(lambda: self.dav("DELETE", quote(name)))

    def open_app_logged_in(self, base):
        self.driver.get(base + "/app/")
        self.wait_for(lambda: self.visible("login-view"), "the login form")
        self.log_in(self.server.users["alice"])
        self.wait_for(lambda: self.visible("files-view"), "the listing")

    def row_button_in_uploads(self, name):
        button = self.driver.execute_script(
            "return [...document.querySelectorAll('#upload-list button')]"
            ".find(b => b.getAttribute('aria-label') === arguments[0]) || null;",
            "Cancel the upload of " + name)
        self.assertIsNotNone(button, "no Cancel button for %r" % name)
        return button

    def upload_local(self, name, data):
        """Chooses a local file `name` holding `data` in the Upload files picker."""
        local = self.new_temp_dir()
        path = os.path.join(local, name)
        with open(path, "wb") as f:
            f.write(data)
        self.find("#pick-files").send_keys(path)


class ChromiumTest(BrowserCase):
    # ---- uploads (tus, with the session and CSRF token) ----

    def test_a_folder_of_odd_names_uploads_byte_for_byte(self):
        local = make_temp_dir()
        self.addCleanup(remove_tree, local)
        top = os.path.join(local, "my uploads #1 %")
        for name, data in UPLOAD_TREE.items():
            path = os.path.join(top, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
        self.remove_at_end("my uploads #1 %")
        self.open_app_logged_in(self.base)
        self.find("#pick-folder").send_keys(top)
        self.wait_for(lambda: self.uploads_done(len(UPLOAD_TREE)), "the folder's uploads")
        self.wait_for(lambda: "my uploads #1 %" in self.names_shown(), "the folder listed")
        stored = os.path.join(self.server.user_dir("alice"), "my uploads #1 %")
        for name, data in UPLOAD_TREE.items():
            with open(os.path.join(stored, name), "rb") as f:
                self.assertEqual(f.read(), data, name)
        labels = sorted(s[0] for s in self.upload_states())
        self.assertEqual(labels, sorted("my uploads #1 %/" + n for n in UPLOAD_TREE))
        self.assertNoAlert()
        self.shot("upload-folder-done")
        self.find("#logout").click()  # the uploaded names go from the page too
        self.wait_for(lambda: self.visible("login-view"), "the login form after logout")
        self.assertNotIn("my uploads", self.driver.page_source)
        self.assertEqual(len(self.find_all("#upload-list li")), 0)

    def test_an_upload_cut_by_a_reload_resumes_where_the_server_stopped(self):
        local = make_temp_dir()
        self.addCleanup(remove_tree, local)
        path = os.path.join(local, "big #1.bin")
        with open(path, "wb") as f:
            for _ in range(BIG >> 20):
                f.write(os.urandom(1 << 20))
        # Through a proxy slowed to 2 MiB/s up, so that the page is reloaded
        # mid-upload on any machine.
        proxy = FaultProxy(self.server.https_port)
        self.addCleanup(proxy.close)
        proxy.configure(rate_up=2 << 20)
        base = "https://127.0.0.1:%d" % proxy.port
        self.remove_at_end("big #1.bin")
        self.open_app_logged_in(base)
        self.find("#pick-files").send_keys(path)
        # The server has had 8 MiB (not just the browser's socket buffers).
        self.wait_for(lambda: max([c.up for c in proxy.connections] or [0]) >= 8 << 20,
                      "8 MiB through the proxy")
        self.wait_for(lambda: self.driver.execute_script(
            "return document.querySelector('#upload-list .up-status').textContent"
            ".includes('%');"), "the progress shown")
        self.shot("upload-in-progress")
        before = list(proxy.connections)
        self.driver.refresh()  # the page goes, and with it the upload's request
        for conn in before:
            conn.close()  # and the connection drops
        self.assertTrue(self.server.wait_for_log(
            r"https-app PATCH /tus/[0-9a-f]{32} (status=\d+|failed: .*) bytes=\d+", UPLOAD_WAIT),
            "the cut PATCH ended on the server")
        proxy.set_rate()
        self.wait_for(lambda: self.visible("files-view"), "the listing after the reload")
        self.wait_for(lambda: self.find("#message").text.startswith("1 upload was interrupted"),
                      "the reminder")
        mark = self.server.log_mark()
        self.find("#pick-files").send_keys(path)
        self.assertTrue(wait_until(lambda: self.uploads_done(1), timeout=UPLOAD_WAIT),
                        "the resumed upload finished: %r" % (self.upload_states(),))
        resumed_from = int(self.upload_states()[0][2])
        self.assertGreater(resumed_from, 0)
        stored = os.path.join(self.server.user_dir("alice"), "big #1.bin")
        self.assertEqual(sha256_of(stored), sha256_of(path))
        def sent():
            return sum(int(n) for n in re.findall(
                r"https-app PATCH /tus/[0-9a-f]{32} status=204 bytes=(\d+)",
                self.server.log_since(mark)))
        # (A request is logged just after its reply went: wait for the lines.)
        wait_until(lambda: sent() >= BIG - resumed_from, timeout=WAIT)
        self.assertEqual(sent(), BIG - resumed_from)  # only the rest crossed again
        self.assertLess(sent(), BIG)

    def test_files_dropped_on_the_listing_upload(self):
        self.remove_at_end("dropped #1 %.txt")
        self.open_app_logged_in(self.base)
        # A drop as the browser delivers it (a DataTransfer of files) on the
        # listing; a script cannot fill the entries API, so this takes the
        # path of plain files.
        self.driver.execute_script(
            "const data = new DataTransfer();"
            "data.items.add(new File(['dropped \u2713\\n'], 'dropped #1 %.txt'));"
            "const view = document.getElementById('files-view');"
            "view.dispatchEvent(new DragEvent('dragover', {dataTransfer: data, bubbles: true,"
            " cancelable: true}));"
            "view.dispatchEvent(new DragEvent('drop', {dataTransfer: data, bubbles: true,"
            " cancelable: true}));")
        self.wait_for(lambda: self.uploads_done(1), "the dropped file's upload")
        with open(os.path.join(self.server.user_dir("alice"), "dropped #1 %.txt"), "rb") as f:
            self.assertEqual(f.read(), "dropped \u2713\n".encode())
        self.wait_for(lambda: "dropped #1 %.txt" in self.names_shown(), "the file listed")

    def test_cancel_stops_the_upload_and_the_server_drops_its_part(self):
        proxy = FaultProxy(self.server.https_port)
        self.addCleanup(proxy.close)
        proxy.configure(rate_up=1 << 20)  # slow enough to cancel mid-way anywhere
        self.open_app_logged_in("https://127.0.0.1:%d" % proxy.port)
        mark = self.server.log_mark()
        self.upload_local("cancelled.bin", os.urandom(32 << 20))
        self.wait_for(lambda: max([c.up for c in proxy.connections] or [0]) >= 4 << 20,
                      "4 MiB through the proxy")
        self.row_button_in_uploads("cancelled.bin").click()
        self.wait_for(lambda: self.upload_states()[0][1] == "cancelled", "the cancellation")
        self.assertTrue(self.server.wait_for_log(
            r"https-app DELETE /tus/[0-9a-f]{32} status=204", WAIT), "the tus DELETE")
        proxy.set_rate()
        home = self.server.user_dir("alice")
        self.assertTrue(wait_until(lambda: partial_files_in(home) == [], timeout=WAIT),
                        "the stored part removed: %r" % partial_files_in(home))
        self.assertFalse(os.path.exists(os.path.join(home, "cancelled.bin")))
        self.assertEqual(self.driver.execute_script(
            "return Object.keys(localStorage).filter(k => k.startsWith('sfs-upload:'))"), [])
        self.assertIn("https-app POST /tus/ status=201", self.server.log_since(mark))

    # ---- previews ----

    def preview(self, name):
        """Opens the preview of `name`; returns (kind, text or None, image width)."""
        self.row_button(name, "Preview").click()
        self.wait_for(lambda: self.driver.execute_script(
            "return document.getElementById('preview').open && "
            "document.getElementById('preview-kind').textContent !== '';"), "the preview")
        if not self.driver.execute_script("return document.getElementById('preview-img').hidden"):
            self.wait_for(lambda: self.driver.execute_script(
                "return document.getElementById('preview-img').complete"), "the picture")
        got = self.driver.execute_script(
            "const img = document.getElementById('preview-img');"
            "const pre = document.getElementById('preview-text');"
            "return [document.getElementById('preview-kind').textContent,"
            " pre.hidden ? null : pre.textContent, img.hidden ? 0 : img.naturalWidth];")
        return got

    def close_preview(self):
        self.find("#preview-close").click()
        self.wait_for(lambda: not self.driver.execute_script(
            "return document.getElementById('preview').open"), "the preview closed")

    def assertNothingRan(self):
        self.assertNoAlert()
        self.assertEqual(self.driver.title, "sfs")
        self.assertIsNone(self.driver.execute_script(
            "return document.body.getAttribute('data-pwned');"))
        self.assertEqual(self.driver.execute_script("return document.scripts.length"), 3)

    def test_previews_show_text_hex_and_pictures_and_run_nothing(self):
        binary = bytes(range(256)) * 8  # 2048 bytes: only the first 1024 shown
        text = ("caf\u00e9 line\n" * 200).encode()
        files = {"notes.txt": text, "blob.bin": binary, "red.png": tiny_png(64, 40),
                 "evil.html": EVIL_HTML, "evil.svg": EVIL_SVG}
        for name, data in files.items():
            self.assertEqual(self.put_bytes(name, data).status, 201)
            self.remove_at_end(name)
        self.open_app_logged_in(self.base)
        self.wait_for(lambda: set(files) <= set(self.names_shown()), "the files")

        kind, shown, _ = self.preview("notes.txt")
        self.assertTrue(kind.startswith("Text, the first 1.0 kB"), kind)
        self.assertTrue(text.decode(errors="ignore").startswith(shown))
        self.assertGreater(len(shown.encode()), 1020)
        self.shot("preview-text")
        self.close_preview()

        kind, shown, _ = self.preview("blob.bin")
        self.assertTrue(kind.startswith("Hex"), kind)
        lines = shown.split("\n")
        self.assertEqual(len(lines), 64)  # 1024 bytes, 16 a line
        self.assertTrue(lines[0].startswith("00000000  00 01 02 03"), lines[0])
        self.assertTrue(lines[-1].startswith("000003f0  f0 f1"), lines[-1])
        self.shot("preview-hex")
        self.close_preview()

        kind, shown, width = self.preview("red.png")
        self.assertTrue(kind.startswith("Picture"), kind)
        self.assertIsNone(shown)
        self.assertEqual(width, 64)
        src = self.driver.execute_script("return document.getElementById('preview-img').src")
        self.assertTrue(src.startswith("blob:"), src)
        self.shot("preview-image")
        self.close_preview()

        for name, data in (("evil.html", EVIL_HTML), ("evil.svg", EVIL_SVG)):
            kind, shown, _ = self.preview(name)
            self.assertTrue(kind.startswith("Text"), kind)
            self.assertEqual(shown, data.decode())  # the source, as text
            self.assertNothingRan()
            self.close_preview()
        self.assertNothingRan()

    # ---- the test: one browser session through every screen ----

    def test_a_session_in_a_real_browser(self):
        self.assertEqual(self.dav("MKCOL", "odd").status, 201)
        for name in ODD_NAMES:
            self.assertEqual(self.put_bytes("odd/" + quote(name), b"data").status, 201)
        self.assertEqual(self.put_bytes("odd/evil.html", EVIL_HTML).status, 201)

        self.driver.get(self.base + "/")
        self.wait_for(lambda: self.visible("login-view"), "the login form")
        self.assertTrue(self.driver.current_url.endswith("/app/"))
        self.shot("login")

        self.log_in("wrong password")
        self.wait_for(lambda: self.find("#message").text ==
                      "Login failed: wrong user name or password.", "the refusal")
        self.shot("error")

        self.log_in(self.server.users["alice"])
        self.wait_for(lambda: self.visible("files-view"), "the listing")
        self.assertEqual(self.find("#who").text, "alice")
        self.assertEqual(self.names_shown(), ["odd"])
        self.check_a_folder_downloads_as_a_zip("odd")
        self.find("td.name a").click()
        self.wait_for(lambda: len(self.find_all("td.name a")) == len(ODD_NAMES) + 1, "odd/")
        self.assertEqual(sorted(self.raw_names_shown()), sorted(ODD_NAMES + ["evil.html"]))
        # The header's icon only (and the preview's, empty): no injected <img>.
        self.assertEqual(len(self.find_all("img:not(#preview-img)")), 1)
        self.assertNoAlert()
        self.assertIn("Home", self.find("#crumbs").text)
        self.shot("listing")
        self.driver.set_window_size(390, 760)  # a phone
        self.shot("listing-phone")
        self.driver.set_window_size(1000, 760)

        self.find("#new-folder").click()
        self.answer("new folder")
        new = os.path.join(self.server.user_dir("alice"), "odd", "new folder")
        self.wait_for(lambda: "new folder" in self.names_shown(), "the new folder")
        self.assertTrue(os.path.isdir(new))

        self.row_button("new folder", "Rename").click()
        self.answer("renamed \u2713")
        self.wait_for(lambda: "renamed \u2713" in self.names_shown(), "the renamed folder")
        self.assertTrue(os.path.isdir(new.replace("new folder", "renamed \u2713")))

        moved = ODD_NAMES[1]
        self.row_button(moved, "Move").click()
        self.answer("odd/renamed \u2713")
        self.wait_for(lambda: moved not in self.raw_names_shown(), "the move")
        self.assertTrue(os.path.isfile(os.path.join(new.replace("new folder", "renamed \u2713"),
                                                    moved)))
        self.assertIn("Moved to odd/renamed", self.find("#message").text)

        self.row_button("renamed \u2713", "Delete").click()
        self.wait_for(lambda: self.driver.execute_script(
            "return document.getElementById('ask').open"), "the confirmation")
        self.assertIn("cannot be undone", self.find("#ask-text").text)
        self.shot("confirm-delete")
        self.find("#ask-ok").click()
        self.wait_for(lambda: "renamed \u2713" not in self.names_shown(), "the deletion")
        self.assertFalse(os.path.exists(new.replace("new folder", "renamed \u2713")))

        self.check_stored_html_never_runs()
        self.check_logout_leaves_nothing()

    def check_a_folder_downloads_as_a_zip(self, folder):
        self.find(f"a[aria-label='Download {folder} as a zip archive']").click()
        saved = os.path.join(self.downloads, folder + ".zip")
        self.wait_for(lambda: os.path.exists(saved) and zipfile.is_zipfile(saved), "the zip")
        with zipfile.ZipFile(saved) as archive:
            self.assertIsNone(archive.testzip())
            self.assertEqual(sorted(archive.namelist()),
                             sorted([folder + "/"] + [f"{folder}/{n}" for n in ODD_NAMES] +
                                    [f"{folder}/evil.html"]))
            self.assertEqual(archive.read(f"{folder}/evil.html"), EVIL_HTML)

    def check_stored_html_never_runs(self):
        listing_url = self.driver.current_url
        for link in self.find_all("td.name a"):
            if link.get_attribute("textContent") == "evil.html":
                link.click()
                break
        self.wait_for(lambda: os.path.exists(os.path.join(self.downloads, "evil.html")),
                      "the download")
        self.assertNoAlert()
        self.assertEqual(self.driver.title, "sfs")
        self.assertEqual(self.driver.current_url, listing_url)
        # Opened directly, the file is still only a download, never a page.
        self.driver.get(self.base + "/app/api/download?path=odd/evil.html")
        self.assertNoAlert()
        self.assertNotEqual(self.driver.title, "pwned")

    def check_logout_leaves_nothing(self):
        self.driver.get(self.base + "/app/#/odd")
        self.wait_for(lambda: len(self.find_all("td.name a")) > 0, "the listing again")
        self.find("#logout").click()
        self.wait_for(lambda: self.visible("login-view"), "the login form after logout")
        self.assertEqual([c["name"] for c in self.driver.get_cookies()], [])
        self.driver.back()
        self.wait_for(lambda: self.visible("login-view"), "the login form after back")
        page = self.driver.page_source
        for name in ODD_NAMES + ["evil.html", "odd"]:
            self.assertNotIn(name.replace("<", "&lt;").replace(">", "&gt;"), page)
        self.assertEqual(len(self.find_all("#rows tr")), 0)
        self.assertEqual(self.find("#user").get_attribute("value"), "")
        self.shot("logged-out")


class UploadMessagesTest(BrowserCase):
    """What a person reads when an upload cannot go: quota full (the
    server's words), a name taken by a folder, an ended session."""

    extra_args = ("--quota-bytes", "100000")

    def row_status(self):
        return self.driver.execute_script(
            "const li = document.querySelector('#upload-list li:last-child');"
            "return li ? [li.dataset.state || '', "
            "li.querySelector('.up-status').textContent] : ['', ''];")

    def failed_with(self):
        self.wait_for(lambda: self.row_status()[0] == "failed", "the upload's refusal")
        return self.row_status()[1]

    def test_quota_full_name_taken_and_session_expired_are_said(self):
        self.assertEqual(self.dav("MKCOL", "taken.txt").status, 201)
        self.addCleanup(lambda: self.dav("DELETE", "taken.txt"))
        self.open_app_logged_in(self.base)

        self.upload_local("big.bin", b"x" * 200000)
        said = self.failed_with()
        self.assertTrue(said.startswith("quota full: quota exceeded"), said)
        self.shot("upload-quota-full")

        self.upload_local("taken.txt", b"text")
        self.assertIn("name is taken by a folder", self.failed_with())

        self.driver.delete_all_cookies()  # as if the session had expired
        self.upload_local("late.txt", b"late")
        self.wait_for(lambda: self.visible("login-view"), "the login form")
        self.assertIn("session has ended", self.find("#message").text)
        for name in ("big.bin", "late.txt"):
            self.assertFalse(os.path.exists(os.path.join(self.server.user_dir("alice"), name)))


if __name__ == "__main__":
    unittest.main()
