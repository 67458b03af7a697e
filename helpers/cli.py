"""What every ``python -m helpers.<module>`` script shares: one-line errors, clean exits.

A learner who mistypes a port should read one sentence, not a page of traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any, NoReturn


class UserError(Exception):
    """A problem the user can fix; its message is printed as is, without a traceback."""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (``prog: error: ...``) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (try --help)\n")


def echo_parser(prog: str, description: str, server_help: str, client_help: str,
                add_address: Callable[[argparse.ArgumentParser], None]) -> Parser:
    """The ``server`` / ``client MESSAGE`` command line shared by the echo scripts.

    ``add_address`` adds where to find the server (``--host``/``--port``, or ``PATH``).
    """
    parser = Parser(prog=prog, description=description)
    sub = parser.add_subparsers(dest="role", required=True, metavar="{server,client}")
    server = sub.add_parser("server", help=server_help)
    client = sub.add_parser("client", help=client_help)
    client.add_argument("message")
    for p in (server, client):
        p.error = parser.error  # type: ignore[method-assign]  # one-line errors for sub-commands too
        add_address(p)
    server.add_argument("--idle-timeout", type=positive_seconds, default=30.0,
                        help="drop a client that sends nothing for this long (s)")
    client.add_argument("--timeout", type=positive_seconds, default=5.0)
    return parser


def port_number(text: str) -> int:
    """An argparse ``type`` for a TCP port: 0 to 65535 (0 means "any free port")."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be a number, not {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 0 and 65535, not {port}")
    return port


def positive_seconds(text: str) -> float:
    """An argparse ``type`` for a timeout in seconds (> 0)."""
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, not {text!r}") from None
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"seconds must be more than 0, not {text}")
    return seconds


def describe(exc: BaseException) -> str:
    """A short, plain sentence for a network error."""
    if isinstance(exc, UserError):
        return str(exc)
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the server running, on that port?)"
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, asyncio.IncompleteReadError):
        return f"the peer closed the connection after {len(exc.partial)} bytes"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[0].lower() + exc.strerror[1:]
    return str(exc) or type(exc).__name__


def run(prog: str, main: Coroutine[Any, Any, int | None]) -> NoReturn:
    """Run ``main`` with ``asyncio.run`` and exit: 0, 1 with one line on error, 0 on Ctrl-C.

    A server stops itself on Ctrl-C (``helpers.script_server``). Here Ctrl-C arrives as a
    ``KeyboardInterrupt`` only in a client, before a server is up, or on Windows.
    """
    try:
        status = asyncio.run(main)
    except KeyboardInterrupt:
        print(f"{prog}: stopped", file=sys.stderr)
        status = 0
    except (UserError, OSError, EOFError, asyncio.IncompleteReadError) as exc:
        print(f"{prog}: error: {describe(exc)}", file=sys.stderr)
        status = 1
    sys.exit(status or 0)
