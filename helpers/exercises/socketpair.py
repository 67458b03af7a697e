"""Check for 06-socketpair's exercise: a test that drives a stream handler over a socketpair.

The learner writes ``async def test_echo_handler(handler)``: a *test*. It connects
``handler(reader, writer)`` to one end of ``socket.socketpair()`` (no port, no
network), talks to it from the other end, and fails (raises, e.g. AssertionError
or TimeoutError) unless the handler echoes what it was sent.

A test is only as good as the bugs it catches. ``check`` runs the learner's test
against correct handlers (it must pass them all) and broken ones (it must fail
each, and fail rather than hang).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import NamedTuple

from helpers.background import close_quietly
from helpers.cli import describe
from helpers.echo import handle_echo
from helpers.exercises.attempt import not_yet

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def echo_byte_by_byte(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A correct echo, in one-byte writes: the echo arrives in many small pieces."""
    try:
        while byte := await reader.read(1):
            writer.write(byte)
            await writer.drain()
    finally:
        await close_quietly(writer)


async def hangs_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Broken: closes the connection without a word."""
    await close_quietly(writer)


async def shouts(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Broken: echoes everything, upper-cased."""
    try:
        writer.write((await reader.read()).upper())
        await writer.drain()
    finally:
        await close_quietly(writer)


async def one_shot(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Broken: the seed's echo server: one read(100), one write, close."""
    try:
        writer.write(await reader.read(100))
        await writer.drain()
    finally:
        await close_quietly(writer)


async def never_answers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Broken: reads everything, then neither answers nor closes."""
    try:
        await reader.read()
        await asyncio.Event().wait()  # forever
    finally:
        await close_quietly(writer)


class Case(NamedTuple):
    handler: Handler
    what: str  # what the handler does, for the learner
    hint: str  # how a test catches it


CORRECT = [
    Case(handle_echo, "helpers.echo.handle_echo, the suite's echo handler",
         "read the whole echo: up to EOF, not one read(100)"),
    Case(echo_byte_by_byte, "a correct echo that writes one byte at a time",
         "read the whole echo: up to EOF (reader.read()), or readexactly(len(sent))"),
]
BROKEN = [
    Case(hangs_up, "hangs up without a word",
         "compare what comes back with what you sent"),
    Case(shouts, "upper-cases the echo",
         "send some lowercase letters and compare the bytes exactly"),
    Case(one_shot, "echoes only its first read(100), like the seed's one-shot server",
         "send more than 100 bytes and read to EOF"),
    Case(never_answers, "never answers and never closes",
         "put the reads inside `async with asyncio.timeout(...)`"),
]


def _say(exc: BaseException) -> str:
    """``AssertionError: why``, or just ``AssertionError`` when there is no why."""
    text = describe(exc)
    kind = type(exc).__name__
    return kind if text == kind else f"{kind}: {text}"


class _Hung(Exception):
    """The learner's test ran past the check's time limit."""


async def _outcome(test_fn: Callable, handler: Handler, timeout: float) -> BaseException | None:
    """Run the learner's test on ``handler``: None if it passed, else what it raised."""
    started: set[asyncio.Task[None]] = set()

    async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Run the handler in a task of its own, so whatever the learner leaves
        # running (a handler that never ends) can be stopped afterwards.
        task = asyncio.create_task(handler(reader, writer))
        started.add(task)
        await task

    try:
        async with asyncio.timeout(timeout) as limit:
            await test_fn(tracked)
    except Exception as exc:  # the learner's test failed: that is its job, sometimes
        return _Hung() if limit.expired() else exc
    finally:
        if started:  # give finished handlers a moment to close, then stop the rest
            _, pending = await asyncio.wait(started, timeout=0.5)
            for task in pending:
                task.cancel()
            await asyncio.gather(*started, return_exceptions=True)
    return None


async def check(test_fn: Callable, timeout: float = 3.0) -> bool:
    """Print ✓ or "✗ not yet: why"; return whether ``test_fn`` passes good handlers only."""
    name = getattr(test_fn, "__name__", "your test")
    if not inspect.iscoroutinefunction(test_fn):
        return not_yet(f"{name} must be a coroutine function (async def)")
    for case in CORRECT:
        failure = await _outcome(test_fn, case.handler, timeout)
        if isinstance(failure, NotImplementedError):
            return not_yet(f"{name} raised NotImplementedError: {failure}")
        if isinstance(failure, _Hung):
            return not_yet(f"{name} did not finish within {timeout} s on {case.what}")
        if failure is not None:
            return not_yet(f"{name} fails a correct handler, {case.what}: "
                           f"{_say(failure)} ({case.hint})")
    for case in BROKEN:
        failure = await _outcome(test_fn, case.handler, timeout)
        if isinstance(failure, _Hung):
            return not_yet(f"{name} hung for {timeout} s on a handler that {case.what}: "
                           f"a test must fail, not hang ({case.hint})")
        if failure is None:
            return not_yet(f"{name} passes a broken handler that {case.what} ({case.hint})")
    print(f"✓ {name} passes both correct handlers and catches all {len(BROKEN)} broken ones "
          "(silent, shouting, one-shot, never answering)")
    return True
