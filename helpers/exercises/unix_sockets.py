"""Check for 05-unix-sockets' exercise: ``probe(path)`` says what is at a socket path.

The learner writes ``async def probe(path) -> str`` returning one of

    "missing"        nothing at that path
    "not a socket"   a regular file, a directory...
    "stale"          a socket file nobody listens on (a server left it behind)
    "listening"      a socket file with a live server behind it

It is the look a careful server takes before it binds: ``start_unix_server``
silently removes *any* socket file at its path, a live server's included.
``check`` builds each case in a private directory (mode 0700), calls ``probe``
on each (as ``str`` and as ``pathlib.Path``), and also watches that ``probe``
hangs up on the live server and leaves the stale file where it was.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path

from helpers.background import BackgroundServer, serve_unix, stop
from helpers.cli import describe
from helpers.exercises.attempt import attempt, not_yet
from helpers.unix_echo import unix_sockets_available

NAME = "_check_unix_probe"  # a private server name: never clashes with the notebook's


async def _hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read()  # until the client hangs up


def _stale_socket(path: Path) -> None:
    """Leave a socket file with nobody behind it, as a server that crashed would."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(str(path))


async def _cases(lab: Path) -> tuple[BackgroundServer, list[tuple[str, str | Path, str]]]:
    """The live server, and (description, path, expected answer) for each case in ``lab``."""
    (lab / "notes.txt").write_text("a regular file\n")
    (lab / "a-directory").mkdir()
    _stale_socket(lab / "stale.sock")
    srv = await serve_unix(NAME, _hold, lab / "live.sock")
    return srv, [
        ("a path with nothing there", lab / "nothing.sock", "missing"),
        ("a regular file", str(lab / "notes.txt"), "not a socket"),
        ("a directory", lab / "a-directory", "not a socket"),
        ("a socket file nobody listens on", str(lab / "stale.sock"), "stale"),
        ("a live server's socket", srv.path, "listening"),
        ("the same live socket, as a pathlib.Path", Path(srv.path), "listening"),
    ]


async def check(probe: Callable, timeout: float = 2.0) -> bool:
    """Print ✓ or "✗ not yet: why"; return whether ``probe`` tells every case apart."""
    name = getattr(probe, "__name__", "your function")
    if not unix_sockets_available():
        print("✗ skipped: Unix sockets are not available here (Windows?)")
        return False
    lab = Path(tempfile.mkdtemp(prefix="streams-lab-"))  # mode 0700: only you
    try:
        srv, cases = await _cases(lab)
        for what, path, expected in cases:
            call = f"{name}({what})"
            answer, problem = await attempt(
                probe, path, name=call, timeout=timeout, say=describe,
                on_timeout=f"{call} did not answer within {timeout} s")
            if problem is not None:
                return not_yet(problem)
            if answer != expected:
                return not_yet(f"{call} returned {answer!r}, expected {expected!r}")
            if not await srv.wait_idle(1.0):
                return not_yet(f"{name} left its connection to the live server open: "
                               "close the writer (and await wait_closed())")
        if not (lab / "stale.sock").exists():
            return not_yet(f"{name} removed the stale socket file: a probe only looks")
    finally:
        await stop(NAME)
        shutil.rmtree(lab, ignore_errors=True)
    print(f"✓ {name} tells them apart: missing, not a socket (a file, a directory), "
          "stale, listening (str or Path)")
    return True
