"""Profile notes: the ones the run derives (CPU-bound sides), and the hand-written
bench/notes.md, which a full report includes."""

from pathlib import Path

from ..common import BENCH_DIR, GiB, PEERS, TOOL_NAMES, BenchError
from .format import med

NOTES = BENCH_DIR / "notes.md"
NOTES_BEGIN, NOTES_END = "<!-- bench/notes.md -->", "<!-- end of bench/notes.md -->"


def notes_block():
    text = NOTES.read_text().rstrip() if NOTES.exists() else ""
    return f"{NOTES_BEGIN}\n{text}\n{NOTES_END}"


def update_notes(path):
    """Replaces the copy of bench/notes.md in an existing report."""
    text = Path(path).read_text()
    if NOTES_BEGIN not in text or NOTES_END not in text:
        raise BenchError(f"{path} has no bench/notes.md block to update")
    head, rest = text.split(NOTES_BEGIN, 1)
    tail = rest.split(NOTES_END, 1)[1]
    Path(path).write_text(head + notes_block() + tail)


def bound_notes(bench):
    """Which side of each single transfer kept a core busy."""
    out = []
    for workload in ("upload", "download"):
        res = bench.results.get(workload, {})
        for tool in ["sfs"] + PEERS:
            runs = [r for r in res.get(tool, []) if r.get("ok")]
            if not runs:
                continue
            cu = med(r["client_cpu"] / r["wall"] for r in runs)
            su = med(r["server_cpu"] / r["wall"] for r in runs)
            side = [s for s, u in (("client", cu), ("server", su)) if u >= 0.85]
            bound = (" and ".join(side) + " CPU-bound (≥ 0.85 of a core)") if side else \
                "neither side uses a full core"
            out.append(f"- {workload}, {TOOL_NAMES[tool]}: client {cu:.2f} and server {su:.2f} "
                       f"cores busy on average: {bound}.")
    return out


def auto_notes(bench, speeds):
    out = bound_notes(bench)
    aes = speeds.get("aes-128-gcm")
    xxh = speeds.get("xxh128")
    runs = [r for r in bench.results.get("download", {}).get("sfs", []) if r.get("ok")]
    if runs and aes and xxh:
        floor = GiB / aes + GiB / xxh
        server = med(r["server_cpu"] / (r["bytes"] / GiB) for r in runs)
        client = med(r["client_cpu"] / (r["bytes"] / GiB) for r in runs)
        out.append(f"- per GiB, AES-128-GCM (openssl speed) plus XXH3-128 (xxh128sum, "
                   f"including reading its file) cost {floor:.2f} CPU-s on one core here; "
                   f"sfs's download spent {server:.2f} (server) and {client:.2f} (client).")
    return out
