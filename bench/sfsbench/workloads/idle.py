"""6b. Server memory per idle logged-in connection (1,000 of them): one `sfs` client
process each waiting at the menu, sftp processes after `pwd`, and Python ssl sockets
holding nginx keep-alive connections."""

import re
import socket
import subprocess
import time

from ..files import clear_dir
from ..measure import tree_mem
from ..procs import spawn, wait_all
from ..report import tables
from ..report.format import med
from ..common import log
from .. import sfsproto

NAME = "idle"
TITLE = "6b. server memory per idle logged-in connection ({idle} connections)"
UNIT = ("KiB anon / connection", False)
WAVE = 50  # client processes started before waiting for their logins


def run(b):
    k = b.s["idle"]
    tools = b.tools(["sfs", "sftp", "curl"])
    for run_no in range(b.s["idle_runs"]):
        for tool in b.order(tools, run_no):
            r = one_run(b, tool, k)
            b.add(NAME, tool, r)
            if r["ok"]:
                log(f"idle {tool:9s} run {run_no + 1}: {r['rss']:7.1f} KiB RSS, "
                    f"{r['anon']:7.1f} KiB anon per connection ({k} connections, "
                    f"set up in {r['setup']:.1f} s)")
    b.show(NAME, "sfs", b.sfs.client("menu"),
           f"  (x {k}, each left waiting at the menu after login)")
    b.show(NAME, "sftp", b.ssh.client("sftp", "-"),
           f"  (x {k}, each after answering 'pwd', stdin left open)")
    b.commands[(NAME, "curl")] = (
        f"python3 ssl sockets (bench/run), x {k}: TLS 1.3 connect, "
        f"'GET /pub/p00.txt' with Basic auth, keep-alive, left open")


def one_run(b, tool, k):
    srv = b.servers[tool]
    srv.restart()  # freed heap stays resident: start from a fresh process
    # Warm up (code pages, library state), so the baseline has them.
    warm, ok = open_idle(b, tool, min(2, k))
    close_idle(tool, warm)
    if not ok:
        return dict(ok=False, value=0)
    srv.settle()
    time.sleep(0.5)
    base = tree_mem(srv.proc.pid)
    t0 = time.monotonic()
    held, ok = open_idle(b, tool, k)
    setup = time.monotonic() - t0
    time.sleep(1.0)
    after = tree_mem(srv.proc.pid)
    if ok and tool != "curl":
        gone = sum(p.poll() is not None for p, _ in held)
        if gone:
            b.fail(f"idle/{tool}: {gone} of {k} clients had exited by the time "
                   f"memory was measured")
            ok = False
    close_idle(tool, held)
    srv.settle(30)
    if not ok:
        return dict(ok=False, value=0)
    r = dict(ok=True, setup=setup, procs=after["procs"] - base["procs"])
    for key in ("rss", "anon"):
        r[key] = (after[key] - base[key]) / k
    r["value"] = r["anon"]
    r["total_rss"] = after["rss"]
    return r


def open_idle(b, tool, k):
    """Opens k logged-in connections. Returns (handles, ok)."""
    if tool == "curl":
        return open_idle_https(b, k)
    return open_idle_clients(b, tool, k)


def http_get(s, req):
    """Sends one keep-alive GET and reads its whole response (bounded by its
    Content-Length; every recv has the socket's timeout)."""
    s.sendall(req)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise OSError("closed")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    if not head.startswith(b"HTTP/1.1 200"):
        raise OSError(head.split(b"\r\n")[0].decode())
    length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            raise OSError("closed")
        body += chunk


def open_idle_https(b, k):
    held = []
    deadline = time.monotonic() + b.s["timeout"]
    ctx = sfsproto.tls_context(b.nginx.cert)
    req = (f"GET /pub/p00.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           f"Authorization: Basic {b.nginx.basic}\r\n\r\n").encode()
    try:
        for _ in range(k):
            s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", b.nginx.port),
                                                         timeout=30),
                                server_hostname="127.0.0.1")
            held.append(s)
            http_get(s, req)
            if time.monotonic() > deadline:
                raise OSError("timeout")
        return held, True
    except (OSError, AttributeError) as e:
        b.fail(f"idle/curl: connection {len(held)}: {e}")
        return held, False


def start_wave(b, tool, logs, indexes):
    """Starts one client per index; returns [(proc, its stdout path)]."""
    wave = []
    for i in indexes:
        out = logs / f"{i}.out"
        fout = open(out, "wb")
        ferr = open(logs / f"{i}.err", "wb")
        args = b.sfs.client("menu") if tool == "sfs" else b.ssh.client(tool, "-")
        p = spawn(args, stdin=subprocess.PIPE, stdout=fout, stderr=ferr, env=b.env)
        fout.close()
        ferr.close()
        if tool != "sfs":
            p.stdin.write(b"pwd\n")
            p.stdin.flush()
        wave.append((p, out))
    return wave


def wait_logged_in(b, tool, wave, deadline):
    """Waits until every client of the wave shows it is logged in. Bounded."""
    marker = "Choose 1-" if tool == "sfs" else "Remote working directory"
    pending = list(wave)
    while pending:
        pending = [(p, out) for p, out in pending
                   if marker not in out.read_text(errors="replace")]
        for p, out in pending:
            if p.poll() is not None:
                err = out.with_suffix(".err").read_text(errors="replace").strip()
                b.fail(f"idle/{tool}: client exited with {p.returncode}: {err[-300:]}")
                return False
        if time.monotonic() > deadline:
            b.fail(f"idle/{tool}: {len(pending)} connections not logged in in time")
            return False
        if pending:
            time.sleep(0.05)
    return True


def open_idle_clients(b, tool, k):
    held = []
    deadline = time.monotonic() + b.s["timeout"]
    logs = b.t / "logs" / "idle"
    clear_dir(logs)
    for start in range(0, k, WAVE):
        wave = start_wave(b, tool, logs, range(start, min(k, start + WAVE)))
        held += wave
        if not wait_logged_in(b, tool, wave, deadline):
            return held, False
    return held, True


def close_idle(tool, held):
    if tool == "curl":
        sfsproto.close_all(held)
        return
    for p, _ in held:
        try:
            p.stdin.close()  # the end of input ends the menu, as sftp
        except OSError:
            pass
    wait_all([p for p, _ in held], 120)


def targets(bench):
    runs = bench.results.get(NAME, {}).get("sfs")
    if not runs:
        return []
    rss = med(r.get("rss") for r in runs if r.get("ok"))
    if rss is None:
        return []
    return [(f"idle logged-in connection < 64 KiB RSS (sfs, 6b: {bench.s['idle']:,} idle)",
             f"{rss:.1f} KiB" + ("" if rss < 64 else
                                 f"; gap {rss - 64:.1f} KiB ({rss / 64:.2f}×)"),
             rss < 64)]


def section(bench, fill):
    return tables.idle_table(bench, NAME) + [
        "", "The server's memory (summed over its processes) with all connections "
        "open, minus before, divided by their number; each server is restarted "
        "before each of these runs, since freed heap stays resident. RSS counts a shared page "
        "once per process that maps it, which for sshd (two processes per "
        "connection) mostly counts its shared libraries again and again; anon "
        "(RssAnon: heap, stacks, copied-on-write pages) is what each connection "
        "really costs, and the ratio uses it. sftp: default cipher only; nginx's "
        "connections are held by a Python ssl client (curl cannot keep one open)."]
