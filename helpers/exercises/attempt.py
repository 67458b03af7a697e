"""What the exercise checks share: run the learner's function, print the verdict.

``attempt`` awaits the learner's async function within a time limit. Whatever goes
wrong (not async, still the stub, too slow, an exception) comes back as the reason
that follows "✗ not yet:". It never raises the learner's error.

``not_yet`` prints that reason; ``verdict`` prints the reason or the "✓" line.
Both return whether the check passed, so a check can end with ``return verdict(...)``.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any


async def attempt(fn: Callable, *args: Any, name: str, timeout: float,
                  on_timeout: str | None = None, stub: str | None = None,
                  say: Callable[[BaseException], str] = str) -> tuple[Any, str | None]:
    """Await ``fn(*args)`` within ``timeout`` s: ``(result, None)``, or ``(None, why not)``.

    ``name`` is how the reasons call it (``"probe(a directory)"``). ``on_timeout``
    and ``stub`` replace the reasons for running too long and for raising
    NotImplementedError; ``say`` puts an exception into words.
    """
    try:
        result = fn(*args)
        if not inspect.isawaitable(result):
            own_name = getattr(fn, "__name__", "your function")
            return None, f"{own_name} must be a coroutine function (async def)"
        async with asyncio.timeout(timeout):
            return await result, None
    except TimeoutError:
        return None, on_timeout or f"{name} did not finish within {timeout} s"
    except Exception as exc:  # the learner's bug: report it, never raise
        if stub is not None and isinstance(exc, NotImplementedError):
            return None, stub
        return None, f"{name} raised {type(exc).__name__}: {say(exc)}"


def not_yet(reason: str) -> bool:
    """Print "✗ not yet: reason"; return False."""
    print(f"✗ not yet: {reason}")
    return False


def verdict(reason: str | None, success: str) -> bool:
    """Print "✗ not yet: reason", or "✓ success" when there is no reason; return which."""
    if reason is not None:
        return not_yet(reason)
    print(f"✓ {success}")
    return True
