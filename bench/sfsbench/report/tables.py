"""The per-tool result tables that several workloads share: transfers (MB/s or s),
sessions (ms) and idle memory (KiB per connection)."""

from ..common import GiB, PEERS, TOOL_NAMES
from .format import fmt, med, ratios

ROW_TOOLS = ["sfs", "sfs-plain", "sfs-zstd", "sfs-tus", "sfs-app"] + PEERS + ["sftp-C", "apache"]
OWN = ("sfs", "sfs-plain", "sfs-zstd", "sfs-tus", "sfs-app")  # rows without a ratio


def rows(bench, workload, line):
    """One line per tool that ran: line(name, ok runs, ratio), or "failed"."""
    res = bench.results[workload]
    out = []
    for tool in ROW_TOOLS:
        if tool not in res:
            continue
        runs = [r for r in res[tool] if r.get("ok")]
        name = TOOL_NAMES[tool]
        if not runs:
            out.append(f"| {name} | failed |" + " |" * 6)
            continue
        ratio = med(ratios(bench, workload, tool)) if tool not in OWN else None
        out.append(line(tool, name, runs, ratio))
    return out


def transfer_table(bench, workload, unit):
    concurrent = workload == "concurrent"
    head = [f"| tool | {unit} (median) | min – max | sfs/peer | client CPU s/GiB | "
            f"server CPU s/GiB | client CPU / wall | server CPU / wall | other load |" +
            (" failures | server peak RSS MiB | server peak anon MiB |" if concurrent else ""),
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|" +
            ("---:|---:|---:|" if concurrent else "")]

    def line(tool, name, runs, ratio):
        vals = [r["value"] for r in runs]
        gib = runs[0]["bytes"] / GiB
        row = (f"| {name} | {fmt(med(vals), 2 if workload in ('small', 'tree') else 1)} | "
               f"{fmt(min(vals), 2)} – {fmt(max(vals), 2)} | "
               f"{fmt(ratio, 2) if ratio else '–'} | "
               f"{fmt(med(r['client_cpu'] / gib for r in runs), 2)} | "
               f"{fmt(med(r['server_cpu'] / gib for r in runs), 2)} | "
               f"{fmt(med(r['client_cpu'] / r['wall'] for r in runs), 2)} | "
               f"{fmt(med(r['server_cpu'] / r['wall'] for r in runs), 2)} | "
               f"{fmt(med(r['other'] * 100 for r in runs), 0)}% |")
        if concurrent:
            allruns = bench.results[workload].get(tool, [])
            row += (f" {sum(r.get('failed', 0) for r in allruns)} | "
                    f"{fmt(med(r['peak_rss'] / 1024 for r in runs))} | "
                    f"{fmt(med(r['peak_anon'] / 1024 for r in runs))} |")
        return row

    return head + rows(bench, workload, line)


def session_table(bench, workload, unit, digits):
    """Latency-like tables; digits: 2 where values are under 1 ms."""
    head = [f"| tool | {unit} (median) | min – max | sfs/peer | client CPU ms | "
            f"server CPU ms | other load |",
            "|---|---:|---:|---:|---:|---:|---:|"]

    def line(tool, name, runs, ratio):
        vals = [r["value"] for r in runs]
        return (f"| {name} | {fmt(med(vals), digits)} | {fmt(min(vals), digits)} – "
                f"{fmt(max(vals), digits)} | {fmt(ratio, 2) if ratio else '–'} | "
                f"{fmt(med(r['client_cpu'] for r in runs), digits)} | "
                f"{fmt(med(r['server_cpu'] for r in runs), digits)} | "
                f"{fmt(med(r['other'] * 100 for r in runs), 0)}% |")

    return head + rows(bench, workload, line)


def idle_table(bench, workload):
    head = ["| tool | KiB RSS / conn | KiB anon / conn | sfs/peer (anon) | "
            "server processes added | set-up s |",
            "|---|---:|---:|---:|---:|---:|"]

    def line(tool, name, runs, ratio):
        return (f"| {name} | {fmt(med(r['rss'] for r in runs))} | "
                f"{fmt(med(r['anon'] for r in runs))} | "
                f"{fmt(ratio, 2) if ratio else '–'} | "
                f"{fmt(med(r['procs'] for r in runs), 0)} | "
                f"{fmt(med(r['setup'] for r in runs))} |")

    return head + rows(bench, workload, line)
