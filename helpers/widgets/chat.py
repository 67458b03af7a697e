"""Chat windows you can type in: each one a client of the notebook's chat server.

    room = ChatRoom("chat", ["alice", "bob", "carol"])  # the server started as "chat"
    room.widget                                         # three windows side by side
    await room["alice"].send("hi")                      # what alice's Send button does

Each window keeps its own connection and prints every line that arrives. A send
reports "✓ delivered to bob, carol" once the other windows in the room show the line.
The server is found by name at each send (``helpers.background.ensure``): after the
notebook's clean-up stopped it, the window starts it again and joins anew.
"""

from __future__ import annotations

import asyncio
import contextlib

import ipywidgets as widgets

from helpers.background import close_quietly, ensure
from helpers.cli import describe
from helpers.widgets.base import Clicks, mark

WAIT = 2.0  # seconds: how long a send waits for the others to show its line


class ChatWindow:
    """One chat client: a log of what arrived, a text box and a Send button."""

    def __init__(self, server: str, nick: str, text: str = "") -> None:
        self.server, self.nick = server, nick
        self.lines: list[str] = []
        self.others: list[ChatWindow] = []
        self.writer: asyncio.StreamWriter | None = None
        self.listening: asyncio.Task[None] | None = None
        self.pending = Clicks()  # the tasks clicks started (see helpers.widgets.base)
        self.log = widgets.Textarea(value="", disabled=True, rows=8,
                                    layout=widgets.Layout(width="100%"))
        self.text = widgets.Text(value=text, placeholder="say something",
                                 layout=widgets.Layout(width="100%"))
        self.button = widgets.Button(description="Send", button_style="primary")
        self.result = widgets.Label(value="(type a line, then Send)")
        self.button.on_click(self._clicked)
        self.widget = widgets.VBox([widgets.HTML(f"<b>{nick}</b>"), self.log, self.text,
                                    self.button, self.result],
                                   layout=widgets.Layout(width="33%"))
        mark(self.widget, inputs=[self.text], go=self.button, result=self.result)

    @property
    def transcript(self) -> str:
        return "\n".join(self.lines)

    def _note(self, line: str) -> None:
        self.lines.append(line)
        self.log.value = "\n".join(self.lines[-200:])

    def _clicked(self, _button: widgets.Button) -> None:
        self.pending.start(self.send(self.text.value))

    @property
    def connected(self) -> bool:
        return self.listening is not None and not self.listening.done()

    async def join(self) -> None:
        """Connect to the server (started again if need be) and join with our nickname."""
        address = (await ensure(self.server)).address
        reader, self.writer = await asyncio.open_connection(*address)
        self.writer.write(f"{self.nick}\n".encode())
        hello = asyncio.get_running_loop().create_future()
        self.listening = asyncio.create_task(self._listen(reader, self.writer, hello))
        async with asyncio.timeout(WAIT):
            problem = await hello
        if problem:  # not in the room: leave, and say why
            await self.leave()
            raise ConnectionError(problem)

    async def _listen(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                      hello: asyncio.Future) -> None:
        """Show every line that arrives; at the end, close this connection."""
        try:
            async for raw in reader:
                line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                self._note(line)
                if not hello.done() and line.startswith("* hello "):
                    hello.set_result(None)
                elif not hello.done() and line.endswith("send another"):
                    hello.set_result(line.removeprefix("* "))
        except ConnectionError:
            pass
        finally:
            self._note("(disconnected)")
            if not hello.done():
                hello.set_result("the server closed the connection")
            await close_quietly(writer, 0.2)

    async def send(self, text: str) -> str:
        """Say ``text``; returns the result line the widget shows."""
        try:
            if not self.connected:  # first use, or the server was stopped: all join again
                for window in (self, *self.others):
                    if not window.connected:
                        await window.join()
            writer = self.writer
            assert writer is not None  # join() set it
            writer.write(f"{text}\n".encode())
            await writer.drain()
            self._note(f"(me) {text}")
            reached = []
            if text.startswith("/"):  # a command: the answer is for us only
                await self._answer(len(self.lines))
            elif text:
                reached = await self._delivered(f"{self.nick}: {text}")
            result = f"✓ delivered to {', '.join(reached)}" if reached else "✓ sent"
            if text == "/quit":
                result = "✓ you left: the next Send joins again"
            elif not reached and not self.connected:  # the server dropped us: say why
                result = f"✗ {self._last_word()}"
        except Exception as exc:  # a widget shows a sentence, never a traceback
            result = f"✗ {describe(exc)}"
        self.result.value = result
        return result

    async def _answer(self, seen: int) -> None:
        """Wait (at most WAIT s) for a line after the first ``seen``: the server's answer."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(WAIT):
                while len(self.lines) <= seen:
                    await asyncio.sleep(0.01)

    async def _delivered(self, line: str) -> list[str]:
        """The other windows that show ``line`` within WAIT s."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(WAIT):
                while self.connected and not all(line in o.lines for o in self.others
                                                 if o.connected):
                    await asyncio.sleep(0.01)
        return [o.nick for o in self.others if line in o.lines]

    def _last_word(self) -> str:
        """The server's last ``* `` line to us (why it closed the connection)."""
        said = [line.removeprefix("* ") for line in self.lines if line.startswith("* ")]
        return said[-1] if said else "the server closed the connection"

    async def leave(self) -> None:
        if self.writer is not None:
            await close_quietly(self.writer)
        if self.listening is not None:
            await asyncio.wait([self.listening], timeout=WAIT)


class ChatRoom:
    """Several chat windows side by side, each knowing the others."""

    def __init__(self, server: str, nicks: list[str]) -> None:
        self.windows = {nick: ChatWindow(server, nick) for nick in nicks}
        for window in self.windows.values():
            window.others = [w for w in self.windows.values() if w is not window]
        self.widget = widgets.HBox([w.widget for w in self.windows.values()])

    def __getitem__(self, nick: str) -> ChatWindow:
        return self.windows[nick]

    async def join(self) -> None:
        for window in self.windows.values():
            if not window.connected:
                await window.join()

    async def leave(self) -> None:
        for window in self.windows.values():
            await window.leave()
