"""Running ``python -m helpers.<module>`` scripts as a learner would, in a subprocess."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
from contextlib import contextmanager

from tests.support import ROOT

ENV = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONDEVMODE": ""}


def run_script(module: str, *args: str, timeout: float = 10) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=ENV,
                          capture_output=True, text=True, timeout=timeout)


def assert_one_line_error(result: subprocess.CompletedProcess, *words: str) -> None:
    """Exit status != 0 and exactly one readable line on stderr, no traceback."""
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]


@contextmanager
def running_server(module: str, *args: str, ready: str = r"Serving on (.*) \(Ctrl-C"):
    """Start a script's server; yield (process, the address text it printed); stop it."""
    proc = subprocess.Popen([sys.executable, "-m", module, "server", *args], cwd=ROOT, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        match = re.search(ready, first)
        assert match, f"server said {first!r}, stderr {proc.stderr.read() if proc.poll() else ''}"
        yield proc, match.group(1)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=5)


def interrupt(proc: subprocess.Popen, timeout: float = 5) -> tuple[str, str]:
    """Press Ctrl-C (SIGINT) and return what the process printed after it."""
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=timeout)
    return out, err


class Served:
    """A script's server started in a subprocess; its output is read as it comes.

    A busy server logs a lot: a pipe nobody reads fills up and freezes the server in
    ``print``. Two threads read stdout and stderr for us until the process ends.
    """

    def __init__(self, module: str, *args: str, python: str = sys.executable,
                 ready: str = r"Serving on (.*) \(Ctrl-C"):
        self.proc = subprocess.Popen([python, "-m", module, "server", *args], cwd=ROOT, env=ENV,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = self.proc.stdout.readline()
        self._out, self._err = [first], []
        self._readers = [threading.Thread(target=self._read, args=(f, to), daemon=True)
                         for f, to in ((self.proc.stdout, self._out),
                                       (self.proc.stderr, self._err))]
        for reader in self._readers:
            reader.start()
        match = re.search(ready, first)
        if not match:
            self.kill()
            raise AssertionError(f"server said {first!r}, stderr {self.err!r}")
        self.address = match.group(1)

    @staticmethod
    def _read(stream, into: list[str]) -> None:
        for line in stream:
            into.append(line)

    def stop(self, sig: int = signal.SIGINT, timeout: float = 10) -> int:
        """Send ``sig`` and wait for the exit status."""
        self.proc.send_signal(sig)
        return self.wait(timeout)

    def wait(self, timeout: float = 10) -> int:
        self.proc.wait(timeout)
        for reader in self._readers:
            reader.join(timeout)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.wait()

    @property
    def out(self) -> str:
        return "".join(self._out)

    @property
    def err(self) -> str:
        return "".join(self._err)


def free_port() -> int:
    """A port nothing listens on: bound, then released."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
