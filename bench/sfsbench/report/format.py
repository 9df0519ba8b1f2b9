"""Numbers for the report: medians, formatting, per-run ratios."""

import statistics


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, digits=1):
    if x is None:
        return "–"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.{digits}f}"


def big_name(s):
    return f"{s['big_mib'] // 1024} GiB" if s["big_mib"] % 1024 == 0 else f"{s['big_mib']} MiB"


def ratios(bench, workload, peer):
    """Per-run ratio sfs/peer of the workload's main value (same run)."""
    a = bench.results.get(workload, {}).get("sfs", [])
    b = bench.results.get(workload, {}).get(peer, [])
    out = []
    for x, y in zip(a, b):
        if x.get("ok") and y.get("ok") and x.get("value") and y.get("value"):
            out.append(x["value"] / y["value"])
    return out


def verdict(met):
    """The report's "met" column: True, False, or None when the run was too small to
    judge."""
    return "not at this size" if met is None else "yes" if met else "**no**"


def sized(met, full_size):
    """A target judged on a run smaller than the target's: a miss is a miss, but a
    pass says nothing (None: "not at this size")."""
    return met if full_size or not met else None
