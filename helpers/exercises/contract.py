"""The contract every exercise check keeps: how it runs the learner's code and reports.

A check module is mostly its cases and its messages. It writes one async function
that gets a ``Trial`` and the learner's function(s), raises ``NotYet(reason)`` at the
first wrong answer and returns the text of the "✓" line; ``Exercise`` does the rest,
the same way for every notebook (Kaggle's learntools ``Problem`` is the model)::

    async def _run(trial: Trial, fn, timeout: float = 2.0) -> str:
        srv = await trial.serve("_check_x", handle_echo)     # stopped whatever happens
        got = await trial.call(fn, srv.host, srv.port, name="echo_all", timeout=timeout)
        if got != expected:
            raise NotYet(f"expected {expected!r}, got {got!r}")
        return "echo_all echoes"

    check = Exercise(_run, hints=["Read exactly len(data) bytes.", "..."], deadline=30)
    hint = check.hint

``await check(fn)`` then

* runs within a deadline;
* prints exactly one line: "✓ ...", "✗ not yet: <reason>", or "✗ could not check:
  <why>" when the check itself cannot finish (its own server did not start, no Unix
  sockets here, its own bug): that line never blames the learner;
* returns True or False and never raises the learner's error;
* stops every server and task, and removes every directory, that it started through
  its ``Trial``, whatever happens: a wrong answer, a bug, a cancelled cell.

``trial.call`` also notices a connection the learner's code opened and never closed:
Python's garbage collector closes such a connection later, with a ResourceWarning
("unclosed ..."), so from the other end it looks closed. The check records those
warnings while the learner's code runs and says so.

``hint()`` prints the exercise's first hint; each further call prints the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import inspect
import shutil
import tempfile
import warnings
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from helpers import background

Run = Callable[..., Awaitable[str]]


class NotYet(Exception):
    """The learner's answer is not right yet; the message follows "✗ not yet:"."""


class CannotCheck(Exception):
    """The check cannot finish for a reason not the learner's: follows "✗ could not check:"."""


def name_of(fn: object, default: str = "your function") -> str:
    """How the messages call the learner's function: its ``__name__``."""
    return getattr(fn, "__name__", default)


def short(value: object, width: int = 60) -> str:
    """``repr(value)``, cut to ``width`` characters for a one-line message."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _is_leak(warning: warnings.WarningMessage) -> bool:
    """An "unclosed <StreamWriter ...>", "unclosed transport ..." or socket warning."""
    return (issubclass(warning.category, ResourceWarning)
            and str(warning.message).startswith("unclosed"))


class Trial:
    """One run of a check: calls the learner's code, owns what the check starts."""

    def __init__(self) -> None:
        self._stack = contextlib.AsyncExitStack()
        self.leaks: list[str] = []  # the "unclosed ..." warnings seen during calls

    # -- the learner's code ---------------------------------------------------------------

    async def call(self, fn: Callable, *args: Any, name: str, timeout: float,
                   on_timeout: str | None = None, stub: str | None = None,
                   say: Callable[[BaseException], str] = str,
                   leak: str | None = None) -> Any:
        """Await ``fn(*args)`` within ``timeout`` s and return its result.

        Raises NotYet when it is not async, still the stub (NotImplementedError),
        too slow, raises, or leaves a connection for the garbage collector to close.
        ``name`` is how the reasons call it (``"probe(a directory)"``); ``on_timeout``,
        ``stub`` and ``leak`` replace the default reasons; ``say`` puts an exception
        into words.
        """
        result, error = await self.outcome(fn, *args, name=name, timeout=timeout,
                                           on_timeout=on_timeout, stub=stub, leak=leak)
        if error is not None:
            raise NotYet(f"{name} raised {type(error).__name__}: {say(error)}")
        return result

    async def outcome(self, fn: Callable, *args: Any, name: str, timeout: float,
                      on_timeout: str | None = None, stub: str | None = None,
                      leak: str | None = None) -> tuple[Any, Exception | None]:
        """Like ``call``, where raising is right: ``(result, None)`` or ``(None, error)``.

        Not async, the stub, too slow or a connection left open still raise NotYet.
        """
        result, error, reason = await self.watch(self._attempt, fn, args, name, timeout,
                                                 on_timeout, stub)
        if reason is not None:
            raise NotYet(reason)
        if self.leaks:
            own = name_of(fn, name)
            raise NotYet(leak or f"{own} left a connection open (only Python's garbage"
                                 " collector closed it): close the writer, then await"
                                 " writer.wait_closed()")
        return result, error

    async def watch(self, coro_fn: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        """Await ``coro_fn(*args)`` noting, in ``self.leaks``, connections left unclosed.

        A writer the learner simply dropped is closed (with its warning) the moment
        the function returns; ``sweep`` finds those left in reference cycles. Other
        warnings are passed on as usual.
        """
        others: list[warnings.WarningMessage] = []
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ResourceWarning)
                try:
                    return await coro_fn(*args)
                finally:
                    gc.collect(1)  # young cycles: cheap
                    self.leaks += [str(w.message) for w in caught if _is_leak(w)]
                    others = [w for w in caught if not _is_leak(w)]
        finally:
            for w in others:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)

    @staticmethod
    def forget_old_garbage() -> None:
        """Collect what was garbage before the check, so it is not taken for the learner's."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()

    def sweep(self, fn: object = None) -> None:
        """A full collection after the learner's code ran: NotYet if it left a connection."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            gc.collect()
        if any(_is_leak(w) for w in caught):
            raise NotYet(f"{name_of(fn)} left a connection open (only Python's garbage"
                         " collector closed it): close the writer, then await"
                         " writer.wait_closed()")

    @staticmethod
    async def _attempt(fn: Callable, args: tuple, name: str, timeout: float,
                       on_timeout: str | None,
                       stub: str | None) -> tuple[Any, Exception | None, str | None]:
        """(result, the learner's exception, the reason it cannot count at all)."""
        if not inspect.iscoroutinefunction(fn):
            # Not called: a plain function doing blocking I/O would freeze the loop,
            # and with it the check's own servers.
            return None, None, f"{name_of(fn)} must be a coroutine function (async def)"
        try:
            async with asyncio.timeout(timeout) as limit:
                return await fn(*args), None, None
        except TimeoutError as exc:
            if not limit.expired():  # the learner's own deadline: an answer like any other
                return None, exc, None
            return None, None, on_timeout or f"{name} did not finish within {timeout:g} s"
        except Exception as exc:  # the learner's bug: report it, never raise
            if isinstance(exc, NotImplementedError):
                return None, None, stub or f"{name} raised NotImplementedError: {exc}"
            return None, exc, None

    # -- what the check starts: all of it stopped by close() ------------------------------

    async def serve(self, name: str, handler: background.Handler,
                    **kwargs: Any) -> background.BackgroundServer:
        """A private TCP server (``helpers.background.serve``), stopped at the end."""
        self._stack.push_async_callback(background.stop, name)
        try:
            return await background.serve(name, handler, **kwargs)
        except OSError as exc:
            raise CannotCheck(f"the check's own server did not start ({exc})") from exc

    async def serve_unix(self, name: str, handler: background.Handler,
                         path: str | Path | None = None,
                         **kwargs: Any) -> background.BackgroundServer:
        """A private Unix-socket server, stopped at the end."""
        self._stack.push_async_callback(background.stop, name)
        try:
            return await background.serve_unix(name, handler, path, **kwargs)
        except OSError as exc:
            raise CannotCheck(f"the check's own Unix server did not start ({exc})") from exc

    def enter(self, resource: Any) -> Any:
        """A context manager (a LocalHTTPServer, a LocalCA...) exited at the end."""
        return self._stack.enter_context(resource)

    async def enter_async(self, resource: Any) -> Any:
        """An async context manager (``helpers.flow.slow_peer()``...) exited at the end."""
        return await self._stack.enter_async_context(resource)

    def temp_dir(self) -> Path:
        """A private directory (mode 0700), removed at the end."""
        path = Path(tempfile.mkdtemp(prefix="streams-lab-"))
        self._stack.callback(shutil.rmtree, path, ignore_errors=True)
        return path

    def task(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        """A background task, cancelled (and awaited) at the end."""
        task = asyncio.ensure_future(coro)

        async def cancel() -> None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

        self._stack.push_async_callback(cancel)
        return task

    async def close(self) -> None:
        """Stop everything, in reverse order; finishes even if the caller is cancelled."""
        closing = asyncio.ensure_future(self._stack.aclose())
        try:
            await asyncio.shield(closing)
        except asyncio.CancelledError:
            await asyncio.wait([closing])
            raise


class Exercise:
    """A check: ``await check(*answers)`` prints one line and returns True or False."""

    def __init__(self, run: Run, *, hints: list[str], deadline: float = 60.0) -> None:
        self.run = run
        self.hints = list(hints)
        self.deadline = deadline
        self.hints_shown = 0
        self.__doc__ = run.__doc__
        signature = inspect.signature(run)  # what help(check) shows: run's, minus the trial
        self.__signature__ = signature.replace(
            parameters=list(signature.parameters.values())[1:], return_annotation=bool)

    async def __call__(self, *args: Any, **kwargs: Any) -> bool:
        trial = Trial()
        try:
            try:
                async with asyncio.timeout(self.deadline) as limit:
                    trial.forget_old_garbage()
                    message = await self.run(trial, *args, **kwargs)
                    trial.sweep(args[0] if args else None)
            finally:
                await trial.close()
        except NotYet as exc:
            return self._say(f"✗ not yet: {exc}", False)
        except CannotCheck as exc:
            return self._say(f"✗ could not check: {exc}", False)
        except asyncio.CancelledError:
            self._say("✗ could not check: the check was stopped before it finished", False)
            raise
        except Exception as exc:  # the check's own bug, or its deadline
            if isinstance(exc, TimeoutError) and limit.expired():
                why = (f"the check ran past its own deadline of {self.deadline:g} s"
                       " (a busy machine?): run it again")
            else:
                why = (f"the check itself failed ({type(exc).__name__}: {exc}); this is"
                       " not your code's fault")
            return self._say(f"✗ could not check: {why}", False)
        return self._say(f"✓ {message}", True)

    @staticmethod
    def _say(line: str, verdict: bool) -> bool:
        print(_one_line(line))
        return verdict

    def hint(self, number: int | None = None) -> None:
        """Print a hint: the first, then one more at each call (or hint ``number``)."""
        if not self.hints:
            print("No hint for this one: the solution is in notebooks/solutions/.")
            return
        if number is None:
            self.hints_shown = min(self.hints_shown + 1, len(self.hints))
            number = self.hints_shown
        number = max(1, min(number, len(self.hints)))
        more = " (call hint() again for the next)" if number < len(self.hints) else ""
        print(_one_line(f"Hint {number} of {len(self.hints)}{more}: {self.hints[number - 1]}"))
