"""The include-root check itself, on a small fake tree: it must fail when
a global include path shows src/ (the defect it exists to catch) or a link
shows a module that is no arrow, and pass on proper include roots."""
import json
import pathlib
import subprocess
import sys
import tempfile
import unittest

CHECK = pathlib.Path(__file__).with_name("check_include_roots.py")
HEADERS = {"base/result.h": "int result;\n", "storage/store.h": '#include "base/result.h"\n',
           "net/connection.h": '#include "base/result.h"\n'}


def run_with(roots: dict, extra_flags: tuple = ()) -> subprocess.CompletedProcess:
    """roots: target -> the folders its include root links (storage's file
    is compiled with the roots of every target given)."""
    with tempfile.TemporaryDirectory() as tmp:
        repo, build = pathlib.Path(tmp, "repo"), pathlib.Path(tmp, "build")
        for name, text in HEADERS.items():
            (repo / "src" / name).parent.mkdir(parents=True, exist_ok=True)
            (repo / "src" / name).write_text(text)
        (repo / "src/storage/store.cc").write_text('#include "storage/store.h"\n')
        flags = list(extra_flags)
        for target, folders in roots.items():
            for folder in folders:
                for header in (repo / "src" / folder).glob("*.h"):
                    link = build / "include" / target / folder / header.name
                    link.parent.mkdir(parents=True, exist_ok=True)
                    link.symlink_to(header)
            flags.append(f"-I{build / 'include' / target}")
        command = ["c++", *flags, "-c", str(repo / "src/storage/store.cc"), "-o", "store.o"]
        (build / "compile_commands.json").write_text(json.dumps(
            [{"directory": str(build), "command": " ".join(command),
              "file": str(repo / "src/storage/store.cc")}]))
        return subprocess.run([sys.executable, str(CHECK), str(repo), str(build)],
                              capture_output=True, text=True, check=False)


class CheckIncludeRootsTest(unittest.TestCase):
    def test_proper_roots_pass(self):
        r = run_with({"sfs_storage": ["storage"], "sfs_base": ["base"]})
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("checked the include roots of 1 modules: 0 problems", r.stdout)

    def test_a_global_src_include_is_caught(self):
        r = run_with({"sfs_storage": ["storage"], "sfs_base": ["base"]}, ("-I../repo/src",))
        self.assertEqual(r.returncode, 1)
        self.assertIn("shows src/ itself", r.stdout)
        self.assertIn("storage: includes net/connection.h though no include root of it shows net",
                      r.stdout)

    def test_a_link_that_is_no_arrow_is_caught(self):
        r = run_with({"sfs_storage": ["storage"], "sfs_base": ["base"], "sfs_net": ["net"]})
        self.assertEqual(r.returncode, 1)
        self.assertIn("storage: sees net, which is neither an arrow", r.stdout)

    def test_a_root_missing_a_needed_module_is_caught(self):
        # storage/store.h includes base/: without base's root, storage's
        # own headers do not compile.
        r = run_with({"sfs_storage": ["storage"]})
        self.assertEqual(r.returncode, 1)
        self.assertIn("storage: its own include roots do not compile", r.stdout)


if __name__ == "__main__":
    unittest.main()
