"""Check for notebook 01's exercise: ``echo_all(host, port, messages)``.

The learner writes ``async def echo_all(host, port, messages) -> list[str]``:
send every message over ONE connection, collect each echo, close. The check
runs it against a private echo server (the helpers' ``handle_echo``, which
echoes in chunks of at most 100 bytes) and prints one line: ✓ or ✗ not yet.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable

from helpers.background import serve, stop
from helpers.echo import handle_echo

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


async def _left_open(srv, timeout: float) -> bool:
    """True if the server still holds a connection after ``timeout`` seconds."""
    try:
        async with asyncio.timeout(timeout):
            while srv.connections:
                await asyncio.sleep(0.01)
    except TimeoutError:
        return True
    return False


async def check(fn: Callable, timeout: float = 2.0) -> bool:
    """Print ✓ if ``fn`` echoes every message over one connection and closes it."""
    if not inspect.iscoroutinefunction(fn):
        print("✗ not yet: echo_all must be an async function (async def echo_all(...))")
        return False
    srv = await serve(NAME, handle_echo)
    try:
        return await _verdict(fn, srv, timeout)
    finally:
        await stop(NAME)


async def _verdict(fn: Callable, srv, timeout: float) -> bool:
    try:
        async with asyncio.timeout(timeout):
            got = await fn(srv.host, srv.port, list(MESSAGES))
    except NotImplementedError:
        print("✗ not yet: echo_all still raises NotImplementedError: write its body")
        return False
    except TimeoutError:
        print(f"✗ not yet: no result within {timeout} s. Does it wait for an EOF"
              " that never comes? The server only closes after YOUR EOF.")
        return False
    except Exception as exc:  # the learner's bug: report it, never raise
        print(f"✗ not yet: echo_all raised {type(exc).__name__}: {exc}")
        return False
    if not isinstance(got, list):
        print(f"✗ not yet: expected a list of str, got {type(got).__name__}")
        return False
    if len(got) != len(MESSAGES):
        print(f"✗ not yet: sent {len(MESSAGES)} messages, got {len(got)} echoes back")
        return False
    for sent, echoed in zip(MESSAGES, got, strict=True):
        if echoed != sent:
            print(f"✗ not yet: sent {_short(sent)}, got back {_short(echoed)}")
            return False
    if srv.served != 1:
        print(f"✗ not yet: the echoes are right, but you opened {srv.served} connections;"
              " use ONE for all messages")
        return False
    if await _left_open(srv, timeout=1.0):
        print("✗ not yet: the connection is still open: writer.close(), then"
              " await writer.wait_closed()")
        return False
    print(f"✓ {len(MESSAGES)} messages echoed over one connection, then closed cleanly")
    return True
