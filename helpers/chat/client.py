"""A terminal chat client: what you type goes out, what arrives is printed, both at once.

Two tasks share one connection: ``typing`` copies stdin's lines to the server, and the
main task prints the server's lines until it closes the connection. Ctrl-D (end of
stdin) or ``/quit`` says goodbye; the server answers ``* bye`` and closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import selectors
import sys
import threading

from helpers.background import close_quietly
from helpers.cli import UserError


def can_watch(stream) -> bool:
    """True if an event loop's selector can watch ``stream`` (a pipe, a terminal).

    Not a regular file (``< notes.txt``) nor ``/dev/null``: Linux's epoll refuses both.
    """
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(stream.fileno(), selectors.EVENT_READ)
    except (OSError, ValueError, AttributeError):
        return False
    return True


async def stdin_reader() -> asyncio.StreamReader:
    """stdin as a ``StreamReader``, read without blocking the event loop.

    A pipe or a terminal: the event loop watches it (``connect_read_pipe``, on a copy of
    the file descriptor, so closing the transport leaves ``sys.stdin`` open). Anything
    else (a regular file, ``/dev/null``, Windows): a thread reads it and hands each line
    to the loop.
    """
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    if can_watch(sys.stdin):
        pipe = os.fdopen(os.dup(sys.stdin.fileno()), "rb", buffering=0)
        try:
            await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), pipe)
            return reader
        except (ValueError, OSError, NotImplementedError):  # this loop cannot, after all
            pipe.close()

    def read_in_thread() -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed while we were reading
            for line in sys.stdin.buffer:
                loop.call_soon_threadsafe(reader.feed_data, line)
            loop.call_soon_threadsafe(reader.feed_eof)

    threading.Thread(target=read_in_thread, daemon=True).start()
    return reader


async def typing(keys: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Send each typed line; at end of input, say /quit."""
    async for line in keys:
        writer.write(line if line.endswith(b"\n") else line + b"\n")
        await writer.drain()
        if line.strip() == b"/quit":
            return
    writer.write(b"/quit\n")  # Ctrl-D: leave politely
    await writer.drain()


async def run_client(nick: str, host: str, port: int, timeout: float = 5.0) -> None:
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port)
    except ConnectionRefusedError:
        raise UserError(f"cannot connect to {host}:{port}: connection refused"
                        " (is the chat server running?)") from None
    except TimeoutError:
        raise UserError(f"no answer from {host}:{port} within {timeout:g} s") from None
    try:
        blocking = os.get_blocking(sys.stdin.fileno())
    except (OSError, ValueError, AttributeError):  # no stdin at all
        blocking = None
    sending = None
    try:
        writer.write(f"{nick}\n".encode())
        sending = asyncio.create_task(typing(await stdin_reader(), writer))
        async for line in reader:  # until the server closes the connection
            print(line.decode("utf-8", errors="replace").rstrip("\r\n"), flush=True)
    except ConnectionError:
        print("* the connection was lost", flush=True)
    finally:
        if sending is not None:
            sending.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await sending
        await close_quietly(writer)
        if blocking is not None:  # the pipe transport made stdin non-blocking (the shell's too)
            with contextlib.suppress(OSError, ValueError):
                os.set_blocking(sys.stdin.fileno(), blocking)
