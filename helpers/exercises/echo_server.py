"""The check for notebook 02's exercise: ``shout``, an upper-casing line echo server.

The learner writes ``async def shout(reader, writer)``: for each line the client
sends, reply with the same line upper-cased (``bytes.upper()``: ASCII letters only,
every other byte unchanged), until the client's EOF; then close the connection.

``await check(shout)`` runs it under a private name with ``helpers.serve`` and talks
to it like real clients do: line by line, a line in two pieces (no answer to half a
line: upper-casing whatever arrives gives the same bytes, but not line by line),
several at once, one that sends bytes that are not UTF-8 and one that vanishes
mid-line. It prints one line, "✓ ..." or "✗ not yet: ...", returns True or False,
and always stops its server. It never raises for the learner's mistakes.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import socket
import struct

from helpers.background import BackgroundServer, close_quietly
from helpers.exercises.contract import Exercise, NotYet, Trial

NAME = "_check_shout"  # private: a learner's own servers keep running
HINTS = [
    "`async for line in reader:` gives one line at a time and ends at the client's EOF;"
    " for each, writer.write(line.upper()) then await writer.drain(). bytes.upper() leaves"
    " every byte that is not an ASCII letter alone: no decode needed.",
    "After the loop, close: writer.close(), then await writer.wait_closed(), in a finally"
    " so it happens even when a client vanishes (catch ConnectionError: it is not yours).",
]


def _errors(srv: BackgroundServer) -> list[BaseException]:
    """The handler's own errors; a rude client's ConnectionError is not one."""
    return [e for e in srv.errors if not isinstance(e, ConnectionError)]


def _raised(srv: BackgroundServer) -> str:
    exc = _errors(srv)[0]
    return f"your handler raised {type(exc).__name__}: {exc}"


async def _reply(srv: BackgroundServer, reader: asyncio.StreamReader, sent: bytes,
                 timeout: float) -> None:
    """Read one line and compare it with ``sent.upper()``."""
    try:
        async with asyncio.timeout(timeout):
            got = await reader.readline()
    except TimeoutError:
        raise NotYet(f"no reply to {sent!r} within {timeout} s"
                     " (write each line back, then drain, before reading the next)") from None
    except ConnectionError as exc:
        got = b""
        if not _errors(srv):
            raise NotYet(f"the connection broke after {sent!r}: {type(exc).__name__}") from None
    if got == sent.upper():
        return
    if not got and _errors(srv):
        raise NotYet(f"{_raised(srv)} (after the client sent {sent!r})")
    if not got:
        raise NotYet(f"the server closed the connection instead of answering {sent!r}")
    raise NotYet(f"sent {sent!r}, expected {sent.upper()!r}, got {got!r}")


async def _conversation(srv: BackgroundServer, lines: list[bytes], timeout: float,
                        unclosed: list[str]) -> None:
    """One polite client: line by line, then EOF; the server must close too."""
    reader, writer = await asyncio.open_connection(*srv.address)
    try:
        for line in lines:
            writer.write(line)
            await writer.drain()
            await _reply(srv, reader, line, timeout)
        writer.write_eof()  # "no more lines"
        try:
            async with asyncio.timeout(timeout):
                rest = await reader.read()
        except TimeoutError:
            raise NotYet("after the client's EOF the connection stayed open"
                         " (close the writer when the lines run out)") from None
        if rest:
            raise NotYet(f"after the last line the server still sent {rest!r}")
        if unclosed:
            raise NotYet("your handler returned without closing the writer"
                         " (end with writer.close() and await writer.wait_closed())")
    finally:
        await close_quietly(writer)


async def _split_line(srv: BackgroundServer, timeout: float) -> None:
    """A line that arrives in two pieces: no reply before its end, then the whole line."""
    reader, writer = await asyncio.open_connection(*srv.address)
    try:
        writer.write(b"hel")
        await writer.drain()
        try:
            early = await asyncio.wait_for(reader.read(100), min(0.1, timeout))
        except TimeoutError:
            early = None  # right: half a line is not a line yet
        if early:
            raise NotYet(f"the server answered {early!r} to half a line, b'hel': reply to"
                         " whole lines (async for line in reader, or readline())")
        writer.write(b"lo\n")
        await writer.drain()
        await _reply(srv, reader, b"hello\n", timeout)
    finally:
        await close_quietly(writer)


async def _together(srv: BackgroundServer, n: int, timeout: float) -> None:
    """``n`` clients connected at the same time, each asking once."""
    pairs = []
    try:
        for _ in range(n):
            pairs.append(await asyncio.open_connection(*srv.address))

        async def one(i: int) -> bool:
            reader, writer = pairs[i]
            line = f"client {i} of {n}\n".encode()
            writer.write(line)
            try:
                async with asyncio.timeout(timeout):
                    return await reader.readline() == line.upper()
            except (TimeoutError, ConnectionError):
                return False

        answered = sum(await asyncio.gather(*(one(i) for i in reversed(range(n)))))
        if answered < n:
            if _errors(srv):
                raise NotYet(_raised(srv))
            raise NotYet(f"{n} clients connected at once, only {answered} got an answer"
                         f" within {timeout} s (serve each connection on its own:"
                         " no shared lock, no blocking call)")
    finally:
        for _, writer in pairs:
            await close_quietly(writer)


async def _rude(srv: BackgroundServer) -> None:
    """Send half a line, then vanish with a TCP reset (no goodbye)."""
    reader, writer = await asyncio.open_connection(*srv.address)
    writer.write(b"half a li")
    await writer.drain()
    sock = writer.get_extra_info("socket")
    with contextlib.suppress(OSError):  # linger 0: close() sends RST, not FIN
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def _watched(fn, unclosed: list[str]):
    """``fn`` as a handler that notes a coroutine leaving its writer open.

    ``helpers.serve`` closes the writer after a coroutine handler returns; a plain
    ``start_server`` would not, so the check insists. A plain function keeps its
    meaning: it owns the writer and schedules its own work.
    """

    def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        result = fn(reader, writer)
        if not inspect.isawaitable(result):
            return result

        async def watch() -> None:
            await result
            if not writer.is_closing():
                unclosed.append(repr(writer.get_extra_info("peername")))

        return watch()

    return handler


async def _run(trial: Trial, fn, timeout: float = 1.0) -> str:
    """Print "✓ ..." if ``fn`` is a correct ``shout`` handler, else "✗ not yet: ..."."""
    if not callable(fn):
        raise NotYet(f"pass your handler itself, e.g. check(shout), not {fn!r}")
    unclosed: list[str] = []
    srv = await trial.serve(NAME, _watched(fn, unclosed))
    await _conversation(srv, [b"hello\n", b"Streams Lab, line 2\n"], timeout, unclosed)
    try:
        await _conversation(srv, [b"caf\xe9 ok\n"], timeout, unclosed)
    except NotYet as exc:
        raise NotYet(f"a line that is not UTF-8, b'caf\\xe9 ok\\n': {exc}"
                     " (upper-case the bytes themselves: line.upper())") from None
    await _split_line(srv, timeout)
    await _together(srv, 5, timeout)
    await _rude(srv)
    await _conversation(srv, [b"still there?\n"], timeout, unclosed)
    if _errors(srv):
        raise NotYet(_raised(srv))
    return (f"shout answers whole lines, in bytes, {srv.served} connections"
            " (5 at once, one rude), and closes at EOF")


check = Exercise(_run, hints=HINTS, deadline=40)
hint = check.hint
