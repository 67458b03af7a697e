"""Check for 06-socketpair's exercise: a test that drives a stream handler over a socketpair.

The learner writes ``async def test_echo_handler(handler)``: a *test*. It connects
``handler(reader, writer)`` to one end of ``socket.socketpair()`` (no port, no
network), talks to it from the other end, and fails (raises, e.g. AssertionError
or TimeoutError) unless the handler echoes what it was sent.

A test is only as good as the bugs it catches. ``check`` runs the learner's test
against correct handlers (it must pass them all) and broken ones (it must fail
each, and fail rather than hang). The learner's test sees every handler under one
name, so it cannot tell them apart by name, and it must close its end of the pair
itself, when it fails too.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import NamedTuple

from helpers.background import close_quietly
from helpers.cli import describe
from helpers.echo import handle_echo
from helpers.exercises.contract import Exercise, NotYet, Trial, name_of

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
HINTS = [
    "Make the pair with socket.socketpair(); wrap each end with"
    " asyncio.open_connection(sock=...); run handler(server_reader, server_writer) as a"
    " task; from the other end, send more than 100 bytes with lowercase letters, then"
    " write_eof().",
    "Read the whole echo (reader.read() up to EOF) inside `async with asyncio.timeout(...)`,"
    " then assert it equals what you sent; in a finally, cancel the task and close your"
    " writer.",
]


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


class Failure(NamedTuple):
    """How the learner's test failed, in words (the exception itself is let go at once,
    so that what its frames held is freed while the check still watches)."""

    kind: str  # the exception's type name, or "hung"
    text: str


async def _outcome(test_fn: Callable, handler: Handler, timeout: float) -> Failure | None:
    """Run the learner's test on ``handler``: None if it passed, else how it failed."""
    started: set[asyncio.Task[None]] = set()

    async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Run the handler in a task of its own, so whatever the learner leaves
        # running (a handler that never ends) can be stopped afterwards.
        task: asyncio.Task[None] = asyncio.ensure_future(handler(reader, writer))
        started.add(task)
        await task

    try:
        async with asyncio.timeout(timeout) as limit:
            await test_fn(tracked)
    except Exception as exc:  # the learner's test failed: that is its job, sometimes
        if limit.expired():
            return Failure("hung", "")
        return Failure(type(exc).__name__, _say(exc))
    finally:
        if started:  # give finished handlers a moment to close, then stop the rest
            _, pending = await asyncio.wait(started, timeout=0.5)
            for task in pending:
                task.cancel()
            await asyncio.gather(*started, return_exceptions=True)
    return None


async def _run(trial: Trial, test_fn, timeout: float = 3.0) -> str:
    """Print ✓ or "✗ not yet: why"; return whether ``test_fn`` passes good handlers only."""
    name = name_of(test_fn, "your test")
    if not inspect.iscoroutinefunction(test_fn):
        raise NotYet(f"{name} must be a coroutine function (async def)")

    async def outcome(case: Case) -> Failure | None:
        failure = await trial.watch(_outcome, test_fn, case.handler, timeout)
        if trial.leaks:
            raise NotYet(f"{name} left a connection open on a handler that {case.what}"
                         " (only Python's garbage collector closed it): close your end in a"
                         " finally: writer.close(), then await writer.wait_closed()")
        return failure

    for case in CORRECT:
        failure = await outcome(case)
        if failure is None:
            continue
        if failure.kind == "NotImplementedError":
            raise NotYet(f"{name} raised {failure.text}")
        if failure.kind == "hung":
            raise NotYet(f"{name} did not finish within {timeout:g} s on {case.what}")
        raise NotYet(f"{name} fails a correct handler, {case.what}: {failure.text}"
                     f" ({case.hint})")
    for case in BROKEN:
        failure = await outcome(case)
        if failure is None:
            raise NotYet(f"{name} passes a broken handler that {case.what} ({case.hint})")
        if failure.kind == "hung":
            raise NotYet(f"{name} hung for {timeout:g} s on a handler that {case.what}:"
                         f" a test must fail, not hang ({case.hint})")
    return (f"{name} passes both correct handlers and catches all {len(BROKEN)} broken ones"
            " (silent, shouting, one-shot, never answering)")


check = Exercise(_run, hints=HINTS, deadline=60)
hint = check.hint
