"""One line per error: what asyncio hands the loop's exception handler, made readable.

``one_line(context)`` puts what asyncio hands to the loop's exception handler into one
line; ``ErrorLog`` is such a handler, collecting those lines in a list. ``as_printed(exc)``
is an exception as Python prints its last line (``ssl.SSLError: [SSL: ...] ...``), without
the ``(_ssl.c:NNNN)`` that changes from one Python build to the next.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import Callable
from typing import Any


def one_line(context: dict[str, Any]) -> str:
    """The loop's exception-handler ``context`` as one line: message, exception, reason."""
    exc = context.get("exception")
    line = context.get("message", "")
    if exc is None:
        return line
    line += f": {type(exc).__name__}"
    if isinstance(exc, ssl.SSLError) and exc.reason:
        return f"{line} ({exc.reason})"  # the same on every Python (the text is not)
    return f"{line} ({exc})" if str(exc) else line


def as_printed(exc: BaseException) -> str:
    """``exc`` as the last line of its traceback, minus the C source line of ``_ssl.c``."""
    kind = type(exc)
    name = kind.__qualname__ if kind.__module__ == "builtins" else \
        f"{kind.__module__}.{kind.__qualname__}"
    text = re.sub(r" \(_ssl\.c:\d+\)", "", str(exc))
    return f"{name}: {text}" if text else name


class ErrorLog:
    """A loop exception handler that keeps one line per report, instead of a traceback.

        with ErrorLog() as errors:       # on the running loop; the old handler comes back
            ...
        errors.lines                     # ['Error on transport creation ...: SSLError ...']
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._before: Callable[[asyncio.AbstractEventLoop, dict[str, Any]], object] | None = None

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        self.lines.append(one_line(context))

    def __enter__(self) -> ErrorLog:
        self._loop = asyncio.get_running_loop()
        self._before = self._loop.get_exception_handler()
        self._loop.set_exception_handler(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._loop is not None:
            self._loop.set_exception_handler(self._before)
