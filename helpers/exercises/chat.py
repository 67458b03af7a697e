"""Check for notebook 13's exercise: ``send_all(outbox, writer)``, one client's sender.

The learner writes ``async def send_all(outbox: asyncio.Queue, writer)``: take each line
from the outbox (``await outbox.get()``), write it, ``await writer.drain()``; at ``None``,
close the writer and return. The check tries it three ways, each on a socketpair whose
far end the check reads:

1. lines already waiting, then None: every line arrives, in order, then the end, and
   the writer is closed (``write_eof()`` alone leaves the connection open);
2. lines that arrive one by one, with pauses: it waits for each (it must not stop when
   the outbox is empty for a moment);
3. a reader that stops reading for a while, with 1 MiB waiting: the transport's buffer
   must stay small (``drain()`` after each write), and everything still arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any

from helpers.background import close_quietly
from helpers.exercises.contract import Exercise, NotYet, Trial, name_of

KiB = 1024
BIG = 10 * KiB  # bytes per line in case 3
LINES = 100  # lines in case 3: 1 MiB
TOO_MUCH = 256 * KiB  # bytes in the write buffer that say "no drain()"
HINTS = [
    "Loop: line = await outbox.get(); stop when it is None; else writer.write(line)"
    " and await writer.drain().",
    "drain() after each write is what lets a slow reader hold you up instead of filling"
    " memory; the outbox is where the lines wait meanwhile.",
    "At None (and also if something goes wrong), close: put writer.close() and"
    " await writer.wait_closed() in a finally: block.",
]
STUB = "send_all still raises NotImplementedError: write its body"
STOPPED_EARLY = ("send_all returned before None, while the outbox was empty for a moment:"
                 " wait for the next line with await outbox.get() until you get None")
NOT_CLOSED = "send_all returned at None but left the connection open: close the writer"
NO_DRAIN = ("with a reader that stopped reading, send_all put {kib} KiB in the write buffer"
            " without waiting: await writer.drain() after each write")


async def _pair(trial: Trial, small: bool = False):
    """(the learner's writer, the check's reader, both sockets), closed whatever happens."""
    a, b = socket.socketpair()
    if small:  # small kernel buffers: a reader that stops reading is felt at once
        a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * KiB)
        b.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * KiB)
    _, writer = await asyncio.open_connection(sock=a)
    reader, far = await asyncio.open_connection(sock=b, limit=4 * KiB)
    trial.enter(contextlib.closing(a))
    trial.enter(contextlib.closing(b))

    async def tidy() -> None:
        await close_quietly(writer, 0.2)
        await close_quietly(far, 0.2)

    await trial.enter_async(_Later(tidy))
    return writer, reader


class _Later:
    """An async context manager that runs ``fn()`` on exit."""

    def __init__(self, fn) -> None:
        self.fn = fn

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc) -> None:
        await self.fn()


async def _everything(reader: asyncio.StreamReader, timeout: float = 2.0) -> bytes | None:
    """All the far end gets until the end; None if the end does not come in time."""
    try:
        async with asyncio.timeout(timeout):
            return await reader.read()
    except TimeoutError:
        return None


async def _feed_slowly(fn, outbox: asyncio.Queue, writer, lines: list[bytes]) -> bool:
    """Run fn as a task, put the lines one by one with pauses; True if fn waited for all."""
    task = asyncio.ensure_future(fn(outbox, writer))
    try:
        for line in lines:
            await asyncio.sleep(0.02)
            if task.done():
                return False
            outbox.put_nowait(line)
        outbox.put_nowait(None)
        await task
        return True
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(BaseException):
                await task


async def _stall(fn, outbox: asyncio.Queue, writer) -> tuple[int, asyncio.Future[Any]]:
    """Run fn while nobody reads: the write buffer's size after 0.2 s, and fn's task."""
    task = asyncio.ensure_future(fn(outbox, writer))
    await asyncio.sleep(0.2)
    size = writer.transport.get_write_buffer_size()
    if task.done():
        task.result()  # its error, if any, is the answer
    return size, task


async def _run(trial: Trial, fn) -> str:
    """Print ✓ if ``fn`` sends every line in order, waits, drains and closes at None."""
    name = name_of(fn, "send_all")
    lines = [f"line {n}\n".encode() for n in range(5)]

    # 1. Everything waiting already, then None.
    writer, reader = await _pair(trial)
    outbox: asyncio.Queue = asyncio.Queue()
    for line in [*lines, None]:
        outbox.put_nowait(line)
    await trial.call(fn, outbox, writer, name=name, timeout=1.0, stub=STUB,
                     on_timeout=(f"{name} was still running 1 s after it took None from the"
                                 " outbox: None means stop (close and return)"))
    if not writer.is_closing():  # write_eof() alone, or nothing: the connection stays open
        raise NotYet(NOT_CLOSED)
    got = await _everything(reader, 1.0)
    if got is None:
        raise NotYet(NOT_CLOSED)
    if got != b"".join(lines):
        raise NotYet(f"the far end got {got!r}, expected the 5 lines in order")

    # 2. Lines that come one by one.
    writer, reader = await _pair(trial)
    waited = await trial.call(_feed_slowly, fn, asyncio.Queue(), writer, lines, name=name,
                              timeout=3.0)
    if not waited:
        raise NotYet(STOPPED_EARLY)
    got = await _everything(reader, 1.0)
    if got != b"".join(lines):
        raise NotYet(NOT_CLOSED if got is None else
                     f"lines that came one by one: the far end got {got!r}")

    # 3. A reader that stops reading: drain() must hold send_all back.
    writer, reader = await _pair(trial, small=True)
    outbox = asyncio.Queue()
    big = [bytes([65 + n % 26]) * (BIG - 1) + b"\n" for n in range(LINES)]
    for line in [*big, None]:
        outbox.put_nowait(line)
    size, task = await trial.call(_stall, fn, outbox, writer, name=name, timeout=2.0)
    try:
        if size > TOO_MUCH:
            raise NotYet(NO_DRAIN.format(kib=size // KiB))
        got = await _everything(reader, 3.0)  # now the far end reads again
        if got is None:
            raise NotYet(NOT_CLOSED)
        if got != b"".join(big):
            raise NotYet(f"with a slow reader, {len(got)} of {LINES * BIG} bytes arrived")
        await asyncio.wait([task], timeout=1.0)
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
    return (f"{name} sends every line in order, waits for the next one, lets drain() hold it"
            " back while the reader is slow, and closes at None")


check = Exercise(_run, hints=HINTS, deadline=30)
hint = check.hint
