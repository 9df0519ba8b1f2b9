"""Processes: everything started is tracked in LIVE and stopped by its pid."""

import os
import signal
import subprocess
import threading
import time

LIVE = {}  # pid -> Popen


def spawn(args, *, stdin=None, stdout=None, stderr=None, env=None, new_session=False, cwd=None):
    p = subprocess.Popen([str(a) for a in args], stdin=stdin, stdout=stdout, stderr=stderr,
                         env=env, start_new_session=new_session, cwd=cwd)
    LIVE[p.pid] = p
    return p


def reaped(p, status, ru):
    p.returncode = os.waitstatus_to_exitcode(status)
    LIVE.pop(p.pid, None)
    return ru.ru_utime + ru.ru_stime


def wait4_one(p):
    """Reaps one process. Returns (returncode, cpu seconds); (rc, 0.0) when it was
    reaped elsewhere already."""
    if p.returncode is not None:  # already reaped by Popen.poll()
        LIVE.pop(p.pid, None)
        return p.returncode, 0.0
    while True:
        try:
            _, status, ru = os.wait4(p.pid, 0)
            break
        except InterruptedError:
            continue
        except ChildProcessError:
            p.returncode = p.returncode if p.returncode is not None else -1
            LIVE.pop(p.pid, None)
            return p.returncode, 0.0
    return os.waitstatus_to_exitcode(status), reaped(p, status, ru)


def wait_all(procs, timeout):
    """Waits for every process (bounded). Returns [(returncode, cpu_seconds)] and the
    monotonic time when the last one was reaped. Stragglers are killed (rc -9)."""
    killer = threading.Timer(timeout, lambda: [kill_pid(p.pid) for p in procs])
    killer.daemon = True
    killer.start()
    try:
        out = [wait4_one(p) for p in procs]
    finally:
        killer.cancel()
    return out, time.monotonic()


def run_timed(args, *, stdin_path=None, out_path=None, err_path=None, env=None, timeout=600):
    """Runs one client. Returns (returncode, wall seconds, client cpu seconds)."""
    fin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    fout = open(out_path, "wb") if out_path else subprocess.DEVNULL
    ferr = open(err_path, "wb") if err_path else subprocess.DEVNULL
    try:
        t0 = time.monotonic()
        p = spawn(args, stdin=fin, stdout=fout, stderr=ferr, env=env)
        [(rc, cpu)], t1 = wait_all([p], timeout)
    finally:
        for f in (fin, fout, ferr):
            if hasattr(f, "close"):
                f.close()
    return rc, t1 - t0, cpu


def check_output(args, **kw):
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True,
                          timeout=120, **kw).stdout


def kill_pid(pid, sig=signal.SIGKILL):
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def children_of(pid):
    kids = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    kids += [int(x) for x in f.read().split()]
            except OSError:
                pass
    except OSError:
        pass
    return kids


def tree(pid):
    out, todo = [], [pid]
    while todo and len(out) < 100000:
        p = todo.pop()
        out.append(p)
        todo += children_of(p)
    return out


def stop_all(keep=()):
    """At the end of a run: kills every tracked process except the pids in keep (the
    servers, which stop themselves), by pid, and reaps it (bounded)."""
    for p in list(LIVE.values()):
        if p.pid not in keep and p.poll() is None:
            kill_pid(p.pid)
    for p in list(LIVE.values()):
        if p.pid in keep:
            continue
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            pass
