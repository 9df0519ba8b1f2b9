"""One curl process moving many files up, then down, over one reused TLS
connection to nginx: the peer of the small-file workloads (3 and 16)."""


def write_config(b, path, src, out, names, remote):
    """A curl config uploading src/NAME to dav/REMOTE/NAME for every name, then
    (after `next`) downloading each to out/NAME. Returns `path`."""
    opts = b.nginx.curl_config()
    with open(path, "w") as f:
        f.write(opts)
        for name in names:
            f.write(f'upload-file = "{src / name}"\nurl = "{b.nginx.url(f"dav/{remote}/{name}")}"\n')
        f.write("next\n" + opts)
        for name in names:
            f.write(f'output = "{out / name}"\nurl = "{b.nginx.url(f"dav/{remote}/{name}")}"\n')
    return path


def measure(b, workload, tool, config, extra, run_no, requests):
    """Runs curl on `config`; the measurement notes how many TLS connections
    it made (one is expected: every request reuses it)."""
    r = b.measure(workload, tool, ["curl", "-q", "-K", config], extra=extra)
    connects = sum(int(x) for x in r["out"].split() if x.isdigit())
    r["connections"] = connects
    if connects != 1:
        b.notes.append(f"{workload}/curl run {run_no + 1}: {connects} TLS connections for "
                       f"{requests} requests")
    return r
