"""The "stream lab": try every StreamReader call on bytes you type, and see what happens.

The lab holds an ``asyncio.StreamReader`` that it feeds itself, an in-memory
sandbox: no socket, so every result is the same every time. You type the bytes
the peer "sent" (escapes such as ``\\n``, ``\\r``, ``\\t``, ``\\0``, ``\\xff`` work),
choose whether the stream then ends (EOF), drag the reader's ``limit``, and run
one call at a time. After each call the lab shows what it returned or raised,
and what is still buffered. Calls act on the same reader, one after the other,
as they would on a connection; change the bytes or the limit to start over.

    lab = StreamLab(r"hello\\nworld", limit=8)
    lab                                  # the widget, in a notebook (or lab.widget)
    step = await lab.run("readline")     # one step from code (tests, a notebook)
    print(step.text())

Create it where an event loop runs (a notebook cell does). A call that would
wait (not enough bytes and no EOF yet) is cancelled and reported as waiting: on
a socket it would block until more bytes arrive.

The lab peeks at the reader's private ``_buffer`` to show what is buffered:
fine for a teaching tool, never in real code.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
from dataclasses import dataclass

import ipywidgets as widgets

from helpers.widgets.base import Clicks

CALLS = ("read", "readline", "readexactly", "readuntil", "at_eof")
HINTS = {
    "read": "n (empty or -1: read to EOF)",
    "readline": "(no argument)",
    "readexactly": "n (required)",
    "readuntil": r"separator (empty: \n)",
    "at_eof": "(no argument)",
}
_ESCAPES = {"\\": b"\\", "n": b"\n", "r": b"\r", "t": b"\t", "0": b"\0",
            "'": b"'", '"': b'"'}


def parse_bytes(text: str) -> bytes:
    """Text with backslash escapes to bytes: ``\\n \\r \\t \\0 \\\\ \\xHH``; others as UTF-8.

    Anything else after a backslash is an error (ValueError), not a guess.
    """
    out = bytearray()
    i = 0
    while i < len(text):
        ch = text[i]
        if ch != "\\":
            out += ch.encode("utf-8")
            i += 1
            continue
        esc = text[i + 1:i + 2]
        if esc in _ESCAPES:
            out += _ESCAPES[esc]
            i += 2
        elif esc == "x":
            digits = text[i + 2:i + 4]
            if len(digits) != 2 or any(c not in "0123456789abcdefABCDEF" for c in digits):
                raise ValueError(f"\\x needs two hex digits, at position {i}")
            out.append(int(digits, 16))
            i += 4
        elif esc == "":
            raise ValueError("a lone backslash at the end (write \\\\ for one backslash)")
        else:
            raise ValueError(f"unknown escape \\{esc} at position {i}")
    return bytes(out)


def describe_error(exc: BaseException) -> str:
    """An exception with the attributes that matter for streams (partial, consumed)."""
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, asyncio.IncompleteReadError):
        text += f"  [partial={exc.partial!r}, expected={exc.expected!r}]"
    elif isinstance(exc, asyncio.LimitOverrunError):
        text += f"  [consumed={exc.consumed}]"
    return text


@dataclass
class Step:
    """One call the lab ran and what came of it."""

    call: str  # as written, e.g. "readuntil(b'--')"
    returned: object = None
    error: BaseException | None = None
    waiting: bool = False
    before: bytes = b""
    after: bytes = b""
    at_eof: bool = False

    def outcome(self) -> str:
        if self.waiting:
            return "waits: not enough bytes and no EOF yet (cancelled here)"
        if self.error is not None:
            return "raised " + describe_error(self.error)
        return f"returned {self.returned!r}"

    def text(self) -> str:
        """A short, deterministic report of this step."""
        lines = [f"await reader.{self.call}" if self.call != "at_eof()"
                 else "reader.at_eof()",
                 f"  {self.outcome()}",
                 f"  buffered before: {self.before!r}",
                 f"  buffered after:  {self.after!r}"]
        lost = len(self.before) - len(self.after)
        if self.waiting and lost:
            lines.append(f"  lost: {lost} bytes, taken by the call before it was cancelled")
        lines.append(f"  at_eof(): {self.at_eof}")
        return "\n".join(lines)


class StreamLab:
    """A widget to run StreamReader calls on a fed reader, one step at a time."""

    def __init__(self, data: str = r"hello\nworld\n", *, eof: bool = True, limit: int = 16,
                 max_limit: int = 64) -> None:
        self.data = widgets.Text(value=data, description="bytes",
                                 layout=widgets.Layout(width="32em"))
        self.eof = widgets.Checkbox(value=eof, description="then EOF")
        self.limit = widgets.IntSlider(value=limit, min=1, max=max(max_limit, limit),
                                       description="limit")
        self.call = widgets.Dropdown(options=CALLS, value="readline", description="call")
        self.arg = widgets.Text(value="", description="argument",
                                placeholder=HINTS["readline"])
        self.run_button = widgets.Button(description="Run", button_style="primary")
        self.more = widgets.Text(value="", description="more bytes",
                                 placeholder=r"e.g. abc\n")
        self.feed_button = widgets.Button(description="Feed")
        self.eof_button = widgets.Button(description="Feed EOF")
        self.reset_button = widgets.Button(description="Start over")
        self.output = widgets.HTML()
        self.steps: list[Step] = []
        self.history: list[str] = []  # steps and notes, oldest first (the widget shows the last)
        try:  # the loop the widget's callbacks run on (the kernel's)
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        self.reader = asyncio.StreamReader(limit=limit, loop=self._loop)
        self._lock = asyncio.Lock()
        self._tasks = Clicks()  # the tasks clicks started (see helpers.widgets.base)
        self.widget = widgets.VBox([
            widgets.HBox([self.data, self.eof]),
            self.limit,
            widgets.HBox([self.call, self.arg, self.run_button]),
            widgets.HBox([self.more, self.feed_button, self.eof_button, self.reset_button]),
            self.output,
        ])
        for w in (self.data, self.eof, self.limit):
            w.observe(lambda _change: self.reset(), names="value")
        self.call.observe(self._on_call, names="value")
        self.run_button.on_click(lambda _b: self._spawn(self.run()))
        self.feed_button.on_click(lambda _b: self.feed(self.more.value))
        self.eof_button.on_click(lambda _b: self.feed_eof())
        self.reset_button.on_click(lambda _b: self.reset())
        self.reset()

    def __repr__(self) -> str:
        return f"StreamLab(limit={self.limit.value}, steps={len(self.steps)})"

    def _repr_mimebundle_(self, **kwargs):
        """Show the widget; its text/plain (what a notebook saves) is the short repr."""
        bundle = self.widget._repr_mimebundle_(**kwargs)
        if bundle is not None:
            bundle["text/plain"] = repr(self)
        return bundle

    # -- state --------------------------------------------------------------------------

    def reset(self) -> None:
        """A new reader (with the current limit) fed the current bytes, and EOF if ticked."""
        self.steps.clear()
        self.history.clear()
        self.reader = asyncio.StreamReader(limit=self.limit.value, loop=self._loop)
        try:
            data = parse_bytes(self.data.value)
        except ValueError as exc:
            self.history.append(f"cannot read the bytes: {exc}")
        else:
            self.reader.feed_data(data)
            self.history.append(f"new reader (limit={self.limit.value}), fed {data!r}"
                            + (" and EOF" if self.eof.value else ""))
        if self.eof.value:
            self.reader.feed_eof()
        self._render()

    def feed(self, text: str | bytes) -> None:
        """Feed more bytes, as if they had just arrived from the peer."""
        try:
            data = text if isinstance(text, bytes) else parse_bytes(text)
        except ValueError as exc:
            self.history.append(f"cannot read the bytes: {exc}")
        else:
            if self.ended:
                self.history.append("the stream has ended (EOF): start over to feed more")
            else:
                self.reader.feed_data(data)
                self.history.append(f"fed {data!r}")
        self._render()

    def feed_eof(self) -> None:
        """End the stream, as if the peer had closed its side."""
        self.reader.feed_eof()
        self.history.append("fed EOF")
        self._render()

    @property
    def buffered(self) -> bytes:
        """What the reader holds now (peeks at a private attribute)."""
        return bytes(self.reader._buffer)  # type: ignore[attr-defined]

    @property
    def ended(self) -> bool:
        """Whether EOF was fed (at_eof() is also False while bytes are still buffered)."""
        return bool(self.reader._eof)  # type: ignore[attr-defined]

    @property
    def text(self) -> str:
        """The report the widget shows, as plain text: the last entries, then the state."""
        lines = self.history[-4:]
        lines.append(f"now: buffered {self.buffered!r}, EOF fed: {self.ended}")
        return "\n".join(lines)

    def _render(self) -> None:
        self.output.value = f"<pre>{html.escape(self.text)}</pre>"

    def _on_call(self, change) -> None:
        self.arg.placeholder = HINTS[change["new"]]
        self.arg.value = ""

    def _spawn(self, coro) -> None:
        self._tasks.start(coro)

    # -- one step -----------------------------------------------------------------------

    def _prepare(self, call: str, arg) -> tuple[str, tuple]:
        """The call's text and its arguments, from an int, bytes, or the typed text."""
        if call in ("readline", "at_eof"):
            return f"{call}()", ()
        if isinstance(arg, str):
            arg = arg.strip()
            if call in ("read", "readexactly"):
                if not arg and call == "read":
                    arg = -1
                else:
                    try:
                        arg = int(arg)
                    except ValueError:
                        raise ValueError(f"{call} needs a whole number, not {arg!r}") from None
            else:
                arg = parse_bytes(arg) if arg else b"\n"
        if call == "read" and arg == -1:
            return "read()", ()
        return f"{call}({arg!r})", (arg,)

    async def run(self, call: str | None = None, arg: int | bytes | str | None = None) -> Step:
        """Run one call on the reader (the dropdown's, or ``call``) and report it.

        ``arg`` is an ``int`` (read, readexactly), ``bytes`` (readuntil) or text as
        typed in the box; ``None`` takes the box's text.
        """
        async with self._lock:
            if call is not None:
                self.call.value = call
                if arg is not None and not isinstance(arg, str):
                    self.arg.value = repr(arg)[2:-1] if isinstance(arg, bytes) else str(arg)
            call = self.call.value
            try:
                text, args = self._prepare(call, self.arg.value if arg is None else arg)
            except ValueError as exc:
                step = Step(f"{call}(?)", error=exc, before=self.buffered, after=self.buffered,
                            at_eof=self.reader.at_eof())
                return self._record(step)
            step = Step(text, before=self.buffered)
            if call == "at_eof":
                step.returned = self.reader.at_eof()
            else:
                task = asyncio.create_task(getattr(self.reader, call)(*args))
                for _ in range(3):  # a fed reader needs no I/O: a few turns are enough
                    await asyncio.sleep(0)
                if not task.done():
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                    step.waiting = True
                elif task.exception() is not None:
                    step.error = task.exception()
                else:
                    step.returned = task.result()
            step.after = self.buffered
            step.at_eof = self.reader.at_eof()
            return self._record(step)

    def _record(self, step: Step) -> Step:
        self.steps.append(step)
        self.history.append(step.text())
        self._render()
        return step
