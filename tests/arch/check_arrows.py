#!/usr/bin/env python3
"""Fails when an #include crosses an arrow the architecture does not allow.

The table below is the one place that says which module may include which
(../shared/ARCHITECTURE.md draws it). A module is a folder of src/ (or of
src/<folder>/<sub>/ for nested ones such as storage/posix); apps/ are the
mains. Run by ctest as arch.include_arrows; usage: check_arrows.py REPO_ROOT
"""
import pathlib
import re
import sys

# Everyone may include base/. asio/ is the Boost.Asio wrapper: only the
# layers that do networking may use it (storage and auth stay free of it).
ALLOWED = {
    "base": set(),
    "asio": set(),
    "crypto": set(),
    "compress": set(),
    "config": set(),
    "term": set(),
    # protocol uses crypto for the digest's hex form (a pure function).
    "protocol": {"crypto"},
    "tls": {"asio"},
    # net is the generic connection (deadlines, idle, rate floor, memory
    # budget); the sfs lines, frames and compression are wire's.
    "net": {"asio", "tls"},
    "wire": {"asio", "net", "tls", "protocol", "compress"},
    "auth": {"crypto"},
    "storage": {"crypto"},
    "files": {"storage", "crypto"},
    "server": {"asio", "auth", "config", "crypto", "files", "net", "protocol", "storage", "tls",
               "wire", "compress"},
    "client": {"asio", "config", "crypto", "net", "protocol", "term", "tls", "wire", "compress"},
    "cli": {"client", "protocol", "term", "config"},
    # The mains only parse options and wire objects together.
    "apps/sfs": {"cli", "client", "protocol", "config", "term"},
    "apps/sfs_server": {"server", "protocol", "tls", "auth", "storage", "files", "config"},
    "apps/sfs_admin": {"auth", "term", "storage", "config"},
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_0-9]+)/', re.MULTILINE)


def module_of(path: pathlib.Path, root: pathlib.Path) -> str:
    rel = path.relative_to(root).parts
    if rel[0] == "apps":
        return "apps/" + path.stem.replace("-", "_")
    return rel[1]


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    files = [p for d in ("src", "apps") for p in (root / d).rglob("*")
             if p.suffix in (".h", ".cc")]
    problems = []
    for path in sorted(files):
        module = module_of(path, root)
        if module not in ALLOWED:
            problems.append(f"{path.relative_to(root)}: module '{module}' is not in the table")
            continue
        for target in INCLUDE.findall(path.read_text(encoding="utf-8")):
            if target in ("base", module) or target in ALLOWED[module]:
                continue
            problems.append(f"{path.relative_to(root)}: {module} -> {target} is not an allowed arrow")
    for p in problems:
        print(p)
    print(f"checked {len(files)} files: {len(problems)} forbidden includes")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
