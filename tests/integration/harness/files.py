"""Temporary directories and files, and the server's temp/partial file names."""

import hashlib
import os
import shutil
import tempfile


def make_temp_dir(prefix="sfs-it-"):
    return tempfile.mkdtemp(prefix=prefix)


def remove_tree(path):
    if path and os.path.lexists(path):
        shutil.rmtree(path, ignore_errors=True)


def write_file(path, data, mode=None):
    with open(path, "wb") as f:
        f.write(data)
    if mode is not None:
        os.chmod(path, mode)
    return path


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def write_random_file(path, size, chunk=1 << 20):
    """Writes `size` random bytes to path; returns their sha256 hex digest."""
    digest = hashlib.sha256()
    with open(path, "wb") as f:
        left = size
        while left > 0:
            block = os.urandom(min(chunk, left))
            digest.update(block)
            f.write(block)
            left -= len(block)
    return digest.hexdigest()


def write_sparse_file(path, size):
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_mode(path):
    return os.lstat(path).st_mode & 0o7777


def temp_files_in(directory):
    """Names of the server's upload temp files in directory (empty if it is gone)."""
    try:
        return sorted(n for n in os.listdir(directory) if n.startswith(".sfs-tmp-"))
    except FileNotFoundError:
        return []


def partial_files_in(directory):
    """Names of the server's resumable partial uploads (.sfs-part-*) in directory."""
    try:
        return sorted(n for n in os.listdir(directory) if n.startswith(".sfs-part-"))
    except FileNotFoundError:
        return []


def local_partial(target):
    """The path where an interrupted `sfs get` to target keeps its partial copy."""
    directory, name = os.path.split(target)
    return os.path.join(directory, "." + name + ".sfs-part")


def xattrs_supported(directory):
    """True if files in directory can carry user.* extended attributes (needed to
    resume a download: the partial copy records the remote file's digest)."""
    probe = os.path.join(directory, ".xattr-probe")
    try:
        write_file(probe, b"")
        os.setxattr(probe, "user.sfs.probe", b"1")
        return True
    except OSError:
        return False
    finally:
        try:
            os.unlink(probe)
        except OSError:
            pass
