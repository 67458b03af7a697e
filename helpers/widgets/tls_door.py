"""A widget: one client knocks on a TLS server; what the client saw, and what the server logged.

Pick a client, press **Connect**. The server does its TLS handshake in its handler
(``writer.start_tls``), so a failed handshake is an exception there and becomes one line
of its log. The widget shows both ends side by side::

    #1 ✓ client: got its echo 'hello' | server: handshake done, TLSv1.3
    #2 ✗ client: the server hung up after sending 0 bytes | server: handshake failed:
       SSLError (WRONG_VERSION_NUMBER)                          (one line in the widget)

    door = TLSDoor()
    door.widget                                   # show it
    line = await door.knock("plain text, no TLS")  # or drive it from code: what the button does

It starts its own server (``serve("tls-door", ...)``) whenever none is running, so it
still works after a notebook's last cell stopped every server.
"""

from __future__ import annotations

import asyncio
import ssl

import ipywidgets as widgets

from helpers.background import close_quietly, get, serve
from helpers.cli import describe
from helpers.error_log import one_line
from helpers.rude_tls import plain_text_client, silent_client, untrusting_client
from helpers.tls import LocalCA, local_ca
from helpers.tls_echo import tls_echo_once
from helpers.widgets.base import Clicks, mark

NAME = "tls-door"
HANDSHAKE_TIMEOUT = 0.3  # s: the silent client is dropped after this
TRUSTING = "a client that trusts our CA"
CLIENTS = [TRUSTING, "a client that does not trust our CA", "plain text, no TLS",
           "a client that never says hello"]


def door_handler(ctx: ssl.SSLContext, log: list[str]):
    """A TLS echo server that logs each handshake in one line, done or failed."""
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await writer.start_tls(ctx, ssl_handshake_timeout=HANDSHAKE_TIMEOUT)
        except OSError as exc:  # ssl.SSLError, ConnectionResetError, ConnectionAbortedError
            reason = getattr(exc, "reason", None)
            if isinstance(exc, ConnectionAbortedError):
                reason = f"no handshake within {HANDSHAKE_TIMEOUT:g} s"
            log.append(one_line({"message": "handshake failed", "exception": exc})
                       if not reason else f"handshake failed: {type(exc).__name__} ({reason})")
            await close_quietly(writer)
            return
        log.append(f"handshake done, {writer.get_extra_info('ssl_object').version()}")
        try:
            while data := await reader.read(100):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            await close_quietly(writer)
    return handle


class TLSDoor:
    """A dropdown of clients, a Connect button, and both ends' view of what happened."""

    def __init__(self, ca: LocalCA | None = None) -> None:
        self.ca = ca or local_ca()
        self.server_ctx = self.ca.server_context()
        self.log: list[str] = []  # the server's lines, one per connection
        self.results: list[str] = []
        self.pending = Clicks()  # the tasks clicks started (see helpers.widgets.base)
        self._one_at_a_time = asyncio.Lock()
        self.client = widgets.Dropdown(options=CLIENTS, value=TRUSTING, description="client",
                                       layout=widgets.Layout(width="420px"))
        self.button = widgets.Button(description="Connect", button_style="primary")
        self.result = widgets.Label(value="(pick a client, press Connect)")
        self.button.on_click(self._clicked)
        self.widget = widgets.VBox([self.client, self.button, self.result])
        mark(self.widget, inputs=[self.client], go=self.button, result=self.result)

    def _clicked(self, _button: widgets.Button) -> None:
        self.pending.start(self.knock(self.client.value))

    async def _server(self):
        srv = get(NAME)
        if srv is None or not srv.is_serving():  # stopped by a clean-up cell: start again
            srv = await serve(NAME, door_handler(self.server_ctx, self.log))
        return srv

    async def _client(self, client: str, host: str, port: int) -> tuple[bool, str]:
        if client == TRUSTING:
            echo = await tls_echo_once("hello", host, port, self.ca.client_context())
            return echo == "hello", f"client: got its echo {echo!r}"
        if client == CLIENTS[1]:
            return False, await untrusting_client(host, port)
        if client == CLIENTS[2]:
            return False, await plain_text_client(host, port)
        return False, (await silent_client(host, port))[0]

    async def knock(self, client: str) -> str:
        """One client, one connection; the line is also shown and kept in ``results``."""
        self.client.value = client
        self.result.value = "connecting…"
        async with self._one_at_a_time:
            try:
                srv = await self._server()
                logged = len(self.log)
                ok, said = await self._client(client, srv.host, srv.port)
                async with asyncio.timeout(1):  # the server's line may come just after
                    while len(self.log) == logged:
                        await asyncio.sleep(0.01)
                line = f"{'✓' if ok else '✗'} {said} | server: {self.log[logged]}"
            except Exception as exc:  # a widget shows a sentence, never a traceback
                line = f"✗ {describe(exc)}"
            self.results.append(line)
            # Numbered, so a second press with the same client visibly answers too.
            self.result.value = f"#{len(self.results)} {line}"
            return self.result.value
