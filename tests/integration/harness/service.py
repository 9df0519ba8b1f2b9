"""What the test services the harness starts (Ceph, PostgreSQL, HAProxy) have
in common: used as a context manager, start() on entry and close() on exit
(close() stops exactly what start() started and removes its directory)."""


class Service:
    def start(self):
        raise NotImplementedError

    def close(self):
        raise NotImplementedError

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()
        return False
