"""The attackers of workload 8, as threads of the runner: from one loopback address
each, password guessers (TLS, LOGIN with wrong passwords as fast as the server
answers) and holders of silent TCP connections (connected, never a TLS handshake).
Bounded in count (guesses, connections opened) and time (the caller's deadline and
stop()); stop() also shuts down every socket in flight, so no thread waits out a
timeout."""

import selectors
import socket
import threading
import time

from . import sfsproto

CONNECT_TIMEOUT = 10  # TCP connect, TLS handshake, greeting
SOCKET_TIMEOUT = 35   # a LOGIN's reply: above the server's largest login penalty (30 s)


class Attack:
    """Every attacker thread, their counters, and the sockets they have open."""

    def __init__(self, port, ctx, user, deadline):
        self.port, self.ctx, self.user, self.deadline = port, ctx, user, deadline
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.sockets = set()
        self.threads = []
        self.stats = {}  # address -> counters
        self.t0 = time.monotonic()

    # ---- bookkeeping

    def running(self):
        return not self.stop_event.is_set() and time.monotonic() < self.deadline

    def count(self, source, key, n=1):
        with self.lock:
            self.stats[source][key] = self.stats[source].get(key, 0) + n

    def track(self, s):
        with self.lock:
            self.sockets.add(s)

    def untrack(self, s):
        with self.lock:
            self.sockets.discard(s)
        try:
            s.close()
        except OSError:
            pass

    # ---- the attack

    def start(self, sources, guessers, max_guesses, holds, max_opens):
        """Per address: `guessers` guessing threads sharing `max_guesses` wrong
        passwords, and one thread holding `holds` silent connections (at most
        `max_opens` opened in all)."""
        for source in sources:
            self.stats[source] = {"sent": 0, "guesses": 0, "refused": 0, "held_peak": 0,
                                  "opened": 0, "closed_by_server": 0, "errors": 0}
            budget = [max_guesses]
            for _ in range(guessers):
                self.spawn(self.guess, source, budget)
            self.spawn(self.hold, source, holds, max_opens)

    def spawn(self, target, *args):
        th = threading.Thread(target=target, args=args, daemon=True)
        self.threads.append(th)
        th.start()

    def stop(self):
        """Stops every thread and closes every socket; bounded."""
        self.stop_event.set()
        with self.lock:
            live = list(self.sockets)
        for s in live:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        end = time.monotonic() + 10
        for th in self.threads:
            th.join(max(0.1, end - time.monotonic()))
        with self.lock:
            live = list(self.sockets)
        sfsproto.close_all(live)
        return not any(th.is_alive() for th in self.threads)

    # ---- one guessing thread

    def take_guess(self, source, budget):
        with self.lock:
            if budget[0] <= 0:
                return False
            budget[0] -= 1
            if budget[0] == 0:  # the attack from here on is the silent connections only
                self.stats[source]["guesses_spent_after"] = time.monotonic() - self.t0
            return True

    def guess(self, source, budget):
        """Connects from source and sends wrong passwords (the server allows 3 per
        connection), again and again."""
        n = 0
        while self.running():
            try:
                s = sfsproto.connect(self.ctx, self.port, source, CONNECT_TIMEOUT)
                s.settimeout(SOCKET_TIMEOUT)
            except OSError:
                self.count(source, "refused")
                time.sleep(0.05)  # refused at once: do not spin
                continue
            self.track(s)
            try:
                while self.running() and self.take_guess(source, budget):
                    n += 1
                    self.count(source, "sent")
                    sfsproto.command(s, sfsproto.login_line(
                        self.user, f"wrong-{source}-{threading.get_ident()}-{n}"))
                    self.count(source, "guesses")  # answered
            except OSError:
                pass  # closed after 3 failures, or by stop()
            finally:
                self.untrack(s)
            if budget[0] <= 0:
                return

    # ---- one holding thread

    def hold(self, source, holds, max_opens):
        """Keeps `holds` TCP connections open from source, sending nothing; reopens
        what the server closes, once a second."""
        held = []
        while self.running():
            while len(held) < holds and self.stats[source]["opened"] < max_opens \
                    and self.running():  # reopens: at most once a second, max_opens in all
                try:
                    s = socket.create_connection(("127.0.0.1", self.port), timeout=5,
                                                 source_address=(source, 0))
                except OSError:
                    self.count(source, "errors")
                    break
                self.track(s)
                held.append(s)
                self.count(source, "opened")
            held = self.drop_closed(source, held)
            with self.lock:
                st = self.stats[source]
                st["held_peak"] = max(st["held_peak"], len(held))
            self.stop_event.wait(1.0)
        for s in held:
            self.untrack(s)

    def drop_closed(self, source, held):
        """The connections of `held` the server has not closed (one epoll pass)."""
        sel = selectors.DefaultSelector()
        try:
            for s in held:
                sel.register(s, selectors.EVENT_READ)
            gone = {key.fileobj for key, _ in sel.select(timeout=0)}
        finally:
            sel.close()
        for s in gone:
            self.untrack(s)
        if gone:
            self.count(source, "closed_by_server", len(gone))
        return [s for s in held if s not in gone]
