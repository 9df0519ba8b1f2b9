"""Free loopback ports for the test services the scripts start
(scripts/ceph-one-node, scripts/pg-one-node)."""

import random
import socket


def ephemeral_ports():
    """The kernel's range of local ports for outgoing connections."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii") as f:
            low, high = (int(x) for x in f.read().split())
            return range(low, high + 1)
    except (OSError, ValueError):
        return range(32768, 61000)  # Linux's default


def free_port(host="127.0.0.1"):
    """A free port on `host` outside the ephemeral range, or None. One from
    it (what a bind to port 0 gives) is free only until an outgoing
    connection takes it as its local port: a service started a few seconds
    later, after dozens of connections by its own tools and thousands by the
    tests running alongside, then fails with EADDRINUSE (radosgw's exit 98
    in CI)."""
    ephemeral = ephemeral_ports()
    candidates = [p for p in range(10000, 65536) if p not in ephemeral]
    for port in random.sample(candidates, min(200, len(candidates))):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return port
    return None
