"""The seed's echo server and client on a Unix socket, as a script.

    python -m helpers.unix_echo server PATH
    python -m helpers.unix_echo client MESSAGE PATH

The same echo as ``helpers.echo`` (the same handler), but client and server meet
at a file path instead of a TCP port. The server will not replace anything at
PATH except a stale socket file (one nobody listens on any more), and it
removes its socket file when it stops (Ctrl-C, SIGTERM or SIGHUP).
Unix only: Linux, macOS and the BSDs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import stat
import sys

from helpers.background import close_quietly
from helpers.cli import UserError, describe, echo_parser, run
from helpers.echo import echo_once, handle_echo
from helpers.script_server import serve_until_stopped

PROG = "python -m helpers.unix_echo"

# What ``probe`` says about a path.
MISSING, NOT_A_SOCKET, STALE, LISTENING = "missing", "not a socket", "stale", "listening"


def unix_sockets_available() -> bool:
    """True where this Python can make Unix sockets (not on Windows)."""
    return hasattr(socket, "AF_UNIX") and hasattr(asyncio, "start_unix_server")


def is_socket_file(path: str | os.PathLike) -> bool:
    """True if ``path`` exists and is a socket file (``ls -l`` shows type ``s``)."""
    try:
        return stat.S_ISSOCK(os.stat(path).st_mode)
    except OSError:
        return False


def too_long(path: str | os.PathLike, exc: OSError) -> UserError | None:
    """A readable error for "AF_UNIX path too long" (an OSError without an errno)."""
    if exc.errno is None and "too long" in str(exc):
        size = len(os.fsencode(path))
        return UserError(f"{path} is {size} bytes, too long for a Unix socket path "
                         "(at most 107 bytes on Linux, 103 on macOS): use a shorter path")
    return None


async def probe(path: str | os.PathLike, timeout: float = 2.0) -> str:
    """What is at ``path``: "missing", "not a socket", "stale" or "listening".

    "stale" is a socket file with no server behind it: a server that stopped
    without removing it. Only looks: it connects (and hangs up) to tell a live
    server from a stale file, and removes nothing.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return MISSING
    if not stat.S_ISSOCK(mode):
        return NOT_A_SOCKET
    try:
        async with asyncio.timeout(timeout):
            _, writer = await asyncio.open_unix_connection(path)
    except ConnectionRefusedError:
        return STALE
    await close_quietly(writer)
    return LISTENING


async def unix_echo_once(message: str, path: str | os.PathLike, timeout: float = 5.0) -> str:
    """Send ``message`` over the Unix socket at ``path``, say EOF, return the echo."""
    return await echo_once(message, timeout=timeout, path=path)


def remove_socket_file(path: str | os.PathLike, inode: int) -> None:
    """Remove our socket file, unless it is gone or another server replaced it.

    Python 3.13 does this itself when the server closes (``cleanup_socket=True``);
    3.11 and 3.12 leave the file behind.
    """
    with contextlib.suppress(FileNotFoundError):
        if os.stat(path).st_ino == inode:
            os.unlink(path)


async def start(path: str, connected) -> asyncio.Server:
    """Start a Unix-socket server at ``path`` with callback ``connected``, or say why not."""
    try:
        state = await probe(path)
        if state == NOT_A_SOCKET:
            raise UserError(f"{path} exists and is not a socket: not replacing it")
        if state == LISTENING:
            raise UserError(f"a server is already listening on {path}")
        # A stale socket file: start_unix_server removes it before it binds.
        return await asyncio.start_unix_server(connected, path)
    except FileNotFoundError:
        raise UserError(f"cannot listen on {path}: its directory does not exist") from None
    except PermissionError:
        raise UserError(f"cannot listen on {path}: permission denied "
                        "(you may not create a file in that directory)") from None
    except OSError as exc:
        raise too_long(path, exc) or UserError(
            f"cannot listen on {path}: {describe(exc)}") from None


async def run_server(path: str, idle_timeout: float) -> None:
    # Ctrl-C and kill mean "stop": the server closes, its file goes, exit status 0.
    def log(line: str) -> None:
        print(line, flush=True)

    inode = None

    async def start_here(connected) -> asyncio.Server:
        nonlocal inode
        server = await start(path, connected)
        inode = os.stat(path).st_ino  # to remove our file, not a newer server's
        return server

    try:
        await serve_until_stopped(PROG, start_here,
                                  lambda r, w: handle_echo(r, w, idle_timeout, log))
    finally:
        if inode is not None:
            remove_socket_file(path, inode)


async def run_client(message: str, path: str, timeout: float) -> None:
    print(f"Send: {message!r}", flush=True)  # before any error line on stderr
    try:
        reply = await unix_echo_once(message, path, timeout)
    except FileNotFoundError:
        raise UserError(f"cannot connect to {path}: no such file "
                        "(is the echo server running?)") from None
    except ConnectionRefusedError:
        if is_socket_file(path):
            raise UserError(f"cannot connect to {path}: nobody is listening (a stale "
                            "socket file, left by a server that stopped?)") from None
        raise UserError(f"cannot connect to {path}: it is not a socket") from None
    except PermissionError:
        raise UserError(f"cannot connect to {path}: permission denied (the socket file, "
                        "or a directory above it, is not open to you)") from None
    except TimeoutError:
        raise UserError(f"no answer from {path} within {timeout} s") from None
    except OSError as exc:
        raise too_long(path, exc) or UserError(
            f"cannot connect to {path}: {describe(exc)}") from None
    print(f"Received: {reply!r}")
    print("Close the connection")


def socket_path(text: str) -> str:
    """An argparse ``type`` for a Unix socket path: not empty, no NUL byte."""
    if not text:
        raise argparse.ArgumentTypeError("the socket path is empty")
    if "\0" in text:
        raise argparse.ArgumentTypeError("a socket path cannot contain a NUL byte")
    return text


def main(argv: list[str] | None = None) -> None:
    def add_address(p) -> None:
        p.add_argument("path", metavar="PATH", type=socket_path,
                       help="the socket file, e.g. /tmp/echo.sock")

    parser = echo_parser(PROG, __doc__.split("\n")[0],
                         "run the echo server on a Unix socket at PATH",
                         "send MESSAGE to the server at PATH, print the echo", add_address)
    args = parser.parse_args(argv)
    if not unix_sockets_available():
        parser.exit(1, f"{PROG}: error: Unix sockets are not available on this platform\n")
    if args.role == "server":
        run(PROG, run_server(args.path, args.idle_timeout))
    else:
        run(PROG, run_client(args.message, args.path, args.timeout))


if __name__ == "__main__":
    main(sys.argv[1:])
