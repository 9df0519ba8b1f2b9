"""Polling with a bound: the one way the tests wait for something to happen."""

import time


def wait_until(predicate, timeout=10.0, interval=0.02):
    """Polls predicate() until it is truthy or timeout passes; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)
