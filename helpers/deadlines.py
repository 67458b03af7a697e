"""Peers that make deadlines matter: slow, silent, dribbling, and not even accepting.

Notebook 08 puts a time limit on every step of a connection. To see a limit fire,
it needs a peer that makes the step wait. These are those peers, as handlers for
``helpers.serve`` (or ``asyncio.start_server``), plus one listening socket that
never completes a connection:

    srv = await serve("slow", slow_reply(0.5))      # answers each line after 0.5 s
    srv = await serve("lab", sleepy)                # waits as long as each line asks
    srv = await serve("mute", never_reads)          # never reads: drain() waits
    srv = await serve("quiet", no_reply)            # reads, never answers
    srv = await serve("drip", dribble([b"hel", b"lo\\n"], pause=0.2))
    async with stalled_listener() as address:       # connect() itself waits
        ...

Every handler ends quietly when the client leaves or the server stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from helpers.background import close_quietly
from helpers.background import close_within as close_within  # 08 teaches it from here

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]

MAX_SLEEP = 5.0  # seconds: the most ``sleepy`` waits, whatever a line asks


def slow_reply(delay: float) -> Handler:
    """A handler that answers each line with ``b"reply to " + line`` after ``delay`` s."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async for line in reader:
                await asyncio.sleep(delay)
                writer.write(b"reply to " + line)
                await writer.drain()
        except ConnectionError:
            pass  # the client left while we slept: not our error
        finally:
            await close_quietly(writer)

    handler.__name__ = handler.__qualname__ = f"slow_reply({delay})"
    return handler


def parse_seconds(line: bytes) -> float:
    """The number of seconds a line asks for, between 0 and ``MAX_SLEEP``; 0 if none."""
    try:
        seconds = float(line.strip() or b"0")
    except ValueError:
        return 0.0
    if seconds != seconds:  # NaN
        return 0.0
    return min(max(seconds, 0.0), MAX_SLEEP)


async def sleepy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """For each line holding a number of seconds, wait that long, then say so.

    ``b"0.25\\n"`` is answered with ``b"slept 0.25 s\\n"`` a quarter of a second later.
    """
    try:
        async for line in reader:
            seconds = parse_seconds(line)
            await asyncio.sleep(seconds)
            writer.write(f"slept {seconds:g} s\n".encode())
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        await close_quietly(writer)


async def never_reads(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accept, then never read a byte: a client's ``drain()`` ends up waiting forever.

    The handler waits until the server stops it (``stop`` cancels it and drops the
    connection), so the client's bytes pile up in the operating system's buffers, then
    in the client's own write buffer.
    """
    await asyncio.Event().wait()


async def no_reply(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Read every byte the client sends and never answer; close when the client does."""
    try:
        while await reader.read(65536):
            pass
    except ConnectionError:
        pass
    finally:
        await close_quietly(writer)


def dribble(chunks: Sequence[bytes], pause: float, *, close: bool = True) -> Handler:
    """A handler that sends ``chunks`` one by one, ``pause`` s apart, then closes.

    With ``close=False`` it keeps the connection open afterwards (until the client
    leaves), so a client reading "to the end" never gets there.
    """
    chunks = list(chunks)

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            for i, chunk in enumerate(chunks):
                if i:
                    await asyncio.sleep(pause)
                writer.write(chunk)
                await writer.drain()
            if not close:
                await reader.read()  # until the client closes its side
        except ConnectionError:
            pass
        finally:
            await close_quietly(writer)

    return handler


def trickle(chunk: bytes, pause: float) -> Handler:
    """A handler that sends ``chunk`` every ``pause`` s and never ends on its own.

    Each read gets something soon, so a time limit *per read* never fires; only a
    deadline for the whole exchange does.
    """

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while not writer.is_closing():
                writer.write(chunk)
                await writer.drain()
                await asyncio.sleep(pause)
        except ConnectionError:
            pass
        finally:
            await close_quietly(writer)

    return handler


@contextlib.asynccontextmanager
async def stalled_listener(host: str = "127.0.0.1", *, probe: float = 0.05,
                           tries: int = 8) -> AsyncIterator[tuple[str, int]]:
    """Yield the address of a listener whose queue is full: ``connect()`` there waits.

    The socket listens with a backlog of 0 and never accepts. Connections that
    complete fill the operating system's queue; after that, Linux drops each new SYN
    and the client's ``open_connection`` waits (its operating system sends the SYN
    again and again for about two minutes).
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    fillers: list[asyncio.StreamWriter] = []
    try:
        listener.bind((host, 0))
        listener.listen(0)
        address = listener.getsockname()[:2]
        for _ in range(tries):
            try:
                async with asyncio.timeout(probe):
                    _, writer = await asyncio.open_connection(*address)
            except TimeoutError:
                break  # this connect waited: the queue is full
            fillers.append(writer)
        else:
            raise RuntimeError(f"connect() never waited after {tries} connections")
        yield address
    finally:
        for writer in fillers:
            writer.transport.abort()
        listener.close()
