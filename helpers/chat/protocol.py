"""The chat's rules, as data and small pure functions: no sockets here.

The protocol is UTF-8 text, one message per line ending in ``\\n``, so ``nc`` is a client:

- the client's first line is its nickname: 1 to 32 characters, no spaces, not starting
  with `/` or `*`;
- every later line goes to every *other* client as ``<nick>: <text>``;
- ``/who`` lists who is here, ``/quit`` leaves;
- the server's own lines (joins, leaves, refusals, goodbyes) start with ``* ``.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_NICK = 32  # characters
DEFAULT_PORT = 8888  # in a notebook use 0 (JupyterLab may own 8888)
GRACE = 1.0  # seconds a leaving client gets to take its last lines


@dataclass(frozen=True)
class Settings:
    """The limits that keep one client from hurting the others."""

    max_clients: int = 1024  # connections at once; one more is told "full"
    idle_timeout: float | None = 300.0  # seconds of silence before a client is dropped
    max_line: int = 1024  # bytes in one line, "\n" not counted
    queue: int = 100  # messages waiting for one client before it counts as too slow


def notice(text: str) -> bytes:
    """A line from the server itself: it starts with ``* ``."""
    return f"* {text}\n".encode()


def said(nick: str, text: str) -> bytes:
    """What the others get when ``nick`` says ``text``."""
    return f"{nick}: {text}\n".encode()


def nickname_problem(nick: str, taken: bool) -> str | None:
    """Why ``nick`` cannot be used, or None if it can."""
    if not nick:
        return "a nickname cannot be empty: send another"
    if len(nick) > MAX_NICK:
        return f"a nickname has at most {MAX_NICK} characters: send another"
    if any(ch.isspace() or not ch.isprintable() for ch in nick):
        return "a nickname cannot hold spaces: send another"
    if nick.startswith(("/", "*")):  # a command, or a line that looks like the server's
        return "a nickname cannot start with / or *: send another"
    if taken:
        return f"{nick} is taken: send another"
    return None


def text_of(line: bytes) -> str:
    """A received line without its ending (``\\n`` or ``\\r\\n``, as ``nc`` may send).

    Raises ``UnicodeDecodeError`` for bytes that are not UTF-8.
    """
    return line.decode("utf-8").removesuffix("\n").removesuffix("\r")


# What the server says, in one place.
GREETING = notice("welcome! send your nickname")
FULL = "the server is full, try again later"
BYE = "bye"
SHUTDOWN = "the server is shutting down"
TOO_SLOW = "you are not reading fast enough: disconnected"
NOT_UTF8 = "that was not UTF-8 text: disconnected"


def too_long(max_line: int) -> str:
    return f"that line was longer than {max_line} bytes: disconnected"


def too_quiet(seconds: float) -> str:
    return f"silent for {seconds:g} s: disconnected"


def unknown(command: str) -> str:
    return f"unknown command {command} (try /who or /quit)"
