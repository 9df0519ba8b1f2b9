"""Test data on tmpfs and the harness's own check of transferred files."""

import hashlib
import os
import random
import shutil
from pathlib import Path

from .common import MiB


def sha256_file(path):
    """The harness's own check of a transferred file against its source. SHA-256 on
    purpose: independent of the digest sfs checks end to end (XXH3-128)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(4 * MiB):
            h.update(chunk)
    return h.hexdigest()


def write_random(path, size):
    with open(path, "wb") as f:
        left = size
        while left > 0:
            n = min(left, 8 * MiB)
            f.write(os.urandom(n))
            left -= n


LOG_PATHS = ["/api/v1/items", "/api/v1/users/{}", "/static/app.{:08x}.js", "/login",
             "/api/v1/orders/{}/lines", "/health"]
LOG_AGENTS = ["curl/7.88.1", "Mozilla/5.0 (X11; Linux x86_64) Firefox/118.0",
              "python-requests/2.28.1", "Go-http-client/1.1"]
LOG_LEVELS = ["INFO"] * 8 + ["WARN", "DEBUG", "ERROR"]
LOG_STATUSES = [200] * 12 + [201, 204, 304, 404, 500]
LOG_METHODS = ["GET"] * 6 + ["POST", "PUT", "DELETE"]


def write_small_files(folder, prefix, n, size):
    """n files of random bytes named prefix00000.. in folder (made here):
    their names and, by name, their SHA-256."""
    folder.mkdir()
    names = [f"{prefix}{i:05d}" for i in range(n)]
    digests = {}
    for name in names:
        write_random(folder / name, size)
        digests[name] = sha256_file(folder / name)
    return names, digests


def log_line(rng, ms):
    """One generated log line at `ms` milliseconds into the day."""
    p = rng.choice(LOG_PATHS).format(rng.randrange(100000), rng.getrandbits(32))
    return (f"2025-11-25T{ms // 3600000 % 24:02d}:{ms // 60000 % 60:02d}:"
            f"{ms // 1000 % 60:02d}.{ms % 1000:03d}Z {rng.choice(LOG_LEVELS)} "
            f"app[{1000 + rng.randrange(8)}]: req={rng.getrandbits(64):016x} "
            f"10.0.{rng.randrange(4)}.{rng.randrange(256)} "
            f"{rng.choice(LOG_METHODS)} {p} "
            f"{rng.choice(LOG_STATUSES)} {rng.randrange(100, 50000)}B "
            f"{rng.expovariate(0.05):.1f}ms ua=\"{rng.choice(LOG_AGENTS)}\"\n")


def write_log_text(path, size, seed=6):
    """Deterministic log-like text (timestamps, levels, request ids, client
    addresses, URLs, sizes, user agents): zstd -1 packs it about 4.5:1, as
    real web logs. Every line is new (no repeated block a compressor could
    exploit beyond what logs offer)."""
    rng = random.Random(seed)
    ms = 0
    with open(path, "wb") as f:
        left = size
        while left > 0:
            lines = []
            for _ in range(20000):
                ms += rng.randrange(1, 10)
                lines.append(log_line(rng, ms))
            chunk = "".join(lines).encode()[:left]
            f.write(chunk)
            left -= len(chunk)


def unlink(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def clear_dir(path):
    path = Path(path)
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
