"""Auth files and the real sfs-admin that writes them."""

import os
import subprocess
import unittest

from .config import ADMIN_BIN, CLIENT_TIMEOUT
from .files import make_temp_dir, read_file, remove_tree


def run_admin(args, *, cwd=None, input=None, timeout=CLIENT_TIMEOUT):
    """Runs `sfs-admin ARGS` (stdin from `input` or /dev/null); returns CompletedProcess.
    Its environment is a clean one, but for the database's password file
    (PGPASSFILE, set by the tests of --db)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C"}
    if "PGPASSFILE" in os.environ:
        env["PGPASSFILE"] = os.environ["PGPASSFILE"]
    return subprocess.run(
        [ADMIN_BIN] + [str(a) for a in args], cwd=cwd, input=input,
        stdin=None if input is not None else subprocess.DEVNULL,
        capture_output=True, timeout=timeout, start_new_session=True, env=env)


def hashed_auth_text(users):
    """The bytes of an auth file holding Argon2id hashes of {user: password}, made
    by the real sfs-admin (raises unittest.SkipTest when it is not built)."""
    if not os.access(ADMIN_BIN, os.X_OK):
        raise unittest.SkipTest("sfs-admin not built at %s (set SFS_ADMIN_BIN)" % ADMIN_BIN)
    directory = make_temp_dir("sfs-it-auth-")
    try:
        auth = os.path.join(directory, "id_passwd.txt")
        for user, password in users.items():
            result = run_admin(["--auth-file", auth, "user", "add", user, "--password-stdin"],
                               input=password.encode() + b"\n")
            if result.returncode != 0:
                raise RuntimeError("sfs-admin failed: %r" % result.stderr)
        return read_file(auth)
    finally:
        remove_tree(directory)
