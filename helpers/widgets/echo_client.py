"""An echo client you can click: type a message, press *Send*, read the echo.

Each send opens a connection, writes the message, says "no more" (EOF), reads the
echo to the end and closes (``helpers.echo.echo_once``).

    w = EchoClientWidget("echo")  # talks to the server called "echo" (helpers.serve)
    w.widget                      # show it
    await w.send("hello")         # or drive it from code: what the button does
    print(w.transcript)

Given a server's *name*, the widget asks ``helpers.background.ensure`` for it at
each send: it finds the server where it runs now (a re-run cell moved it to a new
port) and starts it again if the notebook's clean-up stopped it. Given
``host=`` and ``port=``, it always connects there (to show a refusal, say).

The transcript is a widget *value*, not text printed into an Output widget:
nbval and a re-opened notebook can see a value; printed text they cannot.
"""

from __future__ import annotations

import ipywidgets as widgets

from helpers.background import ensure
from helpers.cli import describe
from helpers.echo import echo_once
from helpers.widgets.base import Clicks, mark


class EchoClientWidget:
    """A text box, a Send button, the last reply and a running transcript."""

    def __init__(self, server: str | None = None, *, host: str | None = None,
                 port: int | None = None, timeout: float = 2.0) -> None:
        if (server is None) == (host is None or port is None):
            raise TypeError("give a server's name, or host= and port=")
        self.server, self.host, self.port, self.timeout = server, host, port, timeout
        self.lines: list[str] = []
        self.pending = Clicks()  # the tasks clicks started (see helpers.widgets.base)
        self.text = widgets.Text(value="Hello World!", description="Message")
        self.button = widgets.Button(description="Send", button_style="primary")
        self.reply = widgets.Label(value="(no reply yet)")
        self.log = widgets.Textarea(value="", disabled=True, rows=6,
                                    layout=widgets.Layout(width="100%"))
        self.button.on_click(self._clicked)
        self.widget = widgets.VBox([
            widgets.HBox([self.text, self.button]),
            widgets.HBox([widgets.Label("Reply:"), self.reply]),
            self.log,
        ])
        mark(self.widget, inputs=[self.text], go=self.button, result=self.reply)

    @property
    def transcript(self) -> str:
        """Every line of the transcript so far, one per line."""
        return "\n".join(self.lines)

    def _note(self, line: str) -> None:
        self.lines.append(line)
        self.log.value = self.transcript

    def _clicked(self, _button: widgets.Button) -> None:
        self.pending.start(self.send(self.text.value))

    async def _address(self) -> dict:
        """Where to send now: the named server (running, or started again), or host:port."""
        if self.server is None:
            return {"host": self.host, "port": self.port}
        address = (await ensure(self.server)).address
        if isinstance(address, str):  # a Unix socket's path
            return {"path": address}
        return {"host": address[0], "port": address[1]}

    async def send(self, message: str) -> str | None:
        """Send ``message``; return the echo, or None (the error is in the transcript)."""
        self._note(f"→ {message!r}")
        try:
            reply = await echo_once(message, timeout=self.timeout, **await self._address())
        except Exception as exc:  # a widget shows a sentence, never a traceback
            self.reply.value = f"✗ {describe(exc)}"
            self._note(f"✗ {type(exc).__name__}: {describe(exc)}")
            return None
        self.reply.value = repr(reply)
        self._note(f"← {reply!r}")
        return reply
