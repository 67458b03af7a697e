"""What every exercise-check test shares: load a reference solution, run a check, judge its line.

    from tests.exercise_support import judge, solution

    echo_all = solution("01-echo-client", "echo_all")
    ok, line = judge(check, echo_all)                  # asyncio.run, stdout captured
    assert ok and line.startswith("✓ 4 messages")

``judge`` (and ``judged``, its async form for a test that must do more in the same
event loop) asserts the contract of ``helpers.exercises.contract``: exactly one
printed line, "✓ " when the check returns True, "✗ not yet: " or "✗ could not
check: " when it returns False, and nothing left running afterwards: no server in
``helpers.background``'s registry, no task, no local HTTP server thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import runpy
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from helpers import background

SOLUTIONS = Path(__file__).resolve().parent.parent / "notebooks" / "solutions"
PREFIXES = ("✗ not yet: ", "✗ could not check: ")


def solution(stem: str, name: str) -> Callable:
    """The reference solution's ``name`` from ``notebooks/solutions/<stem>.py``."""
    return runpy.run_path(str(SOLUTIONS / f"{stem}.py"))[name]


def _http_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("http-")}


async def judged(check: Callable, *args: Any, **kwargs: Any) -> tuple[bool, str]:
    """Await ``check(*args, **kwargs)``; its verdict and its one line, contract asserted."""
    threads_before = _http_threads()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        ok = await check(*args, **kwargs)
    printed = out.getvalue()
    assert ok is True or ok is False, f"check returned {ok!r}, not True or False"
    assert printed.count("\n") == 1 and printed.endswith("\n"), \
        f"a check prints exactly one line, got {printed!r}"
    line = printed[:-1]
    if ok:
        assert line.startswith("✓ "), line
    else:
        assert line.startswith(PREFIXES), line
    assert background.running() == [], f"servers left running: {background.running()}"
    await asyncio.sleep(0)  # tasks that were cancelled get to finish
    current = asyncio.current_task()
    left = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    assert not left, f"tasks left running: {left}"
    new_threads = [t for t in _http_threads() - threads_before if t.is_alive()]
    assert not new_threads, f"HTTP server threads left running: {new_threads}"
    return ok, line


def judge(check: Callable, *args: Any, **kwargs: Any) -> tuple[bool, str]:
    """``judged`` in a fresh event loop (``asyncio.run``)."""
    return asyncio.run(judged(check, *args, **kwargs))


def not_yet(check: Callable, *args: Any, **kwargs: Any) -> str:
    """The reason of a "✗ not yet" verdict (the text after the prefix)."""
    ok, line = judge(check, *args, **kwargs)
    assert not ok and line.startswith("✗ not yet: "), line
    return line.removeprefix("✗ not yet: ")


def passes(check: Callable, *args: Any, **kwargs: Any) -> str:
    """The "✓" line of a check that must pass."""
    ok, line = judge(check, *args, **kwargs)
    assert ok, line
    return line
