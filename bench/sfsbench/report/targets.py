"""The report's "Targets" table: the issue's ratios against the peers, then each
workload's own targets (its targets(bench), in the order of the workloads)."""

from ..common import TOOL_NAMES
from .format import big_name, med, ratios

# (workload, peer kind, factor sfs must reach, higher is better)
RATIO_TARGETS = [("download", "sftp", 2.0, True), ("download", "curl", 1.1, True),
                 ("upload", "sftp", 2.0, True), ("upload", "curl", 1.1, True),
                 ("small", "sftp", 2.0, False), ("small", "curl", 2.0, False),
                 ("tree", "curl", 2.0, False), ("concurrent", "curl", 1.0, True)]


def best_sftp(bench, workload, higher):
    vals = {t: med(r["value"] for r in bench.results.get(workload, {}).get(t, [])
                   if r.get("ok")) for t in ("sftp-gcm", "sftp")}
    vals = {t: v for t, v in vals.items() if v}
    if not vals:
        return None
    return (max if higher else min)(vals, key=vals.get)


def what(bench, workload):
    return {"download": f"{big_name(bench.s)} download",
            "upload": f"{big_name(bench.s)} upload",
            "small": f"{bench.s['small_n']} small files",
            "tree": f"put -r / get -r of {bench.s['small_n']} small files",
            "concurrent": f"{bench.s['clients']} clients aggregate"}[workload]


def ratio_row(bench, workload, peer_kind, need, higher):
    if workload not in bench.results or "sfs" not in bench.results[workload]:
        return None
    peer = best_sftp(bench, workload, higher) if peer_kind == "sftp" else peer_kind
    if not peer or peer not in bench.results[workload]:
        return None
    rs = ratios(bench, workload, peer)
    if not rs:
        return None
    factor = med(rs) if higher else 1 / med(rs)
    text = f"{what(bench, workload)}: sfs ≥ {need}× {TOOL_NAMES[peer]}"
    if peer_kind == "sftp":
        text += " (the faster sftp)"
    gap = "" if factor >= need else f"; gap {(need - factor) / need * 100:.0f}% " \
                                     f"(needs {need / factor:.2f}× more)"
    return (text, f"{factor:.2f}×{gap}", factor >= need)


def targets(bench, workloads):
    """(text, measured, met) for each of the issue's targets that was measured; met is
    None where the run was too small to judge."""
    rows = [ratio_row(bench, *t) for t in RATIO_TARGETS]
    rows = [r for r in rows if r]
    for w in workloads:
        if hasattr(w, "targets") and w.NAME in bench.results:
            rows += w.targets(bench)
    return rows
