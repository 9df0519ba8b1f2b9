"""A program on a pseudo-terminal that is its controlling tty."""

import errno
import fcntl
import os
import select
import subprocess
import termios
import time

from .config import CLIENT_TIMEOUT, STOP_TIMEOUT


class PtyProcess:
    """Runs a program with a new pty as stdin/stdout/stderr and controlling terminal."""

    def __init__(self, args, cwd, env):
        master, slave = os.openpty()
        self.master = master
        self.output = b""      # not yet consumed by expect()
        self.transcript = b""  # everything the program wrote
        try:
            self.process = subprocess.Popen(
                args, cwd=cwd, env=env, stdin=slave, stdout=slave, stderr=slave,
                start_new_session=True, preexec_fn=_take_controlling_tty)
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)

    def expect(self, text, timeout=10.0):
        """Reads until `text` (bytes) appears after everything consumed so far."""
        deadline = time.monotonic() + timeout
        while text not in self.output:
            left = deadline - time.monotonic()
            if left <= 0 or not self._read(left):
                raise AssertionError("did not see %r on the terminal; got %r" % (text, self.output))
        index = self.output.index(text) + len(text)
        seen, self.output = self.output[:index], self.output[index:]
        return seen

    def _read(self, timeout):
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 4096)
        except OSError as e:  # EIO: the child closed the terminal
            if e.errno == errno.EIO:
                return False
            raise
        self.output += chunk
        self.transcript += chunk
        return bool(chunk)

    def send(self, data):
        os.write(self.master, data)

    def finish(self, timeout=CLIENT_TIMEOUT):
        """Collects the remaining output and waits for exit; returns (status, output)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._read(max(0.0, deadline - time.monotonic())):
            pass
        try:
            status = self.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.process.kill()
            status = self.process.wait(timeout=STOP_TIMEOUT)
        return status, self.output

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)
        try:
            os.close(self.master)
        except OSError:
            pass


def _take_controlling_tty():
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
