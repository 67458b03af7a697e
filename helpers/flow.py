"""Backpressure made visible: a fast writer against a slow reader, on loopback.

``StreamWriter.write()`` never waits: bytes the kernel cannot take yet wait in
the transport's write buffer (``transport.get_write_buffer_size()``). Only
``await writer.drain()`` makes the writer wait for the reader. This module
runs the experiment both ways and records the buffer over time:

    without = await measure(drain=False)
    with_ = await measure(drain=True)
    plot([without, with_])
    without.peak, with_.peak          # bytes: about the whole payload vs. about 64 KiB

The reader's side would hide the effect behind its own buffers (kernel socket
buffers, the ``StreamReader`` buffer), so the experiment keeps them small:
``SO_SNDBUF`` / ``SO_RCVBUF`` of a few KiB and a ``StreamReader`` limit of one
read. The reader takes ``read_size`` bytes, then sleeps ``pause`` seconds.
The writer writes ``chunk`` bytes per step, four times what the reader takes
per step, so without ``drain()`` the buffer grows whatever the machine's speed.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

KiB = 1024
CHUNK = 16 * KiB  # bytes per write()
TOTAL = 1024 * KiB  # bytes per experiment
READ_SIZE = 4 * KiB  # bytes the slow reader takes per step
PAUSE = 0.001  # seconds the slow reader sleeps after each read
SOCKET_BUFFER = 4 * KiB  # SO_SNDBUF / SO_RCVBUF asked for (Linux doubles it)


@dataclass
class SlowPeer:
    """A connection to a reader that takes ``read_size`` bytes every ``pause`` seconds."""

    writer: asyncio.StreamWriter
    reader: asyncio.StreamReader
    read_size: int
    pause: float
    keep: bool = False
    received: int = 0
    stopped: bool = False  # set when the connection is torn down: the reader stops
    data: bytearray = field(default_factory=bytearray)  # filled only if ``keep``
    done: asyncio.Event = field(default_factory=asyncio.Event)

    async def finish(self, timeout: float = 10.0) -> int:
        """Send EOF (unless closed), wait until the reader has read everything; bytes read."""
        if not self.writer.is_closing() and self.writer.can_write_eof():
            self.writer.write_eof()
        async with asyncio.timeout(timeout):
            await self.done.wait()
        return self.received


async def _read_slowly(peer_box: list[SlowPeer], reader: asyncio.StreamReader,
                       writer: asyncio.StreamWriter, ready: asyncio.Event) -> None:
    await ready.wait()  # the client side fills peer_box first
    if not peer_box:  # the client side failed to connect: nothing to read for
        writer.close()
        return
    peer = peer_box[0]
    try:
        while not peer.stopped and (data := await reader.read(peer.read_size)):
            peer.received += len(data)
            if peer.keep:
                peer.data += data
            await asyncio.sleep(peer.pause)
    except OSError:
        pass  # the writer went away: what arrived is what counts
    finally:
        peer.done.set()
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


@contextlib.asynccontextmanager
async def slow_peer(read_size: int = READ_SIZE, pause: float = PAUSE, *,
                    socket_buffer: int | None = SOCKET_BUFFER,
                    keep: bool = False) -> AsyncIterator[SlowPeer]:
    """Start a slow reader on 127.0.0.1 (a free port), connect to it, yield the connection.

    ``socket_buffer`` sets ``SO_RCVBUF`` on the reader's socket and ``SO_SNDBUF``
    on the writer's (``None`` keeps the kernel's defaults); the reader's
    ``StreamReader`` limit is ``read_size``, so it buffers at most ``2 * read_size``.
    With ``keep=True`` the reader keeps every byte in ``peer.data``.
    Everything is closed on exit.
    """
    loop = asyncio.get_running_loop()
    box: list[SlowPeer] = []
    ready = asyncio.Event()
    handlers: set[asyncio.Task[None]] = set()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None  # a handler always runs in a task
        handlers.add(task)
        await _read_slowly(box, reader, writer, ready)

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server = writer = None
    try:
        if socket_buffer is not None:
            # Set before listen()/connect(): accepted sockets inherit it, and the
            # TCP window is sized from it when the connection is made.
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, socket_buffer)
            client.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, socket_buffer)
        listener.bind(("127.0.0.1", 0))
        server = await asyncio.start_server(handler, sock=listener, limit=read_size)
        client.setblocking(False)
        await loop.sock_connect(client, listener.getsockname())
        reader, writer = await asyncio.open_connection(sock=client)
        box.append(SlowPeer(writer, reader, read_size, pause, keep))
        ready.set()
        yield box[0]
    finally:
        if writer is not None:
            transport = writer.transport
            # Drop unsent bytes: the experiment is over. Not on a transport that has
            # closed already: abort() then raises AttributeError, its loop being gone
            # (seen on 3.11.7, 3.12.1 and 3.13.0).
            if not transport.is_closing() or transport.get_write_buffer_size():
                transport.abort()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        else:
            client.close()
        ready.set()
        if box:
            box[0].stopped = True
        if handlers:
            # The reader stops at its next step; cancelling it instead makes 3.11 up to
            # 3.11.7 and 3.12 up to 3.12.1 log the CancelledError ("Exception in callback
            # ..."); gh-113538 fixed that in 3.12.2 and 3.11.8.
            _, pending = await asyncio.wait(handlers, timeout=2.0)
            for task in pending:
                task.cancel()
        if server is not None:
            server.close()
            await asyncio.wait_for(server.wait_closed(), 2.0)
        else:
            listener.close()


@dataclass
class Run:
    """One experiment: the write buffer over time, and what the reader got."""

    drain: bool
    total: int
    chunk: int
    low: int  # the transport's low-water mark (bytes)
    high: int  # the transport's high-water mark (bytes)
    samples: list[tuple[float, int]]  # (seconds since the first write, bytes buffered)
    received: int = 0

    @property
    def peak(self) -> int:
        """The most bytes that ever waited in the transport's write buffer."""
        return max(size for _, size in self.samples)

    @property
    def seconds(self) -> float:
        """How long until the reader had everything."""
        return self.samples[-1][0]

    @property
    def label(self) -> str:
        return "with drain()" if self.drain else "without drain()"

    def __str__(self) -> str:
        return (f"{self.label}: peak {self.peak / KiB:.0f} KiB in the write buffer, "
                f"{self.received / KiB:.0f} of {self.total / KiB:.0f} KiB received, "
                f"{self.seconds * 1000:.0f} ms")


async def measure(drain: bool, *, total: int = TOTAL, chunk: int = CHUNK,
                  high: int | None = None, low: int | None = None,
                  read_size: int = READ_SIZE, pause: float = PAUSE,
                  every: float = 0.001, timeout: float = 20.0) -> Run:
    """Write ``total`` bytes in ``chunk``-byte writes to a slow reader; sample the buffer.

    With ``drain=True`` the writer awaits ``writer.drain()`` after every write.
    Either way it then yields to the loop (``await asyncio.sleep(0)``), as a
    real producer would while it makes the next chunk. ``high`` / ``low`` go to
    ``transport.set_write_buffer_limits`` (default: the transport's own, 64 / 16 KiB).
    A sampler records ``get_write_buffer_size()`` every ``every`` seconds and
    right after each write, until the reader has read everything.
    """
    if total <= 0 or chunk <= 0:
        raise ValueError("total and chunk must be positive")
    async with slow_peer(read_size, pause) as peer:
        transport = peer.writer.transport
        if high is not None or low is not None:
            transport.set_write_buffer_limits(high=high, low=low)
        lo, hi = transport.get_write_buffer_limits()
        loop = asyncio.get_running_loop()
        start = loop.time()
        samples: list[tuple[float, int]] = [(0.0, 0)]

        def sample() -> None:
            samples.append((loop.time() - start, transport.get_write_buffer_size()))

        async def sampler() -> None:
            while True:
                sample()
                await asyncio.sleep(every)

        sampling = asyncio.create_task(sampler())
        try:
            async with asyncio.timeout(timeout):
                payload = bytes(chunk)
                for offset in range(0, total, chunk):
                    peer.writer.write(payload[: total - offset])
                    sample()
                    if drain:
                        await peer.writer.drain()
                    await asyncio.sleep(0)  # "make the next chunk"
                received = await peer.finish(timeout)
                sample()
        finally:
            sampling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampling
    samples.sort()
    return Run(drain, total, chunk, lo, hi, samples, received)


async def compare(**kwargs) -> tuple[Run, Run]:
    """``measure`` without then with ``drain()``, same settings: ``(without, with_)``."""
    return await measure(False, **kwargs), await measure(True, **kwargs)


def _draw(ax, runs: list[Run], *, annotate: bool) -> None:
    for run in runs:
        times = [t * 1000 for t, _ in run.samples]
        sizes = [size / KiB for _, size in run.samples]
        ax.step(times, sizes, where="post", label=f"{run.label}: peak {run.peak / KiB:.0f} KiB")
    first = runs[0]
    for name, mark, style in (("high", first.high, "--"), ("low", first.low, ":")):
        text = f"{name}-water mark {mark / KiB:.0f} KiB"
        ax.axhline(mark / KiB, color="grey", linestyle=style, linewidth=1, label=text)
    ax.set_xlabel("time since the first write (ms)")
    ax.set_ylabel("bytes in the write buffer (KiB)")
    ax.set_ylim(bottom=0)
    if annotate:  # name the marks on a right-hand axis, off the data
        marks = ax.twinx()
        marks.set_ylim(ax.get_ylim())
        marks.set_yticks([first.low / KiB, first.high / KiB],
                         [f"low-water mark\n{first.low / KiB:.0f} KiB",
                          f"high-water mark\n{first.high / KiB:.0f} KiB"],
                         fontsize=8, color="grey")


def plot(runs: list[Run], *, zoom: bool = True):
    """Bytes waiting in the write buffer over time, one line per run; returns the Figure.

    Dashed lines mark the first run's high- and low-water marks. With ``zoom``
    a second panel shows the same lines up to the high-water mark plus two chunks.
    """
    import matplotlib.pyplot as plt

    if not runs:
        raise ValueError("nothing to plot")
    fig, axes = plt.subplots(1, 2 if zoom else 1, figsize=(11 if zoom else 7, 3.6),
                             layout="constrained", squeeze=False)
    left = axes[0][0]
    _draw(left, runs, annotate=False)
    left.set_title("transport.get_write_buffer_size(): fast writer, slow reader", fontsize=10)
    left.legend(loc="upper right", fontsize=8)
    if zoom:
        right = axes[0][1]
        first = runs[0]
        right.set_ylim(0, (first.high + 2 * first.chunk) / KiB)
        _draw(right, runs, annotate=True)
        right.set_title("zoomed in: drain() keeps it near the marks", fontsize=10)
    return fig
