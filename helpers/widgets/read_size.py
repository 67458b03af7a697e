"""A widget: pick how many bytes an echo server reads at a time, and see how fast it echoes.

A dropdown of read sizes (the seed's 100 bytes up to 64 KiB) and a **Measure** button.
Each press echoes 1 MiB through a Streams server that reads that many bytes at a time,
and through the seed's ``read(100)`` loop as well, one after the other, so the ratio
between the two comes from the same moment on the same machine.

    lab = ReadSizeLab()
    lab.widget                                 # show it
    measurement = await lab.measure(65536)     # or drive it from code: what the button does

The server reads its read size from the first line of each connection. The lab starts it
on demand (``serve("read-size-lab", echo_reading)``), so it still works after a notebook's
last cell stopped every server. The client is a blocking one, run in a thread, so that
the notebook's event loop only runs the server.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass

import ipywidgets as widgets

from helpers import bench
from helpers.background import get, serve
from helpers.cli import describe
from helpers.widgets.base import Clicks, mark

NAME = "read-size-lab"
PAYLOAD = 1 << 20
SEED = 100
SIZES = [("100 bytes (the seed's)", 100), ("1 KiB", 1024), ("4 KiB", 4096), ("64 KiB", 65536)]


async def echo_reading(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """The first line holds a read size N (1 to 1 MiB); then echo, N bytes at a time, to EOF."""
    line = await reader.readline()
    try:
        n = int(line)
    except ValueError:
        n = 0
    if not 1 <= n <= 1 << 20:
        writer.write(b"a read size from 1 to 1048576, please\n")
        return  # the registry's wrapper closes the connection
    while data := await reader.read(n):
        writer.write(data)
        await writer.drain()


def echo_rate(port: int, size: int, payload: bytes, timeout: float = 10.0) -> float:
    """Blocking: echo ``payload`` through the server reading ``size`` at a time; MB/s."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(f"{size}\n".encode())
        seconds, got = bench.pump(sock, payload)
    if got != len(payload):
        raise ConnectionError(f"the server echoed {got:,} of {len(payload):,} bytes")
    return bench.mb_per_s(got, seconds)


@dataclass
class Measurement:
    """One press: the chosen read size's rate and the seed's, measured just now."""

    size: int
    rate: float | None = None  # MB/s
    seed_rate: float | None = None  # MB/s, read(100), right after
    error: str | None = None

    def __str__(self) -> str:
        if self.error is not None:
            return f"✗ {self.error}"
        line = f"✓ read({self.size}): 1 MiB echoed at {self.rate or 0:,.0f} MB/s"
        if self.size == SEED:
            return line + " (the seed's own loop)"
        if not self.rate or not self.seed_rate:  # measure() sets both, or error
            return line
        return (line + f", {self.rate / self.seed_rate:.0f}× the seed's read(100)"
                f" ({self.seed_rate:,.0f} MB/s just now)")


class ReadSizeLab:
    """A dropdown of read sizes, a button, and what the last press measured."""

    def __init__(self, size: int = 65536) -> None:
        self.measurements: list[Measurement] = []
        self.pending = Clicks()  # the tasks clicks started (see helpers.widgets.base)
        self.payload = bench.payload_of(PAYLOAD)
        self.size = widgets.Dropdown(options=SIZES, value=size, description="read size")
        self.button = widgets.Button(description="Measure", button_style="primary")
        self.result = widgets.Label(value="(press Measure)")
        self.button.on_click(self._clicked)
        self.widget = widgets.VBox([self.size, self.button, self.result])
        mark(self.widget, inputs=[self.size], go=self.button, result=self.result)

    def _clicked(self, _button: widgets.Button) -> None:
        self.pending.start(self.measure(self.size.value))

    async def measure(self, size: int) -> Measurement:
        """Echo 1 MiB reading ``size`` at a time, then with read(100); show and keep it."""
        self.size.value = size
        self.result.value = "measuring…"
        measurement = Measurement(size)
        try:
            srv = get(NAME)
            if srv is None or not srv.is_serving():  # stopped by a clean-up cell: start again
                srv = await serve(NAME, echo_reading)
            measurement.rate = await asyncio.to_thread(echo_rate, srv.port, size, self.payload)
            if size != SEED:
                measurement.seed_rate = await asyncio.to_thread(echo_rate, srv.port, SEED,
                                                                self.payload)
        except Exception as exc:  # a widget shows a sentence, never a traceback
            measurement.error = describe(exc)
        self.measurements.append(measurement)
        # Numbered, so a second press with the same choice visibly answers too.
        self.result.value = f"#{len(self.measurements)} {measurement}"
        return measurement
