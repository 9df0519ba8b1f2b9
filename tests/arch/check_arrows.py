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

# Everyone may include base/. asio/ is the Boost.Asio wrapper: the layers
# that do networking use it; auth, whose Authenticator awaits turns, timers
# and its Argon2id pool (never a socket); storage, whose backend interface
# (storage/backend.h) is asynchronous so that each backend decides what
# leaves the network threads (docs/storage.md); and files, which offloads.
ALLOWED = {
    "base": set(),
    "asio": set(),
    "crypto": set(),
    "compress": set(),
    "config": set(),
    "term": set(),
    # protocol uses crypto for the digest's hex form (a pure function).
    "protocol": {"crypto"},
    # dav is WebDAV's pure part (XML bodies, headers, multistatus writer):
    # plain values in, strings out; the HTTP door does the I/O.
    "dav": set(),
    # web is the browser app's pure part (forms, cookies, JSON strings).
    "web": set(),
    "tls": {"asio"},
    # net is the generic connection (deadlines, idle, rate floor, memory
    # budget); the sfs lines, frames and compression are wire's.
    "net": {"asio", "tls"},
    "wire": {"asio", "net", "tls", "protocol", "compress"},
    "auth": {"asio", "crypto"},
    # pg implements shared-state interfaces in PostgreSQL (auth's UserStore
    # and VerdictShare; files' Quota, the quota ledger of a cluster, hence
    # files and asio: its database calls run on a pool of its own; storage's
    # PartialClaims, the S3 backend's claims on partials); nothing below it
    # knows a database exists.
    "pg": {"asio", "auth", "files", "storage"},
    "storage": {"crypto", "asio"},
    # The backends implement storage/backend.h; storage may not include them.
    "storage/posix": {"storage", "asio", "crypto"},
    "storage/memory": {"storage", "asio", "crypto"},
    # The S3 backend speaks HTTP through libcurl (no sfs networking module).
    "storage/s3": {"storage", "asio", "crypto"},
    # files is below every door: it may offload (asio) but never speaks a
    # protocol, so an HTTP door can call it as the sfs session does.
    "files": {"asio", "storage", "crypto"},
    # The server builds the POSIX or the S3 backend on its own pools
    # (server.h, Shared; server/s3_storage.h for --storage s3://).
    "server": {"asio", "auth", "config", "crypto", "files", "net", "protocol", "storage",
               "storage/posix", "storage/s3", "tls", "wire", "compress", "server/sfsp",
               "server/http"},
    # server/sfsp is the sfs protocol door: it parses, calls files and auth,
    # and replies over wire; it reads the server's shared state (server.h).
    "server/sfsp": {"asio", "auth", "files", "net", "protocol", "server", "wire"},
    # The HTTPS door: Beast over net's connection, files and auth below it;
    # protocol for the path encoding rules only; storage for DirEntry.
    "server/http": {"asio", "net", "tls", "files", "auth", "storage", "protocol", "dav",
                    "web"},
    "client": {"asio", "config", "crypto", "net", "protocol", "term", "tls", "wire", "compress"},
    "cli": {"client", "protocol", "term", "config"},
    # The mains only parse options and wire objects together.
    "apps/sfs": {"cli", "client", "protocol", "config", "term"},
    "apps/sfs_server": {"server", "protocol", "tls", "auth", "pg", "storage", "storage/posix",
                        "files", "config"},
    "apps/sfs_admin": {"auth", "pg", "term", "storage", "config"},
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_0-9]+(?:/[a-z_0-9]+)?)/', re.MULTILINE)
# "../net/connection.h" is found next to the including file, whatever the
# include roots of its target (cmake/Modules.cmake) show: never allowed.
RELATIVE = re.compile(r'^\s*#\s*include\s+"([^"]*\.\./[^"]*)"', re.MULTILINE)


def nested_or_top(parts) -> str:
    """The module of a path's folders: storage/posix when that nested module
    is in the table, else the top folder (storage)."""
    nested = "/".join(parts[:2])
    return nested if len(parts) > 1 and nested in ALLOWED else parts[0]


def module_of(path: pathlib.Path, root: pathlib.Path) -> str:
    rel = path.relative_to(root).parts
    if rel[0] == "apps":
        return "apps/" + path.stem.replace("-", "_")
    return nested_or_top(rel[1:-1])


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
        text = path.read_text(encoding="utf-8")
        for included in RELATIVE.findall(text):
            problems.append(f"{path.relative_to(root)}: includes \"{included}\" by a relative path")
        for included in INCLUDE.findall(text):
            target = nested_or_top(included.split("/"))
            if target in ("base", module) or target in ALLOWED[module]:
                continue
            problems.append(f"{path.relative_to(root)}: {module} -> {target} is not an allowed arrow")
    for p in problems:
        print(p)
    print(f"checked {len(files)} files: {len(problems)} forbidden includes")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
