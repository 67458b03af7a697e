"""Pick a local web server and a path, press *Fetch*, read the response's headers.

    w = HeadersWidget({"HTTP/1.0": "web", "HTTPS": "secure"}, cafile=ca.cafile())
    w.widget            # show it
    await w.fetch()     # or drive it from code: what the button does
    print(w.result.value)

The choices name servers started with ``helpers.local_http.serve_http``. At each
fetch the widget asks ``helpers.background.ensure`` for the chosen one: it finds
the server where it runs now, and starts it again (same options, same
certificate authority) if the notebook's clean-up stopped it.

Like a browser's address bar, the widget percent-encodes the characters of the
path that are not ASCII (``你好`` becomes ``%E4%BD%A0%E5%A5%BD``) before it sends
it. Everything else goes to ``fetch_headers`` as typed, so a space or a control
character is refused with one line, as the script refuses it.
"""

from __future__ import annotations

import urllib.parse

import ipywidgets as widgets

from helpers.background import ensure
from helpers.http_headers import FetchError, Response, fetch_headers
from helpers.widgets.base import Clicks, mark


def quote_non_ascii(path: str) -> str:
    """``path`` with each non-ASCII character percent-encoded as UTF-8; the rest untouched."""
    return "".join(c if c.isascii() else urllib.parse.quote(c) for c in path)


class HeadersWidget:
    """A server dropdown, a path box, a trust checkbox, a Fetch button and the result."""

    def __init__(self, servers: dict[str, str], cafile: str | None = None,
                 timeout: float = 2.0) -> None:
        self.servers, self.cafile, self.timeout = servers, cafile, timeout
        self.pending = Clicks()  # the tasks clicks started (see helpers.widgets.base)
        self.server = widgets.Dropdown(options=list(servers), description="Server")
        self.path = widgets.Text(value="/path/page.html", description="Path")
        self.trust = widgets.Checkbox(value=True, description="trust the local CA")
        self.button = widgets.Button(description="Fetch", button_style="primary")
        self.result = widgets.Textarea(value="", disabled=True, rows=8,
                                       layout=widgets.Layout(width="100%"))
        self.button.on_click(self._clicked)
        self.widget = widgets.VBox([widgets.HBox([self.server, self.path]),
                                    widgets.HBox([self.trust, self.button]), self.result])
        mark(self.widget, inputs=[self.server, self.path, self.trust], go=self.button,
             result=self.result)

    def _clicked(self, _button) -> None:
        self.pending.start(self.fetch())

    async def fetch(self) -> Response | None:
        """Fetch the chosen server's path into ``self.result``; None if it failed."""
        cafile = self.cafile if self.trust.value else None
        try:
            server = await ensure(self.servers[self.server.value])
            url = server.url(quote_non_ascii(self.path.value))
            response = await fetch_headers(url, cafile=cafile, timeout=self.timeout)
        except (FetchError, LookupError) as exc:  # LookupError: that server never started
            self.result.value = f"✗ {exc}"
            return None
        self.result.value = "\n".join(response.lines())
        return response
