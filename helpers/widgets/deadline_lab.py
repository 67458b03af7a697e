"""A widget: a client's deadline against a server's delay, and what happens.

Two sliders: how long the server waits before it answers, and how long the client
is willing to wait. **Ask** sends one request to a ``helpers.deadlines.sleepy``
server under that deadline and shows the outcome: the reply (✓) or the deadline
passing first (✗), and in both cases whether the connection was closed.

    lab = DeadlineLab()
    lab.widget                          # show it
    outcome = await lab.ask(0.3, 0.1)   # or drive it from code: what the button does

The lab starts its own server on demand (``serve("deadline-lab", sleepy)``), so it
still works after a notebook's last cell stopped every server.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import ipywidgets as widgets

from helpers.background import close_quietly, get, serve
from helpers.cli import describe
from helpers.deadlines import sleepy
from helpers.widgets.base import Clicks, mark

NAME = "deadline-lab"


@dataclass
class Outcome:
    """What one request did: its reply (or None), and whether its connection closed."""

    delay: float
    deadline: float
    reply: str | None
    closed: bool
    error: str | None = None

    def __str__(self) -> str:
        if self.error is not None:
            return f"✗ {self.error}"
        closed = "connection closed" if self.closed else "connection LEFT OPEN"
        if self.reply is None:
            return (f"✗ TimeoutError: the deadline ({self.deadline:g} s) came before the"
                    f" reply (after {self.delay:g} s); the read was cancelled, {closed}")
        return (f"✓ {self.reply!r} within the deadline ({self.deadline:g} s), {closed}")


async def ask_within(host: str, port: int, delay: float, deadline: float) -> Outcome:
    """Ask a ``sleepy`` server to wait ``delay`` s; give up after ``deadline`` s."""
    writer = None
    reply = None
    try:
        async with asyncio.timeout(deadline):
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(f"{delay:g}\n".encode())
            await writer.drain()
            reply = (await reader.readline()).decode().strip()
    except TimeoutError:
        pass
    finally:
        if writer is not None:
            await close_quietly(writer)
    return Outcome(delay, deadline, reply, writer is None or writer.is_closing())


class DeadlineLab:
    """Sliders for the server's delay and the client's deadline, a button, the outcome."""

    def __init__(self, delay: float = 0.2, deadline: float = 0.5) -> None:
        self.outcomes: list[Outcome] = []
        self.pending = Clicks()  # the tasks clicks started (see helpers.widgets.base)
        style = {"description_width": "initial"}
        self.delay = widgets.FloatSlider(value=delay, min=0.0, max=2.0, step=0.05,
                                         description="server's delay (s)", style=style)
        self.deadline = widgets.FloatSlider(value=deadline, min=0.05, max=2.0, step=0.05,
                                            description="client's deadline (s)", style=style)
        self.button = widgets.Button(description="Ask", button_style="primary")
        self.result = widgets.Label(value="(press Ask)")
        self.button.on_click(self._clicked)
        self.widget = widgets.VBox([self.delay, self.deadline, self.button, self.result])
        mark(self.widget, inputs=[self.delay, self.deadline], go=self.button,
             result=self.result)

    def _clicked(self, _button: widgets.Button) -> None:
        self.pending.start(self.ask(self.delay.value, self.deadline.value))

    async def ask(self, delay: float, deadline: float) -> Outcome:
        """One request; the outcome is also shown in the widget and kept in ``outcomes``."""
        self.delay.value, self.deadline.value = delay, deadline
        self.result.value = "asking…"
        try:
            srv = get(NAME)
            if srv is None or not srv.is_serving():  # stopped by a clean-up cell: start again
                srv = await serve(NAME, sleepy)
            outcome = await ask_within(srv.host, srv.port, delay, deadline)
        except Exception as exc:  # a widget shows a sentence, never a traceback
            outcome = Outcome(delay, deadline, None, True, error=describe(exc))
        self.outcomes.append(outcome)
        # Numbered, so a second press with the same settings visibly answers too.
        self.result.value = f"#{len(self.outcomes)} {outcome}"
        return outcome
