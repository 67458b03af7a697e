"""Check for notebook 08's exercise: ``fetch(host, port, request, timeout)``.

The learner writes ``async def fetch(host, port, request, timeout) -> bytes``: connect,
send ``request``, ``write_eof()``, read the reply to EOF, close; ONE deadline of
``timeout`` seconds for all of it (``TimeoutError`` past it); never a connection left
open; cancellation let through. The check tries it four ways, each against a private
server (or listener) of its own:

1. a quick server that answers in pieces after the client's EOF: the whole reply, closed;
2. a listener that never completes a connection: ``TimeoutError`` in time
   (a deadline around the reads only never fires here);
3. a server that trickles a byte at a time, forever: ``TimeoutError`` in time
   (a limit per read never fires here), and the connection closed;
4. a task running ``fetch`` with a long timeout, cancelled halfway: it must end
   cancelled (not return, not raise something else), with the connection closed.
"""

from __future__ import annotations

import asyncio
import inspect

from helpers.background import close_quietly
from helpers.deadlines import stalled_listener, trickle
from helpers.exercises.contract import Exercise, NotYet, Trial, name_of, short

NAME = "_check_timeouts"  # private server names start with this
REQUEST = b"a request with one deadline\n" * 8  # 224 bytes
REPLY = REQUEST.upper()
TIMEOUT = 0.1  # seconds: the deadline the check gives fetch
CANCEL_AFTER = 0.05  # seconds: when the check cancels the long request
QUICK_TIMEOUT = 1.0  # seconds: fetch's deadline against the quick server (a generous one)
HINTS = [
    "Start with async with asyncio.timeout(timeout): and put EVERYTHING inside it,"
    " open_connection included: one deadline for the whole request, not one per step.",
    "Inside it: reader, writer = await asyncio.open_connection(host, port), then try:"
    " write the request, writer.write_eof(), return await reader.read(); finally: close the"
    " writer (helpers.deadlines.close_within(writer, 1.0) closes it within a bound).",
    "Catch nothing: TimeoutError and CancelledError must both reach the caller. An except"
    " that returns a value (or raises something else) hides the deadline or the cancellation.",
]
STUB = "fetch still raises NotImplementedError: write its body"
NO_EOF = ("the quick server answers only after your EOF: call writer.write_eof() after"
          " writing the request")
LEFT_OPEN_ON_TIMEOUT = ("fetch raised TimeoutError, but left the connection open: close the"
                        " writer in a finally: block, so a timeout cannot skip it")
LEFT_OPEN_ON_CANCEL = ("fetch was cancelled, but left the connection open: close the writer"
                       " in a finally: block, so a cancellation cannot skip it")


async def _quick(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Read the whole request (to EOF), answer it in capitals, in two pieces, then close."""
    try:
        data = await reader.read()
        half = len(data) // 2
        writer.write(data[:half].upper())
        await writer.drain()
        await asyncio.sleep(0.02)  # a single read(n) gets only the first piece
        writer.write(data[half:].upper())
        await writer.drain()
    except ConnectionError:
        pass
    finally:
        await close_quietly(writer)


_TIMED_OUT = object()  # fetch raised TimeoutError where it should not have


async def _fetch_quick(fn, host: str, port: int, timeout: float) -> object:
    """fn against the quick server; its own TimeoutError becomes ``_TIMED_OUT``.

    (The trial's time limit also raises TimeoutError: this keeps the two apart.)
    """
    try:
        return await fn(host, port, REQUEST, timeout)
    except TimeoutError:
        return _TIMED_OUT
    finally:
        await asyncio.sleep(0)  # let a dropped writer be collected while the trial watches


async def _expect_timeout(fn, host: str, port: int, timeout: float,
                          what: str) -> tuple[str, float, object]:
    """Run fn under a TimeoutError watch: ("timeout" | "returned", seconds, result)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    try:
        got = await fn(host, port, REQUEST, timeout)
    except TimeoutError:
        return "timeout", loop.time() - start, None
    finally:
        await asyncio.sleep(0)  # let a dropped writer be collected while the trial watches
    return "returned", loop.time() - start, got


def _judge_timeout(outcome: tuple[str, float, object], timeout: float, against: str) -> None:
    kind, took, got = outcome
    if kind == "returned":
        # Caught as TimeoutError outside the deadline, or as CancelledError inside it:
        # from here the two look the same, so the reason names both.
        raise NotYet(f"against {against}, fetch returned {short(got)} instead of raising"
                     " TimeoutError: catch neither TimeoutError nor CancelledError, let them"
                     " reach the caller")
    if took < 0.8 * timeout:
        raise NotYet(f"fetch raised TimeoutError after {took:.2f} s, before its deadline"
                     f" of {timeout:g} s")


async def _cancelled_halfway(fn, host: str, port: int) -> str:
    """Start fn with a long timeout, cancel it after CANCEL_AFTER s; how did it end?"""
    task = asyncio.ensure_future(fn(host, port, REQUEST, 10.0))
    await asyncio.sleep(CANCEL_AFTER)
    if task.done():
        return f"ended before it was cancelled ({_ending(task)})"
    task.cancel()
    for _ in range(10):  # a task that swallows the cancellation is asked again
        done, _pending = await asyncio.wait([task], timeout=0.1)
        if done:
            await asyncio.sleep(0)  # let a dropped writer be collected while the trial watches
            return _ending(task)
        task.cancel()
    return "still running 1 s after it was cancelled"


def _ending(task: asyncio.Future) -> str:
    if task.cancelled():
        return "cancelled"
    exc = task.exception()
    if exc is not None:
        return f"raised {type(exc).__name__}"
    return f"returned {short(task.result())}"


async def _run(trial: Trial, fn, timeout: float = TIMEOUT) -> str:
    """Print ✓ if ``fn`` fetches with one overall deadline and never leaks a connection."""
    if not inspect.iscoroutinefunction(fn):
        raise NotYet(f"{name_of(fn)} must be a coroutine function (async def)")
    limit = 2 * timeout + 0.25  # how long the check lets each try run

    # 1. A quick server: the whole reply. (It closes first, so it cannot tell whether
    #    fetch closed too: cases 3 and 4, and the trial's leak watch, can.)
    quick = await trial.serve(f"{NAME}_quick", _quick)
    got = await trial.call(_fetch_quick, fn, quick.host, quick.port, QUICK_TIMEOUT,
                           name="fetch", timeout=QUICK_TIMEOUT + 1, stub=STUB)
    if got is _TIMED_OUT:
        raise NotYet(f"fetch raised TimeoutError: {NO_EOF}")
    if not isinstance(got, bytes | bytearray):
        raise NotYet(f"fetch should return the reply as bytes, got {type(got).__name__}")
    if got != REPLY:
        raise NotYet(f"expected the whole reply ({len(REPLY)} bytes), got {len(got)} bytes:"
                     " read until the server closes (await reader.read())")

    # 2. A listener that never completes a connection: the deadline must cover connecting.
    async with stalled_listener() as (host, port):
        outcome = await trial.call(
            _expect_timeout, fn, host, port, timeout, "connect", name="fetch",
            timeout=limit,
            on_timeout=(f"connecting to a server that never accepts, fetch was still waiting"
                        f" after {limit:g} s: its deadline must cover open_connection too"))
    _judge_timeout(outcome, timeout, "a server that never accepts")

    # 3. A server that trickles forever: one deadline for the whole read, then closed.
    drip = await trial.serve(f"{NAME}_trickle", trickle(b".", timeout / 6))
    outcome = await trial.call(
        _expect_timeout, fn, drip.host, drip.port, timeout, "read", name="fetch",
        timeout=limit, leak=LEFT_OPEN_ON_TIMEOUT,
        on_timeout=(f"against a server that sends a byte every {timeout / 6:.2g} s forever,"
                    f" fetch was still reading after {limit:g} s: a limit per read never"
                    " fires; put one deadline around the whole exchange"))
    _judge_timeout(outcome, timeout, "a server that never stops sending")
    if not await drip.wait_idle(1.0):
        raise NotYet(LEFT_OPEN_ON_TIMEOUT)

    # 4. Cancelled halfway: it must end cancelled, with its connection closed.
    slow = await trial.serve(f"{NAME}_cancel", trickle(b".", 0.05))
    ending = await trial.call(_cancelled_halfway, fn, slow.host, slow.port, name="fetch",
                              timeout=limit + 1.5, leak=LEFT_OPEN_ON_CANCEL)
    if ending != "cancelled":
        raise NotYet(f"the check cancelled the task running fetch, and fetch {ending}:"
                     " let CancelledError through (clean up in finally:, or re-raise it)")
    if not await slow.wait_idle(1.0):
        raise NotYet(LEFT_OPEN_ON_CANCEL)

    return (f"fetch got the whole reply, gave up at its {timeout:g} s deadline while"
            " connecting and while reading, let a cancellation through, and closed every"
            " connection")


check = Exercise(_run, hints=HINTS, deadline=30)
hint = check.hint
