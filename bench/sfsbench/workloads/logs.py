"""What workloads 7a and 7b (logs_up.py, logs_down.py) share. Compressible data:
one big log file (1 GiB; --big-mib) uploaded (7a), then downloaded (7b), by sfs with
and without --compress (zstd), sftp with and without -C (zlib), and curl without
compression: nginx compresses only downloads and only with gzip on, which would change
the server the other workloads measure."""

import re

from ..common import MB, MiB, log
from ..files import sha256_file, write_log_text
from ..report import tables
from ..report.format import big_name, med

LOG_TOOLS = ["sfs", "sfs-zstd", "sftp-gcm", "sftp-C", "curl"]


def log_file(b):
    """The generated log file, made once for both workloads."""
    if getattr(b, "logs", None) is None:
        size = b.s["big_mib"] * MiB
        log(f"creating {size // MiB} MiB of log-like text on tmpfs")
        b.logs = b.data / "app.log"
        write_log_text(b.logs, size)
        b.logs_sha = sha256_file(b.logs)
    return b.logs


def log_client(b, tool, batch, *sfs_args):
    if tool.startswith("sfs"):
        flags = ["--compress"] if tool == "sfs-zstd" else []
        return b.sfs.client(*flags, *sfs_args)
    if tool.startswith("sftp"):
        args = b.ssh.client("sftp-gcm", batch)
        return args[:1] + (["-C"] if tool == "sftp-C" else []) + args[1:]
    return None


def log_run(b, workload, tool, args, dst, size, run_no):
    r = b.measure(workload, tool, args)
    r["ok"] = r["ok"] and b.verify(f"{workload}/{tool}", dst, b.logs_sha)
    r["value"] = size / r["wall"] / MB
    r["bytes"] = size
    if tool == "sfs-zstd":  # "sfs: put app.log: N bytes, W on the wire (zstd)"
        err = (b.t / "logs" / f"{workload}-{tool}.err").read_text(errors="replace")
        m = re.search(r"(\d+) bytes, (\d+) on the wire", err)
        r["wire"] = int(m.group(2)) if m else None
    b.add(workload, tool, r)
    log(f"{workload} {tool:9s} run {run_no + 1}: {r['value']:8.1f} MB/s")


def section_for(bench, workload):
    s = bench.s
    res = bench.results[workload]
    zruns = [r for r in res.get("sfs-zstd", []) if r.get("ok") and r.get("wire")]
    wire = med(r["wire"] for r in zruns) if zruns else None
    return tables.transfer_table(bench, workload, "MB/s") + [
        "", "Generated log lines (bench/run's write_log_text: timestamps, request ids, "
        "addresses, URLs, user agents; each line new). sfs/peer compares plain sfs. "
        "sfs --compress: zstd level 1 per 256 KiB frame" +
        (f", {wire / MiB:.0f} MiB on the wire for {big_name(s)} "
         f"({zruns[0]['bytes'] / wire:.1f}:1)" if wire else "") +
        "; sftp -C: zlib level 6 over the whole stream; curl: none (nginx would "
        "compress only downloads, and only with gzip on)."]

