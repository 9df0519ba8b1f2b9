"""The arrow check itself: it must catch a forbidden include (a check that
cannot fail is a defect) and accept an allowed one."""
import pathlib
import subprocess
import sys
import tempfile
import unittest

CHECK = pathlib.Path(__file__).with_name("check_arrows.py")


def run_on(files: dict) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        (root / "apps").mkdir()
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        return subprocess.run([sys.executable, str(CHECK), str(root)], capture_output=True,
                              text=True, check=False)


class CheckArrowsTest(unittest.TestCase):
    def test_storage_including_the_network_is_refused(self):
        r = run_on({"src/storage/x.cc": '#include "base/result.h"\n#include "net/channel.h"\n'})
        self.assertEqual(r.returncode, 1)
        self.assertIn("src/storage/x.cc: storage -> net is not an allowed arrow", r.stdout)

    def test_client_including_the_server_is_refused(self):
        r = run_on({"src/client/y.h": '#include "server/session.h"\n'})
        self.assertEqual(r.returncode, 1)
        self.assertIn("client -> server", r.stdout)

    def test_net_including_the_sfs_wire_is_refused(self):
        # The generic connection knows no sfs lines, frames or compression.
        r = run_on({"src/net/x.cc": '#include "wire/channel.h"\n#include "protocol/frame.h"\n'
                                    '#include "compress/zstd_codec.h"\n#include "tls/stream.h"\n'})
        self.assertEqual(r.returncode, 1)
        self.assertIn("net -> wire is not an allowed arrow", r.stdout)
        self.assertIn("net -> protocol is not an allowed arrow", r.stdout)
        self.assertIn("net -> compress is not an allowed arrow", r.stdout)
        self.assertNotIn("net -> tls", r.stdout)

    def test_unknown_module_is_refused(self):
        r = run_on({"src/mystery/z.cc": "int z;\n"})
        self.assertEqual(r.returncode, 1)
        self.assertIn("module 'mystery' is not in the table", r.stdout)

    def test_the_interface_including_a_backend_is_refused(self):
        r = run_on({"src/storage/backend.h": '#include "storage/posix/posix_backend.h"\n'})
        self.assertEqual(r.returncode, 1)
        self.assertIn("storage -> storage/posix is not an allowed arrow", r.stdout)

    def test_a_backend_including_the_network_is_refused(self):
        r = run_on({"src/storage/memory/m.cc": '#include "net/channel.h"\n'})
        self.assertEqual(r.returncode, 1)
        self.assertIn("storage/memory -> net is not an allowed arrow", r.stdout)

    def test_a_relative_include_is_refused(self):
        # It would be found beside the file, past the target's include roots.
        r = run_on({"src/storage/posix/p.cc": '#include "../../net/channel.h"\n'})
        self.assertEqual(r.returncode, 1)
        self.assertIn('p.cc: includes "../../net/channel.h" by a relative path', r.stdout)

    def test_a_backend_may_include_the_interface(self):
        r = run_on({"src/storage/posix/p.cc": '#include "storage/posix/p.h"\n'
                                              '#include "storage/backend.h"\n'
                                              '#include "asio/offload.h"\n'})
        self.assertEqual(r.returncode, 0, r.stdout)

    def test_allowed_arrows_pass(self):
        r = run_on({"src/server/a.cc": '#include "auth/user_db.h"\n#include "storage/store.h"\n',
                    "apps/sfs.cc": '#include "client/connection.h"\n'})
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("checked 2 files: 0 forbidden includes", r.stdout)


if __name__ == "__main__":
    unittest.main()
