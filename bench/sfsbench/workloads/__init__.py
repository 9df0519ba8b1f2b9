"""The workloads, one module each, in the order they run and appear in the report.

Each module has NAME (its --workloads name), TITLE (the report's heading, formatted
with the sizes), UNIT ((unit, higher is better)), run(bench) and section(bench, fill)
(its part of the report's results); optionally targets(bench) (rows of the targets
table), USERS (accounts it needs on the main sfs-server) and SMOKE = False (not in a
smoke run unless --workloads names it)."""

from . import (attack, cluster_clients, concurrent, dav_get, dav_litmus, dav_propfind, dav_put,
               db_cost, download, held, idle, latency, logs_down, logs_up, reuse, small, stalled,
               s3, sync, tree, upload, verify_load)

ALL = [upload, download, small, concurrent, latency, reuse, idle, held, logs_up, logs_down,
       attack, stalled, verify_load, dav_put, dav_get, dav_propfind, dav_litmus, sync, tree,
       cluster_clients, db_cost, s3]
NAMES = [w.NAME for w in ALL]
SMOKE_NAMES = [w.NAME for w in ALL if getattr(w, "SMOKE", True)]


def extra_users(names):
    """The accounts the chosen workloads need on the main sfs-server beyond its own."""
    return tuple(u for w in ALL if w.NAME in names for u in getattr(w, "USERS", ()))
