"""The seed's TCP echo server and client, as a script and as importable coroutines.

    python -m helpers.echo server [--host 127.0.0.1] [--port 8888]
    python -m helpers.echo client MESSAGE [--host 127.0.0.1] [--port 8888]

The server echoes whatever it reads until the client closes its side, so the
seed's one-shot client works against it, and so does ``nc``. It survives rude
clients: one that vanishes mid-message, one that never speaks (dropped after
``--idle-timeout`` seconds), one that sends bytes that are not UTF-8.
"""

from __future__ import annotations

import asyncio
import os
import sys

from helpers.background import close_quietly
from helpers.cli import UserError, echo_parser, port_number, run
from helpers.script_server import serve_until_stopped

PROG = "python -m helpers.echo"
DEFAULT_PORT = 8888  # the seed's port; in a notebook use 0 (JupyterLab may own 8888)
SEED_READ = 100  # the seed's read(100): what handle_echo reads unless told otherwise
# What notebook 10 (performance) teaches, used where it matters, in the script's server:
# asyncio's StreamReader pauses its transport whenever it holds more than 2 x limit, and
# one receive brings up to 256 KiB, so the default limit (64 KiB) pauses and resumes
# reading on every receive of a fast client. limit=1 MiB stops that, at a cost of up to
# 2 x 1 MiB + 256 KiB buffered per connection whose handler falls behind; reading 64 KiB
# at a time (not 100 bytes) makes one write and one send() per 64 KiB, not per 100 bytes.
LIMIT = 1 << 20
READ = 64 << 10
LOGGED = 100  # bytes of each chunk shown in the log line


def show(data: bytes) -> str:
    """Bytes as text for a log line, whatever they hold (garbage included)."""
    return repr(data.decode("utf-8", errors="backslashreplace"))


def show_chunk(data: bytes) -> str:
    """A chunk for a log line: all of it when short, else its start and its size."""
    if len(data) <= LOGGED:
        return show(data)
    return f"{show(data[:LOGGED])}... ({len(data):,} bytes)"


async def handle_echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                      idle_timeout: float | None = None, log=None,
                      read_size: int = SEED_READ) -> None:
    """Echo every chunk back until the client closes its side (or stays silent too long).

    ``read_size``: the most one ``read()`` returns; the seed's 100 bytes unless told.
    """
    addr = writer.get_extra_info("peername")
    try:
        while True:
            async with asyncio.timeout(idle_timeout):
                data = await reader.read(read_size)
            if not data:
                break
            if log:
                log(f"Received {show_chunk(data)} from {addr!r}")
            writer.write(data)
            await writer.drain()
    except TimeoutError:
        if log:
            log(f"{addr!r} was silent for {idle_timeout} s: dropped")
    except ConnectionError as exc:
        if log:
            log(f"{addr!r} went away: {type(exc).__name__}")
    finally:
        if log:
            log(f"Close the connection to {addr!r}")
        await close_quietly(writer)


async def echo_once(message: str, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
                    timeout: float = 5.0, *, path: str | os.PathLike | None = None) -> str:
    """Send ``message``, say "no more" (EOF), and return everything echoed back.

    With ``path``, over the Unix socket at that path instead of TCP.
    """
    async with asyncio.timeout(timeout):
        if path is None:
            reader, writer = await asyncio.open_connection(host, port)
        else:
            reader, writer = await asyncio.open_unix_connection(path)
        try:
            writer.write(message.encode())
            writer.write_eof()  # the server echoes until EOF, then closes
            data = await reader.read()  # read to EOF: not just the first 100 bytes
        finally:
            await close_quietly(writer)
    return data.decode("utf-8", errors="backslashreplace")


async def run_server(host: str, port: int, idle_timeout: float) -> None:
    def log(line: str) -> None:
        print(line, flush=True)

    # limit= and READ: see LIMIT above (notebook 10, "Fix it with one argument")
    await serve_until_stopped(
        PROG, lambda connected: asyncio.start_server(connected, host, port, limit=LIMIT),
        lambda r, w: handle_echo(r, w, idle_timeout, log, READ))


async def run_client(message: str, host: str, port: int, timeout: float) -> None:
    print(f"Send: {message!r}", flush=True)  # before any error line on stderr
    try:
        reply = await echo_once(message, host, port, timeout)
    except ConnectionRefusedError:
        raise UserError(f"cannot connect to {host}:{port}: connection refused"
                        " (is the echo server running?)") from None
    except TimeoutError:
        raise UserError(f"no answer from {host}:{port} within {timeout} s") from None
    print(f"Received: {reply!r}")
    print("Close the connection")


def main(argv: list[str] | None = None) -> None:
    def add_address(p) -> None:
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=port_number, default=DEFAULT_PORT)

    parser = echo_parser(PROG, __doc__.split("\n")[0], "run the echo server",
                         "send MESSAGE and print the echo", add_address)
    args = parser.parse_args(argv)
    if args.role == "server":
        run(PROG, run_server(args.host, args.port, args.idle_timeout))
    else:
        run(PROG, run_client(args.message, args.host, args.port, args.timeout))


if __name__ == "__main__":
    main(sys.argv[1:])
