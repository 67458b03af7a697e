"""Check for 05-unix-sockets' exercise: ``probe(path)`` says what is at a socket path.

The learner writes ``async def probe(path) -> str`` returning one of

    "missing"        nothing at that path
    "not a socket"   a regular file, a directory...
    "stale"          a socket file nobody listens on (a server left it behind)
    "listening"      a socket file with a live server behind it

It is the look a careful server takes before it binds: ``start_unix_server``
silently removes *any* socket file at its path, a live server's included.
``check`` builds each case in a private directory (mode 0700) and calls ``probe``
on each (as ``str`` and as ``pathlib.Path``). The names do not give the answers
away: a regular file is called ``notes.sock`` and the live socket ``control``, so
only the file's type tells. It also watches that ``probe`` hangs up on the live
server (itself, not through the garbage collector) and leaves the stale file
where it was.
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from helpers.cli import describe
from helpers.exercises.contract import CannotCheck, Exercise, NotYet, Trial, name_of
from helpers.unix_echo import unix_sockets_available

NAME = "_check_unix_probe"  # a private server name: never clashes with the notebook's
HINTS = [
    "Look before you connect: os.stat(path) raises FileNotFoundError when nothing is"
    " there, and stat.S_ISSOCK(os.stat(path).st_mode) is True only for a socket file,"
    " whatever its name.",
    "Only a socket file is worth a connection: asyncio.open_unix_connection(path) raises"
    " ConnectionRefusedError when nobody listens (stale); when it works, hang up at once:"
    " writer.close(), then await writer.wait_closed().",
]


async def _hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read()  # until the client hangs up


def _stale_socket(path: Path) -> None:
    """Leave a socket file with nobody behind it, as a server that crashed would."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(str(path))


async def _run(trial: Trial, probe, timeout: float = 2.0) -> str:
    """Print ✓ or "✗ not yet: why"; return whether ``probe`` tells every case apart."""
    name = name_of(probe)
    if not unix_sockets_available():
        raise CannotCheck("Unix sockets are not available here (Windows?)")
    lab = trial.temp_dir()
    (lab / "notes.txt").write_text("a regular file\n")
    (lab / "notes.sock").write_text("a regular file with a socket's name\n")
    (lab / "a-directory").mkdir()
    _stale_socket(lab / "stale.sock")
    _stale_socket(lab / "old-server")
    srv = await trial.serve_unix(NAME, _hold, lab / "control")
    cases = [
        ("a path with nothing there", lab / "nothing.sock", "missing"),
        ("a regular file", str(lab / "notes.txt"), "not a socket"),
        ("a regular file named notes.sock", str(lab / "notes.sock"), "not a socket"),
        ("a directory", lab / "a-directory", "not a socket"),
        ("a socket file nobody listens on", str(lab / "stale.sock"), "stale"),
        ("a stale socket file named old-server", lab / "old-server", "stale"),
        ("a live server's socket named control", srv.path, "listening"),
        ("the same live socket, as a pathlib.Path", Path(srv.path), "listening"),
    ]
    for what, path, expected in cases:
        call = f"{name}({what})"
        answer = await trial.call(
            probe, path, name=call, timeout=timeout, say=describe,
            on_timeout=f"{call} did not answer within {timeout:g} s",
            leak=(f"{name} never hung up on the live server (only Python's garbage"
                  " collector did, later): writer.close(), then await writer.wait_closed()"))
        if answer != expected:
            why = ""
            if "named" in what:
                why = ": the name says nothing, look at the file's type (stat.S_ISSOCK)"
            raise NotYet(f"{call} returned {answer!r}, expected {expected!r}{why}")
        if not await srv.wait_idle(1.0):
            raise NotYet(f"{name} left its connection to the live server open: "
                         "close the writer (and await wait_closed())")
    if not (lab / "stale.sock").exists() or not (lab / "old-server").exists():
        raise NotYet(f"{name} removed the stale socket file: a probe only looks")
    return (f"{name} tells them apart by type, not name: missing, not a socket (files,"
            " a directory), stale, listening (str or Path)")


check = Exercise(_run, hints=HINTS, deadline=60)
hint = check.hint
