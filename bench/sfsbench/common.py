"""Constants and small helpers every module uses."""

import base64
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
BENCH_DIR = REPO / "bench"
MiB = 1 << 20
GiB = 1 << 30
MB = 1e6
CLK_TCK = os.sysconf("SC_CLK_TCK")
# One password for every account of a run (sfs users, nginx's Basic auth).
PASSWORD = "bench-" + base64.b32encode(os.urandom(10)).decode().lower()

TOOLS = ["sfs", "sftp-gcm", "sftp", "curl"]
TOOL_NAMES = {
    "sfs": "sfs",
    "sfs-plain": "sfs, plaintext auth line (reference)",
    "sftp-gcm": "sftp aes128-gcm",
    "sftp": "sftp default cipher",
    "curl": "nginx + curl",
    "sfs-zstd": "sfs --compress",
    "sftp-C": "sftp aes128-gcm -C (zlib)",
    "apache": "Apache mod_dav + curl",
    "sfs-tus": "sfs tus (curl: POST, one PATCH)",
    "sfs-app": "sfs browser app's listing (curl)",
}
PEERS = ["sftp-gcm", "sftp", "curl"]


class BenchError(Exception):
    pass


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)
