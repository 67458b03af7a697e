"""What every widget here shares: a click starts a coroutine, and the widget keeps it.

A button's callback is a plain function: it cannot ``await``. It starts the work as a task
on the running loop (the kernel's) instead. The loop keeps only a weak reference to a task
made by ``asyncio.create_task``, so a task nobody else holds may be garbage-collected
before it finishes: ``Clicks`` holds each one until it is done.

    class Lab:
        def __init__(self):
            self.clicks = Clicks()
            self.button.on_click(lambda _: self.clicks.start(self.ask()))

The CSS classes (``mark``) name a widget's parts the same way in every notebook:
``streams-lab-play`` (the whole widget), ``-input`` (what you set), ``-go`` (the button)
and ``-result`` (what it says). Style them in a custom CSS file if you like; the suite's
browser test finds the button and the result by them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable
from typing import Any, TypeVar

T = TypeVar("T")


class Clicks(set[asyncio.Task[Any]]):
    """The tasks that clicks started and that have not finished yet."""

    def start(self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        task = asyncio.create_task(coro)
        self.add(task)
        task.add_done_callback(self.discard)
        return task


def mark(play: Any, *, inputs: Iterable[Any] = (), go: Any = None, result: Any = None) -> None:
    """Give a widget's parts the suite's CSS classes (see the module's docstring)."""
    play.add_class("streams-lab-play")
    for box in inputs:
        box.add_class("streams-lab-input")
    if go is not None:
        go.add_class("streams-lab-go")
    if result is not None:
        result.add_class("streams-lab-result")
