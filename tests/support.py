"""What many tests need, in one place: the repository's root, running a coroutine under a
deadline, and waiting for a condition without a fixed sleep.

Real-time tests (marked ``@pytest.mark.slow``) measure time passing; they share one
tolerance, ``TOLERANCE``, as trio's test_timeouts.py does, instead of each its own margin.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent

# How late a timer may fire before a real-time test calls it wrong: generous, because a
# CI machine with two cores runs two test workers and the kernels they start.
TOLERANCE = 1.0

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
    """Run ``coro`` in a fresh event loop; fail with TimeoutError after ``timeout`` s."""
    async def bounded() -> T:
        async with asyncio.timeout(timeout):
            return await coro
    return asyncio.run(bounded())


def eventually(predicate: Callable[[], object], timeout: float = 10.0,
               what: str = "the condition") -> None:
    """Wait (blocking) until ``predicate()`` is true; AssertionError after ``timeout`` s.

    For what offers nothing to wait on (another process's state, a file appearing): it
    looks again at short intervals, and gives up at the bound.
    """
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.01)


async def eventually_async(predicate: Callable[[], object], timeout: float = 10.0,
                           what: str = "the condition") -> None:
    """The same, inside a running loop: the loop keeps running while it waits."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)
    if not predicate():  # pragma: no cover - the timeout raises first
        raise AssertionError(f"{what} did not happen within {timeout} s")
