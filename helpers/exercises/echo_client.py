"""Check for notebook 01's exercise: ``echo_all(host, port, messages)``.

The learner writes ``async def echo_all(host, port, messages) -> list[str]``:
send every message over ONE connection, collect each echo, close. The check
runs it against a private echo server (the helpers' ``handle_echo``, which
echoes in chunks of at most 100 bytes) and prints one line: ✓ or ✗ not yet.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

from helpers.background import serve, stop
from helpers.echo import handle_echo
from helpers.exercises.attempt import attempt, not_yet, verdict

NAME = "_check_echo_client"  # a private server name: never clashes with the notebook's
MESSAGES = [
    "Hello World!",
    "naïve café ✓",  # more bytes than characters once encoded
    "x" * 250,  # longer than one read(100): the echo comes back in pieces
    "bye",
]


def _short(value: object, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


async def check(fn: Callable, timeout: float = 2.0) -> bool:
    """Print ✓ if ``fn`` echoes every message over one connection and closes it."""
    if not inspect.iscoroutinefunction(fn):
        return not_yet("echo_all must be an async function (async def echo_all(...))")
    srv = await serve(NAME, handle_echo)
    try:
        problem = await _problem(fn, srv, timeout)
        # Give the server time to see the client's FIN and finish its side.
        if not await srv.wait_idle(timeout=1.0) and problem is None:
            problem = ("the connection is still open: writer.close(), then"
                       " await writer.wait_closed()")
    finally:
        await stop(NAME)
    return verdict(problem, f"{len(MESSAGES)} messages echoed over one connection,"
                            " then closed cleanly")


async def _problem(fn: Callable, srv, timeout: float) -> str | None:
    """What is wrong with ``fn``'s answer, or None."""
    got, problem = await attempt(
        fn, srv.host, srv.port, list(MESSAGES), name="echo_all", timeout=timeout,
        stub="echo_all still raises NotImplementedError: write its body",
        on_timeout=(f"no result within {timeout} s. Does it wait for an EOF that never"
                    " comes? The server only closes after YOUR EOF."))
    if problem is not None:
        return problem
    if not isinstance(got, list):
        return f"expected a list of str, got {type(got).__name__}"
    if len(got) != len(MESSAGES):
        return f"sent {len(MESSAGES)} messages, got {len(got)} echoes back"
    for sent, echoed in zip(MESSAGES, got, strict=True):
        if echoed != sent:
            return f"sent {_short(sent)}, got back {_short(echoed)}"
    if srv.served != 1:
        return (f"the echoes are right, but you opened {srv.served} connections;"
                " use ONE for all messages")
    return None
