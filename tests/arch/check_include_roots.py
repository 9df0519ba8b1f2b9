#!/usr/bin/env python3
"""Proves that the compiler refuses an include across a missing arrow.

Each module target sees only the include roots of cmake/Modules.cmake: its
own and those of the modules it links (and of their headers' modules). For
every module of src/ and apps/, this takes the real compile command of one
of its files (compile_commands.json of a build) and preprocesses probes
with it:
  - a probe including one header of each module its roots show must pass
    (so a refusal below is about the include, not a broken command);
  - a probe including a header of any other module must fail with "No such
    file": no global src/ (or other path) shows a header its roots do not.
Then every module a target sees must be an arrow of the table in
check_arrows.py, or be included by the headers of one (a link that
shows more than that is a wrong link).
Run by ctest as arch.include_roots; usage:
  check_include_roots.py REPO_ROOT BUILD_DIR
"""
import json
import os
import re
import pathlib
import shlex
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from check_arrows import ALLOWED, module_of, nested_or_top  # noqa: E402

INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_0-9]+(?:/[a-z_0-9]+)?)/', re.MULTILINE)


def header_arrows(repo: pathlib.Path) -> dict:
    """module -> the modules its headers include (which whoever includes
    them must see)."""
    arrows = {}
    for path in (repo / "src").rglob("*.h"):
        module = module_of(path, repo)
        for included in INCLUDE.findall(path.read_text(encoding="utf-8")):
            arrows.setdefault(module, set()).add(nested_or_top(included.split("/")))
    return arrows


def may_see(module: str, arrows: dict) -> set:
    """What a target may see: its arrows, and what their headers include
    (the compiler cannot refuse those; check_arrows.py does)."""
    seen, todo = set(), [module, "base", *ALLOWED[module]]
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo.extend(arrows.get(m, ()))
    return seen


def compile_args(entry: dict) -> list:
    """The entry's command without its source, output, dependency file and
    compiler launcher: what is left decides what an include finds."""
    args = entry["arguments"] if "arguments" in entry else shlex.split(entry["command"])
    if os.path.basename(args[0]) == "ccache":
        args = args[1:]
    kept, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg in ("-o", "-MF", "-MT", "-MQ"):
            skip = True
        elif arg in ("-c", "-MD", "-MMD") or arg == entry["file"]:
            continue
        else:
            kept.append(arg)
    return kept


def include_dirs(args: list, cwd: str) -> list:
    dirs = []
    for i, arg in enumerate(args):
        for flag in ("-I", "-isystem", "-iquote"):
            if arg == flag and i + 1 < len(args):
                dirs.append(pathlib.Path(cwd, args[i + 1]).resolve())
            elif arg.startswith(flag) and arg != flag:
                dirs.append(pathlib.Path(cwd, arg[len(flag):]).resolve())
    return dirs


def headers_of_root(root: pathlib.Path) -> dict:
    """module -> one header ("storage/posix/posix_backend.h") in an include root."""
    found = {}
    for path in sorted(root.rglob("*.h")):
        rel = path.relative_to(root)
        found.setdefault(nested_or_top(rel.parts[:-1]), rel.as_posix())
    return found


def all_headers(repo: pathlib.Path) -> dict:
    return headers_of_root(repo / "src")


def preprocess(args: list, cwd: str, includes: list) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as tmp:
        probe = pathlib.Path(tmp, "probe.cc")
        probe.write_text("".join(f'#include "{h}"\n' for h in includes))
        return subprocess.run(args + ["-E", "-o", os.devnull, str(probe)], cwd=cwd,
                              capture_output=True, text=True, check=False)


def check_module(module: str, entry: dict, repo: pathlib.Path, build: pathlib.Path) -> list:
    args = compile_args(entry)
    problems = []
    seen = {}
    for d in include_dirs(args, entry["directory"]):
        if d in (repo, repo / "src") or repo / "src" in d.parents:
            problems.append(f"{module}: include path {d} shows src/ itself")
        elif build / "include" in d.parents:
            seen.update(headers_of_root(d))
    result = preprocess(args, entry["directory"], sorted(seen.values()))
    if result.returncode != 0:
        problems.append(f"{module}: its own include roots do not compile:\n{result.stderr[-2000:]}")
    for other, header in sorted(all_headers(repo).items()):
        if other in seen:
            continue
        result = preprocess(args, entry["directory"], [header])
        if result.returncode == 0 or f"{header}: No such file" not in result.stderr:
            problems.append(f"{module}: includes {header} though no include root of it shows "
                            f"{other} (exit {result.returncode})")
    for other in sorted(set(seen) - may_see(module, header_arrows(repo))):
        problems.append(f"{module}: sees {other}, which is neither an arrow of check_arrows.py "
                        "nor needed by the headers of one (link it PRIVATE, or drop the link)")
    return problems


def main() -> int:
    repo = pathlib.Path(sys.argv[1]).resolve()
    build = pathlib.Path(sys.argv[2]).resolve()
    entries = json.loads((build / "compile_commands.json").read_text())
    first = {}
    for entry in sorted(entries, key=lambda e: e["file"]):
        path = pathlib.Path(entry["file"])
        if not path.is_absolute():
            path = pathlib.Path(entry["directory"], path)
        if path.parts[:len(repo.parts) + 1] in ((*repo.parts, "src"), (*repo.parts, "apps")):
            first.setdefault(module_of(path, repo), entry)
    problems = []
    for module, entry in sorted(first.items()):
        problems += check_module(module, entry, repo, build)
    for p in problems:
        print(p)
    print(f"checked the include roots of {len(first)} modules: {len(problems)} problems")
    return 1 if problems or not first else 0


if __name__ == "__main__":
    sys.exit(main())
