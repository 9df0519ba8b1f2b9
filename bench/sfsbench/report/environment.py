"""What the report says about the machine, the versions, and one core's ceiling
(`openssl speed`, XXH3-128)."""

import datetime
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from ..common import REPO, MiB
from ..files import unlink, write_random
from ..procs import check_output, run_timed

SPEED_LABELS = {
    "sha256": "sha256 (bench/run's own check; sfs no longer uses it)",
    "xxh128": "xxh128 (XXH3-128: `xxh128sum` of a tmpfs file, incl. reading it)",
}


def first_line(args):
    try:
        r = subprocess.run(args, capture_output=True, text=True, timeout=30)
        return (r.stdout + r.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "?"


def dpkg_version(pkg):
    try:
        return check_output(["dpkg-query", "-W", "-f=${Version}", pkg]).strip() or "?"
    except (OSError, subprocess.SubprocessError):
        return "not a Debian package here"


def xxh128_speed(tmp, mib, times, runs):
    """XXH3-128 on one core: xxh128sum hashes a tmpfs file `times` times in one process.
    Returns bytes/s from its CPU time (user + sys, so reading the file counts), best of
    `runs`; None when it cannot be measured. The user time alone is too small to time
    here, and `xxhsum -b` overstates: see bench/README.md."""
    path = Path(tmp) / "xxh128.bin"
    best = None
    try:
        write_random(path, mib * MiB)
        for _ in range(runs):
            rc, _, cpu = run_timed(["xxh128sum"] + [path] * times, timeout=120)
            if rc != 0:
                return None
            if cpu > 0 and (best is None or cpu < best):
                best = cpu
    except OSError:
        return None
    finally:
        unlink(path)
    return mib * MiB * times / best if best else None


def openssl_speed(alg, seconds):
    try:
        out = subprocess.run(["openssl", "speed", "-mr", "-seconds", str(seconds), "-bytes",
                              "16384", "-evp", alg], capture_output=True, text=True,
                             timeout=120, check=True).stdout
        m = re.search(r"\+F:\d+:[^:]+:([\d.]+)", out)
        return float(m.group(1)) if m else None
    except (OSError, subprocess.SubprocessError):
        return None


def speeds(t, sizes, seconds):
    out = {alg: openssl_speed(alg, seconds)
           for alg in ("aes-128-gcm", "aes-256-gcm", "chacha20-poly1305", "sha256")}
    out["xxh128"] = xxh128_speed(t, sizes["xxh_mib"], sizes["xxh_times"], sizes["xxh_runs"])
    return out


def search(pattern, path, default="?"):
    try:
        return re.search(pattern, Path(path).read_text()).group(1)
    except (OSError, AttributeError):
        return default


def machine_info():
    info = {"cpu": search(r"model name\s*:\s*(.*)", "/proc/cpuinfo"), "cores": os.cpu_count()}
    mem = re.search(r"MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text())
    info["mem"] = f"{int(mem.group(1)) / 1024 / 1024:.1f} GiB" if mem else "?"
    info["kernel"] = os.uname().release
    info["os"] = search(r'PRETTY_NAME="(.*)"', "/etc/os-release")
    virt = first_line(["systemd-detect-virt"]) if shutil.which("systemd-detect-virt") else None
    flags = Path("/proc/cpuinfo").read_text()
    info["virt"] = virt or ("hypervisor" if " hypervisor" in flags else "none seen")
    info["aes"] = " aes " in flags
    info["sha_ni"] = " sha_ni " in flags
    info["avx2"] = " avx2 " in flags
    info["avx512"] = " avx512f " in flags
    return info


def load_average():
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def sfs_version(bins):
    """sfs's version is that of the source tree its build dir was configured from."""
    cache = Path(bins["sfs"]).parent.parent / "CMakeCache.txt"
    build, source = "?", REPO
    if cache.exists():
        text = cache.read_text()
        m = re.search(r"CMAKE_BUILD_TYPE:\w+=(\w*)", text)
        build = m.group(1) if m else "?"
        m = re.search(r"CMAKE_HOME_DIRECTORY:\w+=(.*)", text)
        source = Path(m.group(1).strip()) if m else REPO
    try:
        commit = check_output(["git", "-C", source, "rev-parse", "--short=12", "HEAD"]).strip()
        dirty = check_output(["git", "-C", source, "status", "--porcelain", "--", "src",
                              "apps", "CMakeLists.txt"]).strip()
        commit = "git " + commit + (" with uncommitted changes in src/ or apps/" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        commit = f"source {source} (not a git checkout)"
    built = datetime.datetime.fromtimestamp(Path(bins["sfs-server"]).stat().st_mtime,
                                            datetime.timezone.utc)
    commit += f", binaries built {built:%Y-%m-%d %H:%M} UTC"
    return f"{commit}, CMAKE_BUILD_TYPE={build}"


def versions(bins):
    return [
        ("sfs", sfs_version(bins)),
        ("OpenSSH (sshd, sftp)", f"{first_line(['ssh', '-V'])}; Debian openssh-server "
                                 f"{dpkg_version('openssh-server')}, openssh-client "
                                 f"{dpkg_version('openssh-client')}"),
        ("nginx", f"{first_line(['nginx', '-v']).replace('nginx version: ', '')}; Debian nginx "
                  f"{dpkg_version('nginx')}"),
        ("curl", f"{first_line(['curl', '-V'])}; Debian curl {dpkg_version('curl')}"),
        ("OpenSSL", f"{first_line(['openssl', 'version'])}; Debian libssl3 "
                    f"{dpkg_version('libssl3')}"),
        ("Python (the runner)", sys.version.split()[0]),
    ]
